import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RunFailure, UsageError } from './cli-io.js';

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

/** A write that failed, as one line naming the file and the reason. */
export function cannotWrite(display: string, error: unknown): RunFailure {
  return new RunFailure(`cannot write ${display}: ${reasonOf(error)}`);
}

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
  if (existing?.isDirectory() === true) throw cannotWrite(display, { code: 'EISDIR' });
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

/**
 * Fails now, before a long read, where `writeFileAtomic` would fail at its end: a folder in the file's place, a
 * missing or unwritable folder. Devices are written in place and are not checked.
 */
export async function checkWritableFile(path: string, display = path): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory() === true) throw cannotWrite(display, { code: 'EISDIR' });
  if (existing !== undefined && !existing.isFile()) return;
  await checkWritableFolder(dirname(path), display);
}

/**
 * `--out-dir` checked before the read: something other than a folder in its place is a usage error; a folder, or
 * for a new one the nearest existing parent, that cannot be written is one `cannot write` line.
 */
export async function checkOutDir(path: string, display = path): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) throw new UsageError(`--out-dir ${display} is not a folder`);
  let nearest = path;
  if (existing === undefined) {
    // A new folder is made with its parents: the first of them that exists must take it.
    do nearest = dirname(nearest);
    while ((await stat(nearest).catch(() => undefined)) === undefined && nearest !== dirname(nearest));
  }
  await checkWritableFolder(nearest, display);
}

async function checkWritableFolder(folder: string, display: string): Promise<void> {
  try {
    if (!(await stat(folder)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await access(folder, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw cannotWrite(display, error);
  }
}
