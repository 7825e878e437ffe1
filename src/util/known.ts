// Unknown option names are refused (docs/conventions.md, rule 7): a misspelt
// `timout` must not silently mean "no timeout".
import { InvalidOptionError } from '../errors/index.js';
import { invalid } from './validate.js';

/**
 * A plain copy of the options object `value` (its own enumerable string keys),
 * refusing any name not in `known` with ERR_INVALID_OPTION naming it. Reading
 * through the copy means a Proxy or a throwing getter fails here, as a coded error,
 * and not later in the middle of the work. `undefined` gives `undefined`.
 */
export function knownOptions(
  option: string,
  value: unknown,
  known: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(option, 'an object', value);
  const copy: Record<string, unknown> = {};
  try {
    for (const key of Object.keys(value)) copy[key] = (value as Record<string, unknown>)[key];
  } catch {
    throw invalid(option, 'a plain object whose properties can be read', value);
  }
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
