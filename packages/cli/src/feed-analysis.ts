import { dirname, resolve } from 'node:path';
import type { AnalysisOptions, IamCatalog, TrailAnalysisState } from '@iamgen/core';
import { emptySelection, isIssue, TrailAnalysis } from '@iamgen/core';
import type { AwsConnection } from './aws-connection.js';
import type { CacheStats, FileIdentity } from './cache.js';
import { AnalysisCache, checkCacheFolder, spanInsideWindow } from './cache.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from './cli-io.js';
import { fileProgress } from './progress.js';
import type { AnalysisPool } from './sources/analysis-pool.js';
import { analysisPool } from './sources/analysis-pool.js';
import type { AthenaRunSummary, AthenaTable } from './sources/athena-query.js';
import { activityQuery, athenaPrincipals } from './sources/athena-query.js';
import type { FileTask } from './sources/file-worker.js';
import { unreadableFileState } from './sources/file-worker.js';
import { listLocalLogFiles } from './sources/local-files.js';
import { defaultMaxFileBytes, inOrder, unreadable } from './sources/log-content.js';

export interface SourceOptions extends AwsConnection {
  /** Local files and folders, and `s3://bucket/prefix` trail locations. */
  readonly events: readonly string[];
  /** Regions to read through the LookupEvents API (management events of the last 90 days). */
  readonly lookupRegions: readonly string[];
  /** Files fetched and held at once (at least two per worker). */
  readonly concurrency: number;
  /**
   * Worker threads that decompress, filter, parse and map files; 0 runs everything in the main thread; `auto` uses
   * one per core once the input is big enough to be worth starting them.
   */
  readonly workers: number | 'auto';
  /** Folder of per-file analyses kept between runs, so a re-run reads only new files. */
  readonly cache?: string | undefined;
  /** Cap on one log file's size, on disk and decompressed (`--max-file-bytes`). */
  readonly maxFileBytes?: number | undefined;
  /** Read the trail through an Athena table instead: one aggregated query, run in Athena. */
  readonly athena?: AthenaTable | undefined;
}

export interface FedAnalysis {
  readonly analysis: TrailAnalysis;
  readonly files: number;
  /** False when every source was one that cannot hold data events (LookupEvents). */
  readonly dataEventsPossible: boolean;
  /** Worker threads the read used (0: all in the main thread). */
  readonly workerThreads: number;
  /** How the cache served the read, when one was given. */
  readonly cache?: CacheStats;
  /** The Athena query that produced the rows, when the source was an Athena table. */
  readonly athena?: AthenaRunSummary;
  /** When the newest CloudTrail log file found was delivered, from its name (ISO-8601), if any name said. */
  readonly newestDelivery?: string;
}

/** `123456789012_CloudTrail_us-east-1_20240501T0816Z_k3Jh.json.gz` → `2024-05-01T08:16:00.000Z`, as event times. */
export function deliveryTimeOf(location: string): string | undefined {
  const match = /_CloudTrail_[^_/]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(location);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute] = match;
  return `${year}-${month}-${day}T${hour}:${minute}:00.000Z`;
}

function isS3Url(value: string): boolean {
  return value.startsWith('s3://');
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

/**
 * Reads every source once into one analysis that serves every selected principal. Files go through worker threads
 * and come back as per-file folds, merged in the order the files were found, so the result does not depend on
 * timing or on the number of workers; only folds stay in memory.
 */
export async function feedAnalysis(
  catalog: IamCatalog,
  options: AnalysisOptions,
  source: SourceOptions,
  io: CliIo,
): Promise<FedAnalysis> {
  requireSource(source);
  if (source.cache !== undefined) await checkCacheFolder(resolve(io.cwd, source.cache), source.cache);
  const analysis = new TrailAnalysis(catalog, options);
  const progress = await fileProgress(io, 'reading');
  const cache =
    source.cache === undefined
      ? undefined
      : new AnalysisCache(
          resolve(io.cwd, source.cache),
          options.selection ?? emptySelection,
          source.maxFileBytes ?? defaultMaxFileBytes,
        );
  const pool = analysisPool(source.workers, cache !== undefined);
  let files = 0;
  let workerThreads = 0;
  let athena: AthenaRunSummary | undefined;
  let newestDelivery: string | undefined;
  try {
    const window = {
      ...(options.since === undefined ? {} : { since: options.since }),
      ...(options.until === undefined ? {} : { until: options.until }),
    };
    const inFlight = Math.max(source.concurrency, pool.threads * 3, 1);
    const run = runStep(runTask(pool, cache, window));
    const { since: _since, until: _until, ...withoutWindow } = options;
    const unbounded = () => new TrailAnalysis(catalog, withoutWindow);
    const found = async function* () {
      for await (const task of fileTasks(source, options, window, io)) {
        const delivered = deliveryTimeOf(task.identity.location);
        if (delivered !== undefined && (newestDelivery === undefined || delivered > newestDelivery)) {
          newestDelivery = delivered;
        }
        yield task;
      }
    };
    const steps = readSteps(found(), cache, window, unbounded);
    const counted = async function* () {
      for await (const step of steps) {
        const n = step.kind === 'file' ? 1 : step.files;
        files += n;
        for (let i = 0; i < n; i += 1) progress.found();
        yield step;
      }
    };
    for await (const done of inOrder(counted(), run, inFlight, {})) {
      analysis.merge(done.state);
      for (let i = 0; i < done.files; i += 1) progress.done();
      if (cache !== undefined) for (const folder of done.folders) await folder.add(done.unbounded, cache);
    }
    if (source.lookupRegions.length > 0) {
      // The AWS SDK is loaded only by runs that talk to AWS: it is most of the CLI's start-up time.
      const { cloudTrailClient, readLookupEvents } = await import('./sources/lookup-events.js');
      for (const region of source.lookupRegions) {
        for await (const item of readLookupEvents(cloudTrailClient(source, region), region, window)) {
          if (isIssue(item)) analysis.addIssue(item);
          else analysis.addRecord(item.record, item.origin, item.sighting);
        }
      }
    }
    if (source.athena !== undefined) {
      for await (const item of athenaRows(catalog, options, source, source.athena, (s) => (athena = s))) {
        analysis.addRecord(item.record, item.origin, item.sighting);
      }
    }
    workerThreads = pool.threadsUsed();
  } finally {
    progress.stop();
    await pool.close();
  }
  return {
    analysis,
    files,
    dataEventsPossible: source.events.length > 0 || source.athena !== undefined,
    workerThreads,
    ...(cache === undefined ? {} : { cache: cache.stats }),
    ...(athena === undefined ? {} : { athena }),
    ...(newestDelivery === undefined ? {} : { newestDelivery }),
  };
}

/** The selected principals' activity, aggregated by Athena over the analysis window: one query for all of them. */
async function* athenaRows(
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
    principals: athenaPrincipals(options.selection ?? { selectors: [], all: true }),
    regions: table.regions,
    window: { since: options.since, until: options.until },
  });
  // Like the other AWS sources, the SDK is loaded only by runs that use it.
  const { athenaClient, readAthenaActivity } = await import('./sources/athena.js');
  yield* readAthenaActivity(await athenaClient(connection), query, table, onDone);
}

/** A file to analyze, with its identity for the cache; remote files are fetched only when their turn comes. */
type PendingTask = { readonly identity: FileIdentity } & (
  | { readonly kind: 'file'; readonly task: FileTask }
  | { readonly kind: 'remote'; load: () => Promise<FileTask | TrailAnalysisState> }
);

/** A file's analysis with the run's window, and (with a cache) without it: what its cache entry holds. */
interface TaskResult {
  readonly state: TrailAnalysisState;
  /** Missing when the file could not be read (never cached: the next run tries again). */
  readonly unbounded?: TrailAnalysisState | undefined;
}

function runTask(
  pool: AnalysisPool,
  cache: AnalysisCache | undefined,
  window: { since?: string; until?: string },
): (pending: PendingTask) => Promise<TaskResult> {
  const analyze = async (pending: PendingTask, withoutWindow: boolean): Promise<TrailAnalysisState> => {
    const task = pending.kind === 'file' ? pending.task : await pending.load();
    if (!('kind' in task)) return task;
    if (!withoutWindow) return pool.analyze(task);
    const { since: _since, until: _until, ...unbounded } = task.options;
    return pool.analyze({ ...task, options: unbounded });
  };
  if (cache === undefined) return async (pending) => ({ state: await analyze(pending, false) });
  return async (given) => {
    // A remote file read both without and with the window is fetched once.
    let loaded: Promise<FileTask | TrailAnalysisState> | undefined;
    const pending: PendingTask = given.kind === 'file' ? given : { ...given, load: () => (loaded ??= given.load()) };
    // Entries are made without the window, so the nightly run's sliding window still finds them.
    let state = await cache.get(pending.identity);
    const cached = state !== undefined;
    if (state === undefined) {
      state = await analyze(pending, true);
      if (state.counts.unreadableFiles > 0) return { state };
      await cache.put(pending.identity, state);
    }
    // A file at the edge of the window is read again with it; the others are the same either way.
    if (spanInsideWindow(state, window)) return { state, unbounded: state };
    // Found in the cache but read after all: a reread, not a hit. A file just read was a miss, and stays one.
    if (cached) {
      cache.stats.windowEdgeRereads += 1;
      cache.stats.hits -= 1;
    }
    return { state: await analyze(pending, false), unbounded: state };
  };
}

/**
 * The files of one folder (or month), read one after the other, and their merged analysis without window: once all
 * are read, it becomes the folder's cache entry, so the next run reads one entry instead of one per file.
 */
class FolderEntry {
  #steps: number;
  #readable = true;
  constructor(
    readonly folder: string,
    readonly files: readonly FileIdentity[],
    steps: number,
    readonly analysis: TrailAnalysis,
  ) {
    this.#steps = steps;
  }

  /** Adds the next step's analysis (in file order); after the last one, saves the entry. */
  async add(state: TrailAnalysisState | undefined, cache: AnalysisCache): Promise<void> {
    // Merging only reads the state, so the same state may also have gone into the run's own analysis.
    if (state === undefined) this.#readable = false;
    else this.analysis.merge(state);
    this.#steps -= 1;
    if (this.#steps === 0 && this.#readable) await cache.putFolder(this.folder, this.files, this.analysis.state());
  }
}

/**
 * A step of the read, in file order: one file, or the files of a folder that one cache entry serves; with the
 * entries it goes into (its day's, its month's).
 */
type ReadStep = { readonly folders: readonly FolderEntry[] } & (
  | { readonly kind: 'file'; readonly pending: PendingTask }
  | { readonly kind: 'batch'; readonly files: number; readonly pending: PendingTask }
  | { readonly kind: 'cached'; readonly files: number; readonly state: TrailAnalysisState }
);

interface StepResult extends TaskResult {
  readonly files: number;
  readonly folders: readonly FolderEntry[];
}

function runStep(run: (pending: PendingTask) => Promise<TaskResult>): (step: ReadStep) => Promise<StepResult> {
  return async (step) => {
    if (step.kind === 'cached') {
      return { state: step.state, unbounded: step.state, files: step.files, folders: step.folders };
    }
    return { ...(await run(step.pending)), files: step.kind === 'batch' ? step.files : 1, folders: step.folders };
  };
}

/**
 * Local files read as one task, up to this many or this many bytes on disk: a worker sends back one merged analysis
 * for them instead of one per file, and the main thread merges a fraction of the states (on 1M events in 500
 * files, a batch of 16 took a third off a busy role's time against one file per task). Small enough that the last
 * batches still spread over the threads.
 */
const filesPerBatch = 16;
const bytesPerBatch = 16 * 1024 * 1024;

/** Without a cache, runs of local files become batches; everything else stays a step of its own, in order. */
async function* batchedSteps(tasks: AsyncIterable<PendingTask>): AsyncGenerator<ReadStep> {
  let batch: { readonly pending: PendingTask; readonly task: Extract<FileTask, { kind: 'path' }> }[] = [];
  let bytes = 0;
  const flush = function* (): Generator<ReadStep> {
    const [first] = batch;
    if (first === undefined) return;
    if (batch.length === 1) yield { kind: 'file', pending: first.pending, folders: [] };
    else {
      const files = batch.map(({ task }) => ({ path: task.path, display: task.display, size: task.size }));
      const task: FileTask = {
        kind: 'paths',
        files,
        display: first.task.display,
        size: bytes,
        maxFileBytes: first.task.maxFileBytes,
        options: first.task.options,
      };
      yield {
        kind: 'batch',
        files: files.length,
        pending: { kind: 'file', identity: first.pending.identity, task },
        folders: [],
      };
    }
    batch = [];
    bytes = 0;
  };
  for await (const pending of tasks) {
    if (pending.kind !== 'file' || pending.task.kind !== 'path') {
      yield* flush();
      yield { kind: 'file', pending, folders: [] };
      continue;
    }
    batch.push({ pending, task: pending.task });
    bytes += pending.task.size;
    if (batch.length === filesPerBatch || bytes >= bytesPerBatch) yield* flush();
  }
  yield* flush();
}

/**
 * More files than this in a row of one folder or month make several entries: a flat folder of logs is not held at
 * once. A month of one region's trail is about 8,600 files.
 */
const filesPerFolderEntry = 10_000;

const folderOf = (pending: PendingTask) => dirname(pending.identity.location);

/** The items in runs of consecutive ones of the same key. */
function runsOf<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs.at(-1);
    const head = last?.[0];
    if (last !== undefined && head !== undefined && keyOf(head) === keyOf(item)) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/** `…/YYYY/MM/DD/file` → `…/YYYY/MM`: the month of CloudTrail's delivery layout, local or in S3; else undefined. */
export function monthFolderOf(location: string): string | undefined {
  return /^(.*\/\d{4}\/\d{2})\/\d{2}\/[^/]+$/.exec(location)?.[1];
}

/**
 * The read as steps. With a cache, the files of each month of the delivery layout (or else of each folder), in a
 * row as the walk and the bucket listing give them, are looked up as a whole first: when its entry still lists the
 * same files, one step serves them all; when files were added after them, it serves those it lists and only the new
 * ones are read (and the entry is rewritten). The files a month's entry does not serve (a window that moved past the
 * month's first days, a changed file) are looked up by day the same way, and what a day's entry does not serve (a
 * changed or removed file, events straddling the window's edge) by the entries of the files themselves. A nightly
 * run thus reads one entry per month, not per day, and each day's files when the window's edge passes through it.
 */
async function* readSteps(
  tasks: AsyncIterable<PendingTask>,
  cache: AnalysisCache | undefined,
  window: { since?: string; until?: string },
  unboundedAnalysis: () => TrailAnalysis,
): AsyncGenerator<ReadStep> {
  if (cache === undefined) {
    yield* batchedSteps(tasks);
    return;
  }
  const fileSteps = async function* (files: readonly PendingTask[]): AsyncGenerator<ReadStep> {
    for (const pending of files) yield { kind: 'file', pending, folders: [] };
  };
  /** The steps of one entry's files: its own step for those it still serves, `rest`'s for the others. */
  const entrySteps = async function* (
    folder: string,
    run: readonly PendingTask[],
    rest: (files: readonly PendingTask[], covered: number) => AsyncIterable<ReadStep>,
  ): AsyncGenerator<ReadStep> {
    // A folder of one file has its file's entry already.
    if (run.length < 2) {
      yield* fileSteps(run);
      return;
    }
    const identities = run.map((pending) => pending.identity);
    const saved = await cache.getFolder(folder, identities);
    const usable = saved !== undefined && spanInsideWindow(saved.state, window) ? saved : undefined;
    const covered = usable?.covered ?? 0;
    // The entry adds up every step of its files, so it needs to know how many there are.
    const others: ReadStep[] = [];
    for await (const step of rest(run.slice(covered), covered)) others.push(step);
    // An entry that lists every file is still right (even one that straddles the window): it is not written again.
    const entry =
      saved?.covered === run.length
        ? []
        : [new FolderEntry(folder, identities, others.length + (covered > 0 ? 1 : 0), unboundedAnalysis())];
    if (usable !== undefined) {
      cache.stats.hits += usable.covered;
      cache.stats.folderHits += 1;
      yield { kind: 'cached', files: usable.covered, state: usable.state, folders: entry };
    }
    for (const step of others) yield { ...step, folders: [...step.folders, ...entry] };
  };
  /**
   * A month's files its entry does not serve, by day. A day it serves in part is read file by file, and so is a
   * month of one day, whose entry would be the month's, and files lying in the month's folder itself, whose entry
   * would have the month's key.
   */
  const daySteps = (month: string, run: readonly PendingTask[]) =>
    async function* (files: readonly PendingTask[], covered: number): AsyncGenerator<ReadStep> {
      const servedDay = covered > 0 ? folderOf(run[covered - 1] as PendingTask) : undefined;
      for (const day of runsOf(files, folderOf)) {
        const folder = folderOf(day[0] as PendingTask);
        const wholeFiles = folder === servedDay || folder === month || day.length === run.length;
        yield* wholeFiles ? fileSteps(day) : entrySteps(folder, day, fileSteps);
      }
    };
  let group: string | undefined;
  let run: PendingTask[] = [];
  const groupSteps = (folder: string, files: readonly PendingTask[]) =>
    entrySteps(
      folder,
      files,
      // A month's folder may hold loose files besides its day folders (they sort first): a month all the same.
      files.some((f) => monthFolderOf(f.identity.location) === folder) ? daySteps(folder, files) : fileSteps,
    );
  for await (const pending of tasks) {
    const next = monthFolderOf(pending.identity.location) ?? folderOf(pending);
    if (next !== group || run.length === filesPerFolderEntry) {
      if (group !== undefined) yield* groupSteps(group, run);
      group = next;
      run = [];
    }
    run.push(pending);
  }
  if (group !== undefined) yield* groupSteps(group, run);
}

async function* fileTasks(
  source: SourceOptions,
  options: AnalysisOptions,
  window: { since?: string; until?: string },
  io: CliIo,
): AsyncGenerator<PendingTask> {
  const maxFileBytes = source.maxFileBytes ?? defaultMaxFileBytes;
  const local = source.events.filter((e) => !isS3Url(e)).map((path) => resolve(io.cwd, path));
  if (local.length > 0) {
    for await (const file of listLocalLogFiles(local, { ...window, displayRoot: io.cwd })) {
      const identity = { location: file.path, size: file.size, version: String(file.modified), display: file.display };
      const { problem } = file;
      if (problem !== undefined) {
        yield { kind: 'remote', identity, load: async () => unreadableFileState(unreadable(file.display, problem)) };
        continue;
      }
      yield {
        kind: 'file',
        identity,
        task: { kind: 'path', path: file.path, display: file.display, size: file.size, maxFileBytes, options },
      };
    }
  }
  const remote = source.events.filter(isS3Url);
  if (remote.length === 0) return;
  const { listS3LogObjects, s3ClientForBucket } = await import('./sources/s3-objects.js');
  for (const url of remote) {
    const client = await s3ClientForBucket(source, url);
    const limits = { maxAttempts: source.maxAttempts, maxFileBytes };
    for await (const object of listS3LogObjects(url, client, window, limits)) {
      yield {
        kind: 'remote',
        identity: { location: object.display, size: object.size, version: object.etag, display: object.display },
        load: async () => {
          const content = await object.load();
          if (isIssue(content)) return unreadableFileState(content);
          return {
            kind: 'bytes',
            name: object.key,
            display: object.display,
            size: content.byteLength,
            content,
            maxFileBytes,
            options,
          };
        },
      };
    }
  }
}
