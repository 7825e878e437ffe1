import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alive, hasProc, waitUntil } from './fixtures/exec/procs.js';

const T = { timeout: 30_000, skip: !hasProc && 'needs /proc' };
const fixture = fileURLToPath(new URL('./fixtures/exec/parent.js', import.meta.url));

/** Starts the parent fixture and resolves once it reports the pids of its child and grandchild. */
async function startParent(t, mode) {
  const parent = spawn(process.execPath, [fixture, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = createInterface({ input: parent.stdout });
  const lines = out[Symbol.asyncIterator]();
  const first = await Promise.race([
    lines.next(),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('parent did not report its children')), 15_000).unref(),
    ),
  ]);
  const [child, grandchild] = first.value.split(' ').map(Number);
  t.after(() => {
    for (const pid of [parent.pid, child, grandchild]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  assert.ok(alive(child) && alive(grandchild), 'children run before the parent dies');
  const exited = once(parent, 'exit');
  return { parent, child, grandchild, lines, exited };
}

async function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  test(
    `a parent killed by ${signal} takes its children and grandchildren with it, and still dies by ${signal}`,
    T,
    async (t) => {
      const { parent, child, grandchild, exited } = await startParent(t, 'plain');
      parent.kill(signal);
      const [code, sig] = await within(exited, 10_000, 'the parent to exit');
      assert.equal(code, null);
      assert.equal(sig, signal, 'the signal was re-raised, not swallowed');
      await waitUntil(() => !alive(child) && !alive(grandchild), 10_000, 'children to die');
    },
  );
}

test('with a signal-exit style listener present, the parent still dies and takes its children', T, async (t) => {
  const { parent, child, grandchild, exited } = await startParent(t, 'signal-exit');
  parent.kill('SIGTERM');
  const [, sig] = await within(exited, 10_000, 'the parent to exit');
  assert.equal(sig, 'SIGTERM');
  await waitUntil(() => !alive(child) && !alive(grandchild), 10_000, 'children to die');
});

test('children that ignore SIGTERM are SIGKILLed after killGrace even though the parent is gone', T, async (t) => {
  const { parent, child, grandchild, exited } = await startParent(t, 'ignore-term');
  parent.kill('SIGTERM');
  await within(exited, 10_000, 'the parent to exit');
  await waitUntil(() => !alive(child) && !alive(grandchild), 500 + 10_000, 'children to be force-killed');
});

test(
  'a parent with its own SIGINT handler is not forced to exit and keeps its children; process.exit() then reaps them',
  T,
  async (t) => {
    const { parent, child, grandchild, lines, exited } = await startParent(t, 'handler');
    parent.kill('SIGINT');
    const handled = await within(lines.next(), 10_000, 'the handler to run');
    assert.equal(handled.value, 'handled SIGINT');
    assert.equal(parent.exitCode, null);
    assert.ok(alive(child) && alive(grandchild), 'children still run');
    parent.stdin.write('exit\n');
    const [code] = await within(exited, 10_000, 'the parent to exit');
    assert.equal(code, 0);
    await waitUntil(() => !alive(child) && !alive(grandchild), 10_000, 'children to die');
  },
);

test('an uncaught exception in the parent takes the children with it', T, async (t) => {
  const { parent, child, grandchild, exited } = await startParent(t, 'throw');
  parent.stdin.write('throw\n');
  const [code] = await within(exited, 10_000, 'the parent to exit');
  assert.equal(code, 1);
  await waitUntil(() => !alive(child) && !alive(grandchild), 10_000, 'children to die');
});

test('detached: true children outlive the parent', T, async (t) => {
  const { parent, child, grandchild, exited } = await startParent(t, 'detached');
  parent.kill('SIGTERM');
  await within(exited, 10_000, 'the parent to exit');
  assert.ok(alive(child) && alive(grandchild), 'detached children survive');
  process.kill(-child, 'SIGKILL');
  await waitUntil(() => !alive(child) && !alive(grandchild), 10_000, 'cleanup');
});

test('an unref()d detached child lets the parent exit on its own', T, async (t) => {
  const { child, exited } = await startParent(t, 'unref');
  const [code] = await within(exited, 10_000, 'the parent to exit by itself');
  assert.equal(code, 0);
  assert.ok(alive(child));
  process.kill(child, 'SIGKILL');
});
