import { isAscii } from 'node:buffer';
import { hash } from 'node:crypto';
import type { Origin, PreparedCall, SightingTotal, TrailAnalysis } from '@iamgen/core';
import { foldSighting, isIssue, normalizeEventTime, normalizeRecord, totalSighting } from '@iamgen/core';

/**
 * Fields whose values differ between events of the same call and that the pipeline reads (time, id) or ignores
 * (request id, session creation time), in the order CloudTrail writes them, so each search starts where the last
 * one ended. With their values blanked, a record's bytes are equal exactly when everything else in it is.
 */
const volatileFields = ['creationDate', 'eventTime', 'requestID', 'eventID'] as const;
type VolatileField = (typeof volatileFields)[number];
const fieldOpenings = volatileFields.map((field) => Buffer.from(`"${field}":"`, 'latin1'));

/** Calls remembered per thread; a role's distinct calls are few, and this bounds memory at a few tens of MB. */
const rememberedCalls = 5_000;

/**
 * Remembering pays only where calls repeat. Each window of records measures how often a remembered call came back;
 * below the bar the shortcut rests for a while (records are parsed as usual), then tries again.
 */
const windowSize = 2_000;
const worthwhileHitRate = 0.3;
const restingRecords = 20_000;

interface CallMemory {
  /** Digest of the blanked record and where its values were → the call, or null where the shortcut is unsafe. */
  readonly calls: Map<string, PreparedCall | null>;
  tried: number;
  hits: number;
  resting: number;
}

const memories = new Map<string, CallMemory>();

function memoryOf(selectionKey: string): CallMemory {
  let memory = memories.get(selectionKey);
  if (memory === undefined) {
    memory = { calls: new Map(), tried: 0, hits: 0, resting: 0 };
    memories.set(selectionKey, memory);
  }
  return memory;
}

function countTry(memory: CallMemory, hit: boolean): void {
  memory.tried += 1;
  if (hit) memory.hits += 1;
  if (memory.tried < windowSize) return;
  if (memory.hits / memory.tried < worthwhileHitRate) {
    memory.resting = restingRecords;
    memory.calls.clear();
  }
  memory.tried = 0;
  memory.hits = 0;
}

type VolatileValues = Partial<Record<VolatileField, string>>;

interface CutRecord {
  readonly key: string;
  readonly values: VolatileValues;
}

/**
 * The record's key: a SHA-256 digest of its bytes without the volatile values, and the lengths of the pieces
 * between them. Records with equal keys hold equal bytes outside the values (a collision of SHA-256 is out of reach
 * even for crafted logs), and the values are plain printable ASCII, which JSON.parse reads as they stand. Undefined
 * when a value is anything else. Whether the values are the record's own fields is proved once per key, when the
 * call is remembered (`provesOwnFields`); what was proved for one record holds for all records of its key.
 */
function cutVolatile(record: Buffer): CutRecord | undefined {
  const values: VolatileValues = {};
  // Per value found: its field's index, where it starts and where it ends.
  const spans: [number, number, number][] = [];
  let cursor = 0;
  let ordered = true;
  for (const [index, opening] of fieldOpenings.entries()) {
    let at = record.indexOf(opening, cursor);
    if (at === -1 && cursor > 0) at = record.indexOf(opening);
    if (at === -1) continue;
    const valueStart = at + opening.length;
    const valueEnd = record.indexOf(0x22, valueStart);
    if (valueEnd === -1) return undefined;
    for (let i = valueStart; i < valueEnd; i++) {
      const byte = record[i] as number;
      if (byte < 0x20 || byte > 0x7e || byte === 0x5c) return undefined;
    }
    values[volatileFields[index] as VolatileField] = record.toString('latin1', valueStart, valueEnd);
    if (valueStart < cursor) ordered = false;
    else cursor = valueEnd;
    spans.push([index, valueStart, valueEnd]);
  }
  // Values never overlap: each ends at the first quote after it, and every field name starts with one.
  if (!ordered) spans.sort((a, b) => a[1] - b[1]);
  let pieces = '';
  let kept = 0;
  let pieceStart = 0;
  for (const [index, valueStart, valueEnd] of spans) {
    kept += record.copy(keyScratch(kept + valueStart - pieceStart), kept, pieceStart, valueStart);
    pieces += `,${index}:${valueStart - pieceStart}`;
    pieceStart = valueEnd;
  }
  kept += record.copy(keyScratch(kept + record.length - pieceStart), kept, pieceStart);
  return { key: `${hash('sha256', scratch.subarray(0, kept), 'base64')}${pieces}`, values };
}

/** Where a record's bytes without its values are gathered to be digested; grows to the longest record. */
let scratch = Buffer.alloc(64 * 1024);

function keyScratch(size: number): Buffer {
  if (size > scratch.length) {
    const larger = Buffer.alloc(Math.max(size, scratch.length * 2));
    scratch.copy(larger);
    scratch = larger;
  }
  return scratch;
}

/**
 * Whether the cut values are this record's own fields: each name occurs once in its text, nothing is spelled with
 * `\u` escapes (an escaped name would not be found), and the parsed record holds the cut values where the pipeline
 * reads them.
 */
function provesOwnFields(text: string, record: unknown, values: VolatileValues): boolean {
  // The time must be the record's own and usable: normalizing falls back to `@timestamp` when it is missing or empty.
  if (text.includes('\\u') || !values.eventTime) return false;
  for (const field of volatileFields) {
    const name = `"${field}"`;
    const at = text.indexOf(name);
    if (at !== -1 && text.indexOf(name, at + 1) !== -1) return false;
  }
  return cutsAreTopLevel(record, values);
}

/** Whether the parsed record holds, at the places the pipeline reads, the values cut out of its text. */
function cutsAreTopLevel(record: unknown, values: VolatileValues): boolean {
  if (typeof record !== 'object' || record === null) return false;
  const r = record as Record<string, unknown>;
  const identity = r.userIdentity as Record<string, unknown> | undefined;
  const session = identity?.sessionContext as Record<string, unknown> | undefined;
  const attributes = session?.attributes as Record<string, unknown> | undefined;
  return (
    r.eventTime === values.eventTime &&
    r.eventID === values.eventID &&
    r.requestID === values.requestID &&
    attributes?.creationDate === values.creationDate
  );
}

/** Events of one call on one side of the window, folded into one sighting. */
interface CallGroup {
  readonly call: PreparedCall;
  /** The first event's time and place, which stand for the group (same side of the window, first example). */
  readonly eventTime: string;
  readonly origin: Origin;
  readonly total: SightingTotal;
}

/** An event without a usable time: added as it is, since nothing folds it with others. */
interface UntimedEvent {
  readonly call: PreparedCall;
  readonly eventId: string | undefined;
  readonly origin: Origin;
}

/**
 * The records of one file, each parsed and prepared only the first time its call is seen (most events of a busy
 * role repeat a few calls, and parsing is the cost), and folded per call: the analysis receives each call once per
 * file with the count, first and last time and sample event of its events, in order of first appearance. A record
 * the shortcut cannot prove safe is parsed the ordinary way, so the result is the one of parsing every record.
 */
export class FileCalls {
  readonly #analysis: TrailAnalysis;
  readonly #memory: CallMemory;
  readonly #source: string;
  readonly #bytes: Buffer;
  /** Whether the file is all ASCII: its records then decode as Latin-1, much faster than UTF-8 and the same. */
  #ascii: boolean | undefined;
  readonly #inside = new Map<PreparedCall, CallGroup>();
  readonly #outside = new Map<PreparedCall, CallGroup>();
  readonly #order: (CallGroup | UntimedEvent)[] = [];

  /** For the file `source` whose records are ranges of `bytes` (its bytes are changed and restored while keyed). */
  constructor(analysis: TrailAnalysis, selectionKey: string, source: string, bytes: Buffer) {
    this.#analysis = analysis;
    this.#memory = memoryOf(selectionKey);
    this.#source = source;
    this.#bytes = bytes;
  }

  /** The record in `bytes[start, end)`, the index-th of the file. Throws where JSON.parse refuses its text. */
  add(start: number, end: number, index: number): void {
    const bytes = this.#bytes;
    const memory = this.#memory;
    if (memory.resting > 0) {
      memory.resting -= 1;
      this.#parse(this.#text(start, end), index);
      return;
    }
    // A record whose own time is empty falls back to `@timestamp` when normalized: it takes the ordinary path.
    const cut = cutVolatile(bytes.subarray(start, end));
    const key = cut?.values.eventTime ? cut.key : undefined;
    const known = key === undefined ? null : memory.calls.get(key);
    if (key !== undefined) countTry(memory, known !== undefined && known !== null);
    if (cut !== undefined && known !== undefined && known !== null) {
      // As normalizing reads it: an empty id is no id.
      this.#fold(known, normalizeEventTime(cut.values.eventTime), cut.values.eventID || undefined, index);
      return;
    }
    const text = this.#text(start, end);
    const parsed = this.#parse(text, index);
    if (parsed === undefined || cut === undefined || key === undefined) return;
    if (memory.calls.size >= rememberedCalls) memory.calls.clear();
    // null remembers a key whose cut values were not the record's own: never use the shortcut for it.
    memory.calls.set(key, provesOwnFields(text, parsed.record, cut.values) ? parsed.call : null);
  }

  /** Adds the file's calls to the analysis. */
  finish(): void {
    for (const entry of this.#order) {
      if ('total' in entry) {
        this.#analysis.addCall(entry.call, {
          eventTime: entry.eventTime,
          origin: entry.origin,
          sighting: totalSighting(entry.total),
        });
      } else this.#analysis.addCall(entry.call, { eventId: entry.eventId, origin: entry.origin });
    }
    this.#order.length = 0;
    this.#inside.clear();
    this.#outside.clear();
  }

  #text(start: number, end: number): string {
    this.#ascii ??= isAscii(this.#bytes);
    return this.#bytes.toString(this.#ascii ? 'latin1' : 'utf8', start, end);
  }

  #parse(text: string, index: number) {
    const record: unknown = JSON.parse(text);
    const event = normalizeRecord(record, { source: this.#source, index });
    if (isIssue(event)) {
      this.#analysis.addIssue(event);
      return undefined;
    }
    const call = this.#analysis.prepare(event);
    this.#fold(call, event.eventTime, event.eventId, index);
    return { record, call };
  }

  #fold(call: PreparedCall, eventTime: string | undefined, eventId: string | undefined, index: number): void {
    if (eventTime === undefined) {
      this.#order.push({ call, eventId, origin: { source: this.#source, index } });
      return;
    }
    const groups = this.#analysis.inWindow(eventTime) ? this.#inside : this.#outside;
    let group = groups.get(call);
    if (group === undefined) {
      group = { call, eventTime, origin: { source: this.#source, index }, total: { count: 0 } };
      groups.set(call, group);
      this.#order.push(group);
    }
    foldSighting(group.total, { count: 1, firstSeen: eventTime, lastSeen: eventTime, eventId });
  }
}
