import type { AnalysisOptions, IamCatalog, PrefilterNeedles, TrailAnalysisState } from '@iamgen/core';
import { isIssue, prefilterNeedles, TrailAnalysis } from '@iamgen/core';
import { decompressLogFile, recordsOfLogText } from './log-content.js';
import { FileCalls } from './repeated-calls.js';

/** One log file to analyze: its name (for the format), how messages name it, and its bytes. */
export interface LogFileJob {
  readonly name: string;
  readonly display: string;
  readonly content: Uint8Array;
  /** Cap on the file's size on disk and decompressed (`--max-file-bytes`). */
  readonly maxFileBytes?: number;
}

/**
 * Decompress → prefilter → parse → normalize → map for one file, into the analysis state of that file alone.
 * Records whose raw text cannot name a selected principal are counted, never parsed.
 */
export function analyzeLogFile(job: LogFileJob, catalog: IamCatalog, options: AnalysisOptions): TrailAnalysisState {
  const analysis = new TrailAnalysis(catalog, options);
  const bytes = decompressLogFile(job.name, job.content, job.display, job.maxFileBytes);
  if (isIssue(bytes)) {
    analysis.addIssue(bytes);
    return analysis.state();
  }
  const needles = options.selection === undefined ? undefined : prefilterNeedles(options.selection);
  if (needles !== undefined && !needles.coarse.some((needle) => bytes.includes(needle))) {
    // Most files of a quiet principal: no need even to decode them, only to count their records.
    const records = deliveredRecordCount(bytes);
    if (records !== undefined) {
      analysis.addPrefiltered(records);
      return analysis.state();
    }
  }
  const delivered = analyzeDeliveredRecords(bytes, job.display, needles, catalog, options);
  if (delivered !== undefined) return delivered;
  for (const item of recordsOfLogText(job.name, bytes.toString('utf8'), job.display)) {
    if (isIssue(item)) analysis.addIssue(item);
    else analysis.addRecord(item.record, item.origin);
  }
  return analysis.state();
}

/**
 * The layout CloudTrail delivers: `{"Records":[{"eventVersion":…},{"eventVersion":…}]}`, compact. The sequence
 * `},{"eventVersion":` cannot occur inside a JSON string (its quotes would be escaped), so it splits records without
 * parsing them: records of other principals are skipped, and repeated calls parsed once. The sequence could still
 * occur between objects of an array nested in a record; then some piece is not balanced: a parsed one fails to
 * parse, a skipped one fails a scan (far cheaper than parsing), and the whole file is read the ordinary way.
 * Without needles (`--all`, `roles`) every record is a candidate. Undefined when the file has another layout or a
 * split was not at a record.
 */
function analyzeDeliveredRecords(
  bytes: Buffer,
  display: string,
  needles: PrefilterNeedles | undefined,
  catalog: IamCatalog,
  options: AnalysisOptions,
): TrailAnalysisState | undefined {
  const bounds = deliveredRecordBounds(bytes);
  if (bounds === undefined) return undefined;
  const records = bounds.length / 2;
  const analysis = new TrailAnalysis(catalog, options);
  // Bytes, not text: only the records that are parsed are ever decoded (record boundaries are ASCII).
  const candidates = candidateRecords(bytes, bounds, needles);
  // A split inside a record leaves an unbalanced piece, and it holds the `[` or `]` of the array split into.
  // Parsed pieces prove themselves by parsing; skipped ones are scanned, so records are neither lost nor doubled.
  const bracketed = new Set<number>();
  for (const bracket of [0x5b, 0x5d]) forEachRecordHolding(bytes, bounds, bracket, (index) => bracketed.add(index));
  for (const index of bracketed) {
    if (candidates[index]) continue;
    if (!isBalanced(bytes, bounds[2 * index] as number, bounds[2 * index + 1] as number)) return undefined;
  }
  let skipped = 0;
  const calls = new FileCalls(analysis, JSON.stringify(options.selection ?? null), display, bytes);
  for (let index = 0; index < records; index++) {
    if (!candidates[index]) {
      skipped += 1;
      continue;
    }
    try {
      calls.add(bounds[2 * index] as number, bounds[2 * index + 1] as number, index);
    } catch {
      return undefined;
    }
  }
  calls.finish();
  analysis.addPrefiltered(skipped);
  return analysis.state();
}

/**
 * Which records pass the prefilter (`mayBelongToSelection` of each record's bytes), found with one pass over the
 * file per coarse needle instead of a search in every record. Only records the coarse needles left in get the fine
 * test.
 */
function candidateRecords(bytes: Buffer, bounds: readonly number[], needles: PrefilterNeedles | undefined) {
  const records = bounds.length / 2;
  const candidates = new Uint8Array(records);
  if (needles === undefined) return candidates.fill(1);
  const coarseOnly = new Set(needles.coarse.filter((needle) => !needles.fine.includes(needle)));
  // As bytes: a string needle is converted again on every search.
  const fineOnly = needles.fine
    .filter((needle) => !needles.coarse.includes(needle))
    .map((needle) => Buffer.from(needle));
  for (const needle of needles.coarse) {
    // A coarse needle that is also a fine one settles the record; the others only make it a candidate.
    const mark = coarseOnly.has(needle) ? possible : certain;
    forEachRecordHolding(bytes, bounds, needle, (index) => {
      candidates[index] = Math.max(candidates[index] ?? 0, mark);
    });
  }
  for (let index = 0; index < records; index++) {
    if (candidates[index] !== possible) continue;
    const piece = bytes.subarray(bounds[2 * index], bounds[2 * index + 1]);
    candidates[index] = fineOnly.some((needle) => piece.includes(needle)) ? certain : 0;
  }
  return candidates;
}

const possible = 1;
const certain = 2;

/**
 * Calls `visit` with the index of each record that holds `needle` (a string or a byte), found with one pass over
 * the file: after a hit the search goes on from the end of the record it hit. A needle across the boundary between
 * two records is in neither of them.
 */
function forEachRecordHolding(
  bytes: Buffer,
  bounds: readonly number[],
  needle: string | number,
  visit: (index: number) => void,
): void {
  const records = bounds.length / 2;
  const pattern = typeof needle === 'number' ? needle : Buffer.from(needle);
  const length = typeof pattern === 'number' ? 1 : pattern.length;
  let record = 0;
  for (let at = records === 0 ? -1 : bytes.indexOf(pattern, bounds[0]); at !== -1; ) {
    while (record < records && (bounds[2 * record + 1] as number) < at + length) record += 1;
    if (record === records) break;
    const inside = at >= (bounds[2 * record] as number);
    if (inside) visit(record);
    at = bytes.indexOf(pattern, inside ? bounds[2 * record + 1] : at + 1);
  }
}

/**
 * Whether `bytes[start, end)` opens as many objects and arrays as it closes, outside strings. Jumps from quote to
 * quote with indexOf, so string contents (most of a record) cost next to nothing.
 */
export function isBalanced(bytes: Buffer, start: number, end: number): boolean {
  let depth = 0;
  let at = start;
  while (at < end) {
    const quote = bytes.indexOf(0x22, at);
    const stop = quote === -1 || quote > end ? end : quote;
    for (let i = at; i < stop; i++) {
      const c = bytes[i];
      if (c === 0x7b || c === 0x5b) depth += 1;
      else if (c === 0x7d || c === 0x5d) {
        depth -= 1;
        if (depth < 0) return false;
      }
    }
    if (stop === end) break;
    let close = quote + 1;
    for (;;) {
      close = bytes.indexOf(0x22, close);
      if (close === -1 || close >= end) return false;
      let backslashes = 0;
      while (bytes[close - 1 - backslashes] === 0x5c) backslashes += 1;
      if (backslashes % 2 === 0) break;
      close += 1;
    }
    at = close + 1;
  }
  return depth === 0;
}

const head = '{"Records":[';
const marker = Buffer.from('},{"eventVersion":');
/** Where the marker's `V` is: of its bytes, the rarest in CloudTrail's JSON. */
const markerAnchor = marker.indexOf('V');

/**
 * `bytes.indexOf(marker, from)`, found by searching for the marker's `V` and checking the bytes around it. This
 * runs once per record; a search for one byte is a plain memchr, far cheaper than one for a sequence, and `V` comes
 * up about twice per record (`eventVersion`, `tlsVersion`).
 */
export function indexOfMarker(bytes: Buffer, from: number): number {
  for (let at = bytes.indexOf(0x56, from + markerAnchor); at !== -1; at = bytes.indexOf(0x56, at + 1)) {
    const start = at - markerAnchor;
    let i = 0;
    while (i < marker.length && bytes[start + i] === marker[i]) i += 1;
    if (i === marker.length) return start;
  }
  return -1;
}

/**
 * The number of records of a file in the delivered layout, counted in its bytes without decoding; undefined for
 * other layouts, and when an array inside the records could hold a marker that is not a record boundary.
 */
function deliveredRecordCount(bytes: Buffer): number | undefined {
  const span = deliveredRecordsSpan(bytes);
  if (span === undefined) return undefined;
  if (span.first === span.last) return 0;
  if (bytes.indexOf(0x5b, span.first) !== -1) return undefined;
  let count = 1;
  for (let at = indexOfMarker(bytes, span.first); at !== -1 && at < span.last; at = indexOfMarker(bytes, at + 2)) {
    count += 1;
  }
  return count;
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Where the records of a file in the delivered layout lie, `[first, last)`; undefined for any other layout. */
function deliveredRecordsSpan(bytes: Buffer): { first: number; last: number } | undefined {
  let begin = 0;
  while (begin < bytes.length && isSpace(bytes[begin])) begin += 1;
  let finish = bytes.length;
  while (finish > begin && isSpace(bytes[finish - 1])) finish -= 1;
  const first = begin + head.length;
  const last = finish - 2;
  if (
    last < first ||
    bytes.toString('latin1', begin, first) !== head ||
    bytes.toString('latin1', last, finish) !== ']}'
  ) {
    return undefined;
  }
  if (first === last) return { first, last };
  if (bytes.toString('latin1', first, first + 16) !== '{"eventVersion":' || bytes[last - 1] !== 0x7d) return undefined;
  return { first, last };
}

/** `[start, end)` of each record (in bytes) of a file in the delivered layout, or undefined for any other layout. */
export function deliveredRecordRanges(bytes: Buffer): [number, number][] | undefined {
  const bounds = deliveredRecordBounds(bytes);
  if (bounds === undefined) return undefined;
  return Array.from({ length: bounds.length / 2 }, (_, i) => [bounds[2 * i] as number, bounds[2 * i + 1] as number]);
}

/** The same as flat pairs, start then end of each record: no allocation per record. */
function deliveredRecordBounds(bytes: Buffer): number[] | undefined {
  const span = deliveredRecordsSpan(bytes);
  if (span === undefined) return undefined;
  const { first, last } = span;
  if (first === last) return [];
  const bounds: number[] = [];
  let start = first;
  for (let at = indexOfMarker(bytes, start); at !== -1 && at < last; at = indexOfMarker(bytes, start)) {
    bounds.push(start, at + 1);
    start = at + 2;
  }
  bounds.push(start, last);
  return bounds;
}
