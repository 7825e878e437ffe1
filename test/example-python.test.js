// examples/python-worker: a Pool of Python processes over the line protocol.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNode } from './helpers.js';

const example = fileURLToPath(new URL('../examples/python-worker/index.js', import.meta.url));

test('the Python worker example runs tasks, reports a Python error and a timeout', { timeout: 30_000 }, async () => {
  const r = await runNode([example], { ms: 25_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    'words: 13, most common: the (3), dog (2)',
    'primes below 20k/30k/40k: 2262 / 3245 / 4203',
    'divide(1, 0) failed in Python: ZeroDivisionError: division by zero',
    'a long count stopped after its timeout: ERR_TASK_TIMEOUT',
    'tasks done: 4, failed: 2',
  ]);
});
