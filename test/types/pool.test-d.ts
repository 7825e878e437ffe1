// Type tests: a wrong task name or argument must be a compile error.
import { expectTypeOf } from 'expect-type';
import { Pool, type PoolStats, type TaskName } from 'spindle';
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
expectTypeOf(pool.close()).toEqualTypeOf<Promise<void>>();
expectTypeOf(pool.destroy()).toEqualTypeOf<Promise<void>>();

// Without a module type: any name, any arguments, unknown results.
const loose = new Pool({ worker: 'tasks.js' });
expectTypeOf(loose.run('whatever', [1, 'a'])).toEqualTypeOf<Promise<any>>();

// Events are typed too.
pool.on('workerExit', (e) => {
  expectTypeOf(e.exitCode).toEqualTypeOf<number | null>();
});
// @ts-expect-error unknown event
pool.on('nonsense', () => {});
