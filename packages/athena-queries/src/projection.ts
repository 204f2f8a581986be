/**
 * The shape of an aggregated activity row, in one place: for each column its SQL expression, its "twin" (the
 * value the expression yields for one raw CloudTrail record, as the table presents it) and how the row is turned
 * back into a CloudTrail-shaped record. The SQL, the twin used by tests and the reader used by the CLI are all
 * generated from `groupColumns` and `aggregateColumns` below, so they cannot drift apart.
 */

/** What of `requestParameters` and `errorMessage` a row keeps; derived from the mapping catalog by the caller. */
export interface RequestProjection {
  /** Lower-cased top-level request keys kept by name in every event. */
  readonly keys: readonly string[];
  /** `<eventSource>|<lower-cased key>`: keys kept by name in that service's events only. */
  readonly serviceKeys: readonly string[];
  /** A top-level request entry whose JSON text matches is kept whatever its key. */
  readonly keepValuesMatching: string;
  /** The part of an error message the mapping reads: its first match is kept. */
  readonly errorMessagePattern: string;
}

/** One result row: column name → value, as Athena returns them (strings, `null` for SQL NULL). */
export type ActivityRow = Readonly<Record<string, string | null>>;

type Json = Record<string, unknown>;

interface Column {
  readonly name: string;
  /** SQL over the CloudTrail table's columns. */
  readonly sql: (projection: RequestProjection) => string;
  /** The value `sql` yields for one raw record. */
  readonly twin: (record: Json, projection: RequestProjection) => string | null;
}

const requestKey = /^[a-z0-9_.:-]+$/;
const serviceKey = /^[a-z0-9.-]+\|[a-z0-9_.:-]+$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field as the JSON SerDe exposes a STRING column: strings as they are, anything else as its JSON text. */
function field(object: unknown, key: string): string | null {
  if (!isObject(object) || !Object.hasOwn(object, key)) return null;
  const value = object[key];
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function nested(object: unknown, ...path: string[]): unknown {
  let current = object;
  for (const key of path) current = isObject(current) && Object.hasOwn(current, key) ? current[key] : undefined;
  return current;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Assumed-role session names vary per session, and only the role holds permissions: an assumed-role session ARN
 * keeps its role and loses its session name, so rows group by role. Other identities keep their ARN.
 */
const sessionName = { pattern: '^(arn:aws[a-z-]*:sts::[0-9]{12}:assumed-role/[^/]+)/.+$', replacement: '$1/*' };

function identityArn(record: Json): string | null {
  const arn = field(record.userIdentity, 'arn');
  if (arn === null || field(record.userIdentity, 'type') !== 'AssumedRole') return arn;
  return arn.replace(new RegExp(sessionName.pattern), sessionName.replacement);
}

/** Keys sorted as a map cast to JSON sorts them, so equal subsets are equal text. */
function sortedJson(entries: readonly (readonly [string, unknown])[]): string {
  return JSON.stringify(Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function requestSubset(record: Json, projection: RequestProjection): string | null {
  const params = Object.hasOwn(record, 'requestParameters') ? record.requestParameters : undefined;
  if (!isObject(params)) return null;
  const keys = new Set(projection.keys);
  const serviceKeys = new Set(projection.serviceKeys);
  const source = (field(record, 'eventSource') ?? '').toLowerCase();
  const carried = new RegExp(projection.keepValuesMatching);
  const kept = Object.keys(params)
    .filter(
      (key) =>
        keys.has(key.toLowerCase()) ||
        serviceKeys.has(`${source}|${key.toLowerCase()}`) ||
        carried.test(JSON.stringify(params[key]) ?? 'null'),
    )
    .map((key) => [key, params[key]] as const);
  return sortedJson(kept);
}

function resourceArns(record: Json): string | null {
  const resources = Object.hasOwn(record, 'resources') ? record.resources : undefined;
  if (!Array.isArray(resources)) return null;
  // The table declares `resources` as ARRAY<STRUCT<arn…>>; its SerDe matches field names case-insensitively.
  return JSON.stringify(resources.map((r) => field(r, 'ARN') ?? field(r, 'arn')));
}

const groupColumns: readonly Column[] = [
  { name: 'identity_type', sql: () => 'useridentity.type', twin: (r) => field(r.userIdentity, 'type') },
  {
    name: 'identity_arn',
    sql: () =>
      `CASE WHEN useridentity.type = 'AssumedRole' THEN regexp_replace(useridentity.arn, ${sqlString(sessionName.pattern)}, ${sqlString(sessionName.replacement)}) ELSE useridentity.arn END`,
    twin: identityArn,
  },
  { name: 'identity_account', sql: () => 'useridentity.accountid', twin: (r) => field(r.userIdentity, 'accountId') },
  { name: 'invoked_by', sql: () => 'useridentity.invokedby', twin: (r) => field(r.userIdentity, 'invokedBy') },
  {
    // Only attribution reads it, and only when the record names no ARN and no service; it varies per session.
    name: 'principal_id',
    sql: () =>
      "CASE WHEN coalesce(useridentity.arn, '') = '' AND coalesce(useridentity.invokedby, '') = '' THEN useridentity.principalid END",
    twin: (r) =>
      (field(r.userIdentity, 'arn') ?? '') === '' && (field(r.userIdentity, 'invokedBy') ?? '') === ''
        ? field(r.userIdentity, 'principalId')
        : null,
  },
  {
    name: 'issuer_arn',
    sql: () => 'useridentity.sessioncontext.sessionissuer.arn',
    twin: (r) => field(nested(r.userIdentity, 'sessionContext', 'sessionIssuer'), 'arn'),
  },
  {
    name: 'issuer_type',
    sql: () => 'useridentity.sessioncontext.sessionissuer.type',
    twin: (r) => field(nested(r.userIdentity, 'sessionContext', 'sessionIssuer'), 'type'),
  },
  { name: 'event_source', sql: () => 'eventsource', twin: (r) => field(r, 'eventSource') },
  { name: 'event_name', sql: () => 'eventname', twin: (r) => field(r, 'eventName') },
  { name: 'aws_region', sql: () => 'awsregion', twin: (r) => field(r, 'awsRegion') },
  { name: 'recipient_account_id', sql: () => 'recipientaccountid', twin: (r) => field(r, 'recipientAccountId') },
  { name: 'event_type', sql: () => 'eventtype', twin: (r) => field(r, 'eventType') },
  { name: 'event_category', sql: () => 'eventcategory', twin: (r) => field(r, 'eventCategory') },
  { name: 'error_code', sql: () => 'errorcode', twin: (r) => field(r, 'errorCode') },
  {
    name: 'error_denial',
    sql: (p) => `regexp_extract(errormessage, ${sqlString(p.errorMessagePattern)})`,
    twin: (r, p) => {
      const message = field(r, 'errorMessage');
      return message === null ? null : (new RegExp(p.errorMessagePattern).exec(message)?.[0] ?? null);
    },
  },
  {
    name: 'request_subset',
    sql: (p) =>
      [
        'json_format(CAST(map_filter(',
        '           try(CAST(json_parse(requestparameters) AS map(varchar, json))),',
        `           (k, v) -> contains(ARRAY[${keyList(p.keys, requestKey)}], lower(k))`,
        `             OR contains(ARRAY[${keyList(p.serviceKeys, serviceKey)}], concat(lower(eventsource), '|', lower(k)))`,
        `             OR regexp_like(json_format(v), ${sqlString(p.keepValuesMatching)})) AS json))`,
      ].join('\n'),
    twin: requestSubset,
  },
  {
    name: 'resource_arns',
    sql: () => 'json_format(CAST(transform(resources, r -> r.arn) AS json))',
    twin: resourceArns,
  },
];

/** The catalog's key list, a few per line so the printed query stays reviewable. */
function keyList(keys: readonly string[], pattern: RegExp): string {
  if (keys.length === 0) return "''";
  for (const key of keys) if (!pattern.test(key)) throw new Error(`invalid request key: ${JSON.stringify(key)}`);
  const lines: string[] = [];
  for (let i = 0; i < keys.length; i += 10)
    lines.push(
      keys
        .slice(i, i + 10)
        .map(sqlString)
        .join(', '),
    );
  return lines.join(',\n             ');
}

/** Aggregates per group, over the inner query's `eventtime` and `eventid`. */
const aggregateColumns = [
  { name: 'event_count', sql: 'count(*)' },
  { name: 'first_seen', sql: 'min(eventtime)' },
  { name: 'last_seen', sql: 'max(eventtime)' },
  // The earliest event (ties: the smallest id), as the pipeline picks its evidence from raw events.
  { name: 'sample_event_id', sql: 'min_by(eventid, concat(eventtime, eventid))' },
] as const;

/** Every column of a row, in SELECT order. */
export const activityColumnNames: readonly string[] = [
  ...groupColumns.map((c) => c.name),
  ...aggregateColumns.map((c) => c.name),
];

/**
 * The two levels of the activity query: the inner SELECT computes each event's columns (lambdas stay in a plain
 * projection), the outer one groups by those columns by name — engines of the Presto family do not all accept a
 * lambda inside GROUP BY.
 */
export function activitySelect(projection: RequestProjection): { inner: string[]; outer: string[]; groupBy: string[] } {
  return {
    inner: [...groupColumns.map((c) => `${c.sql(projection)} AS ${c.name}`), 'eventtime', 'eventid'],
    outer: [...groupColumns.map((c) => c.name), ...aggregateColumns.map((c) => `${c.sql} AS ${c.name}`)],
    groupBy: groupColumns.map((c) => c.name),
  };
}

/**
 * The projection twin: the rows the activity query returns for these raw records (after its WHERE clause),
 * computed in memory with the same column list as the SQL. Tests feed its rows to the reader to prove that
 * aggregation loses nothing the mapping uses.
 */
export function projectionTwin(records: Iterable<unknown>, projection: RequestProjection): ActivityRow[] {
  const groups = new Map<
    string,
    { row: Record<string, string | null>; count: number; times: string[]; samples: [string, string][] }
  >();
  for (const record of records) {
    if (!isObject(record)) continue;
    const row: Record<string, string | null> = {};
    for (const column of groupColumns) row[column.name] = column.twin(record, projection);
    const key = JSON.stringify(groupColumns.map((c) => row[c.name]));
    let group = groups.get(key);
    if (group === undefined) {
      group = { row, count: 0, times: [], samples: [] };
      groups.set(key, group);
    }
    group.count += 1;
    const time = field(record, 'eventTime');
    if (time !== null) group.times.push(time);
    const id = field(record, 'eventID');
    if (time !== null && id !== null) group.samples.push([time + id, id]);
  }
  const least = (values: string[]) => values.reduce<string | null>((m, v) => (m === null || v < m ? v : m), null);
  const most = (values: string[]) => values.reduce<string | null>((m, v) => (m === null || v > m ? v : m), null);
  return [...groups.values()].map(({ row, count, times, samples }) => ({
    ...row,
    event_count: String(count),
    first_seen: least(times),
    last_seen: most(times),
    sample_event_id:
      samples.reduce<[string, string] | null>((m, s) => (m === null || s[0] < m[0] ? s : m), null)?.[1] ?? null,
  }));
}

/** A row turned back into a CloudTrail-shaped record, with how many events it stands for and when they happened. */
export interface RowObservation {
  readonly record: Json;
  readonly count: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** The `eventID` of the row's earliest event, as evidence. */
  readonly eventId?: string;
}

/**
 * Rebuilds the record a row stands for: the fields the pipeline reads, under their CloudTrail names, so the rest
 * of the pipeline cannot tell a row from a logged event. A row that cannot be read gives a one-line reason.
 */
export function observationOfRow(row: ActivityRow): RowObservation | { readonly error: string } {
  const value = (name: string) => {
    const v = row[name];
    return v === null || v === undefined ? undefined : v;
  };
  // count(*) as text is plain digits; `Number` would also take "0x10", "1e3" or " 5", which Athena never sends.
  const countText = value('event_count');
  const count = countText !== undefined && /^[1-9][0-9]*$/.test(countText) ? Number(countText) : Number.NaN;
  if (!Number.isSafeInteger(count)) return { error: `event_count ${JSON.stringify(row.event_count ?? null)}` };
  let requestParameters: unknown;
  let arns: unknown;
  try {
    requestParameters = JSON.parse(value('request_subset') ?? 'null');
    arns = JSON.parse(value('resource_arns') ?? 'null');
  } catch {
    return { error: 'request_subset or resource_arns is not JSON' };
  }
  if (!(requestParameters === null || isObject(requestParameters)) || !(arns === null || Array.isArray(arns))) {
    return { error: 'request_subset is not an object or resource_arns not an array' };
  }
  const issuer = compact({ arn: value('issuer_arn'), type: value('issuer_type') });
  const record = compact({
    eventSource: value('event_source'),
    eventName: value('event_name'),
    awsRegion: value('aws_region'),
    recipientAccountId: value('recipient_account_id'),
    eventType: value('event_type'),
    eventCategory: value('event_category'),
    errorCode: value('error_code'),
    errorMessage: value('error_denial'),
    eventTime: value('first_seen'),
    eventID: value('sample_event_id'),
    userIdentity: compact({
      type: value('identity_type'),
      arn: value('identity_arn'),
      accountId: value('identity_account'),
      invokedBy: value('invoked_by'),
      principalId: value('principal_id'),
      sessionContext: Object.keys(issuer).length === 0 ? undefined : { sessionIssuer: issuer },
    }),
    requestParameters: requestParameters ?? undefined,
    resources:
      arns === null
        ? undefined
        : (arns as unknown[]).filter((arn): arn is string => typeof arn === 'string').map((arn) => ({ ARN: arn })),
  });
  // A time that is not one is read as the local path reads the event's own: unknown (counted and reported as
  // untimed), so rows and raw events give the same policy.
  const firstSeen = isoTime(value('first_seen'));
  const lastSeen = isoTime(value('last_seen'));
  const eventId = value('sample_event_id');
  return {
    record,
    count,
    ...(firstSeen === undefined ? {} : { firstSeen }),
    ...(lastSeen === undefined ? {} : { lastSeen }),
    ...(eventId === undefined ? {} : { eventId }),
  };
}

/** Times as the pipeline writes them (`toISOString`), so rows and raw events compare and sort alike. */
function isoTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function compact(object: Record<string, unknown>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) out[key] = value;
  return out;
}
