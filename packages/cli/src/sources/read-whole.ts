import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Files up to this size are read into one buffer kept by the thread. A fresh buffer per file costs more than reading
 * it: the memory is mapped and faulted in anew each time, most of all on worker threads.
 */
const reusedBufferBytes = 16 * 1024 * 1024;
let reused = Buffer.allocUnsafe(0);

/**
 * A local file's bytes, read synchronously. Small files land in the thread's reused buffer: valid only until the
 * next read, which is safe because a file is analyzed to the end, synchronously, before the next one is read, and
 * nothing of it outlives its analysis.
 */
export function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= reusedBufferBytes && size > reused.length)
      reused = Buffer.allocUnsafe(Math.min(size * 2, reusedBufferBytes));
    const target = size <= reusedBufferBytes ? reused : Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const got = readSync(fd, target, read, size - read, read);
      if (got === 0) break;
      read += got;
    }
    return target.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
