import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The part of the WebAssembly global this module uses (the project's TypeScript libraries do not declare it). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const { WebAssembly } = globalThis as unknown as { readonly WebAssembly: WebAssemblyApi };

/** What `assembly/record-keys.ts` exports, as compiled by `pnpm build`. */
interface RecordKeysExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  laidOut(): number;
  inputAt(): number;
  resultAt(): number;
  openingAt(field: number): number;
  fieldCount(): number;
  setTimeField(field: number): void;
  setOpening(field: number, length: number, keptIfNotPlain: number): void;
  reserve(bytes: number): number;
  forget(): void;
  weakenHash(): void;
  seed(high: number, low: number): void;
  lookup(start: number, end: number, cutSession: number): number;
  remember(call: number): number;
}

/** `lookup` found no remembered call for the key. */
export const unknownKey = -1;
/** The record has no time, or an empty one: it has no key. */
export const noKeyWithoutTime = -2;
/** A volatile value is not plain printable ASCII, or the record is longer than the window: it has no key. */
export const noKeyNotPlain = -3;

/** The bytes of a file copied into the module's memory at a time: records longer than this are never keyed. */
const windowBytes = 8 * 1024 * 1024;

const wasmFile = new URL('../../dist/record-keys.wasm', import.meta.url);
let compiled: object | undefined;

/**
 * The keys of the shortcut for repeated calls, worked out in WebAssembly (`assembly/record-keys.ts`): a record is
 * known when its bytes, without the volatile values, equal those of a remembered record byte for byte, with the
 * values at the same places. One instance per thread and selection: it holds up to 16 MB of remembered bytes.
 */
export class RecordKeys {
  readonly #module: RecordKeysExports;
  /** The file whose bytes from `#windowStart` are in the module's memory. */
  #bytes: Buffer | undefined;
  #windowStart = 0;
  #windowEnd = 0;
  readonly #result: Int32Array;
  readonly #fields: number;

  /**
   * For these fields (as many as the module cuts), in the order the result gives their values: the field whose
   * value is the event's time, which every key needs, and those whose value stays in the key when it is not plain.
   */
  constructor(fields: readonly string[], timeField: string, keptWhenNotPlain: ReadonlySet<string>) {
    this.#fields = fields.length;
    compiled ??= new WebAssembly.Module(readFileSync(wasmFile));
    this.#module = new WebAssembly.Instance(compiled, {}).exports as unknown as RecordKeysExports;
    if (!this.#module.laidOut()) throw new Error('record keys: static data overlaps the regions');
    if (fields.length !== this.#module.fieldCount() || !fields.includes(timeField)) {
      throw new Error(`record keys: the module cuts ${this.#module.fieldCount()} fields, time among them`);
    }
    if (!this.#module.reserve(windowBytes)) throw new Error('record keys: no memory for the window');
    for (const [field, name] of fields.entries()) {
      const opening = Buffer.from(`"${name}":"`, 'latin1');
      // The module finds a name by its last 8 bytes (with its opening quote) and keeps up to 31 bytes of an opening.
      if (opening.length < 11 || opening.length > 31) throw new Error(`record keys: cannot cut a field named ${name}`);
      new Uint8Array(this.#module.memory.buffer, this.#module.openingAt(field), opening.length).set(opening);
      this.#module.setOpening(field, opening.length, keptWhenNotPlain.has(name) ? 1 : 0);
    }
    this.#module.setTimeField(fields.indexOf(timeField));
    // Hashes only say where to compare; random ones keep crafted records from all probing the same slots.
    const random = randomBytes(8);
    this.#module.seed(random.readUInt32LE(0), random.readUInt32LE(4));
    this.#result = new Int32Array(this.#module.memory.buffer, this.#module.resultAt(), 2 * fields.length + 5);
  }

  /**
   * The call remembered for the record `bytes[start, end)` (>= 0), or `unknownKey`, `noKeyWithoutTime` or
   * `noKeyNotPlain`. With `cutSession`, the session's name is cut too where the record opens as an assumed role's.
   */
  lookup(bytes: Buffer, start: number, end: number, cutSession: boolean): number {
    if (end - start > windowBytes) return noKeyNotPlain;
    // A thread decompresses every file into the same buffer: a new file's bytes must be loaded anew.
    if (bytes !== this.#bytes || start < this.#windowStart || end > this.#windowEnd) this.#load(bytes, start);
    return this.#module.lookup(start - this.#windowStart, end - this.#windowStart, cutSession ? 1 : 0);
  }

  /** Remembers the key of the last lookup (which found none) for `call`; false when full (`forget` first). */
  remember(call: number): boolean {
    return this.#module.remember(call) !== 0;
  }

  forget(): void {
    this.#module.forget();
  }

  /** Makes every key hash alike, so that finding a key rests on comparing bytes alone (for tests). */
  weakenHash(): void {
    this.#module.weakenHash();
  }

  /** Before the records of another file, which may lie in the same buffer as the last one's. */
  nextFile(): void {
    this.#bytes = undefined;
  }

  /** Where the value of region `region` (a field by its index, then the session's name twice) starts, -1: not cut. */
  start(region: number): number {
    return this.#result[2 * region] as number;
  }

  end(region: number): number {
    return this.#result[2 * region + 1] as number;
  }

  /** Whether the last lookup cut the session's name. */
  sessionCut(): boolean {
    return this.#result[2 * (this.#fields + 2)] === 1;
  }

  #load(bytes: Buffer, start: number): void {
    const end = Math.min(bytes.length, start + windowBytes);
    new Uint8Array(this.#module.memory.buffer, this.#module.inputAt(), end - start).set(bytes.subarray(start, end));
    this.#bytes = bytes;
    this.#windowStart = start;
    this.#windowEnd = end;
  }
}
