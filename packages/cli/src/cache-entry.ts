import { createHash } from 'node:crypto';
import type { TrailAnalysisState } from '@iamgen/core';
import type { FileIdentity } from './cache.js';
import { isRecord } from './json-record.js';

/*
 * A cache entry on disk is `{"sha256":"<digest>","entry":<body>}`, the digest taken over the exact text of the body.
 * The body is checked before it is parsed, so an entry changed after it was written (a flipped bit, a hand edit, a
 * half-copied file) is never trusted. The fixed layout lets the body be hashed as the text it is, with no second
 * serialization.
 */
const head = '{"sha256":"';
const digestLength = 64;
const middle = '","entry":';
const bodyStart = head.length + digestLength + middle.length;

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The file text of an entry. */
export function sealEntry(body: object): string {
  const text = JSON.stringify(body);
  return `${head}${digestOf(text)}${middle}${text}}`;
}

/** The entry's body, parsed, when its digest matches its text; `undefined` for anything else. */
export function unsealEntry(text: string): unknown {
  if (!text.startsWith(head) || !text.startsWith(middle, head.length + digestLength) || !text.endsWith('}')) {
    return undefined;
  }
  const body = text.slice(bodyStart, -1);
  if (digestOf(body) !== text.slice(head.length, head.length + digestLength)) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** A check that a parsed JSON value has the type `T`. */
type Check<T> = (value: unknown) => value is T;
type Checked<S> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

const text: Check<string> = (value) => typeof value === 'string';
const flag: Check<boolean> = (value) => typeof value === 'boolean';
const count: Check<number> = (value): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function oneOf<const T extends string>(...values: readonly T[]): Check<T> {
  return (value): value is T => values.includes(value as T);
}

function listOf<T>(item: Check<T>): Check<T[]> {
  return (value): value is T[] => Array.isArray(value) && value.every((element) => item(element));
}

function pairOf<A, B>(first: Check<A>, second: Check<B>): Check<[A, B]> {
  return (value): value is [A, B] => Array.isArray(value) && value.length === 2 && first(value[0]) && second(value[1]);
}

function recordOf<T>(item: Check<T>): Check<Record<string, T>> {
  return (value): value is Record<string, T> => isRecord(value) && Object.values(value).every((v) => item(v));
}

/** An object with exactly these fields (the optional ones may be absent): a field it does not know is a mismatch. */
function objectOf<
  R extends Record<string, Check<unknown>>,
  O extends Record<string, Check<unknown>> = Record<never, never>,
>(required: R, optional?: O): Check<Checked<R> & Partial<Checked<O>>> {
  const checks = new Map<string, Check<unknown>>(Object.entries({ ...optional, ...required }));
  const requiredFields = Object.keys(required).length;
  return (value): value is Checked<R> & Partial<Checked<O>> => {
    if (!isRecord(value)) return false;
    let present = 0;
    for (const key of Object.keys(value)) {
      const check = checks.get(key);
      if (check === undefined || !check(value[key])) return false;
      if (Object.hasOwn(required, key)) present += 1;
    }
    return present === requiredFields;
  };
}

/*
 * The state as the analysis merges and reads it, checked in full. An entry's digest only shows the entry is the one
 * its writer wrote; a writer of another build (or anyone) can seal a malformed state under the right key, and a state
 * that merges without an error can still hold values that only fail later, in the policy. Hand-written rather than a
 * schema library: zod alone takes ~75 ms to load, more than a whole cached re-run of a month of logs spends here
 * (~0.1 ms for a folder's entry of 40 KB).
 */
const origin = objectOf({ source: text }, { index: count });

const issue = objectOf(
  {
    kind: oneOf(
      'unreadable-file',
      'malformed-record',
      'unmapped-event',
      'denied-call',
      'resource-unknown',
      'not-an-authorization',
    ),
    origin,
    message: text,
  },
  { eventSource: text, eventName: text, action: text, resource: text },
);

/** What the mapping makes: `service:Action`, and an ARN or `*`; anything else was not written by a run. */
const actionName: Check<string> = (value): value is string =>
  typeof value === 'string' && /^[a-z0-9-]+:[A-Za-z0-9]+$/.test(value);
const resourceName: Check<string> = (value): value is string =>
  typeof value === 'string' && (value === '*' || /^arn:[^:]+:[^:]+:/.test(value));

const access = objectOf(
  { action: actionName, resource: resourceName },
  { context: recordOf(text), resourceUnknown: flag },
);

const accessSet = listOf(
  pairOf(text, objectOf({ access, count }, { firstSeen: text, lastSeen: text, sampleEventId: text, sampleSeen: text })),
);

const principalAnalysis = objectOf({
  target: objectOf({ key: text, kind: oneOf('role', 'user'), label: text, name: text }),
  counts: objectOf({
    matched: count,
    notAuthorization: recordOf(count),
    mapped: count,
    unmapped: count,
    denied: count,
  }),
  granted: accessSet,
  deniedAccesses: accessSet,
  matchedPrincipals: listOf(text),
  unmappedPairs: listOf(
    pairOf(text, objectOf({ eventSource: text, eventName: text, reason: text, count, example: text })),
  ),
  deniedCalls: listOf(
    pairOf(
      text,
      objectOf({
        eventSource: text,
        eventName: text,
        errorCode: text,
        actions: listOf(text),
        resources: listOf(text),
        count,
        example: text,
      }),
    ),
  ),
  resourceUnknown: listOf(pairOf(text, count)),
  sawDataEvents: flag,
});

// Typed against the core's own state: a required field added there fails the build until it is checked here; an
// optional one, unknown to these checks, gets the entries that hold it rebuilt rather than half-read.
const analysisState: Check<TrailAnalysisState> = objectOf({
  counts: objectOf({
    recordsRead: count,
    unreadableFiles: count,
    malformedRecords: count,
    outsideWindow: count,
    prefiltered: count,
  }),
  span: objectOf({ untimed: count }, { first: text, last: text }),
  principals: listOf(
    objectOf(
      {
        arn: text,
        kind: oneOf('role', 'user', 'root', 'federated-user', 'service', 'unknown'),
        events: count,
      },
      { firstSeen: text, lastSeen: text },
    ),
  ),
  excludedFromAll: listOf(pairOf(text, text)),
  problems: listOf(issue),
  analyses: listOf(principalAnalysis),
});

/** What a folder entry keeps of the files it serves: how many, and a digest of their identities (`filesDigest`). */
export interface FolderFiles {
  readonly count: number;
  readonly digest: string;
}

const folderFiles: Check<FolderFiles> = objectOf({ count, digest: text });

/**
 * The digest of files' identities, in their order: a folder entry of a month of logs would otherwise list thousands
 * of them, and every run would read the list again.
 */
export function filesDigest(files: readonly FileIdentity[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${JSON.stringify(file)}\n`);
  return hash.digest('hex');
}

/** The state an entry holds, if it is one the analysis can merge; `undefined` otherwise. */
export function analysisStateOf(value: unknown): TrailAnalysisState | undefined {
  return analysisState(value) ? value : undefined;
}

/** The files of a folder entry, if it gives them as the cache writes them. */
export function folderFilesOf(value: unknown): FolderFiles | undefined {
  return folderFiles(value) && value.count > 0 && /^[0-9a-f]{64}$/.test(value.digest) ? value : undefined;
}
