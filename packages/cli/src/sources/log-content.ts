import { constants, isUtf8 } from 'node:buffer';
import type { Issue, RecordOrIssue } from '@iamgen/core';
import { isIssue, recordsOfDocument } from '@iamgen/core';
import pLimit from 'p-limit';
import { isRecord } from '../json-record.js';
import { gunzipReusingOutput } from './gzip-output.js';

const logFile = /\.(json|jsonl|ndjson)(\.gz)?$/i;
/** Files that sit beside logs but are not events: S3 delivery digests, dataset manifests. */
const notLogFile = /(^|[/\\])(_manifest\.json|package(-lock)?\.json)$|(^|[/\\])CloudTrail-Digest[/\\]/;

/** Whether a file name or object key is a log file worth reading. */
export function isLogFile(path: string): boolean {
  return logFile.test(path) && !notLogFile.test(path);
}

const deliveryDateFolder = /[/\\]CloudTrail[/\\][^/\\]+[/\\](\d{4})(?:[/\\](\d{2}))?(?:[/\\](\d{2}))?[/\\]?$/;
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

export function unreadable(display: string, reason: string): Issue {
  return { kind: 'unreadable-file', origin: { source: display }, message: `${display}: ${reason}` };
}

/**
 * The most bytes one log file may have on disk or decompress to (`--max-file-bytes`). CloudTrail delivers a file
 * per account and region every few minutes; even busy accounts write files of a few megabytes, rarely tens. 256 MiB
 * leaves two orders of magnitude of room, and bounds what a gzip bomb costs: the cap in memory per file being read
 * (twice: bytes and text), instead of whatever it expands to. It cannot pass 512 MiB, the longest string V8 makes.
 */
export const defaultMaxFileBytes = 256 * 1024 * 1024;
export const maxFileBytesLimit = constants.MAX_STRING_LENGTH;

const utf8Bom = [0xef, 0xbb, 0xbf] as const;

/**
 * A log file's bytes, decompressed when `.gz` (every member of a multi-member file): at most `maxBytes` on disk and
 * decompressed, valid UTF-8 only, a byte-order mark dropped. Anything else comes back as an Issue naming the file
 * and the reason. Decompressed bytes are valid until the thread decompresses the next file (`gunzipReusingOutput`).
 */
export function decompressLogFile(
  name: string,
  content: Uint8Array,
  display: string,
  maxBytes = defaultMaxFileBytes,
): Buffer | Issue {
  if (content.byteLength > maxBytes) {
    return unreadable(display, `larger than --max-file-bytes (${content.byteLength} > ${maxBytes} bytes)`);
  }
  // A delivery cut short before its first byte: saying "truncated gzip data" would send the reader looking for damage.
  if (content.byteLength === 0 && /\.gz$/i.test(name)) return unreadable(display, 'empty file (0 bytes)');
  let bytes: Uint8Array;
  try {
    bytes = /\.gz$/i.test(name) ? gunzipReusingOutput(content, maxBytes) : content;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return unreadable(display, `decompresses to more than --max-file-bytes (${maxBytes} bytes); not read`);
    }
    return unreadable(display, `cannot decompress (${describeError(error)})`);
  }
  const bom = utf8Bom.every((b, i) => bytes[i] === b) ? 3 : 0;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.byteLength - bom);
  // Logs are UTF-8; anything else is corruption, and decoding it would turn it into U+FFFD silently. Checked even
  // for files the prefilter never decodes, so what is reported does not depend on the principals asked for.
  if (!isUtf8(body)) return unreadable(display, 'not valid UTF-8');
  return body;
}

/** A log file's bytes as text, with the checks of `decompressLogFile`. */
export function decodeLogFile(
  name: string,
  content: Uint8Array,
  display: string,
  maxBytes = defaultMaxFileBytes,
): string | Issue {
  const bytes = decompressLogFile(name, content, display, maxBytes);
  return isIssue(bytes) ? bytes : bytes.toString('utf8');
}

/**
 * One log file's text → its records: `.jsonl` and JSON Lines saved as `.json` are read line by line; everything
 * else as one JSON document. Problems come back as Issues naming the file or line.
 */
export function recordsOfLogText(name: string, text: string, display: string): RecordOrIssue[] {
  if (text.trim() === '') return [unreadable(display, 'empty file')];
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(name)) return recordsOfLines(text, display);
  try {
    return [...recordsOfDocument(JSON.parse(text) as unknown, display)];
  } catch (error) {
    // JSON Lines saved with a .json extension: accept when the first line is a JSON object on its own.
    const newline = text.indexOf('\n');
    const firstLine = (newline === -1 ? text : text.slice(0, newline)).trim();
    if (firstLine.startsWith('{') && parsesAsObject(firstLine)) return recordsOfLines(text, display);
    return [unreadable(display, `not valid JSON (${describeError(error)})`)];
  }
}

function parsesAsObject(line: string): boolean {
  try {
    return isRecord(JSON.parse(line));
  } catch {
    return false;
  }
}

function recordsOfLines(text: string, display: string): RecordOrIssue[] {
  const out: RecordOrIssue[] = [];
  for (const [lineIndex, line] of text.split(/\r?\n/).entries()) {
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

export interface ReadAheadHooks {
  /** Called once per file as it is found, and once as it is done. */
  readonly onFileFound?: () => void;
  readonly onFileDone?: () => void;
}

/**
 * Runs `run` on a bounded number of items at once and yields the results in the order the items came, so at most
 * `concurrency + 1` results are held in memory and what is merged from them does not depend on timing.
 */
export async function* inOrder<T, R>(
  items: AsyncIterable<T>,
  run: (item: T) => Promise<R>,
  concurrency: number,
  hooks: ReadAheadHooks,
): AsyncGenerator<R> {
  const limit = pLimit(concurrency);
  const ahead: Promise<R>[] = [];
  try {
    for await (const item of items) {
      hooks.onFileFound?.();
      const task = limit(async () => {
        const result = await run(item);
        hooks.onFileDone?.();
        return result;
      });
      // Awaited in turn below; one that fails before its turn (an S3 fault) must not count as unhandled meanwhile.
      task.catch(() => undefined);
      ahead.push(task);
      if (ahead.length > concurrency) yield (await ahead.shift()) as R;
    }
    while (ahead.length > 0) yield (await ahead.shift()) as R;
  } finally {
    // A failure elsewhere must not leave rejections of work already started unhandled.
    for (const pending of ahead) pending.catch(() => undefined);
  }
}
