import type { AnalysisOptions, Issue, TrailAnalysisState } from '@iamgen/core';
import { TrailAnalysis } from '@iamgen/core';
import { iamCatalog } from '../catalog.js';
import { describeError, unreadable } from './log-content.js';
import { analyzeLogFile } from './log-file-analysis.js';
import { readWhole } from './read-whole.js';

/** A file for a worker: a local path it reads itself, or bytes already fetched (S3). */
export type FileTask =
  | {
      readonly kind: 'path';
      readonly path: string;
      readonly display: string;
      readonly size: number;
      readonly maxFileBytes: number;
      readonly options: AnalysisOptions;
    }
  | {
      readonly kind: 'bytes';
      readonly name: string;
      readonly display: string;
      readonly size: number;
      readonly content: Uint8Array;
      readonly maxFileBytes: number;
      readonly options: AnalysisOptions;
    }
  | {
      /** Local files next to each other in the read: one task, one merged analysis sent back. */
      readonly kind: 'paths';
      readonly files: readonly LocalFile[];
      readonly display: string;
      readonly size: number;
      readonly maxFileBytes: number;
      readonly options: AnalysisOptions;
    };

interface LocalFile {
  readonly path: string;
  readonly display: string;
  readonly size: number;
}

/**
 * Reads (when local) and analyzes one file, or a run of local files merged in their order; runs on a worker thread,
 * or in the main thread without workers.
 */
export async function analyzeFileTask(task: FileTask): Promise<TrailAnalysisState> {
  if (task.kind !== 'paths') return analyzeOneFile(task);
  const merged = new TrailAnalysis(iamCatalog(), task.options);
  for (const file of task.files) {
    merged.merge(analyzeOneFile({ kind: 'path', ...file, maxFileBytes: task.maxFileBytes, options: task.options }));
  }
  return merged.state();
}

function analyzeOneFile(task: Exclude<FileTask, { kind: 'paths' }>): TrailAnalysisState {
  const loaded = iamCatalog();
  if (task.kind === 'bytes') {
    return analyzeLogFile(
      { name: task.name, display: task.display, content: task.content, maxFileBytes: task.maxFileBytes },
      loaded,
      task.options,
    );
  }
  // Too big is known from the size alone: never read such a file into memory.
  if (task.size > task.maxFileBytes) {
    return unreadableFileState(
      unreadable(task.display, `larger than --max-file-bytes (${task.size} > ${task.maxFileBytes} bytes)`),
    );
  }
  let content: Buffer;
  try {
    content = readWhole(task.path);
  } catch (error) {
    return unreadableFileState(unreadable(task.display, describeError(error)));
  }
  return analyzeLogFile(
    { name: task.path, display: task.display, content, maxFileBytes: task.maxFileBytes },
    loaded,
    task.options,
  );
}

/** The analysis state of a file that could not be read at all. */
export function unreadableFileState(issue: Issue): TrailAnalysisState {
  return {
    counts: { recordsRead: 0, unreadableFiles: 1, malformedRecords: 0, outsideWindow: 0, prefiltered: 0 },
    span: { untimed: 0 },
    principals: [],
    excludedFromAll: [],
    problems: [issue],
    analyses: [],
  };
}
