import { opendir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RecordOrIssue } from '@iamgen/core';
import { UsageError } from '../cli-io.js';
import type { ReadAheadHooks } from './log-content.js';
import { describeError, folderMayHoldWindow, isLogFile, readAhead, recordsOfLogFile } from './log-content.js';

export interface LocalReadOptions extends ReadAheadHooks {
  /** ISO bounds used to skip whole `YYYY/MM/DD` folders of the S3 delivery layout. */
  readonly since?: string;
  readonly until?: string;
  /** Files read at once; also how many parsed files may be held in memory. */
  readonly concurrency?: number;
  /** Paths in messages are shown relative to this folder. */
  readonly displayRoot?: string;
}

/**
 * Every raw record under the given files and folders, in a stable order (sorted walk), reading a bounded
 * number of files ahead. Bad files and bad lines come out as Issues; a missing path is a usage error.
 */
export async function* readLocalRecords(
  paths: readonly string[],
  options: LocalReadOptions = {},
): AsyncGenerator<RecordOrIssue> {
  const display = (path: string) =>
    options.displayRoot === undefined ? path : relative(options.displayRoot, path) || path;
  for (const path of paths) {
    try {
      await stat(path);
    } catch {
      throw new UsageError(`${display(path)}: no such file or folder`);
    }
  }
  const read = async (path: string): Promise<RecordOrIssue[]> => {
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      return [
        {
          kind: 'unreadable-file',
          origin: { source: display(path) },
          message: `${display(path)}: ${describeError(error)}`,
        },
      ];
    }
    return recordsOfLogFile(path, content, display(path));
  };
  yield* readAhead(walk(paths, options), read, options.concurrency ?? 4, options);
}

async function* walk(paths: readonly string[], options: LocalReadOptions): AsyncGenerator<string> {
  for (const path of paths) {
    const info = await stat(path);
    if (info.isFile()) yield path;
    else if (info.isDirectory()) yield* walkFolder(path, options);
  }
}

async function* walkFolder(folder: string, options: LocalReadOptions): AsyncGenerator<string> {
  const entries: { name: string; isDirectory: boolean; isFile: boolean }[] = [];
  for await (const entry of await opendir(folder)) {
    entries.push({ name: entry.name, isDirectory: entry.isDirectory(), isFile: entry.isFile() });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      if (!folderMayHoldWindow(path, options)) continue;
      yield* walkFolder(path, options);
    } else if (entry.isFile && isLogFile(path)) {
      yield path;
    }
  }
}
