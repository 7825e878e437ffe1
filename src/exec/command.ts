// How a command is shown in messages, and the not-found / spawn-failure texts.
import { existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { localBins } from './local.js';
import { shellName } from './shell.js';

const SAFE = /^[\w@%+=:,./-]+$/;

/** Quotes one argument the way a POSIX shell would need it, for display only. */
export function quoteArg(arg: string): string {
  if (arg === '') return "''";
  return SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** `file arg1 'arg 2'`: a readable, copy-pastable rendering of the command (never executed). */
export function formatCommand(file: string, args: readonly string[]): string {
  let out = quoteArg(file);
  for (const a of args) out += ` ${quoteArg(a)}`;
  return out;
}

function pathOf(env: NodeJS.ProcessEnv): string {
  if (process.platform === 'win32') {
    const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
    return (key && env[key]) || '';
  }
  return env.PATH ?? '';
}

/**
 * Explains a spawn ENOENT. Node reports a missing `cwd` with the same code as a
 * missing program, so tell them apart before blaming the program. With `shell`,
 * the program Node starts is the shell. `missing` is what was not found.
 */
export function describeSpawnFailure(
  file: string,
  code: string | undefined,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
  shell: boolean | string,
): { notFound: boolean; missing: string; reason: string } {
  const program = shell === false ? file : shellName(shell);
  if (cwd !== undefined && !isDirectory(cwd)) {
    return { notFound: false, missing: program, reason: `the working directory ${JSON.stringify(cwd)} does not exist` };
  }
  if (code === 'ENOENT') {
    const which = shell === false ? '' : 'the shell; ';
    if (program.includes('/') || (process.platform === 'win32' && program.includes('\\'))) {
      const where = isAbsolute(program) ? program : resolve(cwd ?? process.cwd(), program);
      const why = existsSync(where) ? 'its interpreter (#! line) was not found' : 'no such file';
      return { notFound: true, missing: program, reason: `${which}${where}: ${why}` };
    }
    const path = pathOf(env);
    const dirs = path.split(delimiter).filter(Boolean);
    return {
      notFound: true,
      missing: program,
      reason: `${which}${dirs.length ? `searched PATH=${path}` : 'PATH is empty or unset'}${localHint(program, cwd, dirs)}`,
    };
  }
  if (code === 'EACCES')
    return { notFound: false, missing: program, reason: 'permission denied (is the file executable?)' };
  return { notFound: false, missing: program, reason: code ?? 'unknown error' };
}

/** A program the project installed but PATH does not reach (`tsc`, `eslint`): say how to run it. */
function localHint(program: string, cwd: string | undefined, searched: string[]): string {
  const found = localBins(cwd ?? process.cwd())
    .slice(0, -1) // Node's own directory is not a project's
    .find((bin) => !searched.includes(bin) && existsSync(join(bin, program)));
  return found ? `; ${join(found, program)} exists: pass \`preferLocal: true\` to run it` : '';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
