// The Channel's decoder against records it did not write: whatever the bytes
// of a record (the channel's header intact), receiving gives a value or
// ERR_SHARED_MALFORMED_RECORD, within a time bound, and the channel goes on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel } from 'spindle/shared';
import { craft } from './fixtures/shared/crafted.js';
import { startWorker } from './fixtures/shared/helpers.js';

const ARRAY = 8;
const OBJECT = 9;
const VIEW = 10;
const ARRAY_BUFFER = 11;
const BIGINT = 12;
const V8 = 14;
const FLOAT64_ARRAY = 8; // index of Float64Array among the view kinds

// LEB128, as the encoder writes counts.
function varint(n) {
  const out = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

const bytes = (...parts) => Uint8Array.from(parts.flat());

test('crafted records fail with ERR_SHARED_MALFORMED_RECORD, never a raw error or a hang; the channel goes on', {
  timeout: 60_000,
}, async () => {
  const cases = [
    // Regressions (issue 11, item 9): these threw a raw RangeError or spun forever.
    { name: 'array count 2^49', bytes: bytes(ARRAY, varint(2 ** 49)) },
    { name: 'ArrayBuffer length 2^40', bytes: bytes(ARRAY_BUFFER, varint(2 ** 40)) },
    // The varint's continuation bits run to the end of the buffer (this cell is its last bytes).
    { name: 'varint running off the end', bytes: bytes(ARRAY, 0xff), fill: 0xff },
    { name: 'object count past the record', bytes: bytes(OBJECT, varint(1000)) },
    { name: 'Float64Array of 3 bytes', bytes: bytes(VIEW, FLOAT64_ARRAY, 3, 1, 2, 3) },
    { name: 'typed array kind 99', bytes: bytes(VIEW, 99, 0) },
    { name: 'bigint that is not digits', bytes: bytes(BIGINT, 6, 3, 0x31, 0x2e, 0x35) },
    { name: 'nested arrays cut short', bytes: bytes(Array.from({ length: 120 }, () => [ARRAY, 1])) },
    { name: 'v8 bytes that do not deserialize', bytes: bytes(V8, 0xff, 0x0f, 0x41, 0xff, 0xff, 0xff, 0xff, 0x0f) },
    { name: 'string length past the record', bytes: bytes(7, 0xff, 0xff, 0xff, 0x7f, 0x61) },
    { name: 'unknown tag', bytes: bytes(200) },
    { name: 'bytes after the value', bytes: bytes(3, 3) },
    { name: 'length word 0', bytes: bytes(3), length: 0 },
    { name: 'length word -5', bytes: bytes(3), length: -5 },
    { name: 'length word past maxRecordSize', bytes: bytes(3), length: 257 },
    { name: 'length word past the buffer', bytes: bytes(3), length: 2 ** 30 },
  ];
  const { done } = startWorker('decode-worker.js', { mode: 'cases', cases }, { timeout: 30_000 });
  const [results] = await done;
  for (const r of results) {
    assert.equal(r.ok, false, `${r.name}: decoded to a value`);
    assert.equal(r.code, 'ERR_SHARED_MALFORMED_RECORD', `${r.name}: ${r.errorName} ${r.message}`);
    assert.equal(r.errorName, 'SharedMalformedRecordError');
    assert.equal(r.after, 'after', `${r.name}: the channel goes on`);
    assert.equal(r.size, 0);
  }
});

test('a record nested deeper than the encoder writes is refused; deep values still travel', () => {
  const small = new Channel({ capacity: 1, maxRecordSize: 1024 });
  craft(
    small,
    bytes(
      Array.from({ length: 300 }, () => [ARRAY, 1]),
      1,
    ),
  );
  assert.throws(() => small.receiveSync({ timeout: 0 }), { code: 'ERR_SHARED_MALFORMED_RECORD' });
  const ch = new Channel({ capacity: 1, maxRecordSize: 64 * 1024 });
  let deep = 'bottom';
  for (let i = 0; i < 2000; i++) deep = [deep];
  ch.sendSync(deep); // deeper than the compact format's limit: encoded by v8 instead
  let back = ch.receiveSync();
  for (let i = 0; i < 2000; i++) back = back[0];
  assert.equal(back, 'bottom');
});

test('fuzz: the decoder over arbitrary and damaged records gives a value or a coded error, within a bound', {
  timeout: 120_000,
}, async () => {
  const seed =
    process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
  const { done } = startWorker('decode-worker.js', { mode: 'fuzz', seed }, { timeout: 60_000 });
  let messages;
  try {
    messages = await done;
  } catch (error) {
    throw new Error(`the decoder fuzz did not finish (a hang?); replay with FUZZ_SEED=${seed}`, { cause: error });
  }
  assert.deepEqual(messages, ['ok'], `seed ${seed}`);
});
