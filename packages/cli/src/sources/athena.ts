import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { AthenaQuery } from '@iamgen/athena-queries';
import { activityColumnNames, observationOfRow } from '@iamgen/athena-queries';
import { regionalClient } from '../aws-clients.js';
import type { AwsConnection } from '../aws-connection.js';
import { credentialProblem } from '../aws-connection.js';
import { RunFailure } from '../cli-io.js';
import { onInterrupt } from '../signals.js';
import type { AthenaObservation, AthenaRunSummary, AthenaTable } from './athena-query.js';
import { pollDelay, queryCost } from './athena-query.js';

/** Retries of throttling and 5xx answers, by the SDK, with its backoff. */
const maxAttempts = 6;

/** Athena is regional (the table's catalog lives in one region): without a region it is a usage error. */
export function athenaClient(connection: AwsConnection): Promise<AthenaClient> {
  return regionalClient(
    'Athena',
    { ...connection, maxAttempts: connection.maxAttempts ?? maxAttempts },
    (config) => new AthenaClient(config),
  );
}

/** Errors of the Athena API as one line: the SDK's error name says what went wrong. */
function apiFailure(what: string, error: unknown): RunFailure {
  if (error instanceof RunFailure) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const hint = credentialProblem(error) ?? (name === 'AccessDeniedException' ? 'access denied' : name);
  return new RunFailure(`Athena ${what} failed: ${hint}: ${message.split('\n')[0]}`);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Runs the activity query and yields its rows as observations. The query is stopped when the process is
 * interrupted (SIGINT, SIGTERM) or runs past the timeout; any end other than SUCCEEDED fails the run, so
 * partial rows are never taken for the whole.
 */
export async function* readAthenaActivity(
  client: AthenaClient,
  query: AthenaQuery,
  table: AthenaTable,
  onDone: (summary: AthenaRunSummary) => void,
): AsyncGenerator<AthenaObservation> {
  const interrupt = new AbortController();
  let signalName: string | undefined;
  // The first Ctrl-C stops the query in Athena; a second one leaves at once (the CLI's own signal handling).
  const unregister = onInterrupt((name) => {
    signalName = name;
    interrupt.abort();
  });
  let queryId: string | undefined;
  let finished = false;
  try {
    queryId = await start(client, query, table);
    const execution = await waitFor(client, queryId, table.timeoutSeconds, interrupt.signal);
    const status = execution?.QueryExecution?.Status;
    const state = status?.State ?? 'UNKNOWN';
    if (state === 'RUNNING' || state === 'QUEUED') {
      finished = true;
      await stop(client, queryId);
      throw new RunFailure(
        signalName === undefined
          ? `Athena query ${queryId} did not finish within ${table.timeoutSeconds} s; it was stopped`
          : `interrupted (${signalName}); Athena query ${queryId} was stopped`,
      );
    }
    finished = true;
    if (state === 'CANCELLED') throw new RunFailure(`Athena query ${queryId} was cancelled; no policy was produced`);
    if (state !== 'SUCCEEDED') {
      const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
      throw new RunFailure(`Athena query ${queryId} ${state}: ${reason.split('\n')[0]}`);
    }
    const bytes = execution?.QueryExecution?.Statistics?.DataScannedInBytes ?? 0;
    let rows = 0;
    const source = `athena:${queryId}`;
    for await (const row of resultRows(client, queryId, interrupt.signal)) {
      const observation = observationOfRow(row);
      const origin = { source, index: rows };
      rows += 1;
      // A row iamgen cannot read stands for events it would miss: the run fails rather than grant too little.
      if ('error' in observation) {
        throw new RunFailure(
          `Athena query ${queryId} returned a row iamgen cannot read (row ${rows}: ${observation.error})`,
        );
      }
      const { record, ...sighting } = observation;
      yield { record, origin, sighting };
    }
    if (signalName !== undefined)
      throw new RunFailure(`interrupted (${signalName}) while reading the results of ${queryId}`);
    onDone({ queryId, state, dataScannedBytes: bytes, costUsd: queryCost(bytes), rows });
  } finally {
    unregister();
    if (queryId !== undefined && !finished) await stop(client, queryId);
  }
}

async function start(client: AthenaClient, query: AthenaQuery, table: AthenaTable): Promise<string> {
  const dot = table.table.indexOf('.');
  try {
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: query.sql,
        ...(query.parameters.length === 0 ? {} : { ExecutionParameters: [...query.parameters] }),
        QueryExecutionContext: {
          ...(dot === -1 ? {} : { Database: table.table.slice(0, dot) }),
          ...(table.catalog === undefined ? {} : { Catalog: table.catalog }),
        },
        ...(table.workgroup === undefined ? {} : { WorkGroup: table.workgroup }),
        ...(table.outputLocation === undefined
          ? {}
          : { ResultConfiguration: { OutputLocation: table.outputLocation } }),
      }),
    );
    if (started.QueryExecutionId === undefined) throw new RunFailure('Athena started no query (no execution id)');
    return started.QueryExecutionId;
  } catch (error) {
    throw apiFailure('StartQueryExecution', error);
  }
}

/** Polls with a growing delay (`pollDelay`) until the query ends, the time is up, or an interrupt. */
async function waitFor(
  client: AthenaClient,
  queryId: string,
  timeoutSeconds: number,
  interrupted: AbortSignal,
): Promise<GetQueryExecutionCommandOutput | undefined> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let polls = 0;
  let last: GetQueryExecutionCommandOutput | undefined;
  for (;;) {
    try {
      last = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    } catch (error) {
      throw apiFailure('GetQueryExecution', error);
    }
    const state = last.QueryExecution?.Status?.State;
    if (state !== 'QUEUED' && state !== 'RUNNING') return last;
    if (interrupted.aborted || Date.now() >= deadline) return last;
    await sleep(Math.min(pollDelay(polls), Math.max(0, deadline - Date.now())), interrupted);
    polls += 1;
  }
}

async function stop(client: AthenaClient, queryId: string): Promise<void> {
  try {
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }));
  } catch {
    // The run fails anyway; a query that cannot be stopped ends on Athena's own timeout.
  }
}

/** Result rows as column name → value, read page by page; the header row Athena puts first is skipped. */
async function* resultRows(
  client: AthenaClient,
  queryId: string,
  interrupted: AbortSignal,
): AsyncGenerator<Record<string, string | null>> {
  let columns: string[] | undefined;
  try {
    for await (const page of paginateGetQueryResults({ client, pageSize: 1000 }, { QueryExecutionId: queryId })) {
      const rows = page.ResultSet?.Rows ?? [];
      let first = 0;
      if (columns === undefined) {
        columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
        const missing = activityColumnNames.filter((name) => !columns?.includes(name));
        if (missing.length > 0 && rows.length > 0) {
          throw new RunFailure(
            `Athena query ${queryId} returned other columns than iamgen's activity query (missing ${missing.join(', ')})`,
          );
        }
        const header = rows[0]?.Data?.map((d) => d.VarCharValue ?? '');
        if (header !== undefined && header.join('\u0000') === columns.join('\u0000')) first = 1;
      }
      for (const row of rows.slice(first)) {
        const values: Record<string, string | null> = {};
        for (const [i, name] of columns.entries()) values[name] = row.Data?.[i]?.VarCharValue ?? null;
        yield values;
      }
      if (interrupted.aborted) return;
    }
  } catch (error) {
    throw apiFailure('GetQueryResults', error);
  }
}
