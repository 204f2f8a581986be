import type { Stats } from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RecordOrIssue } from '@iamgen/core';
import { isIssue } from '@iamgen/core';
import { UsageError } from '../cli-io.js';
import {
  decodeLogFile,
  describeError,
  folderMayHoldWindow,
  isLogFile,
  recordsOfLogText,
  unreadable,
} from './log-content.js';

export interface LocalWalkOptions {
  /** ISO bounds used to skip whole `YYYY/MM/DD` folders of the S3 delivery layout. */
  readonly since?: string;
  readonly until?: string;
  /** Paths in messages are shown relative to this folder. */
  readonly displayRoot?: string;
}

export interface LocalLogFile {
  readonly path: string;
  /** How messages name the file. */
  readonly display: string;
  /** Bytes on disk (0 when it cannot be told; reading it will say why). */
  readonly size: number;
  /** Last modification, in milliseconds (0 when it cannot be told). */
  readonly modified: number;
  /** Why the walk could not take this entry (a link loop, a broken link): reported, never read. */
  readonly problem?: string;
}

/**
 * Every log file under the given files and folders, in a stable order (sorted walk), skipping day folders of the
 * delivery layout outside the window. Symbolic links are followed, each folder read once (a link back up the tree
 * is reported as a loop); broken links are reported. A missing path is a usage error.
 */
export async function* listLocalLogFiles(
  paths: readonly string[],
  options: LocalWalkOptions = {},
): AsyncGenerator<LocalLogFile> {
  const display = (path: string) =>
    options.displayRoot === undefined ? path : relative(options.displayRoot, path) || path;
  for (const path of paths) {
    try {
      await stat(path);
    } catch {
      throw new UsageError(`${display(path)}: no such file or folder`);
    }
  }
  // Files by device and inode: one named twice (a folder and a file in it, two links) is read once.
  const seenFiles = new Set<string>();
  for await (const found of walk(paths, options)) {
    if (found.problem !== undefined) {
      yield { path: found.path, display: display(found.path), size: 0, modified: 0, problem: found.problem };
      continue;
    }
    // Synchronous: one stat at a time through the thread pool costs more than the stat itself (a cached re-run
    // of thousands of files is mostly this walk).
    let size = 0;
    let modified = 0;
    try {
      const info = statSync(found.path);
      size = info.size;
      modified = info.mtimeMs;
      const identity = `${info.dev}:${info.ino}`;
      if (seenFiles.has(identity)) {
        const problem = 'second path to a file already read; not read again';
        yield { path: found.path, display: display(found.path), size: 0, modified: 0, problem };
        continue;
      }
      seenFiles.add(identity);
    } catch {
      // Reading it will say why.
    }
    yield { path: found.path, display: display(found.path), size, modified };
  }
}

interface Found {
  readonly path: string;
  readonly problem?: string;
}

async function* walk(paths: readonly string[], options: LocalWalkOptions): AsyncGenerator<Found> {
  // Folders by device and inode: a link to a folder already being walked (or walked) is not walked again.
  const visited = new Set<string>();
  for (const path of paths) {
    const info = await stat(path);
    if (info.isFile()) yield { path };
    else if (info.isDirectory()) yield* walkFolder(path, options, visited);
  }
}

function statOrError(path: string): Stats | NodeJS.ErrnoException {
  try {
    return statSync(path);
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
}

/**
 * Synchronous like the walk's stat of each file: a folder's stat and listing through the thread pool cost more than
 * the calls themselves (a cached re-run of thousands of files is mostly this walk).
 */
async function* walkFolder(folder: string, options: LocalWalkOptions, visited: Set<string>): AsyncGenerator<Found> {
  let identity = folder;
  try {
    const info = statSync(folder);
    identity = `${info.dev}:${info.ino}`;
  } catch {
    // Listing it will say why.
  }
  if (visited.has(identity)) {
    yield { path: folder, problem: 'symbolic link loop or second link to a folder already read; not read again' };
    return;
  }
  visited.add(identity);
  const entries: { name: string; isDirectory: boolean; isFile: boolean; isLink: boolean }[] = [];
  try {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      entries.push({
        name: entry.name,
        isDirectory: entry.isDirectory(),
        isFile: entry.isFile(),
        isLink: entry.isSymbolicLink(),
      });
    }
  } catch (error) {
    yield { path: folder, problem: `cannot list the folder (${describeError(error)})` };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    let isDirectory = entry.isDirectory;
    let isFile = entry.isFile;
    if (entry.isLink) {
      const target = statOrError(path);
      if (target instanceof Error) {
        if (target.code === 'ELOOP') yield { path, problem: 'symbolic link loop' };
        else if (isLogFile(path)) {
          const why = target.code === 'ENOENT' ? 'its target does not exist' : describeError(target);
          yield { path, problem: `broken symbolic link (${why})` };
        }
        continue;
      }
      isDirectory = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDirectory) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      if (!folderMayHoldWindow(path, options)) continue;
      yield* walkFolder(path, options, visited);
    } else if (isFile && isLogFile(path)) {
      yield { path };
    }
  }
}

/**
 * Every raw record under the given files and folders, one file at a time in walk order, for tools that look at
 * events themselves (the dataset evaluation) rather than at a principal's analysis.
 */
export async function* readLocalRecords(
  paths: readonly string[],
  options: LocalWalkOptions = {},
): AsyncGenerator<RecordOrIssue> {
  for await (const file of listLocalLogFiles(paths, options)) {
    if (file.problem !== undefined) {
      yield unreadable(file.display, file.problem);
      continue;
    }
    let content: Buffer;
    try {
      content = await readFile(file.path);
    } catch (error) {
      yield unreadable(file.display, describeError(error));
      continue;
    }
    const text = decodeLogFile(file.path, content, file.display);
    if (isIssue(text)) yield text;
    else yield* recordsOfLogText(file.path, text, file.display);
  }
}
