import { expectTypeOf } from 'expect-type';
import {
  type CloseResult,
  type ClusterProtocol,
  type ClusterWorkerExitEvent,
  type ClusterWorkerExitReason,
  type ClusterWorkerInfo,
  type ClusterWorkerStats,
  type ClusterWorkerStatus,
  onShutdown,
  primary,
  type ScaleResult,
  type SuperviseOptions,
  type Supervisor,
  type SupervisorState,
  type SupervisorStatus,
  supervise,
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
  expectTypeOf(sup.workers).toEqualTypeOf<ClusterWorkerInfo[]>();
  expectTypeOf(sup.broadcast('config', { level: 'debug' })).toEqualTypeOf<number>();
  // @ts-expect-error unknown topic
  sup.broadcast('nope', 1);
  // @ts-expect-error wrong payload
  sup.send(1, 'config', { level: 1 });
  expectTypeOf(await sup.request(1, 'ping', 1)).toEqualTypeOf<string>();
  // @ts-expect-error wrong request payload
  void sup.request(1, 'ping', 'x');
  sup.onMessage('stats', (data, from) => {
    expectTypeOf(data).toEqualTypeOf<{ rss: number }>();
    expectTypeOf(from.id).toEqualTypeOf<number>();
  });
  sup.handle('lookup', (key) => {
    expectTypeOf(key).toEqualTypeOf<string>();
    return 1;
  });
  sup.on('workerExit', (e) => {
    expectTypeOf(e).toEqualTypeOf<ClusterWorkerExitEvent>();
    expectTypeOf(e.signal).toEqualTypeOf<NodeJS.Signals | null>();
    expectTypeOf(e.exitCode).toEqualTypeOf<number | null>();
    expectTypeOf(e.reason).toEqualTypeOf<ClusterWorkerExitReason>();
    expectTypeOf(e.detail).toEqualTypeOf<string>();
    expectTypeOf(e.expected).toEqualTypeOf<boolean>();
  });
  expectTypeOf<ClusterWorkerExitReason>().toEqualTypeOf<
    'crash' | 'stop' | 'reload' | 'unhealthy' | 'scale' | 'not-ready'
  >();
  // The control plane (issue 12): one snapshot, scale next to reload.
  const status = sup.status();
  expectTypeOf(status).toEqualTypeOf<SupervisorStatus>();
  expectTypeOf(status.kind).toEqualTypeOf<'start'>();
  expectTypeOf(status.name).toEqualTypeOf<string | null>();
  expectTypeOf(status.workers[0]!).toEqualTypeOf<ClusterWorkerStatus>();
  expectTypeOf(status.workers[0]!.pid).toEqualTypeOf<number | null>();
  expectTypeOf(status.workers[0]!.stats).toEqualTypeOf<ClusterWorkerStats | null>();
  expectTypeOf(await sup.scale(4)).toEqualTypeOf<ScaleResult>();
  void sup.scale('auto');
  void sup.scale({ by: -1 });
  // @ts-expect-error a count, 'auto' or { by }
  void sup.scale('4');
  sup.on('scale', (r) => expectTypeOf(r).toEqualTypeOf<ScaleResult>());
  expectTypeOf(sup.controlSocket).toEqualTypeOf<string | undefined>();
  void supervise({ script: 'app.js', name: 'api', logFormat: 'json', logTime: true });
  // @ts-expect-error 'text' or 'json'
  void supervise({ script: 'app.js', logFormat: 'yaml' });
  sup.on('reloadFailed', (e) => expectTypeOf(e.code).toEqualTypeOf<'ERR_CLUSTER_RELOAD_FAILED'>());
  sup.on('closed', (r) => expectTypeOf(r).toEqualTypeOf<CloseResult>());
  sup.on('closing', () => {});
  // @ts-expect-error renamed: 'closing'/'closed'
  sup.on('stopped', () => {});
  // @ts-expect-error renamed: close()
  void sup.stop();
  // Lifecycle, the same shape as Pool and JobQueue (docs/conventions.md rule 4).
  expectTypeOf(sup.state).toEqualTypeOf<SupervisorState>();
  expectTypeOf<SupervisorState>().toEqualTypeOf<'starting' | 'running' | 'closing' | 'closed'>();
  // @ts-expect-error state is read-only
  sup.state = 'closed';
  const result = await sup.close({ grace: '5s' });
  expectTypeOf(result).toEqualTypeOf<CloseResult>();
  expectTypeOf(result).toEqualTypeOf<{ clean: boolean; forced: number[] }>();
  expectTypeOf(await sup.close()).toEqualTypeOf<CloseResult>();
  // @ts-expect-error grace is a duration
  void sup.close({ grace: true });
  expectTypeOf(sup.destroy()).toEqualTypeOf<Promise<void>>();
  expectTypeOf(sup[Symbol.asyncDispose]()).toEqualTypeOf<Promise<void>>();
  {
    await using disposed = await supervise({ script: 'app.js' });
    void disposed;
  }
  // @ts-expect-error not a sticky mode
  void supervise({ script: 'app.js', sticky: 'session' });
}

function unifiedOptions() {
  const options: SuperviseOptions = {
    script: new URL('file:///srv/app.js'),
    cwd: new URL('file:///srv/'),
    env: { API_KEY: 'x', NODE_OPTIONS: undefined },
    extendEnv: false,
    grace: 10_000,
    killGrace: '2s',
    readyTimeout: '1m',
  };
  void options;
  // @ts-expect-error renamed: killGrace (docs/conventions.md rule 1)
  void supervise({ script: 'app.js', killTimeout: '2s' });
  // @ts-expect-error env values are strings (or undefined to remove one)
  void supervise({ script: 'app.js', env: { PORT: 3000 } });
  expectTypeOf<SuperviseOptions['cwd']>().toEqualTypeOf<string | URL | undefined>();
  expectTypeOf<SuperviseOptions['script']>().toEqualTypeOf<string | URL>();
}

async function workerSide() {
  expectTypeOf(workerId).toEqualTypeOf<number | undefined>();
  onShutdown(async ({ reason, signal }) => {
    expectTypeOf(reason).toEqualTypeOf<'stop' | 'reload' | 'unhealthy' | 'scale'>();
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
void unifiedOptions;
void workerSide;
