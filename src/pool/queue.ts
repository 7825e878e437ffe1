import { Deque } from './deque.js';

/** What the queue needs of a task. */
export interface Queued {
  readonly priority: number;
  /** false once the task left the queue some other way (aborted) */
  queued: boolean;
}

interface Bucket<T> {
  priority: number;
  items: Deque<T>;
}

/**
 * Pending tasks: highest priority first, FIFO within a priority. An aborted
 * task is only marked (`queued = false`) and skipped when reached, so removal
 * is O(1); `size` counts live tasks only.
 */
export class TaskQueue<T extends Queued> {
  /** buckets in descending priority; almost always just one */
  private readonly buckets: Bucket<T>[] = [];
  size = 0;

  push(task: T): void {
    this.bucket(task.priority).items.push(task);
    task.queued = true;
    this.size++;
  }

  /** Puts a task back at the front of its priority (it was sent but never started). */
  unshift(task: T): void {
    this.bucket(task.priority).items.unshift(task);
    task.queued = true;
    this.size++;
  }

  shift(): T | undefined {
    for (const b of this.buckets) {
      while (b.items.length > 0) {
        const task = b.items.shift()!;
        if (!task.queued) continue;
        task.queued = false;
        this.size--;
        return task;
      }
    }
    return undefined;
  }

  /** Removes a task wherever it is (it is skipped when reached). */
  remove(task: T): void {
    if (!task.queued) return;
    task.queued = false;
    this.size--;
    if (this.size === 0) for (const b of this.buckets) b.items.clear();
  }

  /** The first `n` live tasks, in order, left in place (for diagnostics, not the hot path). */
  peek(n: number): T[] {
    const out: T[] = [];
    for (const b of this.buckets) {
      for (let i = 0; i < b.items.length && out.length < n; i++) {
        const task = b.items.at(i)!;
        if (task.queued) out.push(task);
      }
    }
    return out;
  }

  /** Empties the queue and returns the live tasks, in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let t = this.shift(); t !== undefined; t = this.shift()) out.push(t);
    return out;
  }

  private bucket(priority: number): Bucket<T> {
    const bs = this.buckets;
    let i = 0;
    while (i < bs.length && bs[i]!.priority > priority) i++;
    if (i < bs.length && bs[i]!.priority === priority) return bs[i]!;
    const b = { priority, items: new Deque<T>() };
    bs.splice(i, 0, b);
    return b;
  }
}
