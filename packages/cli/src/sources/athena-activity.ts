import {
  AthenaClient,
  GetQueryExecutionCommand,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { fromIni } from '@aws-sdk/credential-providers';
import { principalActivityQuery } from '@iamgen/athena-queries';
import type { Origin, Sighting } from '@iamgen/core';
import { resourceRequestFields } from '@iamgen/core';
import { RunFailure } from '../cli-io.js';
import type { AwsConnection } from '../current-policy/from-iam.js';

/** Where the CloudTrail table is and how to run queries on it. */
export interface AthenaTable {
  /** `database.table` or a table of `database`. */
  readonly table: string;
  readonly database?: string | undefined;
  readonly workgroup?: string | undefined;
  /** `s3://bucket/prefix/` for results, unless the work group sets one. */
  readonly output?: string | undefined;
  /** Region partitions to read (the table's partition projection needs them named). */
  readonly regions: readonly string[];
}

export interface AthenaRow {
  readonly record: Record<string, unknown>;
  readonly origin: Origin;
  readonly sighting: Sighting;
}

export function athenaClient(connection: AwsConnection): AthenaClient {
  return new AthenaClient({
    region: connection.region ?? 'us-east-1',
    ...(connection.endpointUrl === undefined ? {} : { endpoint: connection.endpointUrl }),
    ...(connection.profile === undefined ? {} : { credentials: fromIni({ profile: connection.profile }) }),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One principal's activity, aggregated in Athena (one row per distinct call with its count and first/last time),
 * turned back into CloudTrail records so the rest of the pipeline cannot tell rows from files.
 */
export async function* readAthenaActivity(
  client: AthenaClient,
  table: AthenaTable,
  principal: { readonly kind: 'role' | 'user'; readonly arn: string },
  window: { readonly since: string; readonly until: string },
  timing: { readonly pollMs: number; readonly timeoutMs: number } = { pollMs: 1000, timeoutMs: 30 * 60_000 },
): AsyncGenerator<AthenaRow> {
  const query = principalActivityQuery({
    table: table.table,
    principalArn: principal.arn,
    since: seconds(window.since),
    until: seconds(window.until),
    regions: table.regions,
    requestFields: resourceRequestFields,
  });
  const { QueryExecutionId: id } = await client.send(
    new StartQueryExecutionCommand({
      QueryString: query.sql,
      ExecutionParameters: [...query.parameters],
      ...(table.workgroup === undefined ? {} : { WorkGroup: table.workgroup }),
      ...(table.database === undefined ? {} : { QueryExecutionContext: { Database: table.database } }),
      ...(table.output === undefined ? {} : { ResultConfiguration: { OutputLocation: table.output } }),
    }),
  );
  if (id === undefined) throw new RunFailure(`Athena did not start the query on ${table.table}`);
  const deadline = Date.now() + timing.timeoutMs;
  for (;;) {
    const { QueryExecution: execution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = execution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED')
      throw new RunFailure(
        `Athena query ${id} on ${table.table} ${state.toLowerCase()}: ${execution?.Status?.StateChangeReason ?? 'no reason given'}`,
      );
    if (Date.now() > deadline) throw new RunFailure(`Athena query ${id} on ${table.table} did not finish in time`);
    await sleep(timing.pollMs);
  }
  let header: string[] | undefined;
  let index = 0;
  for await (const page of paginateGetQueryResults({ client }, { QueryExecutionId: id })) {
    for (const row of page.ResultSet?.Rows ?? []) {
      const values = (row.Data ?? []).map((datum) => datum.VarCharValue);
      if (header === undefined) {
        header = values.map((v) => (v ?? '').toLowerCase());
        continue;
      }
      const named = new Map(header.map((name, i) => [name, values[i]]));
      yield activityRow(named, principal, { source: `athena ${table.table}`, index });
      index += 1;
    }
  }
}

/** Athena's CloudTrail table keeps `eventtime` as written, to the second. */
function seconds(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

/** A request-field JSON path (`$.a.b`, `$["x-y"]`) as object keys. */
function pathKeys(path: string): string[] {
  return [...path.matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\["([^"]+)"\]/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** One aggregated row as the CloudTrail record it summarizes. */
export function activityRow(
  row: ReadonlyMap<string, string | undefined>,
  principal: { readonly kind: 'role' | 'user'; readonly arn: string },
  origin: Origin,
): AthenaRow {
  const requestParameters: Record<string, unknown> = {};
  resourceRequestFields.forEach((path, i) => {
    const value = row.get(`request_${i}`);
    if (value === undefined || value === '') return;
    const keys = pathKeys(path);
    let target = requestParameters;
    for (const key of keys.slice(0, -1)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (last !== undefined) target[last] = value;
  });
  const account = principal.arn.split(':')[4] ?? '';
  const name = principal.arn.slice(principal.arn.lastIndexOf('/') + 1);
  const invokedBy = row.get('invokedby') || undefined;
  const identity =
    principal.kind === 'role'
      ? {
          type: 'AssumedRole',
          arn: `arn:aws:sts::${account}:assumed-role/${name}/athena-aggregate`,
          accountId: account,
          sessionContext: { sessionIssuer: { type: 'Role', arn: principal.arn, accountId: account, userName: name } },
        }
      : { type: 'IAMUser', arn: principal.arn, accountId: account, userName: name };
  const lastSeen = row.get('last_seen') || undefined;
  const firstSeen = row.get('first_seen') || undefined;
  const errorCode = row.get('errorcode') || undefined;
  const record = {
    eventVersion: '1.09',
    eventSource: row.get('eventsource') ?? '',
    eventName: row.get('eventname') ?? '',
    awsRegion: row.get('awsregion') ?? '',
    recipientAccountId: row.get('recipientaccountid') ?? account,
    eventType: row.get('eventtype') ?? 'AwsApiCall',
    ...(lastSeen === undefined ? {} : { eventTime: lastSeen }),
    userIdentity: invokedBy === undefined ? identity : { ...identity, invokedBy },
    requestParameters,
    resources: (row.get('resource_arns') ?? '')
      .split(' ')
      .filter((arn) => arn !== '')
      .map((arn) => ({ ARN: arn })),
    ...(errorCode === undefined ? {} : { errorCode }),
  };
  return {
    record,
    origin,
    sighting: { count: Number(row.get('event_count') ?? '1') || 1, firstSeen, lastSeen },
  };
}
