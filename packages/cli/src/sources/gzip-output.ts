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
