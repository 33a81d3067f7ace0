import { randomBytes } from 'node:crypto';
import { mkdir, open, opendir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IntegrityError, TemporaryError, ValidationError } from '../core/errors.js';
import type { BlobStore } from './store.types.js';

const TEMP_PREFIX = '.tmp-';
/** process.pid is a system call each time it is read; temp names need it once per object. */
const PID = process.pid;
const KEY_PATTERN = /^[0-9a-f]{16,128}$/;
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Open temp files per wave, so one huge group cannot exhaust file descriptors. */
const WAVE_SIZE = 128;
/** Bound on remembered folders (256 shards per tenant), for installations with many tenants. */
const MAX_KNOWN_DIRECTORIES = 64 * 1024;
/** Errors that mean "try again later" rather than "this data is wrong". */
const TEMPORARY_CODES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO']);

/** Hooks for tests to make a write fail at a chosen step. Never set in production. */
export interface FsBlobStoreFaults {
  /** Called before an object's bytes go to its temp file; throw to simulate ENOSPC and the like. */
  beforeWrite?: (tempPath: string, key: string) => void | Promise<void>;
  /** Called after every temp file of the group is fsynced, before the first rename. */
  beforeRename?: (tempPath: string, key: string) => void | Promise<void>;
}

export interface FsBlobStoreOptions {
  faults?: FsBlobStoreFaults;
}

/**
 * Content-addressed objects under `<dataDir>/blobs/<tenantId>/<key[0..2]>/<key>`.
 *
 * Objects appear only by rename after their bytes are fsynced, so a reader or a crash never sees a
 * partial object; temp files (`.tmp-…`) live in the target folder so the rename never crosses a
 * filesystem, and are invisible to `list`.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly faults: FsBlobStoreFaults;
  /**
   * Shard folders known to exist (created or seen by this instance), so a group does not pay one
   * mkdir per folder it touches. There are at most 256 per tenant.
   */
  private readonly knownDirectories = new Set<string>();

  constructor(dataDir: string, options: FsBlobStoreOptions = {}) {
    this.root = join(dataDir, 'blobs');
    this.faults = options.faults ?? {};
  }

  async putMany(tenantId: string, objects: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void> {
    const unique = new Map<string, Uint8Array>();
    for (const o of objects) unique.set(checkKey(o.key), o.data);

    // Same key means same content (HMAC of the bytes), so an existing object is already right.
    // Checked concurrently: one at a time, each check waits its turn behind the fsyncs in flight.
    const candidates = [...unique].map(([key, data]) => ({ key, data, path: this.pathOf(tenantId, key) }));
    const present = await Promise.all(candidates.map((c) => exists(c.path)));
    const pending = candidates.filter((_, i) => !present[i]);
    if (pending.length === 0) return;

    try {
      const dirsToSync = new Set<string>();
      await Promise.all(
        [...new Set(pending.map((p) => dirname(p.path)))].map(async (dir) => {
          await this.ensureDirectory(dir, dirsToSync);
          dirsToSync.add(dir);
        }),
      );
      for (let i = 0; i < pending.length; i += WAVE_SIZE) {
        await this.writeWave(pending.slice(i, i + WAVE_SIZE));
      }
      // One fsync per distinct folder makes all of the group's renames durable together.
      await Promise.all([...dirsToSync].map(fsyncDirectory));
      // Only now are these folders' own entries durable; from here on no mkdir or parent fsync.
      for (const p of pending) this.rememberDirectory(dirname(p.path));
    } catch (err) {
      // A folder removed under us is created again by the next call.
      this.knownDirectories.clear();
      throw asStoreError(err, `could not store ${pending.length} object(s) for tenant ${tenantId}`);
    }
  }

  /** Write + fsync (concurrently: parallel fsyncs share one journal commit on ext4), then rename. */
  private async writeWave(wave: Array<{ key: string; data: Uint8Array; path: string }>): Promise<void> {
    const temps = wave.map((w) => ({ ...w, temp: join(dirname(w.path), `${TEMP_PREFIX}${randomName()}`) }));
    const handles: FileHandle[] = [];
    const created: string[] = [];
    try {
      // allSettled, not all: on a failure every sibling must have finished before the cleanup below
      // looks at `created`, or a temp file opened a moment later would be left behind.
      const results = await Promise.allSettled(
        temps.map(async (t) => {
          const fh = await open(t.temp, 'wx', 0o600);
          handles.push(fh);
          created.push(t.temp);
          await this.faults.beforeWrite?.(t.temp, t.key);
          await fh.writeFile(t.data);
          await fh.sync();
        }),
      );
      const failure = results.find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
      await Promise.all(handles.splice(0).map((fh) => fh.close()));
      for (const t of temps) {
        await this.faults.beforeRename?.(t.temp, t.key);
        await rename(t.temp, t.path);
        created.splice(created.indexOf(t.temp), 1);
      }
    } catch (err) {
      await Promise.allSettled(handles.map((fh) => fh.close()));
      await Promise.allSettled(created.map((p) => unlink(p)));
      throw err;
    }
  }

  /**
   * mkdir -p, then fsync of every folder from the shard up to the data folder: the first time this
   * instance uses a shard, it cannot tell whether a concurrent putMany created part of the path and
   * has not yet made it durable. Remembered shards (see putMany) skip all of it.
   */
  private async ensureDirectory(dir: string, dirsToSync: Set<string>): Promise<void> {
    if (this.knownDirectories.has(dir)) return;
    await mkdir(dir, { recursive: true });
    const top = dirname(this.root);
    for (let d = dir; d !== top && dirname(d) !== d; d = dirname(d)) dirsToSync.add(dirname(d));
  }

  private rememberDirectory(dir: string): void {
    if (this.knownDirectories.size >= MAX_KNOWN_DIRECTORIES) this.knownDirectories.clear();
    this.knownDirectories.add(dir);
  }

  async get(tenantId: string, key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(tenantId, checkKey(key)));
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw missing(tenantId, key);
      throw asStoreError(err, `could not read object ${key}`);
    }
  }

  async has(tenantId: string, key: string): Promise<boolean> {
    return exists(this.pathOf(tenantId, checkKey(key)));
  }

  async delete(tenantId: string, key: string): Promise<void> {
    const path = this.pathOf(tenantId, checkKey(key));
    try {
      await unlink(path);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return;
      throw asStoreError(err, `could not delete object ${key}`);
    }
    // Retention and erasure promise the object is gone; without this a crash could bring it back.
    await fsyncDirectory(dirname(path));
  }

  async *list(tenantId: string): AsyncIterable<string> {
    const tenantDir = this.tenantDir(tenantId);
    for (const shard of await readDirNames(tenantDir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await readDirNames(join(tenantDir, shard))) {
        if (KEY_PATTERN.test(name) && name.startsWith(shard)) yield name;
      }
    }
  }

  async sizeOf(tenantId: string, key: string): Promise<number> {
    try {
      return (await stat(this.pathOf(tenantId, checkKey(key)))).size;
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw missing(tenantId, key);
      throw err;
    }
  }

  /**
   * Removes temp files left by a crash in the middle of `putMany`. Run it at start-up, before any
   * writer runs: a temp file of a live write would otherwise be removed under it (`olderThanMs`
   * guards that case when cleanup must run beside writers). Returns how many files it removed.
   */
  async cleanup(options: { olderThanMs?: number } = {}): Promise<number> {
    const cutoff = Date.now() - (options.olderThanMs ?? 0);
    let removed = 0;
    for (const tenant of await readDirNames(this.root)) {
      for (const shard of await readDirNames(join(this.root, tenant))) {
        const dir = join(this.root, tenant, shard);
        for (const name of await readDirNames(dir)) {
          if (!name.startsWith(TEMP_PREFIX)) continue;
          const p = join(dir, name);
          try {
            if ((await stat(p)).mtimeMs <= cutoff) {
              await unlink(p);
              removed++;
            }
          } catch (err) {
            if (!isCode(err, 'ENOENT')) throw err;
          }
        }
      }
    }
    return removed;
  }

  private tenantDir(tenantId: string): string {
    if (!TENANT_PATTERN.test(tenantId))
      throw new ValidationError(`invalid tenant id for the blob store: ${tenantId}`);
    return join(this.root, tenantId);
  }

  private pathOf(tenantId: string, key: string): string {
    return join(this.tenantDir(tenantId), key.slice(0, 2), key);
  }
}

function checkKey(key: string): string {
  // Keys become file names: anything but lowercase hex could escape the tenant folder.
  if (!KEY_PATTERN.test(key)) throw new ValidationError(`invalid blob key: ${JSON.stringify(key)}`);
  return key;
}

function missing(tenantId: string, key: string): IntegrityError {
  return new IntegrityError(`object ${key} is missing`, { tenantId, key });
}

function asStoreError(err: unknown, message: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && TEMPORARY_CODES.has(code)) {
    return new TemporaryError(`${message}: ${code} (${(err as Error).message})`, { code });
  }
  return err;
}

async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
}

async function readDirNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const d of await opendir(dir)) names.push(d.name);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return [];
    throw err;
  }
  return names.sort();
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

function randomName(): string {
  return `${PID}-${randomBytes(8).toString('hex')}`;
}
