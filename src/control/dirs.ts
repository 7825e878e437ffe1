// Where control sockets live: one directory per user, chosen from the
// environment (docs/control.md): $SPINDLE_HOME if set, else
// $XDG_RUNTIME_DIR/spindle, else ~/.spindle. A supervisor creates its
// directory (mode 0700, owned by this user) and its socket `<name>.sock`
// (0600) there. A systemd service often has no XDG_RUNTIME_DIR while a login
// shell does, so commands that look for a name search every candidate; with
// $SPINDLE_HOME set they search only it (tests and deliberate separation).
import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { ControlDirectoryError } from '../errors/index.js';
import { invalid } from '../util/validate.js';

export const HOME_ENV = 'SPINDLE_HOME';

/** A name: letters, digits, '.', '_' and '-', at most 64 characters (socket paths stay under 108 bytes). */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** The longest socket path: sun_path holds 108 bytes with its NUL. */
export const MAX_SOCKET_PATH = 107;

/** Checks a control name; throws ERR_INVALID_OPTION naming `option`. */
export function checkName(option: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value) || value === '.' || value === '..') {
    throw invalid(option, "a name of letters, digits, '.', '_' and '-' (at most 64 characters)", value);
  }
  return value;
}

/** The default name of a script: its base name without extension, made into a valid name ('my app.js' → 'my-app'). */
export function defaultName(script: string): string {
  const base = basename(script, extname(script))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 64);
  return base === '' || base === '.' || base === '..' ? 'app' : base;
}

/** A valid name made of any text (a queue's name): other characters become '-', at most 64; `fallback` if nothing is left. */
export function nameOf(text: string, fallback: string): string {
  const name = text.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64);
  return name === '' || name === '.' || name === '..' ? fallback : name;
}

/** The directory a supervisor listens in. */
export function controlDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env[HOME_ENV]) return resolve(env[HOME_ENV]);
  if (env.XDG_RUNTIME_DIR) return join(resolve(env.XDG_RUNTIME_DIR), 'spindle');
  return join(homedir(), '.spindle');
}

/** The directories commands search for a name, in order, without duplicates. */
export function searchDirectories(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env[HOME_ENV]) return [resolve(env[HOME_ENV])];
  const dirs = [join(homedir(), '.spindle')];
  if (env.XDG_RUNTIME_DIR) dirs.unshift(join(resolve(env.XDG_RUNTIME_DIR), 'spindle'));
  return [...new Set(dirs)];
}

/** `<dir>/<name>.sock`. */
export function socketPath(directory: string, name: string): string {
  return join(directory, `${name}.sock`);
}

function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** True when `st` is a real directory of this user that nobody else may enter. */
export function isPrivateDirectory(st: Stats): boolean {
  const me = uid();
  return st.isDirectory() && !st.isSymbolicLink() && (me === undefined || st.uid === me) && (st.mode & 0o077) === 0;
}

/**
 * Creates the control directory if needed and makes sure it is private: a
 * directory (not a symlink) owned by this user, mode 0700 (a looser mode on
 * our own directory is tightened). Throws ERR_CONTROL_DIRECTORY otherwise.
 */
export function ensureDirectory(directory: string): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new ControlDirectoryError(directory, `it cannot be created (${(cause as Error).message})`, { cause });
  }
  const st = lstatSync(directory);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new ControlDirectoryError(directory, 'it is not a directory');
  const me = uid();
  if (me !== undefined && st.uid !== me) {
    throw new ControlDirectoryError(directory, `it belongs to uid ${st.uid}, not to this user (uid ${me})`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(directory, 0o700);
}

/** Throws ERR_CONTROL_DIRECTORY when a socket path would be too long for the system. */
export function checkSocketPath(directory: string, path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH) {
    throw new ControlDirectoryError(
      directory,
      `the socket path ${path} is ${bytes} bytes, over the limit of ${MAX_SOCKET_PATH}: set $${HOME_ENV} to a shorter directory`,
    );
  }
}
