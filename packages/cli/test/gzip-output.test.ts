import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gunzipReusingOutput, outputChunkSize } from '../src/sources/gzip-output.js';

const text = Buffer.from('{"Records":[]}'.repeat(10_000));
/** Bytes that do not compress: a small gzip file of them can still be believed to expand to tens of megabytes. */
const noise = randomBytes(40_000);

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

/** What `gunzipSync` makes of the input with the same chunk: its output, or the code and message of its error. */
function plainGunzip(gzip: Buffer, maxBytes: number): string | { code: unknown; message: string } {
  try {
    return gunzipSync(gzip, { maxOutputLength: maxBytes, chunkSize: outputChunkSize(gzip, maxBytes) }).toString(
      'latin1',
    );
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message };
  }
}

function reusingGunzip(gzip: Buffer, maxBytes: number): string | { code: unknown; message: string } {
  try {
    return gunzipReusingOutput(gzip, maxBytes).toString('latin1');
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message };
  }
}

describe('gunzipReusingOutput', () => {
  const big = 256 * 1024 * 1024;
  it.each([
    ['a gzip file', gzipSync(text), big],
    ['an empty member', gzipSync(''), big],
    ['two members, the trailer naming the last one only', Buffer.concat([gzipSync(text), gzipSync('tail')]), big],
    ['a trailer claiming less than the output', withTrailer(gzipSync(text), 10), big],
    ['a trailer claiming more than the output', withTrailer(gzipSync(text), text.length * 3), big],
    ['a trailer claiming more than the reused buffer holds', withTrailer(gzipSync(noise), 50 * 1024 * 1024), big],
    ['output over the cap', gzipSync(text), 1000],
    ['output exactly at the cap', gzipSync(text), text.length],
    ['a truncated file', gzipSync(text).subarray(0, 200), big],
    ['not gzip at all', Buffer.from('{"Records":[]}'), big],
    ['a corrupt body', Buffer.concat([gzipSync(text).subarray(0, 20), Buffer.alloc(50, 0xff)]), big],
  ])('%s: what gunzipSync gives, output or error', (_, gzip, maxBytes) => {
    expect(reusingGunzip(gzip, maxBytes)).toEqual(plainGunzip(gzip, maxBytes));
  });

  it('decompresses into one buffer kept by the thread, so files do not each take fresh memory', () => {
    const first = gunzipReusingOutput(gzipSync('first file'), 1000);
    expect(first.toString()).toBe('first file');
    const second = gunzipReusingOutput(gzipSync('second'), 1000);
    expect(second.toString()).toBe('second');
    // The documented contract: a result is valid until the next call in the thread.
    expect(second.buffer).toBe(first.buffer);
    expect(first.toString()).toBe('second' + 'file');
  });

  it('gives what gunzipSync gives for any members, trailers and cap', () => {
    const member = fc.oneof(fc.string({ maxLength: 3000 }), fc.constant(text.toString()));
    fc.assert(
      fc.property(
        fc.array(member, { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.integer({ min: 1, max: 200_000 }),
        (members, trailer, maxBytes) => {
          const file = Buffer.concat(members.map((m) => gzipSync(m)));
          const gzip = trailer === undefined ? file : withTrailer(file, trailer);
          expect(reusingGunzip(gzip, maxBytes)).toEqual(plainGunzip(gzip, maxBytes));
        },
      ),
      { numRuns: 300 },
    );
  });
});
