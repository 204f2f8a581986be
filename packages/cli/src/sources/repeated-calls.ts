import { isAscii } from 'node:buffer';
import { hash } from 'node:crypto';
import type { Origin, PreparedCall, SightingTotal, TrailAnalysis } from '@iamgen/core';
import { foldEvent, isIssue, normalizeEventTime, normalizeRecord, readsSessionName, totalSighting } from '@iamgen/core';

/**
 * Fields whose values differ between events of the same call and that the pipeline reads (time, id) or ignores
 * (temporary access key, session creation time, source address, user agent, request id), in the order CloudTrail
 * writes them, so each search starts where the last one ended. Without their values, a record's bytes are equal
 * exactly when everything else in it is.
 */
const volatileFields = [
  'accessKeyId',
  'creationDate',
  'eventTime',
  'sourceIPAddress',
  'userAgent',
  'requestID',
  'eventID',
] as const;
type VolatileField = (typeof volatileFields)[number];

/**
 * Fields the analysis never reads (a Lambda function calls from many addresses), whose values are free text: one
 * that is not plain stays in the key instead of keeping the record from the shortcut.
 */
const keptWhenNotPlain: ReadonlySet<VolatileField> = new Set(['sourceIPAddress', 'userAgent']);
/**
 * How each field's opening `"name":"` is searched for: by its tail from the last capital letter on (`ID":"`,
 * `Time":"`), checking the head before it. A search is cheap when its first character is rare, and quotes and small
 * letters are everywhere in JSON.
 */
const fieldOpenings = volatileFields.map((field) => {
  const opening = `"${field}":"`;
  const cut = opening.search(/[A-Z][^A-Z]*$/);
  return { opening, head: opening.slice(0, cut), tail: opening.slice(cut) };
});

/** `text.indexOf(opening, from)` for a field's opening, searched by its tail. */
export function indexOfOpening(text: string, field: number, from: number): number {
  const { head, tail } = fieldOpenings[field] as (typeof fieldOpenings)[number];
  for (let at = text.indexOf(tail, from + head.length); at !== -1; at = text.indexOf(tail, at + 1)) {
    if (text.startsWith(head, at - head.length)) return at - head.length;
  }
  return -1;
}

/**
 * Calls remembered per thread. A role's distinct calls are few, but one read serves every principal of an estate
 * (`--all`); this bounds memory at a few tens of MB.
 */
const rememberedCalls = 10_000;

/**
 * Remembering pays only where calls repeat. Each window of records measures how often a remembered call came back;
 * below the bar the shortcut rests for a while (records are parsed as usual), then tries again. Each failed try
 * doubles the rest, up to a bound: where calls never repeat (`--all` over many principals), trying costs little.
 */
const windowSize = 2_000;
const worthwhileHitRate = 0.3;
const shortestRest = 20_000;
const longestRest = 320_000;

/** Remembered for a key cut without the session's name when the call reads it: the key with the name decides. */
const sessionNameRead = 'session-name-read';

interface CallMemory {
  /** Key of a record (`cutVolatile`) → its call, or null where the shortcut is unsafe for it. */
  readonly calls: Map<string, PreparedCall | null | typeof sessionNameRead>;
  tried: number;
  hits: number;
  resting: number;
  nextRest: number;
}

const memories = new Map<string, CallMemory>();

function memoryOf(selectionKey: string): CallMemory {
  let memory = memories.get(selectionKey);
  if (memory === undefined) {
    memory = { calls: new Map(), tried: 0, hits: 0, resting: 0, nextRest: shortestRest };
    memories.set(selectionKey, memory);
  }
  return memory;
}

function countTry(memory: CallMemory, hit: boolean): void {
  memory.tried += 1;
  if (hit) memory.hits += 1;
  if (memory.tried < windowSize) return;
  if (memory.hits / memory.tried < worthwhileHitRate) {
    memory.resting = memory.nextRest;
    memory.nextRest = Math.min(memory.nextRest * 2, longestRest);
    memory.calls.clear();
  } else memory.nextRest = shortestRest;
  memory.tried = 0;
  memory.hits = 0;
}

type VolatileValues = Partial<Record<VolatileField, string>>;

interface CutRecord {
  readonly key: string;
  /** The record's place in the file's bytes. */
  readonly start: number;
  readonly end: number;
  /** The values the shortcut reads; the others are only needed to prove a new key (`cutValues`). */
  readonly eventTime: string | undefined;
  readonly eventId: string | undefined;
  /** The record's bytes as Latin-1 text: its text, when the file is ASCII. */
  readonly latin1: string;
  /** Where each field's value starts and ends in `latin1` (-1: the field was not found). */
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** Whether the session's name was cut too (`sessionNameRegions`). */
  readonly sessionCut: boolean;
}

/** The cut values by field, for proving a new key. */
function cutValues(cut: CutRecord): VolatileValues {
  const values: VolatileValues = {};
  for (let field = 0; field < volatileFields.length; field++) {
    const start = cut.starts[field] as number;
    if (start !== -1) values[volatileFields[field] as VolatileField] = cut.latin1.slice(start, cut.ends[field]);
  }
  return values;
}

/**
 * The record's key: a SHA-256 digest of its bytes without the volatile values, followed by where each value was.
 * Records with equal keys hold equal bytes outside the values (a collision of SHA-256 is out of reach even for
 * crafted logs), and the values are plain printable ASCII, which JSON.parse reads as they stand. Undefined when a
 * value is anything else. Whether the values are the record's own fields is proved once per key, when the call is
 * remembered (`provesOwnFields`); what was proved for one record holds for all records of its key.
 */
function cutVolatile(bytes: Buffer, start: number, end: number, cutSession: boolean): CutRecord | undefined {
  // Searched as Latin-1 text, where a character is a byte: string searches cost far less than calls into Buffer.
  const text = bytes.toString('latin1', start, end);
  const starts = nowhere.slice();
  const ends = nowhere.slice();
  const session = cutSession ? sessionNameRegions(text) : undefined;
  let cursor = session === undefined ? 0 : session[3];
  let ordered = true;
  for (let field = 0; field < fieldOpenings.length; field++) {
    let at = indexOfOpening(text, field, cursor);
    if (at === -1 && cursor > 0) at = indexOfOpening(text, field, 0);
    if (at === -1) continue;
    const valueStart = at + (fieldOpenings[field]?.opening.length ?? 0);
    const valueEnd = plainValueEnd(text, valueStart);
    if (valueEnd === -1) {
      if (keptWhenNotPlain.has(volatileFields[field] as VolatileField)) continue;
      return undefined;
    }
    starts[field] = valueStart;
    ends[field] = valueEnd;
    if (valueStart < cursor) ordered = false;
    else cursor = valueEnd;
  }
  // The session's name, where it is cut, comes before every field (the identity's type and ARN open the record);
  // each part of it ends at the first quote after its start.
  const sessionCut =
    session !== undefined &&
    plainValueEnd(text, session[0]) === session[1] &&
    plainValueEnd(text, session[2]) === session[3];
  if (sessionCut) {
    starts.push(session[0], session[2]);
    ends.push(session[1], session[3]);
  }
  // Values never overlap: each ends at the first quote after it, and every field name starts with one.
  const order = !ordered ? textOrder(starts) : sessionCut ? sessionThenFields : fieldsOnly;
  // The kept text, then where each value goes back into it (-1: nowhere) and how many places there are: the
  // digest's input splits one way only (from its end), and records of equal keys are the same text with the same
  // values put back at the same places. A place does not depend on how long the values before it are.
  const insertAt = starts.length === nowhere.length ? nowhere.slice() : nowhereWithSession.slice();
  let kept = '';
  let pieceStart = 0;
  for (const field of order) {
    const valueStart = starts[field] as number;
    if (valueStart === -1) continue;
    kept += text.slice(pieceStart, valueStart);
    insertAt[field] = kept.length;
    pieceStart = ends[field] as number;
  }
  kept += `${text.slice(pieceStart)},${insertAt.join(',')},${insertAt.length}`;
  const time = starts[eventTimeField] as number;
  const id = starts[eventIdField] as number;
  return {
    // Latin-1 text goes to the digest as UTF-8, one way only; the digest's bytes are the key, as Latin-1 text.
    key: hash('sha256', kept, 'binary'),
    start,
    end,
    eventTime: time === -1 ? undefined : text.slice(time, ends[eventTimeField]),
    eventId: id === -1 ? undefined : text.slice(id, ends[eventIdField]),
    latin1: text,
    starts,
    ends,
    sessionCut,
  };
}

/** A place for each field (then for the session's name in two places), before any is found: -1. */
const nowhere = volatileFields.map(() => -1);
const nowhereWithSession = [...nowhere, -1, -1];
const fieldsOnly = volatileFields.map((_, field) => field);
/** The session's name in the principal id, then in the ARN: the places after the fields'. */
const sessionThenFields = [volatileFields.length, volatileFields.length + 1, ...fieldsOnly];

function textOrder(starts: readonly number[]): number[] {
  return starts.map((_, field) => field).sort((a, b) => (starts[a] as number) - (starts[b] as number));
}

/**
 * Where the value starting at `start` ends (its closing quote), or -1 when it is not printable ASCII without a
 * backslash up to there: such values JSON.parse reads as they stand.
 */
function plainValueEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

const versionOpening = '{"eventVersion":"';
const assumedRoleOpening = '","userIdentity":{"type":"AssumedRole","principalId":"';
const arnOpening = '","arn":"';

/**
 * Where the session's name lies in a record that opens the way CloudTrail writes an assumed role's calls,
 * `{"eventVersion":"…","userIdentity":{"type":"AssumedRole","principalId":"AROA…:NAME","arn":"arn:…/role/NAME"`:
 * `[start, end)` of the name in the principal id, then in the ARN. In JSON that parses, these are the first members
 * of the record and of its identity, so the names sit where the pipeline reads the caller; whether it reads them is
 * proved per key (`readsSessionName`). Undefined for any other opening.
 */
function sessionNameRegions(text: string): [number, number, number, number] | undefined {
  // Compared as slices: V8 compares strings faster than `startsWith` does at an offset.
  if (text.slice(0, versionOpening.length) !== versionOpening) return undefined;
  const versionEnd = text.indexOf('"', versionOpening.length);
  const idStart = versionEnd + assumedRoleOpening.length;
  if (versionEnd === -1 || text.slice(versionEnd, idStart) !== assumedRoleOpening) return undefined;
  const idEnd = text.indexOf('"', idStart);
  if (idEnd === -1 || text.slice(idEnd, idEnd + arnOpening.length) !== arnOpening) return undefined;
  const colon = text.indexOf(':', idStart);
  const arnStart = idEnd + arnOpening.length;
  const arnEnd = text.indexOf('"', arnStart);
  const slash = arnEnd === -1 ? -1 : text.lastIndexOf('/', arnEnd);
  if (colon === -1 || colon > idEnd || slash < arnStart) return undefined;
  return [colon + 1, idEnd, slash + 1, arnEnd];
}

const eventTimeField = volatileFields.indexOf('eventTime');
const eventIdField = volatileFields.indexOf('eventID');

/**
 * Whether the cut values are this record's own fields: each name occurs once in its text, nothing is spelled with
 * `\u` escapes (an escaped name would not be found), and the parsed record holds the cut values where the pipeline
 * reads them.
 */
function provesOwnFields(text: string, record: unknown, values: VolatileValues): boolean {
  // The time must be the record's own and usable: normalizing falls back to `@timestamp` when it is missing or empty.
  if (text.includes('\\u') || !values.eventTime) return false;
  for (const field of volatileFields) {
    // A field left in the key where its value was not plain is the same text in every record of the key.
    if (keptWhenNotPlain.has(field) && values[field] === undefined) continue;
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
  const unread = (field: VolatileField) => values[field] === undefined || r[field] === values[field];
  return (
    identity?.accessKeyId === values.accessKeyId &&
    r.eventTime === values.eventTime &&
    unread('sourceIPAddress') &&
    unread('userAgent') &&
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

/**
 * The records of one file, each parsed and prepared only the first time its call is seen (most events of a busy
 * role repeat a few calls, and parsing is the cost). The later events of a remembered call in the file are folded
 * and reach the analysis once, at the end of the file, with their count, first and last time and sample event;
 * everything else is added as it comes, so a file holds no more in memory than the remembered calls. A record the
 * shortcut cannot prove safe is parsed the ordinary way, so the result is the one of parsing every record.
 */
export class FileCalls {
  readonly #analysis: TrailAnalysis;
  readonly #memory: CallMemory;
  readonly #source: string;
  readonly #bytes: Buffer;
  /** Whether the file is all ASCII: its records then decode as Latin-1, much faster than UTF-8 and the same. */
  #ascii: boolean | undefined;
  /** Groups by call, for events inside the window, and outside it. */
  readonly #inside = new Map<PreparedCall, CallGroup>();
  readonly #outside = new Map<PreparedCall, CallGroup>();
  readonly #groups: CallGroup[] = [];

  /** For the file `source` whose records are ranges of `bytes`. */
  constructor(analysis: TrailAnalysis, selectionKey: string, source: string, bytes: Buffer) {
    this.#analysis = analysis;
    this.#memory = memoryOf(selectionKey);
    this.#source = source;
    this.#bytes = bytes;
  }

  /** The record in `bytes[start, end)`, the index-th of the file. Throws where JSON.parse refuses its text. */
  add(start: number, end: number, index: number): void {
    const memory = this.#memory;
    if (memory.resting > 0) {
      memory.resting -= 1;
      this.#parse(this.#text(start, end), index, undefined);
      return;
    }
    // A record whose own time is empty falls back to `@timestamp` when normalized: it takes the ordinary path.
    let cut = cutVolatile(this.#bytes, start, end, true);
    let known = cut?.eventTime ? memory.calls.get(cut.key) : null;
    if (known === sessionNameRead) {
      cut = cutVolatile(this.#bytes, start, end, false);
      known = cut?.eventTime ? memory.calls.get(cut.key) : null;
    }
    if (cut?.eventTime) countTry(memory, known !== undefined && known !== null);
    if (cut !== undefined && known !== undefined && known !== null && known !== sessionNameRead) {
      // As normalizing reads it: an empty id is no id.
      this.#fold(known, normalizeEventTime(cut.eventTime), cut.eventId || undefined, index, true);
      return;
    }
    const text = cut !== undefined && this.#isAscii() ? cut.latin1 : this.#text(start, end);
    this.#parse(text, index, known === undefined ? cut : undefined);
  }

  /** Adds the file's remembered calls to the analysis. */
  finish(): void {
    for (const group of this.#groups) {
      if (group.total.count === 0) continue;
      this.#analysis.addCall(group.call, {
        eventTime: group.eventTime,
        origin: group.origin,
        sighting: totalSighting(group.total),
      });
    }
    this.#groups.length = 0;
    this.#inside.clear();
    this.#outside.clear();
  }

  #isAscii(): boolean {
    this.#ascii ??= isAscii(this.#bytes);
    return this.#ascii;
  }

  #text(start: number, end: number): string {
    return this.#bytes.toString(this.#isAscii() ? 'latin1' : 'utf8', start, end);
  }

  /** Parses and adds a record; with its cut, also remembers its call for the records that repeat it. */
  #parse(text: string, index: number, cut: CutRecord | undefined): void {
    const record: unknown = JSON.parse(text);
    const event = normalizeRecord(record, { source: this.#source, index });
    if (isIssue(event)) {
      this.#analysis.addIssue(event);
      return;
    }
    const call = this.#analysis.prepare(event);
    // null remembers a key whose cut values were not the record's own: never use the shortcut for it.
    const remembered = cut !== undefined && provesOwnFields(text, record, cutValues(cut));
    if (cut !== undefined) {
      const { calls } = this.#memory;
      if (calls.size >= rememberedCalls) calls.clear();
      if (remembered && cut.sessionCut && readsSessionName(event)) {
        // Calls in other sessions are other calls here: the key with the session's name stands for this one. It
        // cuts the same fields (none can open before the session's name ends), so what was proved holds for it.
        calls.set(cut.key, sessionNameRead);
        const named = cutVolatile(this.#bytes, cut.start, cut.end, false);
        if (named !== undefined) calls.set(named.key, call);
      } else calls.set(cut.key, remembered ? call : null);
    }
    this.#fold(call, event.eventTime, event.eventId, index, remembered);
  }

  #fold(
    call: PreparedCall,
    eventTime: string | undefined,
    eventId: string | undefined,
    index: number,
    remembered: boolean,
  ): void {
    const groups =
      eventTime === undefined || !remembered
        ? undefined
        : this.#analysis.inWindow(eventTime)
          ? this.#inside
          : this.#outside;
    const group = groups?.get(call);
    if (eventTime !== undefined && group !== undefined) {
      foldEvent(group.total, eventTime, eventId);
      return;
    }
    // The first event of a call in the file is added at once, in record order, so whatever is kept of the first
    // event with some trait (the first principal, access or example) is what parsing every record keeps.
    const origin = { source: this.#source, index };
    this.#analysis.addCall(call, { eventTime, eventId, origin });
    if (groups === undefined || eventTime === undefined) return;
    const created = { call, eventTime, origin, total: { count: 0 } };
    groups.set(call, created);
    this.#groups.push(created);
  }
}
