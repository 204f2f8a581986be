import type { PreparedCall, TrailAnalysis } from '@iamgen/core';
import { isIssue, normalizeEventTime, normalizeRecord } from '@iamgen/core';

/**
 * Fields whose values differ between events of the same call and that the pipeline reads (time, id) or ignores
 * (request id, session creation time). Cutting their values out of a record's raw text leaves a key that is equal
 * exactly when everything else in the record is.
 */
const volatileFields = ['eventTime', 'eventID', 'requestID', 'creationDate'] as const;
type VolatileField = (typeof volatileFields)[number];

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

/** A backslash or a control character (which JSON.parse refuses raw in a string). */
function unsafeValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x5c) return true;
  }
  return false;
}

interface CutRecord {
  readonly key: string;
  readonly values: Readonly<Partial<Record<VolatileField, string>>>;
}

/**
 * The record's text without the values of its volatile fields (their first occurrences), or undefined when a value
 * is not a plain string. Whether those occurrences are the record's own fields is proved once per key, when the
 * call is remembered (`provesOwnFields`): records with an equal key have equal text outside the cut values, and the
 * values hold no quote or backslash, so what was proved for one holds for all.
 */
function cutVolatile(text: string): CutRecord | undefined {
  const spans: { field: VolatileField; start: number; end: number }[] = [];
  for (const field of volatileFields) {
    const name = `"${field}"`;
    const at = text.indexOf(name);
    if (at === -1) continue;
    if (!text.startsWith(':"', at + name.length)) return undefined;
    const start = at + name.length + 2;
    const end = text.indexOf('"', start);
    if (end === -1) return undefined;
    spans.push({ field, start, end });
  }
  spans.sort((a, b) => a.start - b.start);
  const values: Partial<Record<VolatileField, string>> = {};
  let key = '';
  let from = 0;
  for (const { field, start, end } of spans) {
    const value = text.slice(start, end);
    // No escapes and no control characters: the value is then the string JSON.parse would read, byte for byte.
    if (unsafeValue(value)) return undefined;
    key += text.slice(from, start);
    values[field] = value;
    from = end;
  }
  return { key: key + text.slice(from), values };
}

/**
 * Whether the cut values are this record's own fields: each name occurs once in its text, nothing is spelled with
 * `\u` escapes (an escaped name would not be found), and the parsed record holds the cut values where the pipeline
 * reads them.
 */
function provesOwnFields(text: string, record: unknown, values: CutRecord['values']): boolean {
  // The time must be the record's own and usable: normalizing falls back to `@timestamp` when it is missing or empty.
  if (text.includes('\\u') || !values.eventTime) return false;
  for (const field of volatileFields) {
    const name = `"${field}"`;
    const at = text.indexOf(name);
    if (at !== -1 && text.indexOf(name, at + 1) !== -1) return false;
  }
  return cutsAreTopLevel(record, values);
}

/** A string that shares no memory with the text it was cut from (a slice of a string keeps all of it alive). */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** Whether the parsed record holds, at the places the pipeline reads, the values cut out of its text. */
function cutsAreTopLevel(record: unknown, values: CutRecord['values']): boolean {
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

/**
 * Adds one record's raw text to the analysis, parsing and preparing it only the first time its call is seen: most
 * events of a busy role repeat a few calls, and parsing is the cost. A record the shortcut cannot prove safe is
 * parsed and added the ordinary way, so the result is the same as parsing every record.
 */
export function addRecordText(
  analysis: TrailAnalysis,
  text: string,
  origin: { source: string; index: number },
  selectionKey: string,
): void {
  const memory = memoryOf(selectionKey);
  if (memory.resting > 0) {
    memory.resting -= 1;
    analysis.addRecord(JSON.parse(text), origin);
    return;
  }
  const { calls } = memory;
  const cut = cutVolatile(text);
  // A record whose own time is empty falls back to `@timestamp` when normalized: it takes the ordinary path.
  const known = cut === undefined || !cut.values.eventTime ? null : calls.get(cut.key);
  if (cut !== undefined) countTry(memory, known !== undefined && known !== null);
  if (cut !== undefined && known !== undefined && known !== null) {
    analysis.addCall(known, {
      eventTime: normalizeEventTime(cut.values.eventTime),
      // As normalizing reads it: an empty id is no id.
      eventId: cut.values.eventID || undefined,
      origin,
    });
    return;
  }
  const record: unknown = JSON.parse(text);
  const event = normalizeRecord(record, origin);
  if (isIssue(event)) {
    analysis.addIssue(event);
    return;
  }
  const call = analysis.prepare(event);
  analysis.addCall(call, { eventTime: event.eventTime, eventId: event.eventId, origin });
  if (cut !== undefined && known === undefined) {
    if (calls.size >= rememberedCalls) calls.clear();
    // Remembered calls outlive their file: copies, so no string still points into the file's text.
    // null remembers a key whose cut values were not the record's own: never use the shortcut for it.
    calls.set(
      ownCopy(cut.key),
      provesOwnFields(text, record, cut.values) ? analysis.prepare(structuredClone(event)) : null,
    );
  }
}
