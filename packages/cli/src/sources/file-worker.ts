import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { AnalysisOptions, Issue, TrailAnalysisState } from '@iamgen/core';
import { iamCatalog } from '../catalog.js';
import { describeError, unreadable } from './log-content.js';
import { analyzeLogFile } from './log-file-analysis.js';

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
    };

/** Reads (when local) and analyzes one file; runs on a worker thread, or in the main thread without workers. */
export async function analyzeFileTask(task: FileTask): Promise<TrailAnalysisState> {
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

/**
 * Files up to this size are read into one buffer kept by the thread. A fresh buffer per file costs more than reading
 * it: the memory is mapped and faulted in anew each time, most of all on worker threads.
 */
const reusedBufferBytes = 16 * 1024 * 1024;
let reused = Buffer.allocUnsafe(0);

/**
 * A local file's bytes, read synchronously. Small files land in the thread's reused buffer: valid only until the
 * next read, which is safe because a file is analyzed to the end, synchronously, before the next one is read, and
 * nothing of it outlives its analysis.
 */
function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= reusedBufferBytes && size > reused.length)
      reused = Buffer.allocUnsafe(Math.min(size * 2, reusedBufferBytes));
    const target = size <= reusedBufferBytes ? reused : Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const got = readSync(fd, target, read, size - read, read);
      if (got === 0) break;
      read += got;
    }
    return target.subarray(0, read);
  } finally {
    closeSync(fd);
  }
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
