import type { AthenaQuery, PrincipalPattern } from '@iamgen/athena-queries';
import { principalActivityQuery } from '@iamgen/athena-queries';
import type { IamCatalog, Origin, PrincipalSelection, Sighting } from '@iamgen/core';
import { resourceRequestFields } from '@iamgen/core';
import { UsageError } from '../cli-io.js';
import { parseTimeBound } from '../time-window.js';

/** Where and how to run the activity query. */
export interface AthenaTable {
  /** `database.table` (or a table of the workgroup's default database). */
  readonly table: string;
  readonly workgroup?: string | undefined;
  /** `s3://…` for results, when the workgroup does not set one. */
  readonly outputLocation?: string | undefined;
  /** Data catalog, `AwsDataCatalog` unless told. */
  readonly catalog?: string | undefined;
  /** Regions (partition values) to read. */
  readonly regions: readonly string[];
  /** How long the query may take before it is stopped and the run fails. */
  readonly timeoutSeconds: number;
}

/** What one query cost and how it ended; goes into the report. */
export interface AthenaRunSummary {
  readonly queryId: string;
  readonly state: string;
  readonly dataScannedBytes: number;
  /** At the public price: $5 per TB scanned, rounded up to the MB, 10 MB minimum. */
  readonly costUsd: number;
  readonly rows: number;
}

/** One aggregated row as the sources' common item: a CloudTrail-shaped record and the events it stands for. */
export interface AthenaObservation {
  readonly record: unknown;
  readonly origin: Origin;
  readonly sighting: Sighting;
}

/** Without `--since`, an Athena query reads this far back: every day folder is a cost. */
const defaultAthenaSince = '90d';

/** The window of an Athena query: `--since` (default 90 days) up to `--until` (default now), second precision. */
export function athenaWindow(
  since: string | undefined,
  until: string | undefined,
  now: Date,
): { since: string; until: string } {
  const seconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
  return {
    since: seconds(parseTimeBound('since', since ?? defaultAthenaSince, now)),
    until: seconds(until === undefined ? now.toISOString() : parseTimeBound('until', until, now)),
  };
}

/**
 * The one builder of the activity query: `iamgen athena query` prints what this returns and
 * `from-trail --athena-table` runs it, so a reviewed query is the query that runs.
 */
export function activityQuery(
  catalog: IamCatalog,
  options: {
    table: string;
    principals: readonly PrincipalPattern[] | 'all';
    regions: readonly string[];
    window: { since: string; until: string };
  },
): AthenaQuery {
  try {
    return principalActivityQuery({
      table: options.table,
      principals: options.principals,
      regions: options.regions,
      since: options.window.since,
      until: options.window.until,
      projection: resourceRequestFields(catalog),
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Whom the query reads: the selectors, or everyone (`--all`; the exact selection is made on the rows). */
export function athenaPrincipals(selection: PrincipalSelection): readonly PrincipalPattern[] | 'all' {
  return selection.all || selection.selectors.length === 0 ? 'all' : selection.selectors;
}

const pricePerTerabyte = 5;
const megabyte = 1024 ** 2;

/** Athena's public price: $5 per TB scanned, billed by the MB (rounded up) with a 10 MB minimum per query. */
export function queryCost(bytes: number): number {
  const megabytes = Math.max(10, Math.ceil(bytes / megabyte));
  return (megabytes * pricePerTerabyte) / 1024 ** 2;
}

/** One line for stderr: which query, how it ended, what it read and cost. */
export function athenaSummaryLine(summary: AthenaRunSummary): string {
  const scanned =
    summary.dataScannedBytes >= 1024 ** 3
      ? `${(summary.dataScannedBytes / 1024 ** 3).toFixed(2)} GB`
      : `${(summary.dataScannedBytes / megabyte).toFixed(1)} MB`;
  return `athena: query ${summary.queryId} ${summary.state}, ${summary.rows} rows, scanned ${scanned}, cost ${dollars(summary.costUsd)} (at $${pricePerTerabyte}/TB, 10 MB minimum)`;
}

/**
 * Dollars as a bill shows them: cents from one cent up; below, two significant digits, so the 10 MB minimum reads
 * $0.000048 rather than a misleading $0.0000.
 */
function dollars(usd: number): string {
  const rounded = Number(usd.toPrecision(2));
  if (rounded >= 0.01 || rounded <= 0) return `$${usd.toFixed(2)}`;
  return `$${rounded.toFixed(1 - Math.floor(Math.log10(rounded)))}`;
}

/**
 * The wait before GetQueryExecution's next poll (the first is 0): 0.2 s, growing by 1.6 each time, at most 5 s, so
 * a short query is seen soon and a long one costs a call every 5 s.
 */
export function pollDelay(poll: number): number {
  return Math.min(5000, 200 * 1.6 ** poll);
}
