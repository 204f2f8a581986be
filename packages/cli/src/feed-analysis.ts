import { resolve } from 'node:path';
import type { AnalysisOptions, IamCatalog } from '@iamgen/core';
import { isIssue, TrailAnalysis } from '@iamgen/core';
import type { CliIo } from './cli-io.js';
import { fileProgress } from './progress.js';
import { readLocalRecords } from './sources/local-files.js';

export interface SourceOptions {
  readonly events: readonly string[];
  readonly concurrency: number;
}

export interface FedAnalysis {
  readonly analysis: TrailAnalysis;
  readonly files: number;
}

/** Streams every record of the sources through one analysis; only its folds stay in memory. */
export async function feedAnalysis(
  catalog: IamCatalog,
  options: AnalysisOptions,
  source: SourceOptions,
  io: CliIo,
): Promise<FedAnalysis> {
  const analysis = new TrailAnalysis(catalog, options);
  const progress = fileProgress(io, 'reading');
  let files = 0;
  try {
    const records = readLocalRecords(
      source.events.map((path) => resolve(io.cwd, path)),
      {
        ...(options.since === undefined ? {} : { since: options.since }),
        ...(options.until === undefined ? {} : { until: options.until }),
        concurrency: source.concurrency,
        displayRoot: io.cwd,
        onFileFound: () => {
          files += 1;
          progress.found();
        },
        onFileDone: () => progress.done(),
      },
    );
    for await (const item of records) {
      if (isIssue(item)) analysis.addIssue(item);
      else analysis.addRecord(item.record, item.origin);
    }
  } finally {
    progress.stop();
  }
  return { analysis, files };
}
