import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Makes a rename or unlink in `dir` survive a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `chunks` to `path` so that after the promise resolves the whole file is on disk and a
 * crash at any earlier point leaves no file at all: temp file, fsync, rename, folder fsync. All of it
 * in libuv's thread pool, so the event loop keeps serving while the disk works.
 */
export async function writeFileDurably(
  path: string,
  chunks: readonly Uint8Array[],
  beforeWrite?: (tempPath: string) => void | Promise<void>,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await beforeWrite?.(temp);
    await writeFully(handle, Buffer.concat(chunks), 0);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await fsyncDirectory(dirname(path));
}

/**
 * Writes all of `chunk` at `position`: write() may take fewer bytes than offered (a nearly full
 * disk), so it goes on until all are written; a write of nothing is an error.
 */
export async function writeFully(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  for (let written = 0; written < chunk.length;) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.length - written, position + written);
    if (bytesWritten <= 0) throw new Error('the disk accepted no more bytes');
    written += bytesWritten;
  }
}
