import { availableParallelism } from 'node:os';
import type { TrailAnalysisState } from '@iamgen/core';
import { Piscina } from 'piscina';
import type { FileTask } from './file-worker.js';
import { analyzeFileTask } from './file-worker.js';

export interface AnalysisPool {
  readonly threads: number;
  /** Worker threads that took part so far (0 when the read stayed in the main thread). */
  threadsUsed(): number;
  analyze(task: FileTask): Promise<TrailAnalysisState>;
  close(): Promise<void>;
}

const workerScript = new URL('./file-worker.js', import.meta.url);

/**
 * Bytes read in the main thread before workers start (gzip counted at a typical 8× ratio): a small read is over
 * before threads would be up. A run with a cache analyzes only the files added since the last one (a nightly run:
 * a few dozen), which the main thread finishes sooner than threads that must start and warm up first: 25 new files
 * among 2,500 cached ones took 0.67 s instead of 0.93 s. A first run with a cache took the same time either way.
 */
export function bytesBeforeWorkers(asked: number | 'auto', cached: boolean): number {
  if (asked !== 'auto') return 0;
  return (cached ? 32 : 4) * 1024 * 1024;
}

/**
 * Files are decompressed, filtered, parsed and mapped on worker threads; each sends back its file's distinct
 * accesses, never events. `auto` uses one thread per core and keeps the first few megabytes in the main thread;
 * with 0 workers, or when running from TypeScript sources (tests), every file is analyzed by the same function in
 * the main thread. Where a file was analyzed never changes the result: results are merged in the order files were found.
 */
export function analysisPool(asked: number | 'auto', cached: boolean): AnalysisPool {
  const workers = asked === 'auto' ? availableParallelism() : asked;
  const threshold = bytesBeforeWorkers(asked, cached);
  if (workers <= 0 || import.meta.url.endsWith('.ts')) {
    return { threads: 0, threadsUsed: () => 0, analyze: analyzeFileTask, close: async () => {} };
  }
  let piscina: Piscina<FileTask, TrailAnalysisState> | undefined;
  let seen = 0;
  return {
    threads: workers,
    threadsUsed: () => (piscina === undefined ? 0 : workers),
    analyze: (task) => {
      seen += task.size * (/\.gz$/i.test(task.display) ? 8 : 1);
      if (piscina === undefined && threshold > 0 && seen <= threshold) return analyzeFileTask(task);
      piscina ??= new Piscina<FileTask, TrailAnalysisState>({
        filename: workerScript.href,
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 1000,
      });
      return piscina.run(task, { name: 'analyzeFileTask' });
    },
    close: async () => {
      await piscina?.close({ force: true });
    },
  };
}
