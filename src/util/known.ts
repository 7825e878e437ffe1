// Unknown option names are refused (docs/conventions.md, rule 7): a misspelt
// `timout` must not silently mean "no timeout".
import { InvalidOptionError } from '../errors/index.js';
import { readOptions } from './validate.js';

/**
 * `readOptions` (a plain copy, read once, so a Proxy or a throwing getter fails
 * here as a coded error) that also refuses any name not in `known`, with
 * ERR_INVALID_OPTION whose `option` is that name. `undefined` gives `undefined`.
 */
export function knownOptions(
  option: string,
  value: unknown,
  known: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  const copy = readOptions(option, value);
  for (const key in copy) {
    if (!known.has(key)) {
      const name = key.length > 40 ? `${key.slice(0, 37)}...` : key;
      throw new InvalidOptionError(
        name,
        `Unknown option \`${name}\` in \`${option}\`; known options: ${[...known].join(', ')}`,
      );
    }
  }
  return copy;
}
