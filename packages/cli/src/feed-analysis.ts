import { resolve } from 'node:path';
import type { AnalysisOptions, IamCatalog } from '@iamgen/core';
import { isIssue, TrailAnalysis } from '@iamgen/core';
import type { AwsConnection } from './aws-clients.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from './cli-io.js';
import { fileProgress } from './progress.js';
import { readLocalRecords } from './sources/local-files.js';
import { cloudTrailClient, readLookupEvents } from './sources/lookup-events.js';
import { isS3Url, readS3Records, s3Client } from './sources/s3-objects.js';

export interface SourceOptions extends AwsConnection {
  /** Local files and folders, and `s3://bucket/prefix` trail locations. */
  readonly events: readonly string[];
  /** Regions to read through the LookupEvents API (management events of the last 90 days). */
  readonly lookupRegions: readonly string[];
  readonly concurrency: number;
}

export interface FedAnalysis {
  readonly analysis: TrailAnalysis;
  readonly files: number;
  /** False when every source was one that cannot hold data events (LookupEvents). */
  readonly dataEventsPossible: boolean;
}

/** At least one place to read events from, or a usage error. */
function requireSource(source: SourceOptions): void {
  if (source.events.length === 0 && source.lookupRegions.length === 0) {
    throw new UsageError('give --events <file|folder|s3://bucket/prefix> or --lookup-events <region>');
  }
}

/** The sources as a person named them, for messages. */
export function describeSources(source: SourceOptions): string {
  return [...source.events, ...source.lookupRegions.map((region) => `LookupEvents ${region}`)].join(', ');
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
      ...remote.map((url) =>
        readS3Records(url, client ?? s3Client(source), { ...common, maxAttempts: source.maxAttempts }),
      ),
      ...source.lookupRegions.map((region) =>
        readLookupEvents(cloudTrailClient(source, region), region, {
          ...(options.since === undefined ? {} : { since: options.since }),
          ...(options.until === undefined ? {} : { until: options.until }),
        }),
      ),
    ];
    for (const records of streams) {
      for await (const item of records) {
        if (isIssue(item)) analysis.addIssue(item);
        else analysis.addRecord(item.record, item.origin);
      }
    }
  } finally {
    progress.stop();
  }
  return { analysis, files, dataEventsPossible: source.events.length > 0 };
}
