// Type tests: a wrong task name or argument must be a compile error.
import { expectTypeOf } from 'expect-type';
import {
  type BroadcastOutcome,
  type CloseResult,
  type CrashReason,
  Pool,
  type PoolDeadlockEvent,
  type PoolOptions,
  type PoolReloadResult,
  type PoolScaleResult,
  type PoolState,
  type PoolStats,
  type PoolWorkerEvent,
  type PoolWorkerExitEvent,
  type PoolWorkerInfo,
  type TaskName,
} from 'spindle';
import { workerId } from 'spindle/worker';
import type * as tasks from './tasks.js';

const pool = new Pool<typeof tasks>({ worker: new URL('./tasks.js', import.meta.url) });

expectTypeOf<TaskName<typeof tasks>>().toEqualTypeOf<'add' | 'greet' | 'optional' | 'buffer' | 'default'>();
expectTypeOf(pool.run('add', [1, 2])).toEqualTypeOf<Promise<number>>();
expectTypeOf(pool.run('greet', ['x'], { timeout: 10, priority: 1 })).toEqualTypeOf<Promise<string>>();
expectTypeOf(pool.run('default', ['abc'])).toEqualTypeOf<Promise<number>>();
expectTypeOf(pool.run('buffer', [8])).toEqualTypeOf<Promise<ArrayBuffer>>();
expectTypeOf(pool.run('optional')).toEqualTypeOf<Promise<number>>();
expectTypeOf(pool.run('optional', [3])).toEqualTypeOf<Promise<number>>();

// @ts-expect-error unknown task name
pool.run('nope', []);
// @ts-expect-error an export that is not a function is not a task
pool.run('notATask', []);
// @ts-expect-error wrong argument type
pool.run('add', ['1', 2]);
// @ts-expect-error too few arguments
pool.run('add', [1]);
// @ts-expect-error arguments are required when a parameter is
pool.run('add');
// @ts-expect-error bad option
pool.run('add', [1, 2], { priority: 'high' });

const proxy = pool.proxy({ timeout: 100 });
expectTypeOf(proxy.add).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
expectTypeOf(proxy.greet('x')).toEqualTypeOf<Promise<string>>();
// @ts-expect-error unknown task on the proxy
proxy.nope;
// @ts-expect-error wrong argument on the proxy
proxy.add('1', 2);

expectTypeOf(pool.stats).toEqualTypeOf<PoolStats>();

// Lifecycle (docs/conventions.md rule 4): close({ grace }) resolves { clean }, destroy(), a read-only state.
expectTypeOf(pool.close()).toEqualTypeOf<Promise<CloseResult>>();
expectTypeOf(pool.close({ grace: '10s' })).toEqualTypeOf<Promise<CloseResult>>();
expectTypeOf(pool.close({ grace: Infinity })).toEqualTypeOf<Promise<CloseResult>>();
expectTypeOf<CloseResult>().toEqualTypeOf<{ clean: boolean }>();
expectTypeOf(pool.destroy()).toEqualTypeOf<Promise<void>>();
expectTypeOf(pool.state).toEqualTypeOf<PoolState>();
expectTypeOf<PoolState>().toEqualTypeOf<'running' | 'closing' | 'closed'>();
expectTypeOf(pool[Symbol.asyncDispose]()).toEqualTypeOf<Promise<void>>();
// @ts-expect-error close() takes `grace`, not the old `timeout`
pool.close({ timeout: 100 });
// @ts-expect-error state is read-only
pool.state = 'closed';

// Durations: milliseconds or a string with a unit, in every duration option.
const durations: PoolOptions = {
  worker: 'tasks.js',
  idleTimeout: '30s',
  taskTimeout: 5000,
  abortGrace: '1.5s',
  loadTimeout: Infinity,
  grace: '1m',
};
void durations;
pool.run('add', [1, 2], { timeout: '2s' });
// @ts-expect-error a duration is a number or a string
new Pool({ worker: 'tasks.js', idleTimeout: true });

// Environment (rule 5): merged over process.env; extendEnv: false for an empty one; undefined removes.
new Pool({ worker: 'tasks.js', env: { A: '1', HOME: undefined }, extendEnv: false });
// @ts-expect-error env values are strings
new Pool({ worker: 'tasks.js', env: { A: 1 } });
// @ts-expect-error extendEnv is a boolean
new Pool({ worker: 'tasks.js', extendEnv: 'no' });

// Paths (rule 6): a string or a URL.
new Pool({ worker: new URL('file:///app/tasks.js') });
new Pool({ worker: '/app/tasks.js', runtime: 'process', cwd: new URL('file:///tmp/') });

// The user's error classes.
class MyError extends Error {}
new Pool({ worker: 'tasks.js', errorClasses: [MyError, TypeError] });
// @ts-expect-error only classes
new Pool({ worker: 'tasks.js', errorClasses: ['MyError'] });

// workerId is a constant, as in spindle/cluster.
expectTypeOf(workerId).toEqualTypeOf<number | undefined>();

// Without a module type: any name, any arguments, unknown results.
const loose = new Pool({ worker: 'tasks.js' });
expectTypeOf(loose.run('whatever', [1, 'a'])).toEqualTypeOf<Promise<any>>();

// Events are typed too; exit events have the shape of rule 8.
pool.on('workerExit', (e) => {
  expectTypeOf(e).toEqualTypeOf<PoolWorkerExitEvent>();
  expectTypeOf(e.id).toEqualTypeOf<number>();
  expectTypeOf(e.pid).toEqualTypeOf<number | undefined>();
  expectTypeOf(e.exitCode).toEqualTypeOf<number | null>();
  expectTypeOf(e.signal).toEqualTypeOf<NodeJS.Signals | null>();
  expectTypeOf(e.expected).toEqualTypeOf<boolean>();
  expectTypeOf(e.reason).toEqualTypeOf<CrashReason>();
  expectTypeOf(e.detail).toEqualTypeOf<string>();
});
pool.on('deadlock', (e) => {
  expectTypeOf(e).toEqualTypeOf<PoolDeadlockEvent>();
  expectTypeOf(e.waiting).toEqualTypeOf<string[]>();
});
pool.on('error', (e) => {
  expectTypeOf(e).toEqualTypeOf<Error>();
});
// @ts-expect-error unknown event
pool.on('nonsense', () => {});
pool.on('workerCreate', (e) => {
  expectTypeOf(e).toEqualTypeOf<PoolWorkerEvent>();
  expectTypeOf(e.pid).toEqualTypeOf<number | undefined>();
});
pool.on('workerReady', (e) => {
  expectTypeOf(e).toEqualTypeOf<PoolWorkerEvent>();
  expectTypeOf(e.id).toEqualTypeOf<number>();
});

// broadcast(): one outcome per worker, typed from the task.
expectTypeOf(pool.broadcast('add', [1, 2])).toEqualTypeOf<Promise<BroadcastOutcome<number>[]>>();
expectTypeOf(pool.broadcast('optional')).toEqualTypeOf<Promise<BroadcastOutcome<number>[]>>();
expectTypeOf(pool.broadcast('greet', ['x'], { timeout: '1s', signal: AbortSignal.timeout(10) })).toEqualTypeOf<
  Promise<BroadcastOutcome<string>[]>
>();
declare const outcome: BroadcastOutcome<number>;
if (outcome.status === 'fulfilled') expectTypeOf(outcome.value).toEqualTypeOf<number>();
else expectTypeOf(outcome.reason).toEqualTypeOf<Error>();
expectTypeOf(outcome.workerId).toEqualTypeOf<number>();
// @ts-expect-error unknown task
pool.broadcast('nope', []);
// @ts-expect-error wrong arguments
pool.broadcast('add', ['1', 2]);
// @ts-expect-error broadcast takes no priority (it goes ahead of the queue anyway)
pool.broadcast('add', [1, 2], { priority: 1 });

// Inline functions: typed from the function itself.
expectTypeOf(pool.run((a: number, b: number) => a * b, [6, 7])).toEqualTypeOf<Promise<number>>();
expectTypeOf(pool.run(async () => 'x')).toEqualTypeOf<Promise<string>>();
expectTypeOf(loose.run((s: string) => s.length, ['abc'], { timeout: 100 })).toEqualTypeOf<Promise<number>>();
expectTypeOf(pool.broadcast((n: number) => n + 1, [1])).toEqualTypeOf<Promise<BroadcastOutcome<number>[]>>();
// @ts-expect-error arguments must match the function
pool.run((a: number) => a, ['x']);
// @ts-expect-error arguments are required when a parameter is
pool.run((a: number) => a);

// setup: a module path or URL; workerData may be a function of the worker id.
new Pool({ worker: 'tasks.js', setup: './setup.js', killGrace: '2s' });
new Pool({ worker: 'tasks.js', setup: new URL('file:///app/setup.js') });
new Pool({ worker: 'tasks.js', workerData: ({ workerId }) => ({ shard: workerId }) });
// @ts-expect-error setup is a path or a URL
new Pool({ worker: 'tasks.js', setup: () => {} });

// reload(), scale(), the 'scale' event and the workers snapshot.
expectTypeOf(pool.reload()).toEqualTypeOf<Promise<PoolReloadResult>>();
expectTypeOf(pool.scale(4)).toEqualTypeOf<Promise<PoolScaleResult>>();
expectTypeOf(pool.scale('auto')).toEqualTypeOf<Promise<PoolScaleResult>>();
// @ts-expect-error a number of workers or 'auto'
pool.scale('4');
pool.on('scale', (r) => expectTypeOf(r.started).toEqualTypeOf<number[]>());
expectTypeOf(pool.workers).toEqualTypeOf<PoolWorkerInfo[]>();
expectTypeOf(pool.workers[0]!.running[0]!.since).toEqualTypeOf<number>();
expectTypeOf(pool.workers[0]!.pid).toEqualTypeOf<number | null>();
// @ts-expect-error the snapshot is read-only
pool.workers = [];
