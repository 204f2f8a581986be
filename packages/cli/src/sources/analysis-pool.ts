import { availableParallelism } from 'node:os';
import type { IamCatalog, TrailAnalysisState } from '@iamgen/core';
import { Piscina } from 'piscina';
import type { FileTask } from './file-worker.js';
import { analyzeFileTask } from './file-worker.js';

export interface AnalysisPool {
  readonly threads: number;
  analyze(task: FileTask): Promise<TrailAnalysisState>;
  close(): Promise<void>;
}

/** Workers used when none are asked for: one per core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

const workerScript = new URL('./file-worker.js', import.meta.url);

/**
 * Bytes read in the main thread before workers start (gzip counted at a typical 8× ratio): a small read is over
 * before a thread holding the catalog would be ready, about a second on two cores.
 */
const bytesBeforeWorkers = 4 * 1024 * 1024;

/**
 * Files are decompressed, filtered, parsed and mapped on worker threads (one per core by default); each sends back
 * its file's distinct accesses, never events. The first few megabytes, every file with 0 workers, and every file when
 * running from TypeScript sources (tests) are analyzed by the same function in the main thread; where a file was
 * analyzed never changes the result, since results are merged in the order files were found.
 */
export function analysisPool(workers: number, catalog: IamCatalog): AnalysisPool {
  if (workers <= 0 || import.meta.url.endsWith('.ts')) {
    return { threads: 0, analyze: analyzeFileTask, close: async () => {} };
  }
  let piscina: Piscina<FileTask, TrailAnalysisState> | undefined;
  let seen = 0;
  return {
    threads: workers,
    analyze: (task) => {
      seen += task.size * (/\.gz$/i.test(task.display) ? 8 : 1);
      if (piscina === undefined && seen <= bytesBeforeWorkers) return analyzeFileTask(task);
      piscina ??= new Piscina<FileTask, TrailAnalysisState>({
        filename: workerScript.href,
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 1000,
        workerData: { catalog: catalog.services() },
      });
      return piscina.run(task);
    },
    close: async () => {
      await piscina?.close({ force: true });
    },
  };
}
