import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removePendingWrites, WriteInterrupted, writeFileAtomic } from '../src/atomic-write.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-atomic-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Interrupting stops every later write in this module: this file holds nothing else.
describe('an interrupt while writes are in flight', () => {
  it('leaves neither the file nor its temporary file, even when the temporary file is not created yet', async () => {
    // Started and interrupted in the same tick: the temporary file's creation is still queued in the thread pool.
    const writes = ['a.json', 'b.json', 'c.json'].map((name) =>
      writeFileAtomic(join(dir, name), 'x'.repeat(8 << 20), name).then(
        () => 'written',
        (error: unknown) => error,
      ),
    );
    await removePendingWrites();
    for (const outcome of await Promise.all(writes)) expect(outcome).toBeInstanceOf(WriteInterrupted);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses writes asked for afterwards', async () => {
    await expect(writeFileAtomic(join(dir, 'later.json'), '{}\n', 'later.json')).rejects.toThrow(
      'later.json was not written: the run was interrupted',
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
