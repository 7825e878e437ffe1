// The pool's `setup` module, inside a worker: imported before the task
// module; its default export, when a function, runs once per worker and is
// awaited before the worker reports ready. What it returns, when a function,
// is the worker's teardown, run when the pool stops the worker gracefully.
/** The teardown a setup function returned. */
export type Teardown = () => unknown;

/** What a setup function receives. */
export interface SetupContext {
  /** the pool's id for this worker (1, 2, …) */
  workerId: number;
  /** the pool's `workerData` for this worker */
  workerData: unknown;
}

/** Runs the setup module's default export (`ns` is the module); returns the teardown it gave, if any. */
export async function runSetup(ns: Record<string, unknown>, context: SetupContext): Promise<Teardown | undefined> {
  // ESM `export default fn`, or CommonJS `module.exports = fn` (which arrives as default)
  const fn = ns.default;
  if (typeof fn !== 'function') return undefined;
  const teardown: unknown = await (fn as (c: SetupContext) => unknown)(context);
  return typeof teardown === 'function' ? (teardown as Teardown) : undefined;
}

/** Runs the teardown once; resolves with the error it threw or rejected with, if any. */
export async function runTeardown(teardown: Teardown | undefined): Promise<{ error: unknown } | undefined> {
  if (teardown === undefined) return undefined;
  try {
    await teardown();
    return undefined;
  } catch (error) {
    return { error };
  }
}
