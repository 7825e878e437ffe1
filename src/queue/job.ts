// A job as its producer sees it: what was added, and a way to await its end.

/** One job added to a JobQueue. */
export class Job<R = unknown> {
  #result: Promise<R> | undefined;
  readonly #wait: () => Promise<R>;

  constructor(
    /** the job's id: yours (`jobId`) or one the store made up */
    readonly id: string,
    /** the task it runs (an exported function of the pool's module) */
    readonly name: string,
    readonly args: readonly unknown[],
    /** runs in total before it fails for good */
    readonly attempts: number,
    wait: () => Promise<R>,
  ) {
    this.#wait = wait;
  }

  /**
   * Settles when the job has finished for good: its task's result, or
   * ERR_QUEUE_JOB_FAILED once every attempt failed (`cause`: the last error).
   * With the memory store it rejects with ERR_QUEUE_CLOSED when the queue
   * closed before the job finished.
   */
  result(): Promise<R> {
    this.#result ??= this.#wait();
    return this.#result;
  }
}
