import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { outputChunkSize } from '../src/sources/gzip-output.js';

const text = Buffer.from('{"Records":[]}'.repeat(10_000));

function withTrailer(gzip: Buffer, size: number): Buffer {
  const copy = Buffer.from(gzip);
  copy.writeUInt32LE(size, copy.length - 4);
  return copy;
}

describe('outputChunkSize', () => {
  it.each([
    ['a gzip file: its decompressed size and one byte', gzipSync(text), undefined, text.length + 1],
    ['too short to hold a trailer: the default chunk', Buffer.from([0x1f, 0x8b]), undefined, 16 * 1024],
    ['a small decompressed size: never under the default chunk', gzipSync('{}'), undefined, 16 * 1024],
    ['a trailer claiming more than deflate can expand to', withTrailer(gzipSync(text), 2 ** 32 - 1), undefined, 0],
    ['a trailer claiming more than the cap', gzipSync(text), 100_000, 100_001],
  ])('%s', (_, gzip, cap, expected) => {
    const size = outputChunkSize(gzip, cap);
    if (expected === 0) expect(size).toBe(gzip.length * 1032);
    else expect(size).toBe(expected);
  });

  it('decompresses every member of a multi-member file, whose trailer names the last member only', () => {
    const file = Buffer.concat([gzipSync(text), gzipSync('tail')]);
    expect(gunzipSync(file, { chunkSize: outputChunkSize(file) }).toString()).toBe(`${text}tail`);
  });
});
