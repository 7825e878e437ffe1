// Rendezvous (highest random weight) hashing: each key goes to the slot with
// the highest hash(key, slot). Removing a slot moves only that slot's keys, and
// they come back when it returns, because slot ids are stable across restarts.

/** 32-bit FNV-1a of a string, finished with murmur3's avalanche step. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The slot (from `slots`) that `key` belongs to, or undefined when there is none. */
export function pickSlot(key: string, slots: readonly number[]): number | undefined {
  let best: number | undefined;
  let bestScore = -1;
  for (const slot of slots) {
    const score = hash32(`${slot}\u0000${key}`);
    if (score > bestScore || (score === bestScore && best !== undefined && slot < best)) {
      best = slot;
      bestScore = score;
    }
  }
  return best;
}
