import { resolve } from 'node:path';
import type { AnalysisOptions, IamCatalog } from '@iamgen/core';
import { isIssue, TrailAnalysis } from '@iamgen/core';
import type { CliIo } from './cli-io.js';
import { UsageError } from './cli-io.js';
import type { AwsConnection } from './current-policy/from-iam.js';
import { fileProgress } from './progress.js';
import type { AthenaRunSummary, AthenaTable } from './sources/athena.js';
import { activityQuery, athenaClient, readAthenaActivity } from './sources/athena.js';
import { readLocalRecords } from './sources/local-files.js';
import { cloudTrailClient, readLookupEvents } from './sources/lookup-events.js';
import { isS3Url, readS3Records, s3Client } from './sources/s3-objects.js';

export interface SourceOptions extends AwsConnection {
  /** Local files and folders, and `s3://bucket/prefix` trail locations. */
  readonly events: readonly string[];
  /** Regions to read through the LookupEvents API (management events of the last 90 days). */
  readonly lookupRegions: readonly string[];
  readonly concurrency: number;
  /** Read the trail through an Athena table instead: one aggregated query, run in Athena. */
  readonly athena?: AthenaTable | undefined;
}

export interface FedAnalysis {
  readonly analysis: TrailAnalysis;
  readonly files: number;
  /** False when every source was one that cannot hold data events (LookupEvents). */
  readonly dataEventsPossible: boolean;
  /** The Athena query that produced the rows, when the source was an Athena table. */
  readonly athena?: AthenaRunSummary;
}

/** At least one place to read events from, or a usage error. */
function requireSource(source: SourceOptions): void {
  if (source.athena !== undefined) {
    if (source.events.length > 0 || source.lookupRegions.length > 0) {
      throw new UsageError(
        '--athena-table reads the whole trail; it does not combine with --events or --lookup-events',
      );
    }
    return;
  }
  if (source.events.length === 0 && source.lookupRegions.length === 0) {
    throw new UsageError('give --events <file|folder|s3://bucket/prefix> or --lookup-events <region>');
  }
}

/** The sources as a person named them, for messages. */
export function describeSources(source: SourceOptions): string {
  return [
    ...source.events,
    ...source.lookupRegions.map((region) => `LookupEvents ${region}`),
    ...(source.athena === undefined ? [] : [`Athena table ${source.athena.table}`]),
  ].join(', ');
}

/** Streams every record of the sources through one analysis; only its folds stay in memory. */
export async function feedAnalysis(
  catalog: IamCatalog,
  options: AnalysisOptions,
  source: SourceOptions,
  io: CliIo,
): Promise<FedAnalysis> {
  requireSource(source);
  const analysis = new TrailAnalysis(catalog, options);
  const progress = fileProgress(io, 'reading');
  let files = 0;
  let athena: AthenaRunSummary | undefined;
  try {
    const common = {
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.until === undefined ? {} : { until: options.until }),
      concurrency: source.concurrency,
      onFileFound: () => {
        files += 1;
        progress.found();
      },
      onFileDone: () => progress.done(),
    };
    const local = source.events.filter((e) => !isS3Url(e)).map((path) => resolve(io.cwd, path));
    const remote = source.events.filter(isS3Url);
    const client = remote.length === 0 ? undefined : s3Client(source);
    const streams = [
      ...(local.length === 0 ? [] : [readLocalRecords(local, { ...common, displayRoot: io.cwd })]),
      ...remote.map((url) => readS3Records(url, client ?? s3Client(source), common)),
      ...source.lookupRegions.map((region) =>
        readLookupEvents(cloudTrailClient(source, region), region, {
          ...(options.since === undefined ? {} : { since: options.since }),
          ...(options.until === undefined ? {} : { until: options.until }),
        }),
      ),
      ...(source.athena === undefined
        ? []
        : [athenaRows(catalog, options, source, source.athena, (s) => (athena = s))]),
    ];
    for (const records of streams) {
      for await (const item of records) {
        if (isIssue(item)) analysis.addIssue(item);
        else
          analysis.addRecord(
            item.record,
            item.origin,
            'count' in item && typeof item.count === 'number' ? item.count : 1,
          );
      }
    }
  } finally {
    progress.stop();
  }
  return {
    analysis,
    files,
    dataEventsPossible: source.events.length > 0 || source.athena !== undefined,
    ...(athena === undefined ? {} : { athena }),
  };
}

/** The selected principals' activity, aggregated by Athena over the analysis window. */
function athenaRows(
  catalog: IamCatalog,
  options: AnalysisOptions,
  connection: AwsConnection,
  table: AthenaTable,
  onDone: (summary: AthenaRunSummary) => void,
) {
  if (options.since === undefined || options.until === undefined) {
    throw new UsageError('an Athena query needs a window (--since, --until)');
  }
  const query = activityQuery(catalog, {
    table: table.table,
    principals: options.selector === undefined ? 'all' : [options.selector],
    regions: table.regions,
    window: { since: options.since, until: options.until },
  });
  return readAthenaActivity(athenaClient(connection), query, table, onDone);
}
