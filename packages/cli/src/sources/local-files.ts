import { createReadStream } from 'node:fs';
import { opendir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import type { Issue, RecordOrIssue } from '@iamgen/core';
import { isIssue, recordsOfDocument } from '@iamgen/core';
import pLimit from 'p-limit';
import { UsageError } from '../cli-io.js';

export interface LocalReadOptions {
  /** ISO bounds used to skip whole `YYYY/MM/DD` folders of the S3 delivery layout. */
  readonly since?: string;
  readonly until?: string;
  /** Files read at once; also how many parsed files may be held in memory. */
  readonly concurrency?: number;
  /** Paths in messages are shown relative to this folder. */
  readonly displayRoot?: string;
  /** Called once per file as it is found, and once as it is done. */
  readonly onFileFound?: () => void;
  readonly onFileDone?: () => void;
}

const gunzipAsync = promisify(gunzip);

const logFile = /\.(json|jsonl|ndjson)(\.gz)?$/i;
/** Files that sit beside logs but are not events: S3 delivery digests, dataset manifests. */
const notLogFile = /(^|[/\\])(_manifest\.json|package(-lock)?\.json)$|[/\\]CloudTrail-Digest[/\\]/;

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
  const limit = pLimit(options.concurrency ?? 4);
  const ahead: Promise<RecordOrIssue[]>[] = [];
  const files = walk(paths, options);
  for await (const file of files) {
    options.onFileFound?.();
    ahead.push(
      limit(async () => {
        const result = await readLogFile(file, display(file));
        options.onFileDone?.();
        return result;
      }),
    );
    if (ahead.length > (options.concurrency ?? 4)) yield* (await ahead.shift()) ?? [];
  }
  while (ahead.length > 0) yield* (await ahead.shift()) ?? [];
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
    } else if (entry.isFile && logFile.test(entry.name) && !notLogFile.test(path)) {
      yield path;
    }
  }
}

const deliveryDateFolder = /[/\\]CloudTrail[/\\][^/\\]+[/\\](\d{4})(?:[/\\](\d{2}))?(?:[/\\](\d{2}))?$/;
const dayMs = 86400e3;

/**
 * S3 delivery folders are named by delivery date (UTC); a file holds events up to its delivery time and
 * at most a little before the folder's day, so one day of slack on the lower side keeps late deliveries.
 */
export function folderMayHoldWindow(path: string, window: { since?: string; until?: string }): boolean {
  const match = deliveryDateFolder.exec(path);
  if (!match) return true;
  const year = Number(match[1]);
  const month = match[2] === undefined ? undefined : Number(match[2]) - 1;
  const day = match[3] === undefined ? undefined : Number(match[3]);
  const start = Date.UTC(year, month ?? 0, day ?? 1);
  const end =
    day !== undefined ? start + dayMs : month !== undefined ? Date.UTC(year, month + 1, 1) : Date.UTC(year + 1, 0, 1);
  if (window.since !== undefined && end <= Date.parse(window.since)) return false;
  if (window.until !== undefined && start - dayMs >= Date.parse(window.until)) return false;
  return true;
}

function unreadable(display: string, reason: string): Issue {
  return { kind: 'unreadable-file', origin: { source: display }, message: `${display}: ${reason}` };
}

async function readLogFile(path: string, display: string): Promise<RecordOrIssue[]> {
  const gzipped = /\.gz$/i.test(path);
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path)) return readJsonLines(path, display, gzipped);
  let text: string;
  try {
    const content = await readFile(path);
    text = (gzipped ? await gunzipAsync(content) : content).toString('utf8');
  } catch (error) {
    return [unreadable(display, gzipped ? `cannot decompress (${describeError(error)})` : describeError(error))];
  }
  if (text.trim() === '') return [unreadable(display, 'empty file')];
  try {
    return [...recordsOfDocument(JSON.parse(text) as unknown, display)];
  } catch (error) {
    // JSON Lines saved with a .json extension: accept when the first line is a JSON object on its own.
    const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')).trim();
    if (firstLine.startsWith('{') && parsesAsObject(firstLine)) {
      return collect(linesOf(Readable.from([text])), display);
    }
    return [unreadable(display, `not valid JSON (${describeError(error)})`)];
  }
}

function parsesAsObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

async function readJsonLines(path: string, display: string, gzipped: boolean): Promise<RecordOrIssue[]> {
  try {
    const stream = gzipped ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
    return await collect(linesOf(stream), display);
  } catch (error) {
    return [unreadable(display, gzipped ? `cannot decompress (${describeError(error)})` : describeError(error))];
  }
}

function linesOf(stream: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
}

async function collect(lines: AsyncIterable<string>, display: string): Promise<RecordOrIssue[]> {
  const out: RecordOrIssue[] = [];
  let index = 0;
  for await (const line of lines) {
    const lineIndex = index++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      out.push({
        kind: 'malformed-record',
        origin: { source: display, index: lineIndex },
        message: `${display} line ${lineIndex + 1}: not valid JSON (${describeError(error)})`,
      });
      continue;
    }
    for (const item of recordsOfDocument(value, display, lineIndex)) {
      out.push(
        isIssue(item) && item.kind === 'unreadable-file'
          ? {
              kind: 'malformed-record',
              origin: { source: display, index: lineIndex },
              message: `${display} line ${lineIndex + 1}: not a CloudTrail event`,
            }
          : item,
      );
    }
  }
  return out;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(error.message)) return 'truncated gzip data';
    if (code === 'Z_DATA_ERROR') return 'not gzip data';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EISDIR') return 'is a folder';
    return error.message;
  }
  return String(error);
}
