import { expectTypeOf } from 'expect-type';
import {
  type ClusterProtocol,
  onShutdown,
  primary,
  type StopResult,
  type Supervisor,
  supervise,
  type WorkerInfo,
  workerId,
} from 'spindle/cluster';

interface Proto extends ClusterProtocol {
  toWorker: { config: { level: string } };
  toPrimary: { stats: { rss: number } };
  workerRequests: { ping: (n: number) => Promise<string> };
  primaryRequests: { lookup: (key: string) => number };
}

async function primarySide() {
  const sup = await supervise<Proto>({ script: 'app.js', workers: 'auto', sticky: 'cookie:sid', grace: '10s' });
  expectTypeOf(sup).toEqualTypeOf<Supervisor<Proto>>();
  expectTypeOf(sup.workers).toEqualTypeOf<WorkerInfo[]>();
  expectTypeOf(sup.broadcast('config', { level: 'debug' })).toEqualTypeOf<number>();
  // @ts-expect-error unknown topic
  sup.broadcast('nope', 1);
  // @ts-expect-error wrong payload
  sup.send(0, 'config', { level: 1 });
  expectTypeOf(await sup.request(0, 'ping', 1)).toEqualTypeOf<string>();
  // @ts-expect-error wrong request payload
  void sup.request(0, 'ping', 'x');
  sup.onMessage('stats', (data, from) => {
    expectTypeOf(data).toEqualTypeOf<{ rss: number }>();
    expectTypeOf(from.id).toEqualTypeOf<number>();
  });
  sup.handle('lookup', (key) => {
    expectTypeOf(key).toEqualTypeOf<string>();
    return 1;
  });
  sup.on('workerExit', (e) => expectTypeOf(e.signal).toEqualTypeOf<NodeJS.Signals | null>());
  sup.on('reloadFailed', (e) => expectTypeOf(e.code).toEqualTypeOf<'ERR_CLUSTER_RELOAD_FAILED'>());
  expectTypeOf(await sup.stop()).toEqualTypeOf<StopResult>();
  // @ts-expect-error not a sticky mode
  void supervise({ script: 'app.js', sticky: 'session' });
}

async function workerSide() {
  expectTypeOf(workerId).toEqualTypeOf<number | undefined>();
  onShutdown(async ({ reason, signal }) => {
    expectTypeOf(reason).toEqualTypeOf<'stop' | 'reload' | 'unhealthy'>();
    expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
  });
  const p = primary<Proto>();
  p.send('stats', { rss: 1 });
  // @ts-expect-error wrong payload
  p.send('stats', { rss: '1' });
  expectTypeOf(await p.request('lookup', 'k')).toEqualTypeOf<number>();
  p.on('config', (c) => expectTypeOf(c.level).toEqualTypeOf<string>());
  p.handle('ping', async (n) => `${n}`);
  // Untyped use stays possible.
  primary().send('anything', { x: 1 });
}

void primarySide;
void workerSide;
