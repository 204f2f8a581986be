/**
 * Volatile identifiers: parts of a resource name that are made anew for each run (dates, UUIDs, execution and
 * request ids, random key segments). A name is cut at its first volatile token; what is left is its stable prefix.
 */

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/** Characters that separate the words of a resource name. */
const delimiter = /[/:_.\-=\s[\]$@+,]/;
/** `delimiter` by character code below 128, as a table: names are scanned character by character. */
const asciiDelimiters = Uint8Array.from({ length: 128 }, (_, code) =>
  delimiter.test(String.fromCharCode(code)) ? 1 : 0,
);

function isDelimiterAt(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  // Above ASCII only spaces are delimiters (`\s` knows the Unicode ones).
  return code < 128 ? asciiDelimiters[code] === 1 : delimiter.test(text.charAt(at));
}

/** A token (a run between delimiters) that names one run rather than a lasting thing. */
function isVolatileToken(token: string): boolean {
  if (token === '') return false;
  // Counters, epoch times and date parts (2024, 06, 20240601, 1717171717).
  if (/^\d+$/.test(token)) return true;
  // ISO times glued to a letter (20240601T120000Z).
  if (/^\d{8}t\d{4,6}z?$/i.test(token)) return true;
  // Hex ids: EC2 (i-0abc…, snap-…), request ids, hashes, ULIDs.
  if (/^[0-9a-f]{8,}$/i.test(token) && /\d/.test(token)) return true;
  // Random base-36/62 strings: long, with letters and digits mixed.
  if (token.length >= 8 && /\d/.test(token) && /[a-z]/i.test(token) && !/^[a-z]+\d{1,2}$/i.test(token)) return true;
  // Very long tokens are generated, whatever their letters.
  return token.length >= 24;
}

/** Index where the first volatile part of `name` starts, or -1 when the name is stable. */
export function volatileStart(name: string): number {
  const id = uuid.exec(name);
  let first = id === null ? -1 : id.index;
  let start = 0;
  for (let i = 0; i <= name.length; i += 1) {
    if (i < name.length && !isDelimiterAt(name, i)) continue;
    if (first !== -1 && start >= first) break;
    if (isVolatileToken(name.slice(start, i))) {
      first = first === -1 ? start : Math.min(first, start);
      break;
    }
    start = i + 1;
  }
  return first;
}

/**
 * `invoices/2024/06/a.csv` → `invoices/`; `report-20240601.csv` → `report-`; `year=2024/x` → `` (a Hive
 * partition key names its value, so the cut goes back to the path segment); undefined for a stable name.
 */
export function stablePrefix(name: string): string | undefined {
  const start = volatileStart(name);
  if (start === -1) return undefined;
  let prefix = name.slice(0, start);
  const segmentStart = prefix.lastIndexOf('/') + 1;
  if (prefix.slice(segmentStart).includes('=')) prefix = prefix.slice(0, segmentStart);
  return prefix;
}

/** Longest common prefix, cut back to a word boundary unless every name goes on with a volatile token. */
export function sharedPrefix(names: readonly string[]): string {
  const [first, ...rest] = names;
  if (first === undefined) return '';
  let length = first.length;
  for (const name of rest) {
    let i = 0;
    while (i < length && i < name.length && name.charAt(i) === first.charAt(i)) i += 1;
    length = i;
  }
  const prefix = first.slice(0, length);
  if (names.every((name) => name.length > length && volatileStart(name.slice(length)) === 0)) return prefix;
  if (prefix.length > 0 && isDelimiterAt(prefix, prefix.length - 1)) return prefix;
  let cut = prefix.length - 1;
  while (cut >= 0 && !isDelimiterAt(prefix, cut)) cut -= 1;
  return prefix.slice(0, cut + 1);
}
