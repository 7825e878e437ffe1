/** A growable ring buffer: O(1) push, unshift and shift (Array#shift is O(n)). */
export class Deque<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  length = 0;

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = item;
    this.length++;
  }

  unshift(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    return item;
  }

  /** The item `i` places from the front (0 = the next shift()). */
  at(i: number): T | undefined {
    return i >= 0 && i < this.length ? this.items[(this.head + i) & (this.items.length - 1)] : undefined;
  }

  /** Visits items front to back. */
  forEach(fn: (item: T) => void): void {
    for (let i = 0; i < this.length; i++) fn(this.items[(this.head + i) & (this.items.length - 1)] as T);
  }

  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
