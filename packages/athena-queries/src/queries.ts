import type { RequestProjection } from './projection.js';
import { activitySelect } from './projection.js';

/**
 * A statement for Athena: SQL with positional `?` placeholders, never interpolated user values, and the
 * `ExecutionParameters` that fill them, each a SQL literal as Athena requires (`'us-east-1'`, quotes doubled).
 */
export interface AthenaQuery {
  readonly sql: string;
  readonly parameters: readonly string[];
}

/** A value as an Athena execution parameter: a string literal, so it can only ever be data. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export interface CloudTrailTableOptions {
  /** `database.table` or `table`; letters, digits and underscores only. */
  readonly table: string;
  /**
   * A single-account trail: `s3://bucket/prefix/AWSLogs/<account>/CloudTrail/`, the folder above the regions.
   * An organization trail: `s3://bucket/prefix/AWSLogs/<org-id>/`, the folder above the accounts.
   */
  readonly location: string;
  /** For an organization trail: the member accounts to project (the account folders under `location`). */
  readonly accounts?: readonly string[];
  /** First day partition projection should consider, `YYYY/MM/DD`. */
  readonly projectionStart: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
// The location is written into string literals of the DDL (LOCATION, the projection template): no quote, backslash,
// `$`, space or control character can be part of it.
const s3Location = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*()/-]*)?\/$/;
const day = /^\d{4}\/\d{2}\/\d{2}$/;
const accountId = /^\d{12}$/;
const organizationFolder = /\/AWSLogs\/o-[a-z0-9]{10,32}\/$/;

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`invalid ${what}: ${JSON.stringify(value)}`);
  return value;
}

/** Whether `YYYY/MM/DD` is a day the calendar has (not 2024/13/45 or 2023/02/29). */
function calendarDay(text: string): boolean {
  const [year, month, date] = text.split('/').map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(year, month - 1, date));
  return month >= 1 && month <= 12 && parsed.getUTCDate() === date && parsed.getUTCMonth() === month - 1;
}

/**
 * The CloudTrail table over the S3 delivery layout, with partition projection on region and day so queries
 * read only the folders of their window. DDL takes no parameters, so every value is validated strictly instead.
 */
export function cloudTrailTableDdl(options: CloudTrailTableOptions): AthenaQuery {
  const table = checked(options.table, identifier, 'table name');
  const location = checked(options.location, s3Location, 'S3 location (s3://bucket/…/CloudTrail/)');
  const start = checked(options.projectionStart, day, 'projection start (YYYY/MM/DD)');
  if (!calendarDay(start)) throw new Error(`invalid projection start (YYYY/MM/DD): ${JSON.stringify(start)}`);
  const accounts = options.accounts ?? [];
  for (const account of accounts) checked(account, accountId, 'account id');
  const organization = organizationFolder.test(location);
  if (organization && accounts.length === 0) {
    throw new Error('an organization trail location needs the member accounts to project (--accounts)');
  }
  if (!organization && accounts.length > 0) {
    throw new Error('--accounts is for an organization trail location (s3://bucket/…/AWSLogs/o-…/)');
  }
  // Organization trails add an account folder: `AWSLogs/<org-id>/<account>/CloudTrail/<region>/<day>`.
  const partitions = organization ? 'account STRING, region STRING, day STRING' : 'region STRING, day STRING';
  const accountProjection = organization
    ? `  'projection.account.type' = 'enum',\n  'projection.account.values' = '${[...accounts].sort().join(',')}',\n`
    : '';
  const template = organization
    ? `${location}\${account}/CloudTrail/\${region}/\${day}`
    : `${location}\${region}/\${day}`;
  const sql = `CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (
  eventversion STRING,
  useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
    accesskeyid: STRING, username: STRING,
    sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  recipientaccountid STRING,
  vpcendpointid STRING,
  eventcategory STRING
)
PARTITIONED BY (${partitions})
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${location}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.day.type' = 'date',
  'projection.day.range' = '${start},NOW',
  'projection.day.format' = 'yyyy/MM/dd',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'projection.region.type' = 'injected',
${accountProjection}  'storage.location.template' = '${template}'
)`;
  return { sql, parameters: [] };
}

/** A role or user by name or IAM ARN; `*` and `?` are wildcards. */
export interface PrincipalPattern {
  readonly kind: 'role' | 'user';
  readonly value: string;
}

export interface PrincipalActivityQueryOptions {
  readonly table: string;
  /** Whose activity: some roles and users, or every principal in the table. */
  readonly principals: readonly PrincipalPattern[] | 'all';
  /** Inclusive, ISO-8601 UTC. */
  readonly since: string;
  /** Exclusive, ISO-8601 UTC. */
  readonly until: string;
  /** Regions to read (partition values), as injected projection requires. */
  readonly regions: readonly string[];
  /** What of each request the rows keep, from the mapping catalog. */
  readonly projection: RequestProjection;
}

const regionName = /^[a-z]{2}(-[a-z]+)+-\d$/;
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The ARN that holds the permissions: the session issuer for roles and federated users, else the caller. */
const principalArn = 'coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn)';

/**
 * LIKE patterns that every ARN a selector can match satisfies, for every form the log may name the principal
 * in (role ARN with or without a path, assumed-role session, user, federated user). They only narrow what Athena
 * reads: the exact selection (paths, globs, accounts) is made again on the rows, so a pattern may match more
 * (`_` in a name is a LIKE wildcard) but never less.
 */
export function principalLikePatterns(principal: PrincipalPattern): string[] {
  if (principal.value === '') throw new Error(`empty ${principal.kind} name`);
  const like = (glob: string) => glob.replace(/\*/g, '%').replace(/\?/g, '_');
  let account = '%';
  let name = principal.value;
  if (principal.value.startsWith('arn:')) {
    const parts = principal.value.split(':');
    account = like(parts[4] ?? '') || '%';
    const resource = parts.slice(5).join(':');
    name = resource.slice(resource.lastIndexOf('/') + 1);
    if (name === '') throw new Error(`no ${principal.kind} name in ${JSON.stringify(principal.value)}`);
  }
  const n = like(name);
  return principal.kind === 'role'
    ? [
        `arn:%:iam::${account}:role/${n}`,
        `arn:%:iam::${account}:role/%/${n}`,
        `arn:%:sts::${account}:assumed-role/${n}/%`,
      ]
    : [
        `arn:%:iam::${account}:user/${n}`,
        `arn:%:iam::${account}:user/%/${n}`,
        `arn:%:sts::${account}:federated-user/${n}`,
      ];
}

/**
 * What principals did, aggregated in Athena: one row per principal and distinct call shape (source, name, region,
 * account, error, the request entries and resources the mapping reads) with its count and first/last time, so
 * the CLI receives thousands of rows, not billions, in one query for any number of principals.
 */
export function principalActivityQuery(options: PrincipalActivityQueryOptions): AthenaQuery {
  const table = checked(options.table, identifier, 'table name');
  if (options.regions.length === 0) throw new Error('at least one region is needed');
  for (const region of options.regions) checked(region, regionName, 'region');
  checked(options.since, isoTime, 'since (ISO-8601 UTC)');
  checked(options.until, isoTime, 'until (ISO-8601 UTC)');
  if (options.since >= options.until) throw new Error(`since ${options.since} is not before until ${options.until}`);
  const patterns = options.principals === 'all' ? [] : [...new Set(options.principals.flatMap(principalLikePatterns))];
  if (options.principals !== 'all' && patterns.length === 0) throw new Error('no principal selected');
  const { inner, outer, groupBy } = activitySelect(options.projection);
  const sql = [
    `SELECT ${outer.join(',\n       ')}`,
    'FROM (',
    `  SELECT ${inner.join(',\n         ')}`,
    `  FROM ${table}`,
    `  WHERE region IN (${options.regions.map(() => '?').join(', ')})`,
    '    AND day >= ? AND day <= ?',
    '    AND eventtime >= ? AND eventtime < ?',
    ...(patterns.length === 0
      ? []
      : [`    AND (${patterns.map(() => `${principalArn} LIKE ?`).join('\n         OR ')})`]),
    ') AS events',
    `GROUP BY ${groupBy.join(', ')}`,
    'ORDER BY event_count DESC',
  ].join('\n');
  const dayOf = (iso: string) => iso.slice(0, 10).replace(/-/g, '/');
  return {
    sql,
    parameters: [
      ...options.regions,
      // A file lands in the folder of its delivery day, which can trail its events' time by up to a day.
      dayOf(options.since),
      dayOf(new Date(Date.parse(options.until) + 86400e3 - 1).toISOString()),
      options.since,
      options.until,
      ...patterns,
    ].map(literal),
  };
}
