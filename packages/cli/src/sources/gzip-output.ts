import { Gunzip, gunzipSync } from 'node:zlib';

/** Deflate expands at most about 1032 times; a gzip trailer claiming more than that is not believed. */
const deflateMaxRatio = 1032;
const defaultChunkSize = 16 * 1024;

/**
 * The output chunk for decompressing a gzip file: its decompressed size (the trailer's ISIZE) plus one byte, so
 * the whole output lands in one chunk and is not copied again to join chunks. ISIZE is only a hint (modulo 2^32,
 * the last member's only, possibly wrong): it is bounded by the cap and by what the compressed size can expand to,
 * and a wrong hint costs only the copy it meant to save.
 */
export function outputChunkSize(content: Uint8Array, maxBytes = Number.MAX_SAFE_INTEGER): number {
  const length = content.byteLength;
  if (length < 18) return defaultChunkSize;
  const trailer = Buffer.from(content.buffer, content.byteOffset + length - 4, 4).readUInt32LE(0);
  const hint = Math.min(trailer + 1, maxBytes + 1, length * deflateMaxRatio);
  return Math.max(defaultChunkSize, hint);
}

/**
 * Decompressed output up to this size lands in one buffer kept by the thread. A fresh buffer per file is freed only
 * when the garbage collector runs, many at once; the allocator then hands the memory back to the system, and the
 * next files fault it in anew. Reading 500 files of 2 MB on two worker threads took twice as long that way.
 */
const reusedOutputBytes = 32 * 1024 * 1024;
let reusedOutput = Buffer.allocUnsafe(0);

/** The parts of Node's zlib engine that `gunzipSync` itself drives (lib/zlib.js); checked before use. */
interface ZlibEngine {
  _outBuffer: Buffer;
  _outOffset: number;
  _chunkSize: number;
  readonly _finishFlushFlag: number;
  _processChunk(chunk: Uint8Array, flushFlag: number): Buffer;
}

function isZlibEngine(engine: object): engine is ZlibEngine {
  const e = engine as Partial<Record<keyof ZlibEngine, unknown>>;
  return (
    typeof e._processChunk === 'function' &&
    Buffer.isBuffer(e._outBuffer) &&
    typeof e._outOffset === 'number' &&
    typeof e._chunkSize === 'number' &&
    typeof e._finishFlushFlag === 'number'
  );
}

/**
 * `gunzipSync(content, { maxOutputLength: maxBytes, chunkSize: outputChunkSize(content, maxBytes) })`, with the same
 * output and the same errors, decompressed into the thread's reused buffer when the output fits
 * (`reusedOutputBytes`). The result is then a view of that buffer: valid until the next call in the thread, which is
 * safe because a file is analyzed to the end, synchronously, before the next one is decompressed, and nothing of its
 * bytes outlives its analysis. Node offers no public way to give zlib its output buffer; this sets the one
 * `gunzipSync` itself uses (lib/zlib.js), and falls back to `gunzipSync` where the engine is not as expected.
 */
export function gunzipReusingOutput(content: Uint8Array, maxBytes: number): Buffer {
  const chunkSize = outputChunkSize(content, maxBytes);
  if (chunkSize > reusedOutputBytes) return gunzipSync(content, { maxOutputLength: maxBytes, chunkSize });
  // The smallest chunk zlib accepts: the engine's own output buffer is replaced before any output is written.
  const engine = new Gunzip({ maxOutputLength: maxBytes, chunkSize: 64 });
  if (!isZlibEngine(engine)) return gunzipSync(content, { maxOutputLength: maxBytes, chunkSize });
  // Grown with room to spare, so files of about the same size do not each grow it.
  if (reusedOutput.length < chunkSize)
    reusedOutput = Buffer.allocUnsafe(Math.min(reusedOutputBytes, Math.ceil(chunkSize * 1.25)));
  // The chunk stays the one `gunzipSync` would be given: the same writes, so the same output and errors, only into
  // memory the thread already has.
  engine._outBuffer = reusedOutput;
  engine._outOffset = 0;
  engine._chunkSize = chunkSize;
  return engine._processChunk(content, engine._finishFlushFlag);
}
