// In a file of its own: another test's leftover timer would keep the event
// loop alive and hide what this checks.
import { Pool } from 'spindle';
import { eachRuntime, fixture, rejectsCode, track, within } from './helpers.js';

const T = { timeout: 30_000 };

// The aborted task's own answer arrives while destroy() terminates its worker:
// the pool must keep the process alive until the exit, or the await below
// stays pending while Node's event loop runs dry (the test runner reports it).
eachRuntime('destroy() right after aborting a running task resolves', T, async (t, runtime) => {
  const pool = track(t, new Pool({ worker: fixture('queue/tasks.js'), maxWorkers: 1, runtime }));
  const ac = new AbortController();
  let started;
  const progressed = new Promise((resolve) => (started = resolve));
  const run = pool.run('slow', ['a', 60_000], { signal: ac.signal, onProgress: started });
  await within(progressed, 10_000, 'the task to start');
  ac.abort(new Error('stop'));
  await rejectsCode(run, 'ERR_TASK_ABORTED');
  // No timer of our own here: one would keep the loop alive and hide the bug.
  // The test's timeout (T) bounds the wait.
  await pool.destroy();
});
