// No worker process outlives its parent, even one busy in a synchronous loop
// that ignores SIGTERM: the parent signals its workers when it exits or is
// killed by SIGTERM/SIGINT, and each worker watches for its parent's death.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture, waitGone, within } from './helpers.js';

const parent = fileURLToPath(fixture('process/parent.js'));

/** Starts the parent, resolves with it and its workers' pids once they are busy. */
async function busyParent(mode) {
  const child = spawn(process.execPath, [parent, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  let out = '';
  const pids = await within(
    new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      child.on('exit', (code) => reject(new Error(`parent exited (${code}) before its workers ran: ${out}`)));
    }),
    20_000,
    'busy parent',
  );
  assert.equal(pids.length, 2, `two workers: ${pids}`);
  return { child, pids };
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL']) {
  test(`a parent killed by ${signal} leaves no worker behind`, { timeout: 40_000 }, async () => {
    const { child, pids } = await busyParent('wait');
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code, how] = await within(exited, 10_000, 'parent exit');
    assert.equal(how, signal, `the parent died by ${signal} (code ${code}): spindle re-raises it`);
    await waitGone(pids, 10_000);
  });
}

test('a parent that exits while its pool is busy leaves no worker behind', { timeout: 40_000 }, async () => {
  const { child, pids } = await busyParent('exit');
  const [code] = await within(once(child, 'exit'), 10_000, 'parent exit');
  assert.equal(code, 0);
  await waitGone(pids, 10_000);
});

test('a parent killed by SIGKILL while its workers idle leaves neither them nor their grandchildren behind', {
  timeout: 40_000,
}, async () => {
  const idleParent = fileURLToPath(fixture('process/idle-parent.js'));
  const child = spawn(process.execPath, [idleParent], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  let out = '';
  const { workers, grandchildren } = await within(
    new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      child.on('exit', (code) => reject(new Error(`parent exited (${code}) early: ${out}`)));
    }),
    20_000,
    'idle parent',
  );
  assert.equal(grandchildren.length, 2);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await within(exited, 10_000, 'parent exit');
  // one grandchild ignores SIGTERM: it goes once the worker's killGrace (300 ms) is over
  await waitGone([...new Set(workers), ...grandchildren], 10_000);
});
