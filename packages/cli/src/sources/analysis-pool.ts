import { availableParallelism } from 'node:os';
import type { TrailAnalysisState } from '@iamgen/core';
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
 * Files are decompressed, filtered, parsed and mapped on worker threads (one per core by default); each sends back
 * its file's distinct accesses, never events. With 0 workers, or when running from TypeScript sources (tests),
 * the same function runs in the main thread.
 */
export function analysisPool(workers: number): AnalysisPool {
  if (workers <= 0 || !workerScript.pathname.endsWith('.js') || import.meta.url.endsWith('.ts')) {
    return { threads: 0, analyze: analyzeFileTask, close: async () => {} };
  }
  const piscina = new Piscina<FileTask, TrailAnalysisState>({
    filename: workerScript.href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1000,
  });
  return {
    threads: workers,
    analyze: (task) => piscina.run(task),
    close: () => piscina.close({ force: true }),
  };
}
