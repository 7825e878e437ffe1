// One rule for paths in every module: `cwd`, `script`, `worker` and other
// paths accept a string (absolute, or relative to the working directory) or a
// `file:` URL.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalid } from './validate.js';

/** The path of a `file:` URL; undefined for one Node cannot turn into a path (a host, an encoded `/` or NUL). */
function fromFileUrl(url: URL | string): string | undefined {
  try {
    const path = fileURLToPath(url);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/** Absolute path from a string or `file:` URL (or a `file:` URL string), else throws naming `option`. */
export function toPath(option: string, value: unknown, base = process.cwd()): string {
  let path: string | undefined;
  if (value instanceof URL) {
    if (value.protocol === 'file:') path = fromFileUrl(value);
  } else if (typeof value === 'string' && value !== '' && !value.includes('\0')) {
    path = value.startsWith('file:') ? fromFileUrl(value) : resolve(base, value);
  }
  if (path !== undefined) return path;
  throw invalid(option, 'a path (a non-empty string) or a file: URL', value);
}

/** Like `toPath`, and the path must be an existing directory. */
export function toDirectory(option: string, value: unknown, base = process.cwd()): string {
  const path = toPath(option, value, base);
  let directory = false;
  try {
    directory = statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    // ENAMETOOLONG, ENOTDIR, EACCES…: not a directory we can use either
  }
  if (!directory) throw invalid(option, 'an existing directory (a path or a file: URL)', value);
  return path;
}
