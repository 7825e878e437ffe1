// Property-based tests with fast-check, shared settings. Every fuzz test:
// - is bounded (numRuns, and a time limit per case), so the whole fuzz set stays small in `npm test`;
// - prints its seed on failure (fast-check puts `seed` and `path` in the message; replay with FUZZ_SEED=…);
// - checks the project's rule: any input is accepted and works, or is refused with a coded error
//   (`ERR_INVALID_OPTION` naming the option, or a documented code) — never a crash, a hang,
//   a raw error or a Node warning.
import assert from 'node:assert/strict';
import fc from 'fast-check';

export { fc };

/** Runs per property: FUZZ_RUNS overrides (e.g. 5000 for a long local session). */
export const RUNS = Number(process.env.FUZZ_RUNS) || 100;

/** fast-check parameters: bounded runs, a fixed seed when FUZZ_SEED is set, seed printed on failure. */
export function params(extra = {}) {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return { numRuns: RUNS, ...(seed === undefined ? {} : { seed }), ...extra };
}

/** `fc.assert` with the project's parameters. */
export function check(property, extra) {
  return fc.assert(property, params(extra));
}

/**
 * Any value a user might pass where an option goes: primitives, odd numbers,
 * strings that look like durations or sizes, arrays, objects, functions,
 * URLs, signals, symbols, Proxies that throw. Weighted towards the edges.
 */
export function anyValue() {
  return fc.oneof(
    fc.constantFrom(
      undefined,
      null,
      true,
      false,
      0,
      -0,
      -1,
      1,
      0.5,
      2 ** 31,
      2 ** 31 - 1,
      2 ** 53,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '',
      ' ',
      '0',
      '10',
      '10s',
      '1.5m',
      '-1s',
      '25d',
      '999999h',
      'auto',
      'Infinity',
      '1e3',
      'x'.repeat(300),
      '\u0000',
      'a\uD800b',
      Symbol('s'),
      () => {},
      new URL('file:///nonexistent/x.js'),
      new URL('https://example.com/'),
      new AbortController().signal,
      [],
      {},
      Object.create(null),
      new Date(0),
      new Map(),
      10n,
    ),
    fc.integer({ min: -1e10, max: 1e10 }),
    fc.double(),
    fc.string(),
    fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 3 }),
    fc.constant(
      new Proxy(
        {},
        {
          get(_target, key) {
            // fast-check prints counterexamples through this key: without it, a failure
            // involving the Proxy is reported as 'proxy trap' instead of itself
            if (key === fc.toStringMethod) return () => 'Proxy(throws on every read)';
            throw new Error('proxy trap');
          },
          ownKeys() {
            throw new Error('proxy trap');
          },
        },
      ),
    ),
  );
}

/**
 * An options object built from known option names (each present or not, with
 * any value) plus now and then an unknown key.
 */
export function optionsOf(names, value = anyValue()) {
  const known = Object.fromEntries(names.map((n) => [n, value]));
  return fc
    .tuple(
      fc.record(known, { requiredKeys: [] }),
      fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }),
    )
    .map(([o, extra]) => (extra === null || extra in o ? o : { ...o, [extra]: 1 }));
}

/**
 * Calls `fn` and asserts the project's rule on the outcome: it returns (or
 * resolves), or it throws (or rejects) a spindle error whose code is in
 * `codes` (ERR_INVALID_OPTION by default) and, for ERR_INVALID_OPTION, names an
 * option. Anything else — a raw TypeError, a crash, a hang past `ms` — fails.
 * Resolves with `{ ok: true, value }` or `{ ok: false, error }`.
 */
export async function acceptedOrCoded(fn, { codes = ['ERR_INVALID_OPTION'], ms = 5000 } = {}) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms (a hang)`)), ms);
  });
  try {
    const value = await Promise.race([Promise.resolve().then(fn), limit]);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof Error && error.message.includes('(a hang)')) throw error;
    assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
    assert.ok(
      codes.includes(error.code),
      `expected a coded error (${codes.join(', ')}), got ${error.name} ${error.code ?? ''}: ${error.message}`,
    );
    if (error.code === 'ERR_INVALID_OPTION') {
      assert.equal(typeof error.option, 'string', 'ERR_INVALID_OPTION names its option');
      assert.ok(error.message.includes(error.option), `the message names \`${error.option}\`: ${error.message}`);
    }
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Collects process warnings emitted while `fn` runs (a TimeoutOverflowWarning,
 * a MaxListenersExceededWarning): fuzzed input must not cause any.
 */
export async function noWarnings(fn) {
  const seen = [];
  const onWarning = (w) => seen.push(w);
  process.on('warning', onWarning);
  try {
    return await fn();
  } finally {
    // warnings are emitted on the next tick
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.deepEqual(
      seen.map((w) => `${w.name}: ${w.message}`),
      [],
      'no process warning',
    );
  }
}
