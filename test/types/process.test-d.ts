// Type tests for process pools: the same typing as threads, and options that
// belong to one kind of pool are compile errors on the other.
import { expectTypeOf } from 'expect-type';
import { Pool } from 'spindle';
import type * as tasks from './tasks.js';

const pool = new Pool<typeof tasks>({
  worker: new URL('./tasks.js', import.meta.url),
  runtime: 'process',
  cwd: new URL('file:///tmp/'),
  stdio: 'prefix',
  killGrace: '500ms',
  execArgv: ['--max-old-space-size=256'],
});
expectTypeOf(pool.run('add', [1, 2])).toEqualTypeOf<Promise<number>>();
// @ts-expect-error wrong argument type, as with threads
pool.run('add', ['1', 2]);

// A program of another language, typed by a description of its tasks.
interface PythonTasks {
  word_stats(text: string, top?: number): { words: number; top: [string, number][] };
}
const py = new Pool<PythonTasks>({ command: ['python3', 'tasks.py'], maxWorkers: 2, concurrency: 2 });
expectTypeOf(py.run('word_stats', ['a b'])).toEqualTypeOf<Promise<{ words: number; top: [string, number][] }>>();
// @ts-expect-error unknown task
py.run('nope', []);

// @ts-expect-error a command is always a process
new Pool({ command: ['python3', 'w.py'], runtime: 'thread' });
// @ts-expect-error worker and command together
new Pool({ command: ['python3', 'w.py'], worker: 'tasks.js' });
// @ts-expect-error a command takes no Node flags
new Pool({ command: ['python3', 'w.py'], execArgv: ['--no-warnings'] });
// @ts-expect-error nor workerData
new Pool({ command: ['python3', 'w.py'], workerData: 1 });
// @ts-expect-error nor a heap limit to recycle at
new Pool({ command: ['python3', 'w.py'], recycle: { maxHeapMb: 100 } });
// @ts-expect-error stdio is one of three modes
new Pool({ worker: 'tasks.js', runtime: 'process', stdio: 'pipe' });
// Without a worker or a command: a pool for inline functions only (pool.run(fn, args)).
new Pool({ maxWorkers: 2 });
new Pool();
// @ts-expect-error nor a setup module (it is Node code)
new Pool({ command: ['python3', 'w.py'], setup: 'setup.js' });

// A command pool takes the same env rule and durations.
new Pool({ command: ['python3', 'w.py'], env: { TOKEN: 'x' }, extendEnv: false, killGrace: '2s', cwd: '/tmp' });
// @ts-expect-error resourceLimits is for threads
new Pool({ command: ['python3', 'w.py'], resourceLimits: { maxOldGenerationSizeMb: 64 } });
