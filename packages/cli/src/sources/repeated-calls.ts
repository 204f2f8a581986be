import { isAscii } from 'node:buffer';
import type { Origin, PreparedCall, SightingTotal, TrailAnalysis } from '@iamgen/core';
import { foldEvent, isIssue, normalizeEventTime, normalizeRecord, readsSessionName, totalSighting } from '@iamgen/core';
import { RecordKeys, unknownKey } from './record-keys.js';

/**
 * Fields whose values differ between events of the same call and that the pipeline reads (time, id) or ignores
 * (temporary access key, session creation time, source address, user agent, request id). Without their values (cut
 * at each field's first opening, `record-keys`), a record's bytes are equal exactly when everything else in it is.
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
 * Calls remembered per thread. A role's distinct calls are few, but one read serves every principal of an estate
 * (`--all`); this bounds memory at a few tens of MB (and stays within the keys' table, `record-keys`). A thread
 * reading half of the bench's 1M events of 43 roles parsed 27,000 of its records with 10,000 (it forgot everything
 * twice), and 11,000 with 16,000.
 */
const rememberedCalls = 16_000;

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
  readonly selectionKey: string;
  /** The keys remembered, each for its index in `calls`. */
  readonly keys: RecordKeys;
  /** By index: a key's call, or null where the shortcut is unsafe for it. */
  readonly calls: (PreparedCall | null | typeof sessionNameRead)[];
  tried: number;
  hits: number;
  resting: number;
  nextRest: number;
}

/**
 * The calls remembered for the selection of the thread's last file. A thread reads for one selection at a time (a
 * run has one), and the keys' memory is one WebAssembly instance per thread: a file of another selection starts it
 * anew.
 */
let current: CallMemory | undefined;

function memoryOf(selectionKey: string): CallMemory {
  if (current?.selectionKey === selectionKey) return current;
  const keys = current?.keys ?? new RecordKeys(volatileFields, 'eventTime', keptWhenNotPlain);
  keys.forget();
  current = { selectionKey, keys, calls: [], tried: 0, hits: 0, resting: 0, nextRest: shortestRest };
  return current;
}

function countTry(memory: CallMemory, hit: boolean): void {
  memory.tried += 1;
  if (hit) memory.hits += 1;
  if (memory.tried < windowSize) return;
  if (memory.hits / memory.tried < worthwhileHitRate) {
    memory.resting = memory.nextRest;
    memory.nextRest = Math.min(memory.nextRest * 2, longestRest);
    forgetAll(memory);
  } else memory.nextRest = shortestRest;
  memory.tried = 0;
  memory.hits = 0;
}

function forgetAll(memory: CallMemory): void {
  memory.keys.forget();
  memory.calls.length = 0;
}

type VolatileValues = Partial<Record<VolatileField, string>>;

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
    this.#memory.keys.nextFile();
    this.#source = source;
    this.#bytes = bytes;
  }

  /** The record in `bytes[start, end)`, the index-th of the file. Throws where JSON.parse refuses its text. */
  add(start: number, end: number, index: number): void {
    const memory = this.#memory;
    // Files are read one at a time, but should one of another selection start before this one ends, the keys
    // would no longer be this selection's.
    if (memory !== current) {
      this.#parse(start, end, index, false);
      return;
    }
    if (memory.resting > 0) {
      memory.resting -= 1;
      this.#parse(start, end, index, false);
      return;
    }
    const { keys } = memory;
    // A record whose own time is empty falls back to `@timestamp` when normalized: it has no key (nor when a value
    // is not plain), and takes the ordinary path.
    let found = keys.lookup(this.#bytes, start, end, true);
    if (found >= 0 && memory.calls[found] === sessionNameRead) found = keys.lookup(this.#bytes, start, end, false);
    if (found < unknownKey) {
      this.#parse(start, end, index, false);
      return;
    }
    const known = found === unknownKey ? undefined : memory.calls[found];
    countTry(memory, known !== undefined && known !== null);
    if (known !== undefined && known !== null && known !== sessionNameRead) {
      const eventId = this.#value(start, eventIdField);
      // As normalizing reads it: an empty id is no id.
      this.#fold(known, normalizeEventTime(this.#value(start, eventTimeField)), eventId || undefined, index, true);
      return;
    }
    this.#parse(start, end, index, known === undefined);
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

  /** The value the last lookup cut for `field` in the record at `start`, or undefined where it cut none. */
  #value(start: number, field: number): string | undefined {
    const { keys } = this.#memory;
    const at = keys.start(field);
    return at === -1 ? undefined : this.#bytes.toString('latin1', start + at, start + keys.end(field));
  }

  /**
   * Parses and adds a record; after a lookup that found its key unknown (`remember`), also remembers its call for
   * the records that repeat it.
   */
  #parse(start: number, end: number, index: number, remember: boolean): void {
    const text = this.#text(start, end);
    const record: unknown = JSON.parse(text);
    const event = normalizeRecord(record, { source: this.#source, index });
    if (isIssue(event)) {
      this.#analysis.addIssue(event);
      return;
    }
    const call = this.#analysis.prepare(event);
    // null remembers a key whose cut values were not the record's own: never use the shortcut for it.
    const proved = remember && provesOwnFields(text, record, this.#cutValues(start));
    if (remember) {
      const memory = this.#memory;
      if (proved && memory.keys.sessionCut() && readsSessionName(event)) {
        // Calls in other sessions are other calls here: the key with the session's name stands for this one. It
        // cuts the same fields, so what was proved holds for it.
        this.#remember(sessionNameRead);
        const named = memory.keys.lookup(this.#bytes, start, end, false);
        if (named === unknownKey) this.#remember(call);
        else if (named >= 0) memory.calls[named] = call;
      } else this.#remember(proved ? call : null);
    }
    this.#fold(call, event.eventTime, event.eventId, index, proved);
  }

  /** The values the last lookup cut, by field, for proving a new key. */
  #cutValues(start: number): VolatileValues {
    const values: VolatileValues = {};
    for (let field = 0; field < volatileFields.length; field++) {
      const value = this.#value(start, field);
      if (value !== undefined) values[volatileFields[field] as VolatileField] = value;
    }
    return values;
  }

  /** Remembers the key of the last lookup for `call`, forgetting every other when the memory is full. */
  #remember(call: PreparedCall | null | typeof sessionNameRead): void {
    const memory = this.#memory;
    if (memory.calls.length >= rememberedCalls) forgetAll(memory);
    if (!memory.keys.remember(memory.calls.length)) {
      forgetAll(memory);
      if (!memory.keys.remember(0)) return;
    }
    memory.calls.push(call);
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
