import { compareCodePoints } from './collections.js';
import type { Access } from './types.js';

export interface ObservedAccess {
  readonly access: Access;
  count: number;
  firstSeen?: string;
  lastSeen?: string;
}

function accessKey(access: Access): string {
  const context = access.context === undefined ? '' : JSON.stringify(Object.entries(access.context).sort());
  return `${access.action}\u0000${access.resource}\u0000${context}`;
}

/**
 * The fold target of the pipeline: each distinct access once, with how often and when it was seen.
 * Raw events (count 1) and aggregated Athena rows (count n) fold the same way.
 */
export class AccessSet {
  readonly #entries = new Map<string, ObservedAccess>();

  add(access: Access, count = 1, seenAt?: string): void {
    const key = accessKey(access);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { access, count: 0 };
      this.#entries.set(key, entry);
    }
    entry.count += count;
    if (seenAt !== undefined) {
      if (entry.firstSeen === undefined || seenAt < entry.firstSeen) entry.firstSeen = seenAt;
      if (entry.lastSeen === undefined || seenAt > entry.lastSeen) entry.lastSeen = seenAt;
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Entries in a deterministic order (action, then resource). */
  entries(): ObservedAccess[] {
    return [...this.#entries.entries()].sort(([a], [b]) => compareCodePoints(a, b)).map(([, entry]) => entry);
  }

  accesses(): Access[] {
    return this.entries().map((entry) => entry.access);
  }
}
