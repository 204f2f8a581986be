/** A statement for Athena: SQL with positional `?` execution parameters, never interpolated user values. */
export interface AthenaQuery {
  readonly sql: string;
  readonly parameters: readonly string[];
}

export interface CloudTrailTableOptions {
  /** `database.table` or `table`; letters, digits and underscores only. */
  readonly table: string;
  /** `s3://bucket/prefix/AWSLogs/<account>/CloudTrail/` — the folder above the region folders. */
  readonly location: string;
  /** First day partition projection should consider, `YYYY/MM/DD`. */
  readonly projectionStart: string;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const s3Location = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()/-]*)?\/$/;
const day = /^\d{4}\/\d{2}\/\d{2}$/;

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`invalid ${what}: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The CloudTrail table over the S3 delivery layout, with partition projection on region and day so queries
 * read only the folders of their window. DDL takes no parameters, so every value is validated strictly instead.
 */
export function cloudTrailTableDdl(options: CloudTrailTableOptions): AthenaQuery {
  const table = checked(options.table, identifier, 'table name');
  const location = checked(options.location, s3Location, 'S3 location (s3://bucket/…/CloudTrail/)');
  const start = checked(options.projectionStart, day, 'projection start (YYYY/MM/DD)');
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
PARTITIONED BY (region STRING, day STRING)
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
  'storage.location.template' = '${location}\${region}/\${day}'
)`;
  return { sql, parameters: [] };
}

export interface PrincipalActivityQueryOptions {
  readonly table: string;
  /** Role ARN (matched against the session issuer) or user ARN. */
  readonly principalArn: string;
  /** Inclusive, ISO-8601 UTC. */
  readonly since: string;
  /** Exclusive, ISO-8601 UTC. */
  readonly until: string;
  /** Regions to read (partition values), as injected projection requires. */
  readonly regions: readonly string[];
  /** JSON paths in `requestparameters` that identify resources (`$.bucketName`, `$.key`, …), from the core catalog. */
  readonly requestFields: readonly string[];
}

const jsonPath = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\["[A-Za-z0-9_:.-]+"\])+$/;
const regionName = /^[a-z]{2}(-[a-z]+)+-\d$/;
const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * What a principal did, aggregated in Athena: one row per distinct (source, name, region, account, error,
 * resource fields) with its count and first/last time, so the CLI receives thousands of rows, not billions.
 */
export function principalActivityQuery(options: PrincipalActivityQueryOptions): AthenaQuery {
  const table = checked(options.table, identifier, 'table name');
  if (options.regions.length === 0) throw new Error('at least one region is needed');
  for (const region of options.regions) checked(region, regionName, 'region');
  for (const field of options.requestFields) checked(field, jsonPath, 'request field JSON path');
  checked(options.since, isoTime, 'since (ISO-8601 UTC)');
  checked(options.until, isoTime, 'until (ISO-8601 UTC)');
  const fields = options.requestFields.map((path, i) => ({ path, alias: `request_${i}` }));
  const extracted = fields.map((f) => `json_extract_scalar(requestparameters, '${f.path}') AS ${f.alias}`);
  const keys = [
    'eventsource',
    'eventname',
    'awsregion',
    'recipientaccountid',
    'errorcode',
    'eventtype',
    'useridentity.invokedby',
  ];
  const select = [
    ...keys,
    ...extracted,
    "array_join(transform(resources, r -> r.arn), ' ') AS resource_arns",
    'count(*) AS event_count',
    'min(eventtime) AS first_seen',
    'max(eventtime) AS last_seen',
  ];
  const groupBy = [
    ...keys,
    ...fields.map((f) => `json_extract_scalar(requestparameters, '${f.path}')`),
    "array_join(transform(resources, r -> r.arn), ' ')",
  ];
  const sql = [
    `SELECT ${select.join(',\n       ')}`,
    `FROM ${table}`,
    `WHERE (useridentity.sessioncontext.sessionissuer.arn = ? OR useridentity.arn = ?)`,
    `  AND region IN (${options.regions.map(() => '?').join(', ')})`,
    `  AND day >= ? AND day <= ?`,
    `  AND eventtime >= ? AND eventtime < ?`,
    `GROUP BY ${groupBy.join(',\n         ')}`,
    'ORDER BY event_count DESC',
  ].join('\n');
  const dayOf = (iso: string) => iso.slice(0, 10).replace(/-/g, '/');
  return {
    sql,
    parameters: [
      options.principalArn,
      options.principalArn,
      ...options.regions,
      dayOf(new Date(Date.parse(options.since) - 86400e3).toISOString()),
      dayOf(options.until),
      options.since,
      options.until,
    ],
  };
}
