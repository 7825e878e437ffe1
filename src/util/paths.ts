// One rule for paths in every module: `cwd`, `script`, `worker` and other
// paths accept a string (absolute, or relative to the working directory) or a
// `file:` URL.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalid } from './validate.js';

/** Absolute path from a string or `file:` URL (or a `file:` URL string), else throws naming `option`. */
export function toPath(option: string, value: unknown, base = process.cwd()): string {
  if (value instanceof URL) {
    if (value.protocol === 'file:') return fileURLToPath(value);
  } else if (typeof value === 'string' && value !== '' && !value.includes('\0')) {
    return value.startsWith('file:') ? fileURLToPath(value) : resolve(base, value);
  }
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
