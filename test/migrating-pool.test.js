// The "after" examples of docs/migrating.md (pool peers) run: each file is the
// spindle version of a peer's program, shown in the guide character for character.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { shown } from './helpers/migrating.js';
import { within } from './helpers.js';

const T = { timeout: 60_000 };
const load = (name) => import(new URL(`./fixtures/migrating/${name}.js`, import.meta.url).href);

const pools = ['piscina', 'tinypool', 'workerpool', 'poolifier'];
const files = readdirSync(new URL('./fixtures/migrating/', import.meta.url)).filter((f) =>
  pools.some((p) => f.startsWith(p)),
);

test('docs/migrating.md shows every pool "after" file as it is', () => {
  assert.ok(files.length >= 8, files.join(', '));
  for (const f of files) {
    const file = `test/fixtures/migrating/${f}`;
    assert.equal(shown(file), readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), file);
  }
});

test('piscina → spindle', T, async () => {
  const { main } = await load('piscina');
  const r = await within(main(), 30_000, 'piscina example');
  assert.equal(r.sum, 10);
  assert.equal(r.product, 24);
  assert.equal(r.code, 'ERR_TASK_ABORTED');
  assert.ok(r.ready.length >= 1);
  assert.ok(r.completed >= 2);
  assert.equal(r.p50, 'number');
});

test('tinypool → spindle', T, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spindle-migrating-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'teardown.log');
  const { main } = await load('tinypool');
  const results = await within(main(log), 30_000, 'tinypool example');
  assert.deepEqual(
    results.map((r) => r.n),
    [1, 4, 9],
  );
  const ids = results.map((r) => r.workerId);
  assert.equal(new Set(ids).size, 3, 'isolateWorkers: a fresh worker for every task');
  // every worker that ran a task ran its teardown (a spare one started meanwhile did too)
  const closed = readFileSync(log, 'utf8').trim().split('\n');
  for (const id of ids) assert.ok(closed.includes(`closed ${id}`), `worker ${id} ran its teardown: ${closed}`);
});

test('workerpool → spindle', T, async () => {
  const { main } = await load('workerpool');
  const r = await within(main(), 30_000, 'workerpool example');
  assert.equal(r.sum, 7);
  assert.equal(r.fib, 55);
  assert.deepEqual(r.events, ['in_progress']);
  assert.equal(r.viaProxy, 144);
  assert.equal(r.timedOut, 'ERR_TASK_TIMEOUT');
  assert.equal(r.stats.queued, 0);
});

test('poolifier → spindle', T, async () => {
  const { main } = await load('poolifier');
  const r = await within(main(), 30_000, 'poolifier example');
  assert.equal(r.digits, 158);
  assert.deepEqual(r.mapped, [1, 2, 3]);
  assert.deepEqual(r.names, ['echo', 'factorial']);
  assert.deepEqual(r.online, [1, 2]);
  assert.deepEqual(
    r.exited.map((e) => e.expected),
    [true, true],
  );
  assert.equal(typeof r.busy, 'boolean');
});
