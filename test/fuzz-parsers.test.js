// The duration and size parsers: any input is a number within the limits, or
// ERR_INVALID_OPTION naming the option. Never a raw error, never a value a
// Node timer would silently turn into 1 ms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBytes } from '../dist/util/bytes.js';
import {
  formatDuration,
  MAX_DURATION,
  optionalDuration,
  parseDuration,
  parseDurationFlag,
} from '../dist/util/duration.js';
import { anyValue, check, fc } from './helpers/fuzz.js';

function outcome(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function assertCoded(r, option) {
  assert.equal(r.error.code, 'ERR_INVALID_OPTION', String(r.error));
  assert.equal(r.error.option, option);
  assert.ok(r.error.message.startsWith(`Expected \`${option}\``), r.error.message);
}

test('durations: units, fractions, and the limit of Node timers', () => {
  assert.equal(parseDuration('t', 250), 250);
  assert.equal(parseDuration('t', '250ms'), 250);
  assert.equal(parseDuration('t', '1.5s'), 1500);
  assert.equal(parseDuration('t', ' 2m '), 120_000);
  assert.equal(parseDuration('t', '1h'), 3_600_000);
  assert.equal(parseDuration('t', '1d'), 86_400_000);
  assert.equal(parseDuration('t', '24d'), 24 * 86_400_000);
  assert.equal(parseDuration('t', MAX_DURATION), MAX_DURATION);
  for (const bad of ['25d', 2 ** 31, 3e9, '600h', Number.POSITIVE_INFINITY]) {
    const r = outcome(() => parseDuration('timeout', bad));
    assert.equal(r.ok, false, `${String(bad)} is refused`);
    assertCoded(r, 'timeout');
  }
  assert.match(outcome(() => parseDuration('timeout', 2 ** 31)).error.message, /at most 2147483647 ms/);
  assert.equal(parseDuration('t', Number.POSITIVE_INFINITY, { infinity: true }), Number.POSITIVE_INFINITY);
  assert.match(outcome(() => parseDuration('t', 3e9, { infinity: true })).error.message, /use Infinity for never/);
  assertCoded(
    outcome(() => parseDuration('grace', -1)),
    'grace',
  );
  assertCoded(
    outcome(() => parseDuration('grace', '10')),
    'grace',
  );
  assertCoded(
    outcome(() => parseDuration('grace', 0, { min: 1 })),
    'grace',
  );
  assert.equal(optionalDuration('grace', undefined, 7), 7);
});

test('duration flags need a unit, and the message does not offer plain milliseconds', () => {
  assert.equal(parseDurationFlag('--grace', '10s'), 10_000);
  assert.equal(parseDurationFlag('--grace', '0'), 0);
  const r = outcome(() => parseDurationFlag('--grace', '10'));
  assertCoded(r, '--grace');
  assert.match(r.error.message, /a duration with a unit, such as 500ms, 10s/);
  assert.doesNotMatch(r.error.message, /milliseconds/);
  assertCoded(
    outcome(() => parseDurationFlag('--ready-timeout', '600h')),
    '--ready-timeout',
  );
});

test('formatDuration renders what parseDuration reads back', () => {
  for (const ms of [5, 999, 1500, 90_000, 5_400_000, 2 * 86_400_000]) {
    const text = formatDuration(ms);
    assert.ok(Math.abs(parseDuration('t', text) - ms) <= ms * 0.05, `${ms} -> ${text}`);
  }
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'never');
});

test('fuzz: parseDuration accepts within [min, MAX_DURATION] or refuses with a coded error', () => {
  check(
    fc.property(
      fc.oneof(anyValue(), fc.stringMatching(/^\s?\d{0,12}(\.\d{0,4})?\s?(ms|s|m|h|d|x)?\s?$/)),
      fc.record({ min: fc.constantFrom(0, 1, 50), infinity: fc.boolean() }),
      (value, rule) => {
        const r = outcome(() => parseDuration('opt', value, rule));
        if (r.ok) {
          assert.equal(typeof r.value, 'number');
          if (r.value !== Number.POSITIVE_INFINITY) {
            assert.ok(r.value >= rule.min && r.value <= MAX_DURATION, `${String(value)} -> ${r.value}`);
          } else assert.ok(rule.infinity);
        } else assertCoded(r, 'opt');
      },
    ),
  );
});

test('fuzz: parseDurationFlag and parseBytes accept or refuse with a coded error', () => {
  check(
    fc.property(
      fc.oneof(fc.string(), fc.stringMatching(/^\d{0,12}(\.\d{0,3})?(ms|s|m|h|d|k|M|g|kb|MB|gb)?$/)),
      (text) => {
        const d = outcome(() => parseDurationFlag('--grace', text));
        if (d.ok) assert.ok(d.value >= 0 && d.value <= MAX_DURATION);
        else assertCoded(d, '--grace');
        const b = outcome(() => parseBytes('--max-memory', text));
        if (b.ok) assert.ok(Number.isSafeInteger(b.value) && b.value > 0, `${text} -> ${b.value}`);
        else assertCoded(b, '--max-memory');
      },
    ),
  );
  check(
    fc.property(anyValue(), (value) => {
      const b = outcome(() => parseBytes('maxMemory', value));
      if (b.ok) assert.ok(Number.isSafeInteger(b.value) && b.value > 0);
      else assertCoded(b, 'maxMemory');
    }),
  );
});
