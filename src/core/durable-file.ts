import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
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
    const bytes = Buffer.concat(chunks);
    // write() may take fewer bytes than offered (a nearly full disk): go on until all are written.
    for (let written = 0; written < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, written);
      if (bytesWritten <= 0) throw new Error(`the disk accepted no more bytes for ${path}`);
      written += bytesWritten;
    }
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
