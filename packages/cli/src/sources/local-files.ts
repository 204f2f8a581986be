import { opendir, readFile, stat } from 'node:fs/promises';
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
}

/**
 * Every log file under the given files and folders, in a stable order (sorted walk), skipping day folders of the
 * delivery layout outside the window. A missing path is a usage error.
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
  for await (const path of walk(paths, options)) {
    const { size, modified } = await stat(path).then(
      (info) => ({ size: info.size, modified: info.mtimeMs }),
      () => ({ size: 0, modified: 0 }),
    );
    yield { path, display: display(path), size, modified };
  }
}

async function* walk(paths: readonly string[], options: LocalWalkOptions): AsyncGenerator<string> {
  for (const path of paths) {
    const info = await stat(path);
    if (info.isFile()) yield path;
    else if (info.isDirectory()) yield* walkFolder(path, options);
  }
}

async function* walkFolder(folder: string, options: LocalWalkOptions): AsyncGenerator<string> {
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

/**
 * Every raw record under the given files and folders, one file at a time in walk order, for tools that look at
 * events themselves (the dataset evaluation) rather than at a principal's analysis.
 */
export async function* readLocalRecords(
  paths: readonly string[],
  options: LocalWalkOptions = {},
): AsyncGenerator<RecordOrIssue> {
  for await (const file of listLocalLogFiles(paths, options)) {
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
