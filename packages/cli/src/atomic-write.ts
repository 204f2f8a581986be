import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { access, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RunFailure, UsageError } from './cli-io.js';

/** Temporary files being written right now, and their writes, so an interrupted run can remove them on its way out. */
const pending = new Map<string, Promise<unknown>>();
/** Set once the run is interrupted: no write starts or is renamed into place after that. */
let stopped = false;

/** A write refused because the run is being interrupted: the signal's own line says so, not this. */
export class WriteInterrupted extends RunFailure {
  constructor(display: string) {
    super(`${display} was not written: the run was interrupted`);
  }
}

/**
 * Stops every write and removes the temporary files of those in flight, once their writes have settled: a file
 * whose creation is still queued in the thread pool would otherwise appear after it was removed. Waits at most
 * `patienceMs` (a write stuck on a dead network mount must not hold the exit).
 */
export async function removePendingWrites(patienceMs = 2000): Promise<void> {
  stopped = true;
  let timer: NodeJS.Timeout | undefined;
  const patience = new Promise((resolve) => {
    timer = setTimeout(resolve, patienceMs);
  });
  await Promise.race([Promise.allSettled(pending.values()), patience]);
  clearTimeout(timer);
  for (const path of pending.keys()) rmSync(path, { force: true });
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
      throw cannotWrite(display, error);
    }
  }
  await writeStaged([{ path, text, display }]);
}

/** One file of a set written together. */
export interface FileToWrite {
  readonly path: string;
  readonly text: string;
  /** How messages name it. */
  readonly display: string;
}

/**
 * Writes a set of files (an `--out-dir` and its index) so that a failure or an interrupt while they are written
 * leaves every one as it was: all are written beside their targets first, then renamed in one burst that an
 * interrupt waits for. Only a rename refused midway (a file another user owns) can leave some renamed; the error
 * names that file.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[]): Promise<void> {
  for (const file of files) {
    if ((await stat(file.path).catch(() => undefined))?.isDirectory() === true) {
      throw cannotWrite(file.display, { code: 'EISDIR' });
    }
  }
  await writeStaged(files);
}

/** A hidden name, unique to this write, in the folder of `path`: where its new content waits to be renamed over it. */
export function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes each file beside its target, then renames them all: a write that fails, or an interrupt before the
 * renames, removes every temporary file and leaves the targets as they were.
 */
async function writeStaged(files: readonly FileToWrite[]): Promise<void> {
  if (stopped) throw new WriteInterrupted(files[0]?.display ?? 'output');
  const staged = files.map((file) => ({
    ...file,
    temporary: temporaryBeside(file.path),
  }));
  const removeStaged = () => Promise.all(staged.map((file) => rm(file.temporary, { force: true })));
  const writes = staged.map((file) => {
    const written = writeFile(file.temporary, file.text, 'utf8').then(
      () => undefined,
      (error: unknown) => cannotWrite(file.display, error),
    );
    pending.set(file.temporary, written);
    return written;
  });
  const failure = (await Promise.all(writes)).find((outcome) => outcome !== undefined);
  if (failure !== undefined || stopped) {
    await removeStaged();
    for (const file of staged) pending.delete(file.temporary);
    throw failure ?? new WriteInterrupted(files[0]?.display ?? 'output');
  }
  const commit = (async () => {
    for (const file of staged) {
      try {
        await rename(file.temporary, file.path);
      } catch (error) {
        await removeStaged();
        throw cannotWrite(file.display, error);
      }
    }
  })();
  for (const file of staged) pending.set(file.temporary, commit);
  try {
    await commit;
  } finally {
    for (const file of staged) pending.delete(file.temporary);
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
