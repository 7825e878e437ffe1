// The control plane from code (issue 12): supervise({ name }) opens the
// socket before any worker starts; sup.status() is the one snapshot;
// sup.scale() grows and shrinks in service, all or nothing when growing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { supervise } from '../dist/cluster/index.js';
import { ControlClient } from '../dist/control/client.js';
import { poll, tempDir } from './helpers/cli.js';
import { app, home } from './helpers/control.js';
import { freePort, request } from './helpers/load.js';

const version = (v) => `process.env.APP_VERSION = ${JSON.stringify(v)};\nawait import(${JSON.stringify(app)});\n`;

test('supervise({ name }): socket, status(), scale() up and down, scale refusals, close removes the socket', {
  timeout: 120_000,
}, async (t) => {
  const dir = home(t);
  process.env.SPINDLE_HOME = dir;
  t.after(() => delete process.env.SPINDLE_HOME);
  const entry = join(tempDir(), 'server.mjs');
  writeFileSync(entry, version('v1'));
  const pids = tempDir('pids-');
  const port = await freePort();
  const env = { PORT: String(port), PID_DIR: pids };
  const sup = await supervise({ script: entry, workers: 1, name: 'lib', env, logger: false, grace: '5s' });
  t.after(() => sup.destroy());
  assert.equal(sup.name, 'lib');
  assert.equal(sup.controlSocket, join(dir, 'lib.sock'));

  // The same snapshot in process and on the socket.
  const client = await ControlClient.connect(sup.controlSocket);
  t.after(() => client.close());
  const local = sup.status();
  const remote = await client.request('status');
  assert.equal(remote.pid, local.pid);
  assert.deepEqual(
    remote.workers.map((w) => w.pid),
    local.workers.map((w) => w.pid),
  );
  assert.equal(local.kind, 'start');
  assert.equal(local.wanted, 1);

  // A second supervisor under the name is refused before it starts anything.
  const before = readdirSync(pids).length;
  await assert.rejects(supervise({ script: entry, workers: 1, name: 'lib', env, logger: false }), {
    code: 'ERR_CONTROL_NAME_IN_USE',
    name: 'ControlNameInUseError',
  });
  assert.equal(readdirSync(pids).length, before);

  const scaled = [];
  sup.on('scale', (r) => scaled.push(r));
  const exits = [];
  sup.on('workerExit', (e) => exits.push(e));
  assert.deepEqual(await sup.scale(3), { workers: 3, previous: 1, started: [2, 3], stopped: [] });
  assert.deepEqual(
    sup.workers.map((w) => [w.id, w.state]),
    [
      [1, 'ready'],
      [2, 'ready'],
      [3, 'ready'],
    ],
  );
  // Serialized with reload: both run, one after the other.
  const [reloaded, down] = await Promise.all([sup.reload(), sup.scale({ by: -1 })]);
  assert.equal(reloaded, undefined);
  assert.deepEqual(down, { workers: 2, previous: 3, started: [], stopped: [3] });
  assert.deepEqual(
    exits.filter((e) => e.id === 3).map((e) => e.reason),
    ['reload', 'scale'],
  );
  assert.equal(scaled.length, 2);
  const s = sup.status();
  assert.equal(s.wanted, 2);
  assert.equal(s.restarts, 3, 'three reload restarts, counting the slot scaled away');
  assert.deepEqual(s.reloads, { ok: 1, failed: 0 });

  for (const bad of [0, -1, 1.5, 1025, '2', null, { by: 0 }, { by: 'x' }, { by: -2 }, { by: 2000 }]) {
    await assert.rejects(sup.scale(bad), { code: 'ERR_INVALID_OPTION' }, JSON.stringify(bad));
  }
  assert.equal(sup.status().wanted, 2);

  // Growing is all or nothing: a new worker that does not start takes the other new ones with it.
  writeFileSync(entry, 'throw new Error("broken build");\n');
  await assert.rejects(sup.scale(4), (err) => {
    assert.equal(err.code, 'ERR_CLUSTER_SCALE_FAILED');
    assert.equal(err.wanted, 4);
    assert.equal(err.workers, 2);
    assert.equal(err.cause.code, 'ERR_CLUSTER_WORKER_NOT_READY');
    assert.match(
      err.message,
      /^Scale to 4 workers refused: worker \d \(pid \d+\) exited with code 1 before it was ready; the 2 running workers keep serving$/,
    );
    return true;
  });
  assert.deepEqual(
    sup.status().workers.map((w) => [w.id, w.state]),
    [
      [1, 'ready'],
      [2, 'ready'],
    ],
  );
  assert.equal(JSON.parse((await request(port)).body).version, 'v1');

  const socket = sup.controlSocket;
  assert.deepEqual(await sup.close(), { clean: true, forced: [] });
  assert.equal(existsSync(socket), false, 'the socket is removed by close()');
  assert.equal(sup.controlSocket, undefined);
  await assert.rejects(sup.scale(1), { code: 'ERR_CLUSTER_CLOSED' });
  const alive = readdirSync(pids)
    .map(Number)
    .filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
  assert.deepEqual(alive, []);
});

test('without a name: no socket, output inherited, status() still works', { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  const sup = await supervise({ script: app, workers: 1, env: { PORT: String(port) }, logger: false });
  t.after(() => sup.destroy());
  assert.equal(sup.controlSocket, undefined);
  assert.equal(sup.name, undefined);
  await poll(() => sup.status().workers[0].stats !== null, 'the first stats report');
  const s = sup.status();
  assert.equal(s.name, null);
  assert.equal(s.workers[0].stats.rss > 0, true);
  await sup.close();
});
