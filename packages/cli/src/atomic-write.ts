import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RunFailure } from './cli-io.js';

/** Temporary files being written right now, so an interrupted run can remove them on its way out. */
const pending = new Set<string>();

/** Removes the temporary files of writes still in flight; for signal handlers, hence synchronous. */
export function removePendingWrites(): void {
  for (const path of pending) rmSync(path, { force: true });
  pending.clear();
}

const reasons: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such folder',
  ENOTDIR: 'a parent is not a folder',
  EISDIR: 'it is a folder',
};

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && reasons[code] !== undefined) return reasons[code];
  return error instanceof Error ? error.message : String(error);
}

/**
 * Writes beside the target, then renames: a reader never sees half a file, a failure leaves none.
 * Devices and pipes (`/dev/stdout`) are written in place, since a rename would replace the device itself.
 * Any failure is one line naming the file and the reason.
 */
export async function writeFileAtomic(path: string, text: string, display = path): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory() === true) throw new RunFailure(`cannot write ${display}: it is a folder`);
  if (existing !== undefined && !existing.isFile()) {
    try {
      await writeFile(path, text, 'utf8');
      return;
    } catch (error) {
      throw new RunFailure(`cannot write ${display}: ${reasonOf(error)}`);
    }
  }
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  pending.add(temporary);
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new RunFailure(`cannot write ${display}: ${reasonOf(error)}`);
  } finally {
    pending.delete(temporary);
  }
}
