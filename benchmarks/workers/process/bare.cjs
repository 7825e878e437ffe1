// The start-up baseline without the ESM loader: a bare CommonJS node process that says it is ready.
process.send('ready');
process.on('disconnect', () => process.exit(0));
