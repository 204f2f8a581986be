import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
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

/**
 * An answer that is not an AWS error at all (a proxy's or load balancer's "Service Unavailable" page): the SDK
 * fails to parse it as JSON and its SyntaxError says nothing of the HTTP status, which is what matters.
 */
function unparsedAnswer(error: unknown): string | undefined {
  if (!(error instanceof SyntaxError)) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined ? undefined : `HTTP ${status} with an answer that is not JSON`;
}

/** What went wrong, in a few words: the SDK's error name, or what it means for credentials and access. */
function failureReason(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  return (
    unparsedAnswer(error) ?? credentialProblem(error) ?? (name === 'AccessDeniedException' ? 'access denied' : name)
  );
}

/** Errors of the Athena API as one line: the reason and the SDK's message. */
function apiFailure(what: string, error: unknown): RunFailure {
  if (error instanceof RunFailure) return error;
  const unparsed = unparsedAnswer(error);
  if (unparsed !== undefined) return new RunFailure(`Athena ${what} failed: ${unparsed}`);
  const message = error instanceof Error ? error.message : String(error);
  return new RunFailure(`Athena ${what} failed: ${failureReason(error)}: ${message.split('\n')[0]}`);
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

/** How long the one StopQueryExecution after a timeout, an interrupt or a failed poll may take. */
const stopBoundMs = 5000;

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
  // Cuts short the calls that start and wait for the query, even one that hangs: on an interrupt, or when
  // --athena-timeout runs out.
  const running = new AbortController();
  let signalName: string | undefined;
  // The first Ctrl-C stops the query in Athena; a second one leaves at once (the CLI's own signal handling).
  const unregister = onInterrupt((name) => {
    signalName = name;
    interrupt.abort();
    running.abort();
  });
  // setTimeout fires at once for a delay past 2^31 - 1 ms (24.8 days), which no Athena query comes near.
  const timer = setTimeout(() => running.abort(), Math.min(table.timeoutSeconds * 1000, 2 ** 31 - 1));
  // Without an id there is nothing to stop, though Athena may have started the query.
  const notStarted = () =>
    `${signalName === undefined ? `Athena StartQueryExecution did not answer within ${table.timeoutSeconds} s` : `interrupted (${signalName}) before Athena StartQueryExecution answered`}; if a query started, it was not stopped (see the workgroup's query history)`;
  let queryId: string | undefined;
  let finished = false;
  try {
    queryId = await start(client, query, table, running.signal, notStarted);
    const execution = await waitFor(client, queryId, running.signal);
    clearTimeout(timer);
    if (execution === undefined) {
      finished = true;
      const failed = await stop(client, queryId);
      const timedOut = `Athena query ${queryId} did not finish within ${table.timeoutSeconds} s`;
      const interrupted = `interrupted (${signalName}); Athena query ${queryId}`;
      if (failed === undefined)
        throw new RunFailure(signalName === undefined ? `${timedOut}; it was stopped` : `${interrupted} was stopped`);
      // The query goes on costing until Athena's own limit: the line says so and how to stop it.
      const left = `could not be stopped (${failed}); ${await stopByHand(client, queryId)}`;
      throw new RunFailure(signalName === undefined ? `${timedOut} and ${left}` : `${interrupted} ${left}`);
    }
    finished = true;
    const status = execution.QueryExecution?.Status;
    const state = status?.State ?? 'UNKNOWN';
    if (state === 'CANCELLED') throw new RunFailure(`Athena query ${queryId} was cancelled; no policy was produced`);
    if (state !== 'SUCCEEDED') {
      const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
      throw new RunFailure(`Athena query ${queryId} ${state}: ${reason.split('\n')[0]}`);
    }
    const bytes = execution.QueryExecution?.Statistics?.DataScannedInBytes ?? 0;
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
  } catch (error) {
    // A poll that failed leaves the query running: it is stopped, and the user told when that failed too.
    if (queryId !== undefined && !finished) {
      finished = true;
      const failed = await stop(client, queryId);
      if (failed !== undefined && error instanceof RunFailure) {
        throw new RunFailure(
          `${error.message}; Athena query ${queryId} could not be stopped (${failed}); ${await stopByHand(client, queryId)}`,
        );
      }
    }
    throw error;
  } finally {
    clearTimeout(timer);
    unregister();
  }
}

async function start(
  client: AthenaClient,
  query: AthenaQuery,
  table: AthenaTable,
  abortSignal: AbortSignal,
  notStarted: () => string,
): Promise<string> {
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
      { abortSignal },
    );
    if (started.QueryExecutionId === undefined) throw new RunFailure('Athena started no query (no execution id)');
    return started.QueryExecutionId;
  } catch (error) {
    if (abortSignal.aborted) throw new RunFailure(notStarted());
    throw apiFailure('StartQueryExecution', error);
  }
}

/**
 * Polls with a growing delay (`pollDelay`) until the query ends; `undefined` when `abortSignal` (an interrupt, the
 * timeout) came first, also in the middle of a poll.
 */
async function waitFor(
  client: AthenaClient,
  queryId: string,
  abortSignal: AbortSignal,
): Promise<GetQueryExecutionCommandOutput | undefined> {
  for (let polls = 0; ; polls += 1) {
    let last: GetQueryExecutionCommandOutput;
    try {
      last = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }), { abortSignal });
    } catch (error) {
      if (abortSignal.aborted) return undefined;
      throw apiFailure('GetQueryExecution', error);
    }
    const state = last.QueryExecution?.Status?.State;
    if (state !== 'QUEUED' && state !== 'RUNNING') return last;
    if (abortSignal.aborted) return undefined;
    await sleep(pollDelay(polls), abortSignal);
  }
}

/** Asks Athena once, within `stopBoundMs`, to stop the query; the reason when that failed. */
async function stop(client: AthenaClient, queryId: string): Promise<string | undefined> {
  const bound = AbortSignal.timeout(stopBoundMs);
  try {
    await client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }), { abortSignal: bound });
    return undefined;
  } catch (error) {
    return bound.aborted ? `no answer within ${stopBoundMs / 1000} s` : failureReason(error);
  }
}

/** The AWS CLI command that stops the query, in the client's region, since query ids are regional. */
async function stopByHand(client: AthenaClient, queryId: string): Promise<string> {
  const region = await client.config.region().catch(() => undefined);
  return `stop it with: aws athena stop-query-execution --query-execution-id ${queryId}${region === undefined ? '' : ` --region ${region}`}`;
}

/**
 * Result rows as column name → value, read page by page; the header row Athena puts first is skipped. An interrupt
 * ends the reading, also in the middle of a call.
 */
async function* resultRows(
  client: AthenaClient,
  queryId: string,
  interrupted: AbortSignal,
): AsyncGenerator<Record<string, string | null>> {
  let columns: string[] | undefined;
  let nextToken: string | undefined;
  do {
    let page: GetQueryResultsCommandOutput;
    try {
      page = await client.send(
        new GetQueryResultsCommand({ QueryExecutionId: queryId, MaxResults: 1000, NextToken: nextToken }),
        { abortSignal: interrupted },
      );
    } catch (error) {
      if (interrupted.aborted) return;
      throw apiFailure('GetQueryResults', error);
    }
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
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
}
