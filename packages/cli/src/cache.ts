import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PrincipalSelection, TrailAnalysisState } from '@iamgen/core';
import { temporaryBeside } from './atomic-write.js';
import { analysisStateOf, filesDigest, folderFilesOf, sealEntry, unsealEntry } from './cache-entry.js';
import { catalogVersion } from './catalog.js';
import { UsageError } from './cli-io.js';

/** A file as the cache knows it: where it is, and what changes whenever its content can have changed. */
export interface FileIdentity {
  /** Path, or `s3://bucket/key`. */
  readonly location: string;
  readonly size: number;
  /** Modification time of a local file, ETag of an S3 object. */
  readonly version: string;
  /** How messages name the file (relative to the working folder): entries hold messages that name it. */
  readonly display: string;
}

export interface CacheStats {
  /** Files served from the cache, by their own entry or by their folder's (files read again are not). */
  hits: number;
  /** Folder entries used: each served the files of a folder (or the ones it already had) in one read. */
  folderHits: number;
  /** Files read because their entry was missing or could not be trusted. */
  misses: number;
  /** Entries that existed but could not be trusted (corrupt, altered, foreign, malformed): ignored and rebuilt. */
  rejected: number;
  /** Entries that exist but could not be read (permissions, an I/O error): their files were read instead. */
  unreadable: number;
  /** Entries that could not be written (the run goes on without them). */
  unwritable: number;
  /** Files found in the cache but read again because their events straddle the edge of the window. */
  windowEdgeRereads: number;
}

/**
 * `--cache` naming something other than a folder is a usage error before the read (a cache that cannot be written
 * only costs speed: the run goes on and says so).
 */
export async function checkCacheFolder(path: string, display: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) throw new UsageError(`--cache ${display} is not a folder`);
}

/** Raised whenever what an entry holds, or how a file's analysis is made, changes within one iamgen version. */
const formatVersion = 4;

/**
 * What makes an entry valid besides its file: this iamgen, this catalog, this selection, and the size cap (a file
 * over it is unreadable, and a result made under a higher cap must not serve it).
 */
function runFingerprint(selection: PrincipalSelection, maxFileBytes: number): string {
  const manifest = new URL('../package.json', import.meta.url);
  const iamgen = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  return JSON.stringify({ format: formatVersion, iamgen, catalog: catalogVersion(), selection, maxFileBytes });
}

/**
 * Per-file analyses kept between runs (`--cache DIR`), so a nightly re-run over a grown folder or bucket reads only
 * new files. An entry holds the file's analysis without a time window, keyed by the file's identity and by iamgen,
 * catalog and selection. It is sealed with a digest of its content and repeats its own key; an entry altered since it
 * was written, of another key, or holding anything but a well-formed analysis is ignored and rebuilt, never trusted.
 * Writes are atomic, so the folder is safe to delete at any time.
 */
export class AnalysisCache {
  readonly stats: CacheStats = {
    hits: 0,
    folderHits: 0,
    misses: 0,
    rejected: 0,
    unreadable: 0,
    unwritable: 0,
    windowEdgeRereads: 0,
  };
  readonly #dir: string;
  readonly #fingerprint: string;
  /** Shard folders made by this run. */
  readonly #folders = new Set<string>();

  constructor(dir: string, selection: PrincipalSelection, maxFileBytes: number) {
    this.#dir = dir;
    this.#fingerprint = runFingerprint(selection, maxFileBytes);
  }

  #keyOf(subject: { file: FileIdentity } | { folder: string; first: string }): { key: string; path: string } {
    const key = JSON.stringify({ run: this.#fingerprint, ...subject });
    const hash = createHash('sha256').update(key).digest('hex');
    return { key, path: join(this.#dir, hash.slice(0, 2), `${hash}.json`) };
  }

  /**
   * The entry's body if it is there: `undefined` when missing, `null` when it cannot be trusted (altered since it was
   * written, unparseable, or another key's).
   */
  async #read(key: string, path: string): Promise<Record<string, unknown> | null | undefined> {
    let text: string;
    try {
      // Synchronous: a re-run reads little else, and waits on each round trip through the thread pool otherwise.
      text = readFileSync(path, 'utf8');
    } catch (error) {
      // Missing is the common case; anything else is an entry there that this run cannot use.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.stats.unreadable += 1;
      return undefined;
    }
    const entry = unsealEntry(text);
    if (typeof entry === 'object' && entry !== null && (entry as { key?: unknown }).key === key) {
      return entry as Record<string, unknown>;
    }
    this.stats.rejected += 1;
    return null;
  }

  /**
   * Writes an entry beside its place, then renames it there. Synchronous, like reading one: a first run writes an
   * entry per file, and six round trips each through the thread pool kept the worker threads waiting on the main one.
   * Done within one turn of the event loop, a write is never cut short by an interrupt's handler.
   */
  #write(path: string, entry: object): void {
    const temporary = temporaryBeside(path);
    try {
      const folder = dirname(path);
      if (!this.#folders.has(folder)) {
        mkdirSync(folder, { recursive: true });
        this.#folders.add(folder);
      }
      writeFileSync(temporary, sealEntry(entry));
      renameSync(temporary, path);
    } catch {
      this.stats.unwritable += 1;
      try {
        rmSync(temporary, { force: true });
      } catch {
        // A temporary file left behind is harmless: the folder is safe to delete.
      }
    }
  }

  /** The file's entry, counted as a hit; or undefined, counted as a miss (the file is read), even when rejected. */
  async get(file: FileIdentity): Promise<TrailAnalysisState | undefined> {
    const { key, path } = this.#keyOf({ file });
    const entry = await this.#read(key, path);
    const state = entry === undefined || entry === null ? undefined : analysisStateOf(entry.state);
    if (entry !== undefined && entry !== null && state === undefined) this.stats.rejected += 1;
    if (state === undefined) this.stats.misses += 1;
    else this.stats.hits += 1;
    return state;
  }

  async put(file: FileIdentity, state: TrailAnalysisState): Promise<void> {
    const { key, path } = this.#keyOf({ file });
    this.#write(path, { key, state });
  }

  /**
   * The merged analysis of a folder's files as a previous run saw them, if they are still the first files of the
   * folder, unchanged: `covered` of `files` (all, or the ones before files added since). Counts nothing itself; the
   * caller counts the files it serves from it.
   */
  async getFolder(
    folder: string,
    files: readonly FileIdentity[],
  ): Promise<{ readonly covered: number; readonly state: TrailAnalysisState } | undefined> {
    const first = files[0];
    if (first === undefined) return undefined;
    const { key, path } = this.#keyOf({ folder, first: first.location });
    const entry = await this.#read(key, path);
    if (entry === undefined || entry === null) return undefined;
    const saved = folderFilesOf(entry.files);
    const state = analysisStateOf(entry.state);
    if (saved === undefined || state === undefined) {
      this.stats.rejected += 1;
      return undefined;
    }
    // Only a prefix can be used: the folder's analysis is merged in file order.
    if (saved.count > files.length || filesDigest(files.slice(0, saved.count)) !== saved.digest) return undefined;
    return { covered: saved.count, state };
  }

  /** Saves the merged analysis of a folder's files (in the order they are read), replacing the previous one. */
  async putFolder(folder: string, files: readonly FileIdentity[], state: TrailAnalysisState): Promise<void> {
    const first = files[0];
    if (first === undefined) return;
    const { key, path } = this.#keyOf({ folder, first: first.location });
    this.#write(path, { key, files: { count: files.length, digest: filesDigest(files) }, state });
  }
}

/** Whether a file's analysis made without a window is the analysis with this window: every event lies inside it. */
export function spanInsideWindow(state: TrailAnalysisState, window: { since?: string; until?: string }): boolean {
  if (window.since === undefined && window.until === undefined) return true;
  const { first, last, untimed } = state.span;
  if (untimed > 0) return false;
  if (first === undefined || last === undefined) return true;
  return (window.since === undefined || first >= window.since) && (window.until === undefined || last < window.until);
}
