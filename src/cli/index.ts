#!/usr/bin/env node
// The `spindle` command. Each subcommand is one module in this folder that
// exports `command` (built with defineCommand in command.ts); this file only
// dispatches. Adding a command = one file + one line below.
import { readFileSync } from 'node:fs';
import { type Command, exitCodeOf, printError } from './command.js';

const commands: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./start.js')).command,
  work: async () => (await import('./work.js')).command,
  ls: async () => (await import('./ls.js')).command,
  status: async () => (await import('./status.js')).command,
  reload: async () => (await import('./reload.js')).command,
  scale: async () => (await import('./scale.js')).command,
  logs: async () => (await import('./logs.js')).command,
  stop: async () => (await import('./stop.js')).command,
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function help(): Promise<string> {
  const lines = await Promise.all(
    Object.entries(commands).map(async ([name, load]) => `  ${name.padEnd(10)} ${(await load()).spec.summary}`),
  );
  return `Usage: spindle <command> [options]

Commands:
${lines.join('\n')}

Options:
  -h, --help     show help (also: spindle <command> --help)
  -v, --version  print the version

Examples:
  spindle start server.js --name api --workers auto
  spindle status api
  spindle reload api
  spindle work tasks.js --queue jobs --redis redis://127.0.0.1:6379
  spindle start --help
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(await help());
    return name === undefined ? 2 : 0;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(
      `spindle: unknown command '${name}'. Valid commands: ${Object.keys(commands).join(', ')} (see 'spindle --help')\n`,
    );
    return 2;
  }
  return (await load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    printError(err);
    process.exitCode = exitCodeOf(err);
  },
);
