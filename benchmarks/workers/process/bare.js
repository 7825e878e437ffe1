// The start-up baseline: a bare node process that says it is ready (ESM, like the task module).
process.send('ready');
process.on('disconnect', () => process.exit(0));
