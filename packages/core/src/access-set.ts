import { compareCodePoints } from './collections.js';
import type { Access } from './types.js';

export interface ObservedAccess {
  readonly access: Access;
  count: number;
  firstSeen?: string;
  lastSeen?: string;
  /** `eventID` of the earliest event that needed this access (ties: the smallest id), as evidence. */
  sampleEventId?: string;
  /** When the sample event happened (undefined: no time), so the choice does not depend on the order of reads. */
  sampleSeen?: string;
}

/** When and where an access was seen: one event, or an aggregated row of `count` events. */
export interface Sighting {
  readonly count: number;
  readonly firstSeen?: string | undefined;
  readonly lastSeen?: string | undefined;
  readonly eventId?: string | undefined;
  /** When the `eventId` event happened, where that is not `firstSeen` (the sample of folded sightings). */
  readonly sampleSeen?: string | undefined;
}

/** Keys of accesses already seen: mappings are cached, so the same Access objects come back event after event. */
const keys = new WeakMap<Access, string>();

function accessKey(access: Access): string {
  let key = keys.get(access);
  if (key === undefined) {
    const context = access.context === undefined ? '' : JSON.stringify(Object.entries(access.context).sort());
    key = `${access.action}\u0000${access.resource}\u0000${context}`;
    keys.set(access, key);
  }
  return key;
}

/** Entries as plain data, for crossing a worker boundary or a cache file. */
export type AccessSetState = readonly (readonly [string, ObservedAccess])[];

/**
 * The fold target of the pipeline: each distinct access once, with how often and when it was seen.
 * Raw events (count 1) and aggregated Athena rows (count n) fold the same way, and two sets merge into the
 * set their inputs would have made together, whatever the order.
 */
export class AccessSet {
  readonly #entries = new Map<string, ObservedAccess>();
  /** The entries in order, until an access is added: a policy reads them several times, and they may be millions. */
  #inOrder: ObservedAccess[] | undefined;

  add(access: Access, sighting: Sighting = { count: 1 }): void {
    const key = accessKey(access);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { access, count: 0 };
      this.#entries.set(key, entry);
      this.#inOrder = undefined;
    }
    foldSighting(entry, sighting);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Entries in a deterministic order (action, then resource). */
  entries(): ObservedAccess[] {
    // Keys sorted on their own: a comparison that unpacks [key, entry] pairs takes twice as long.
    this.#inOrder ??= [...this.#entries.keys()]
      .sort(compareCodePoints)
      .map((key) => this.#entries.get(key) as ObservedAccess);
    return [...this.#inOrder];
  }

  accesses(): Access[] {
    return this.entries().map((entry) => entry.access);
  }

  state(): AccessSetState {
    return [...this.#entries.entries()];
  }

  merge(state: AccessSetState): void {
    for (const [key, other] of state) {
      const entry = this.#entries.get(key);
      if (entry === undefined) {
        this.#entries.set(key, { ...other });
        this.#inOrder = undefined;
      } else foldSighting(entry, totalSighting(other));
    }
  }
}

/** Marks a merged sample that had no time (the property is optional, so "no time" needs a value of its own). */
const NO_TIME = '';

/** Sightings folded into one as they would fold into an access one by one: count, first and last seen, sample. */
export interface SightingTotal {
  count: number;
  firstSeen?: string;
  lastSeen?: string;
  sampleEventId?: string;
  sampleSeen?: string;
}

/** The folded sightings as one sighting, which folds anywhere as its parts would have, in any order. */
export function totalSighting(total: SightingTotal): Sighting {
  return {
    count: total.count,
    firstSeen: total.firstSeen,
    lastSeen: total.lastSeen,
    ...(total.sampleEventId === undefined
      ? {}
      : { eventId: total.sampleEventId, sampleSeen: total.sampleSeen ?? NO_TIME }),
  };
}

function foldSighting(entry: SightingTotal, sighting: Sighting): void {
  const first = sighting.firstSeen ?? sighting.lastSeen;
  const last = sighting.lastSeen ?? sighting.firstSeen;
  foldParts(entry, sighting.count, first, last, sighting.sampleSeen ?? first ?? NO_TIME, sighting.eventId);
}

/** `foldSighting` of one event at a known time, without building a sighting: this runs once per repeated event. */
export function foldEvent(entry: SightingTotal, eventTime: string, eventId: string | undefined): void {
  foldParts(entry, 1, eventTime, eventTime, eventTime, eventId);
}

function foldParts(
  entry: SightingTotal,
  count: number,
  first: string | undefined,
  last: string | undefined,
  sampleTime: string,
  eventId: string | undefined,
): void {
  entry.count += count;
  if (eventId !== undefined && isEarlierSample(sampleTime, eventId, entry)) {
    entry.sampleEventId = eventId;
    if (sampleTime === NO_TIME) delete entry.sampleSeen;
    else entry.sampleSeen = sampleTime;
  }
  if (first !== undefined && (entry.firstSeen === undefined || first < entry.firstSeen)) entry.firstSeen = first;
  if (last !== undefined && (entry.lastSeen === undefined || last > entry.lastSeen)) entry.lastSeen = last;
}

/**
 * The sample is the earliest event with a time (events without one come last; ties: the smallest id), compared with
 * the sample's own time, so it does not depend on the order files were read in.
 */
function isEarlierSample(time: string, eventId: string, entry: SightingTotal): boolean {
  if (entry.sampleEventId === undefined) return true;
  const current = entry.sampleSeen ?? NO_TIME;
  if (time !== current) return time !== NO_TIME && (current === NO_TIME || time < current);
  return eventId < entry.sampleEventId;
}
