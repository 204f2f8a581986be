// AssemblyScript, compiled to WebAssembly by `pnpm build` (asc): the keys of the shortcut for repeated calls
// (`src/sources/repeated-calls.ts`), worked out in one pass over a record's bytes instead of several string searches
// and a digest.
//
// A record's key is its bytes without the values of the volatile fields (and of the session's name, when asked),
// with the places those values go back in. Keys are remembered with their bytes, so a record is known only when its
// bytes equal a remembered record's, byte for byte: the hash only finds where to compare.
//
// Memory: the fixed regions below, then the window of the file the caller copies records into (`inputAt`).

/** The volatile fields (set by the caller, in its order), then the session's name in the principal id and the ARN. */
const FIELDS: i32 = 7;
const REGIONS: i32 = FIELDS + 2;
/** The fields whose value, when not plain, stays in the key instead of keeping the record from the shortcut. */
let keptWhenNotPlain: u32 = 0;
/** The field that holds the event's time, which every key needs. */
let timeField: i32 = 0;

const NO_KEY_TIME: i32 = -2;
const NO_KEY_NOT_PLAIN: i32 = -3;
const UNKNOWN: i32 = -1;

/** Past the module's own static data (`__heap_base`), which starts at 1024. */
const BASE: usize = 65536;
/** Per region: start, end (relative to the record, -1: not cut); then whether the session's name was cut. */
const RESULT: usize = BASE;
const ORDER: usize = BASE + 128;
const INSERT_AT: usize = BASE + 192;
/** Per field: its opening `"name":"` (up to 31 bytes), its length, and the 8 bytes that end its name. */
const OPENINGS: usize = BASE + 256;
const OPENING_LENGTHS: usize = OPENINGS + 256;
const NAME_TAILS: usize = OPENING_LENGTHS + 32;
const TABLE: usize = BASE + 4096;
const SLOTS: u32 = 1 << 15;
const SLOT_BYTES: usize = 16;
const ARENA: usize = TABLE + <usize>SLOTS * SLOT_BYTES;
const ARENA_BYTES: usize = 16 << 20;
const INPUT: usize = ARENA + ARENA_BYTES;
/** An entry: the kept length, the insert places, then the kept bytes. */
const ENTRY_HEAD: usize = 4 + 4 * <usize>REGIONS;

/** All ones; none in tests that make every key hash alike (`weakenHash`). */
let hashMask: u64 = ~(<u64>0);
/** Where each key's hash starts: random per instance (`seed`), so no one can tell which records will probe alike. */
let seedHash: u64 = 0;
let arenaUsed: usize = 0;
let entries: u32 = 0;
// The key of the last lookup, which `remember` stores.
let lastHash: u64 = 0;
let lastStart: usize = 0;
let lastEnd: usize = 0;
let lastKept: u32 = 0;
let lastRegions: i32 = 0;

/** Whether the module's static data ends before the regions start. */
export function laidOut(): bool {
  return __heap_base <= BASE;
}

export function inputAt(): usize {
  return INPUT;
}

export function resultAt(): usize {
  return RESULT;
}

export function openingAt(field: i32): usize {
  return OPENINGS + ((<usize>field) << 5);
}

export function fieldCount(): i32 {
  return FIELDS;
}

/** The field whose value is the event's time. */
export function setTimeField(field: i32): void {
  timeField = field;
}

/**
 * Takes the opening the caller wrote at `openingAt(field)`, `length` bytes, ending with `":"`; `keptIfNotPlain`: a
 * value of the field that is not plain stays in the key.
 */
export function setOpening(field: i32, length: i32, keptIfNotPlain: bool): void {
  if (keptIfNotPlain) keptWhenNotPlain |= 1 << field;
  store<u32>(OPENING_LENGTHS + ((<usize>field) << 2), <u32>length);
  // The name's closing quote is 3 bytes before the end; the 8 bytes before it end the name (with its opening quote
  // for the shortest, `"eventID`).
  store<u64>(NAME_TAILS + ((<usize>field) << 3), load<u64>(openingAt(field) + <usize>length - 11));
}

/** Makes room for `bytes` of input; false when memory cannot grow. */
export function reserve(bytes: usize): bool {
  const pages = <i32>((INPUT + bytes + 0xffff) >> 16);
  const have = memory.size();
  return pages <= have || memory.grow(pages - have) >= 0;
}

/** Starts every key's hash from these random bits. */
export function seed(high: u32, low: u32): void {
  seedHash = ((<u64>high) << 32) | low;
}

/** Makes every key hash alike, so that finding a key rests on comparing bytes alone (for tests). */
export function weakenHash(): void {
  hashMask = 0;
}

/** Forgets every remembered key. */
export function forget(): void {
  memory.fill(TABLE, 0, <usize>SLOTS * SLOT_BYTES);
  arenaUsed = 0;
  entries = 0;
}

function regionStart(region: i32): i32 {
  return load<i32>(RESULT + ((<usize>region) << 3));
}

function regionEnd(region: i32): i32 {
  return load<i32>(RESULT + ((<usize>region) << 3) + 4);
}

function setRegion(region: i32, start: i32, end: i32): void {
  store<i32>(RESULT + ((<usize>region) << 3), start);
  store<i32>(RESULT + ((<usize>region) << 3) + 4, end);
}

/**
 * Where the plain value starting at `p` ends (its closing quote), or 0 when a byte before that quote is not
 * printable ASCII or is a backslash: such values JSON.parse reads as they stand.
 */
function plainEnd(p: usize, end: usize): usize {
  const space = i8x16.splat(0x20);
  const tilde = i8x16.splat(0x7e);
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  while (p + 16 <= end) {
    const v = v128.load(p);
    const stop = i8x16.bitmask(i8x16.eq(v, quote));
    const bad = i8x16.bitmask(v128.or(v128.or(i8x16.lt_u(v, space), i8x16.gt_u(v, tilde)), i8x16.eq(v, backslash)));
    if ((stop | bad) !== 0) {
      const first = ctz(stop | bad);
      return (bad & (1 << first)) === 0 ? p + <usize>first : 0;
    }
    p += 16;
  }
  for (; p < end; p++) {
    const c = load<u8>(p);
    if (c === 0x22) return p;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return 0;
  }
  return 0;
}

/** The field whose opening ends at `p + 3`, where `p` is the quote closing a name; -1 for none. */
function fieldClosedAt(p: usize, start: usize): i32 {
  if (p < start + 8) return -1;
  const tail = load<u64>(p - 8);
  for (let field = 0; field < FIELDS; field++) {
    if (load<u64>(NAME_TAILS + ((<usize>field) << 3)) !== tail) continue;
    const length = <usize>load<u32>(OPENING_LENGTHS + ((<usize>field) << 2));
    const at = p + 3 - length;
    if (at < start || memory.compare(at, openingAt(field), length) !== 0) continue;
    return field;
  }
  return -1;
}

/**
 * Cuts the field closed at `p` (see `fieldClosedAt`) unless one of its name was found already, and returns the
 * fields found: all ones when its value is not plain and it is not a field kept then.
 */
function cutField(p: usize, start: usize, end: usize, found: u32): u32 {
  const field = fieldClosedAt(p, start);
  if (field < 0 || (found & (1 << field)) !== 0) return found;
  const valueStart = p + 3;
  const valueEnd = plainEnd(valueStart, end);
  if (valueEnd === 0) {
    if ((keptWhenNotPlain & (1 << field)) !== 0) return found | (1 << field);
    return 0xffffffff;
  }
  setRegion(field, <i32>(valueStart - start), <i32>(valueEnd - start));
  return found | (1 << field);
}

const ALL_FIELDS: u32 = (1 << FIELDS) - 1;

/** Finds the first opening of each field in `[start, end)`: at each `":"`, the name before it. */
function cutFields(start: usize, end: usize): bool {
  const quote = i8x16.splat(0x22);
  const colon = i8x16.splat(0x3a);
  let found: u32 = 0;
  let p = start;
  while (found !== ALL_FIELDS && p + 18 <= end) {
    const opens = v128.and(
      v128.and(i8x16.eq(v128.load(p), quote), i8x16.eq(v128.load(p + 1), colon)),
      i8x16.eq(v128.load(p + 2), quote),
    );
    let mask = i8x16.bitmask(opens);
    while (mask !== 0) {
      found = cutField(p + <usize>ctz(mask), start, end, found);
      if (found === 0xffffffff) return false;
      mask &= mask - 1;
    }
    p += 16;
  }
  for (; found !== ALL_FIELDS && p + 2 < end; p++) {
    if (load<u8>(p) !== 0x22 || load<u8>(p + 1) !== 0x3a || load<u8>(p + 2) !== 0x22) continue;
    found = cutField(p, start, end, found);
    if (found === 0xffffffff) return false;
  }
  return true;
}

function startsWithText(p: usize, end: usize, text: string): bool {
  const length = <usize>text.length;
  if (p + length > end) return false;
  for (let i: usize = 0; i < length; i++) if (<u32>load<u8>(p + i) !== <u32>text.charCodeAt(<i32>i)) return false;
  return true;
}

function indexOfByte(byte: u8, p: usize, end: usize): usize {
  for (; p < end; p++) if (load<u8>(p) === byte) return p;
  return end;
}

/**
 * Cuts the session's name where the record opens the way CloudTrail writes an assumed role's calls,
 * `{"eventVersion":"…","userIdentity":{"type":"AssumedRole","principalId":"AROA…:NAME","arn":"arn:…/role/NAME"`:
 * after the principal id's colon, and after the ARN's last slash. Both parts must be plain. In JSON that parses,
 * these are the first members of the record and of its identity, so the names sit where the pipeline reads the
 * caller (or in a member a later duplicate overrides, where no one reads them); whether the pipeline reads them is
 * proved per key by the caller.
 */
function cutSessionName(start: usize, end: usize): void {
  const versionOpening = '{"eventVersion":"';
  const assumedRoleOpening = '","userIdentity":{"type":"AssumedRole","principalId":"';
  const arnOpening = '","arn":"';
  if (!startsWithText(start, end, versionOpening)) return;
  const versionEnd = indexOfByte(0x22, start + <usize>versionOpening.length, end);
  if (!startsWithText(versionEnd, end, assumedRoleOpening)) return;
  const idStart = versionEnd + <usize>assumedRoleOpening.length;
  const idEnd = indexOfByte(0x22, idStart, end);
  if (!startsWithText(idEnd, end, arnOpening)) return;
  const colon = indexOfByte(0x3a, idStart, end);
  const arnStart = idEnd + <usize>arnOpening.length;
  const arnEnd = indexOfByte(0x22, arnStart, end);
  if (colon >= idEnd || arnEnd >= end) return;
  let slash = arnEnd;
  while (slash > arnStart && load<u8>(slash - 1) !== 0x2f) slash--;
  if (slash === arnStart) return;
  if (plainEnd(colon + 1, end) !== idEnd || plainEnd(slash, end) !== arnEnd) return;
  setRegion(FIELDS, <i32>(colon + 1 - start), <i32>(idEnd - start));
  setRegion(FIELDS + 1, <i32>(slash - start), <i32>(arnEnd - start));
  store<i32>(RESULT + ((<usize>REGIONS) << 3), 1);
}

// A 64-bit constant, written in halves: a JavaScript reader of this file would round it.
const MIX: u64 = ((<u64>0xbf58476d) << 32) | 0x1ce4e5b9;

function mix(h: u64): u64 {
  h ^= h >> 29;
  h *= MIX;
  return h ^ (h >> 32);
}

/**
 * The hash's four lanes: each takes every fourth word of a record's kept bytes, so the multiplies of a record are
 * four short chains that run side by side instead of one long one.
 */
let lane0: u64 = 0;
let lane1: u64 = 0;
let lane2: u64 = 0;
let lane3: u64 = 0;

function step(h: u64, word: u64): u64 {
  h = (h ^ word) * 0x100000001b3;
  return h ^ (h >> 29);
}

/** Adds the bytes `[p, end)` to the lanes. */
function hashBytes(p: usize, end: usize): void {
  let a = lane0;
  let b = lane1;
  let c = lane2;
  let d = lane3;
  for (; p + 32 <= end; p += 32) {
    a = step(a, load<u64>(p));
    b = step(b, load<u64>(p + 8));
    c = step(c, load<u64>(p + 16));
    d = step(d, load<u64>(p + 24));
  }
  for (; p + 8 <= end; p += 8) a = step(a, load<u64>(p));
  for (; p < end; p++) b = step(b, <u64>load<u8>(p));
  lane0 = a;
  lane1 = b;
  lane2 = c;
  lane3 = d;
}

function sameBytes(a: usize, b: usize, length: usize): bool {
  let i: usize = 0;
  while (i + 16 <= length) {
    if (!v128.all_true<i8>(i8x16.eq(v128.load(a + i), v128.load(b + i)))) return false;
    i += 16;
  }
  for (; i < length; i++) if (load<u8>(a + i) !== load<u8>(b + i)) return false;
  return true;
}

function orderAt(k: i32): i32 {
  return load<i32>(ORDER + ((<usize>k) << 2));
}

function insertAt(region: i32): i32 {
  return load<i32>(INSERT_AT + ((<usize>region) << 2));
}

/** Whether the remembered entry at `entry` is the key of the last lookup: same places, same bytes. */
function sameKey(entry: usize): bool {
  if (load<u32>(entry) !== lastKept) return false;
  for (let region = 0; region < REGIONS; region++) {
    if (load<i32>(entry + 4 + ((<usize>region) << 2)) !== insertAt(region)) return false;
  }
  let kept = entry + ENTRY_HEAD;
  let piece = lastStart;
  for (let k = 0; k < lastRegions; k++) {
    const region = orderAt(k);
    const cut = lastStart + <usize>regionStart(region);
    if (!sameBytes(kept, piece, cut - piece)) return false;
    kept += cut - piece;
    piece = lastStart + <usize>regionEnd(region);
  }
  return sameBytes(kept, piece, lastEnd - piece);
}

/**
 * The call remembered for the record at `[start, end)` of the input (offsets from `inputAt`): its index (>= 0),
 * -1 when its key is not remembered, -2 when it has no time or an empty one, -3 when a volatile value is not plain.
 * The regions cut are left at `resultAt` for the caller.
 */
export function lookup(start: usize, end: usize, cutSession: bool): i32 {
  start += INPUT;
  end += INPUT;
  for (let region = 0; region < REGIONS; region++) setRegion(region, -1, -1);
  store<i32>(RESULT + ((<usize>REGIONS) << 3), 0);
  if (!cutFields(start, end)) return NO_KEY_NOT_PLAIN;
  if (regionStart(timeField) < 0 || regionStart(timeField) === regionEnd(timeField)) return NO_KEY_TIME;
  if (cutSession) cutSessionName(start, end);
  // The regions in the order they lie in the record (they never overlap: each value ends at the first quote).
  let regions: i32 = 0;
  for (let region = 0; region < REGIONS; region++) {
    const at = regionStart(region);
    if (at < 0) continue;
    let k = regions;
    while (k > 0 && regionStart(orderAt(k - 1)) > at) {
      store<i32>(ORDER + ((<usize>k) << 2), orderAt(k - 1));
      k--;
    }
    store<i32>(ORDER + ((<usize>k) << 2), region);
    regions++;
  }
  lane0 = seedHash;
  lane1 = ~seedHash;
  lane2 = rotl(seedHash, 21);
  lane3 = rotl(~seedHash, 43);
  let kept: u32 = 0;
  let piece = start;
  for (let region = 0; region < REGIONS; region++) store<i32>(INSERT_AT + ((<usize>region) << 2), -1);
  for (let k = 0; k < regions; k++) {
    const region = orderAt(k);
    const cut = start + <usize>regionStart(region);
    hashBytes(piece, cut);
    kept += <u32>(cut - piece);
    store<i32>(INSERT_AT + ((<usize>region) << 2), <i32>kept);
    piece = start + <usize>regionEnd(region);
  }
  hashBytes(piece, end);
  kept += <u32>(end - piece);
  let h = mix(lane0 ^ rotl(lane1, 17) ^ rotl(lane2, 31) ^ rotl(lane3, 47));
  for (let region = 0; region < REGIONS; region++) h = mix(h ^ <u64>(<u32>insertAt(region)));
  h &= hashMask;
  lastHash = h;
  lastStart = start;
  lastEnd = end;
  lastKept = kept;
  lastRegions = regions;
  let at = TABLE + <usize>(<u32>h & (SLOTS - 1)) * SLOT_BYTES;
  for (let entry = load<u32>(at + 8); entry !== 0; entry = load<u32>(at + 8)) {
    if (load<u64>(at) === h && sameKey(ARENA + <usize>(entry - 1))) return load<i32>(at + 12);
    at = at + SLOT_BYTES < ARENA ? at + SLOT_BYTES : TABLE;
  }
  return UNKNOWN;
}

/** Remembers the key of the last lookup for `call`; false when there is no room (`forget`, then try again). */
export function remember(call: i32): bool {
  const size = ENTRY_HEAD + <usize>lastKept;
  if (arenaUsed + size > ARENA_BYTES || entries * 2 >= SLOTS) return false;
  const entry = ARENA + arenaUsed;
  store<u32>(entry, lastKept);
  for (let region = 0; region < REGIONS; region++) store<i32>(entry + 4 + ((<usize>region) << 2), insertAt(region));
  let kept = entry + ENTRY_HEAD;
  let piece = lastStart;
  for (let k = 0; k < lastRegions; k++) {
    const region = orderAt(k);
    const cut = lastStart + <usize>regionStart(region);
    memory.copy(kept, piece, cut - piece);
    kept += cut - piece;
    piece = lastStart + <usize>regionEnd(region);
  }
  memory.copy(kept, piece, lastEnd - piece);
  let slot = <u32>lastHash & (SLOTS - 1);
  while (load<u32>(TABLE + <usize>slot * SLOT_BYTES + 8) !== 0) slot = (slot + 1) & (SLOTS - 1);
  const at = TABLE + <usize>slot * SLOT_BYTES;
  store<u64>(at, lastHash);
  store<u32>(at + 8, <u32>arenaUsed + 1);
  store<i32>(at + 12, call);
  arenaUsed += (size + 7) & ~7;
  entries++;
  return true;
}
