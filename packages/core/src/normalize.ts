import type { Sighting } from './access-set.js';
import type { Issue, Origin, TrailEvent, TrailIdentity, TrailResource } from './types.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own string property only: never reads through the prototype (`__proto__`, `constructor`). */
function ownString(object: Json, key: string): string | undefined {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ownObject(object: Json, key: string): Json {
  if (!Object.hasOwn(object, key)) return {};
  const value = object[key];
  return isObject(value) ? value : {};
}

function ownBoolean(object: Json, key: string): boolean | undefined {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/**
 * What a source yields: a raw record (with a sighting when it stands for several events, as an aggregated Athena
 * row does), or an Issue naming what could not be read.
 */
export type RecordOrIssue = { readonly record: unknown; readonly origin: Origin; readonly sighting?: Sighting } | Issue;

export function isIssue(value: unknown): value is Issue {
  return isObject(value) && typeof value.kind === 'string' && typeof value.message === 'string' && 'origin' in value;
}

/**
 * Splits one parsed document into raw records: `{"Records":[…]}` log files, bare arrays, a single event,
 * a LookupEvents response (`{"Events":[…]}`) or one LookupEvents item (`CloudTrailEvent` is a JSON string).
 */
export function* recordsOfDocument(document: unknown, source: string, firstIndex = 0): Generator<RecordOrIssue> {
  if (Array.isArray(document)) {
    for (const [i, item] of document.entries()) yield* unwrapRecord(item, { source, index: firstIndex + i });
    return;
  }
  if (isObject(document)) {
    for (const key of ['Records', 'Events'] as const) {
      const list = Object.hasOwn(document, key) ? document[key] : undefined;
      if (Array.isArray(list)) {
        for (const [i, item] of list.entries()) yield* unwrapRecord(item, { source, index: firstIndex + i });
        return;
      }
    }
    if (Object.hasOwn(document, 'eventSource') || Object.hasOwn(document, 'CloudTrailEvent')) {
      yield* unwrapRecord(document, { source, index: firstIndex });
      return;
    }
    if (Object.hasOwn(document, 'Records')) {
      yield { kind: 'unreadable-file', origin: { source }, message: `${source}: "Records" is not an array` };
      return;
    }
  }
  yield {
    kind: 'unreadable-file',
    origin: { source },
    message: `${source}: not CloudTrail data (expected {"Records":[…]}, an array of events, JSON Lines or LookupEvents output)`,
  };
}

function* unwrapRecord(item: unknown, origin: Origin): Generator<RecordOrIssue> {
  if (isObject(item) && Object.hasOwn(item, 'CloudTrailEvent')) {
    const inner = item.CloudTrailEvent;
    if (typeof inner === 'string') {
      try {
        yield { record: JSON.parse(inner) as unknown, origin };
      } catch {
        yield malformed(origin, 'CloudTrailEvent is not valid JSON');
      }
      return;
    }
    yield { record: inner, origin };
    return;
  }
  yield { record: item, origin };
}

function malformed(origin: Origin, reason: string): Issue {
  return { kind: 'malformed-record', origin, message: `${describeOrigin(origin)}: ${reason}` };
}

export function describeOrigin(origin: Origin): string {
  return origin.index === undefined ? origin.source : `${origin.source} record ${origin.index + 1}`;
}

const eventSourcePattern = /^[a-z0-9][a-z0-9.-]*\.amazonaws\.com$/;

/** A record's time as the pipeline compares it (ISO-8601 UTC); an unparseable time does not make a call less real. */
export function normalizeEventTime(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // CloudTrail writes `2024-01-31T12:00:00Z`; parsing a date per event is a measurable share of a read.
  if (raw.length === 20 && isPlainUtcSecond(raw)) return `${raw.slice(0, 19)}.000Z`;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` with a month, day, hour, minute and second that every month and year have (days up to
 * 28), so the text is already the time `toISOString` would give; anything else takes `Date.parse`.
 */
function isPlainUtcSecond(raw: string): boolean {
  for (const at of digitPositions) {
    const c = raw.charCodeAt(at);
    if (c < 0x30 || c > 0x39) return false;
  }
  if (raw[4] !== '-' || raw[7] !== '-' || raw[10] !== 'T' || raw[13] !== ':' || raw[16] !== ':' || raw[19] !== 'Z') {
    return false;
  }
  const two = (at: number) => (raw.charCodeAt(at) - 0x30) * 10 + raw.charCodeAt(at + 1) - 0x30;
  const month = two(5);
  const day = two(8);
  return month >= 1 && month <= 12 && day >= 1 && day <= 28 && two(11) <= 23 && two(14) <= 59 && two(17) <= 59;
}

const digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** Checks a raw record and keeps the fields the pipeline needs. Returns an Issue for anything unusable. */
export function normalizeRecord(raw: unknown, origin: Origin): TrailEvent | Issue {
  if (!isObject(raw)) return malformed(origin, 'record is not a JSON object');
  const eventSource = ownString(raw, 'eventSource');
  if (eventSource === undefined) return malformed(origin, 'missing eventSource');
  if (!eventSourcePattern.test(eventSource.toLowerCase())) {
    return malformed(origin, `eventSource "${eventSource}" is not an AWS service endpoint`);
  }
  const eventName = ownString(raw, 'eventName');
  if (eventName === undefined) return malformed(origin, `missing eventName (eventSource ${eventSource})`);
  const eventTime = normalizeEventTime(ownString(raw, 'eventTime') ?? ownString(raw, '@timestamp'));
  const identity = ownObject(raw, 'userIdentity');
  const issuer = ownObject(ownObject(identity, 'sessionContext'), 'sessionIssuer');
  const userIdentity: TrailIdentity = dropUndefined({
    type: ownString(identity, 'type'),
    arn: ownString(identity, 'arn'),
    accountId: ownString(identity, 'accountId'),
    principalId: ownString(identity, 'principalId'),
    userName: ownString(identity, 'userName'),
    invokedBy: ownString(identity, 'invokedBy'),
    issuerArn: ownString(issuer, 'arn'),
    issuerType: ownString(issuer, 'type'),
  });
  const rawResources = Object.hasOwn(raw, 'resources') ? raw.resources : undefined;
  const resources: TrailResource[] = Array.isArray(rawResources)
    ? rawResources.filter(isObject).map((r) =>
        dropUndefined({
          arn: ownString(r, 'ARN') ?? ownString(r, 'arn'),
          type: ownString(r, 'type'),
          accountId: ownString(r, 'accountId'),
        }),
      )
    : [];
  return dropUndefined({
    eventSource: eventSource.toLowerCase(),
    eventName,
    eventId: ownString(raw, 'eventID'),
    eventTime,
    eventType: ownString(raw, 'eventType'),
    eventCategory: ownString(raw, 'eventCategory'),
    awsRegion: ownString(raw, 'awsRegion') ?? 'us-east-1',
    recipientAccountId: ownString(raw, 'recipientAccountId') ?? userIdentity.accountId,
    userIdentity,
    requestParameters: ownObject(raw, 'requestParameters'),
    responseElements: ownObject(raw, 'responseElements'),
    additionalEventData: ownObject(raw, 'additionalEventData'),
    resources,
    errorCode: ownString(raw, 'errorCode'),
    errorMessage: ownString(raw, 'errorMessage'),
    sourceIPAddress: ownString(raw, 'sourceIPAddress'),
    vpcEndpointId: ownString(raw, 'vpcEndpointId'),
    userAgent: ownString(raw, 'userAgent'),
    readOnly: ownBoolean(raw, 'readOnly'),
    managementEvent: ownBoolean(raw, 'managementEvent'),
    sessionCredentialFromConsole: ownBoolean(raw, 'sessionCredentialFromConsole'),
    origin,
  }) as TrailEvent;
}

function dropUndefined<T extends Record<string, unknown>>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  // A for-in loop: this runs once per event, and Object.entries would allocate a pair per field.
  const out: Record<string, unknown> = {};
  for (const key in object) if (object[key] !== undefined) out[key] = object[key];
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}
