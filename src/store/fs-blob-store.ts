import { fsyncDirectory } from '../core/durable-file.js';
import { randomBytes } from 'node:crypto';
import { mkdir, open, opendir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { IntegrityError, TemporaryError, ValidationError } from '../core/errors.js';
import type { BlobLocator, BlobStore, BlobUsage } from './store.types.js';

const TEMP_PREFIX = '.tmp-';
/** process.pid is a system call each time it is read; temp names need it once per object. */
const PID = process.pid;
const KEY_PATTERN = /^[0-9a-f]{16,128}$/;
/** Open temp files per wave, so one huge group cannot exhaust file descriptors. */
const WAVE_SIZE = 128;
/** Bound on remembered folders (256 shards per tenant), for installations with many tenants. */
const MAX_KNOWN_DIRECTORIES = 64 * 1024;
/** Errors that mean "try again later" rather than "this data is wrong". */
const TEMPORARY_CODES = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'EIO']);

/**
 * Objects smaller than this go into the group's pack file. A SpamAssassin message encodes to ~2 KB:
 * as a file of its own it costs a 4 KiB block, an inode and an fsync; in a pack it costs its bytes.
 * Larger objects (attachments) keep a file of their own, where a block's slack does not matter.
 */
const DEFAULT_PACK_THRESHOLD = 256 * 1024;
/** A group larger than this is split over several packs, so no pack grows without bound. */
const MAX_PACK_BYTES = 64 * 1024 * 1024;

/*
 * Pack file: `<dataDir>/blobs/<tenantId>/packs/<name>.pack`, written once and never appended to.
 *
 *   pack   = PACK_MAGIC entry*
 *   entry  = state u8 ('E' live, 'D' deleted) | keyLength u8 | dataLength u32be | key (ASCII hex)
 *            | crc32 u32be of the header bytes before it | data (one encoded object)
 *
 * Each entry names its key and length, so a pack can be walked without the database (list, verify,
 * a future repair or compaction), and the object itself carries its own header and GCM tag with
 * AAD = tenantId/key: bytes read from the wrong place never authenticate.
 */
const PACK_MAGIC = Buffer.from('PVPACK\x00\x01', 'latin1');
const PACK_SUFFIX = '.pack';
const PACK_NAME_PATTERN = /^[0-9a-f]{24}$/;
const PACK_DIR = 'packs';
const ENTRY_LIVE = 0x45; // 'E'
const ENTRY_DELETED = 0x44; // 'D'
/** Header bytes besides the key: state, key length, data length, crc32. */
const ENTRY_FIXED = 1 + 1 + 4 + 4;
const MAX_ENTRY_HEADER = ENTRY_FIXED + 128;
const FILE_LOCATOR = 'f';
const PACK_LOCATOR = /^p:([0-9a-f]{24}):(\d{1,15}):(\d{1,15})$/;

type Location = { kind: 'file' } | { kind: 'pack'; pack: string; offset: number; length: number };

/** Hooks for tests to make a write fail at a chosen step. Never set in production. */
export interface FsBlobStoreFaults {
  /**
   * Called before an object's bytes go to its temp file (a standalone file, or the group's temp
   * pack); throw to simulate ENOSPC and the like.
   */
  beforeWrite?: (tempPath: string, key: string) => void | Promise<void>;
  /**
   * Called after every temp file of the group is fsynced, before its rename: once per standalone
   * object with its key, once per pack with the pack's name.
   */
  beforeRename?: (tempPath: string, target: string) => void | Promise<void>;
}

export interface FsBlobStoreOptions {
  faults?: FsBlobStoreFaults;
  /** Objects of fewer encoded bytes than this are packed; default DEFAULT_PACK_THRESHOLD. */
  packThreshold?: number;
}

/**
 * Encrypted objects under `<dataDir>/blobs/<tenantId>/`: small ones packed, one pack per `putMany`
 * (`packs/<name>.pack`, locator `p:<name>:<offset>:<length>` of the object's bytes), large ones in a
 * file of their own (`<key[0..2]>/<key>`, locator `f`).
 *
 * Files and packs appear only by rename after their bytes are fsynced, so a reader or a crash never
 * sees a partial one; temp files (`.tmp-…`) live in the target folder so the rename never crosses a
 * filesystem, are invisible to `list`, and are removed by `cleanup`. A pack whose group never reached
 * the database (a crash between the two) holds only unreferenced objects: harmless, and left to a
 * future compaction, which can also reclaim the space of deleted entries.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly faults: FsBlobStoreFaults;
  private readonly packThreshold: number;
  /**
   * Folders known to exist (created or seen by this instance), so a group does not pay one mkdir per
   * folder it touches. There are at most 257 per tenant (256 shards and the pack folder).
   */
  private readonly knownDirectories = new Set<string>();

  constructor(dataDir: string, options: FsBlobStoreOptions = {}) {
    this.root = join(dataDir, 'blobs');
    this.faults = options.faults ?? {};
    this.packThreshold = options.packThreshold ?? DEFAULT_PACK_THRESHOLD;
  }

  async putMany(
    tenantId: number,
    objects: ReadonlyArray<{ key: string; data: Uint8Array }>,
  ): Promise<Map<string, BlobLocator>> {
    const unique = new Map<string, Uint8Array>();
    for (const o of objects) unique.set(checkKey(o.key), o.data);
    const locators = new Map<string, BlobLocator>();
    const packGroups: Array<Array<{ key: string; data: Uint8Array }>> = [];
    const large: Array<{ key: string; data: Uint8Array }> = [];
    let packBytes = Infinity;
    for (const [key, data] of unique) {
      if (data.byteLength >= this.packThreshold) {
        large.push({ key, data });
        continue;
      }
      if (packBytes + data.byteLength > MAX_PACK_BYTES) {
        packGroups.push([]);
        packBytes = 0;
      }
      packGroups.at(-1)!.push({ key, data });
      packBytes += data.byteLength;
    }
    if (unique.size === 0) return locators;

    const dirsToSync = new Set<string>();
    const packsWritten: string[] = [];
    try {
      // allSettled: on a failure every sibling must have finished (and cleaned up after itself)
      // before this call returns, or a pack renamed a moment later would be left behind.
      const results = await Promise.allSettled([
        ...packGroups.map(async (group) => {
          const pack = await this.writePack(tenantId, group, dirsToSync);
          packsWritten.push(pack.path);
          for (const [key, locator] of pack.locators) locators.set(key, locator);
        }),
        this.writeFiles(tenantId, large, dirsToSync).then(() => {
          for (const { key } of large) locators.set(key, FILE_LOCATOR);
        }),
      ]);
      const failure = results.find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
      // One fsync per distinct folder makes all of the group's renames durable together.
      await Promise.all([...dirsToSync].map(fsyncDirectory));
      // Only now are these folders' own entries durable; from here on no mkdir or parent fsync.
      for (const dir of dirsToSync) if (dir.startsWith(this.root)) this.rememberDirectory(dir);
      return locators;
    } catch (err) {
      // No locator of a failed call is ever handed out, so its packs can go at once.
      await Promise.allSettled(packsWritten.map((p) => unlink(p)));
      // A folder removed under us is created again by the next call.
      this.knownDirectories.clear();
      throw asStoreError(err, `could not store ${unique.size} object(s) for tenant ${tenantId}`);
    }
  }

  /** One temp pack, one write, one fsync, one rename; the caller fsyncs the folder. */
  private async writePack(
    tenantId: number,
    objects: Array<{ key: string; data: Uint8Array }>,
    dirsToSync: Set<string>,
  ): Promise<{ path: string; locators: Map<string, BlobLocator> }> {
    const dir = join(this.tenantDir(tenantId), PACK_DIR);
    await this.ensureDirectory(dir, dirsToSync);
    dirsToSync.add(dir);
    const name = newPackName();
    const path = join(dir, name + PACK_SUFFIX);
    const temp = join(dir, `${TEMP_PREFIX}${randomName()}`);
    const locators = new Map<string, BlobLocator>();
    const chunks: Uint8Array[] = [PACK_MAGIC];
    let offset = PACK_MAGIC.length;
    const fh = await open(temp, 'wx', 0o600);
    let closed = false;
    try {
      for (const { key, data } of objects) {
        await this.faults.beforeWrite?.(temp, key);
        const header = entryHeader(ENTRY_LIVE, key, data.byteLength);
        chunks.push(header, data);
        offset += header.length;
        locators.set(key, `p:${name}:${offset}:${data.byteLength}`);
        offset += data.byteLength;
      }
      // One contiguous write: a copy of at most one group is cheaper than a write per object.
      await fh.writeFile(Buffer.concat(chunks, offset));
      await fh.sync();
      closed = true;
      await fh.close();
      await this.faults.beforeRename?.(temp, name);
      await rename(temp, path);
    } catch (err) {
      if (!closed) await fh.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return { path, locators };
  }

  /** Standalone files, skipping keys already present (same key, same content). */
  private async writeFiles(
    tenantId: number,
    objects: Array<{ key: string; data: Uint8Array }>,
    dirsToSync: Set<string>,
  ): Promise<void> {
    // Checked concurrently: one at a time, each check waits its turn behind the fsyncs in flight.
    const candidates = objects.map((o) => ({ ...o, path: this.pathOf(tenantId, o.key) }));
    const present = await Promise.all(candidates.map((c) => exists(c.path)));
    const pending = candidates.filter((_, i) => !present[i]);
    // An existing file may have been renamed into place by a concurrent or failed group whose
    // folder fsync has not happened: its folder is synced here too before the caller commits.
    for (const [i, c] of candidates.entries()) if (present[i]) dirsToSync.add(dirname(c.path));
    if (pending.length === 0) return;
    await Promise.all(
      [...new Set(pending.map((p) => dirname(p.path)))].map(async (dir) => {
        await this.ensureDirectory(dir, dirsToSync);
        dirsToSync.add(dir);
      }),
    );
    for (let i = 0; i < pending.length; i += WAVE_SIZE) {
      await this.writeWave(pending.slice(i, i + WAVE_SIZE));
    }
  }

  /** Write + fsync (concurrently: parallel fsyncs share one journal commit on ext4), then rename. */
  private async writeWave(wave: Array<{ key: string; data: Uint8Array; path: string }>): Promise<void> {
    const temps = wave.map((w) => ({ ...w, temp: join(dirname(w.path), `${TEMP_PREFIX}${randomName()}`) }));
    const handles: FileHandle[] = [];
    const created: string[] = [];
    try {
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
   * mkdir -p, then fsync of every folder from this one up to the data folder: the first time this
   * instance uses a folder, it cannot tell whether a concurrent putMany created part of the path and
   * has not yet made it durable. Remembered folders (see putMany) skip all of it.
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

  async get(tenantId: number, key: string, locator: BlobLocator): Promise<Buffer> {
    const location = parseLocator(checkKey(key), locator);
    if (location.kind === 'file') {
      try {
        return await readFile(this.pathOf(tenantId, key));
      } catch (err) {
        if (isCode(err, 'ENOENT')) throw missing(tenantId, key);
        throw asStoreError(err, `could not read object ${key}`);
      }
    }
    // One positional read of the entry header and the object, never the whole pack.
    const entry = await this.readPackEntry(tenantId, key, location, location.length);
    if (entry.state === ENTRY_DELETED) throw missing(tenantId, key, 'it was deleted');
    return entry.bytes.subarray(entry.headerSize);
  }

  async has(tenantId: number, key: string, locator: BlobLocator): Promise<boolean> {
    const location = parseLocator(checkKey(key), locator);
    if (location.kind === 'file') return exists(this.pathOf(tenantId, key));
    try {
      return (await this.readPackEntry(tenantId, key, location, 0)).state === ENTRY_LIVE;
    } catch (err) {
      if (err instanceof IntegrityError) return false;
      throw err;
    }
  }

  /**
   * A standalone file is unlinked. A packed object is overwritten in place with zeros and its entry
   * marked deleted, so retention and erasure hold at once; its space stays in the pack until a
   * compaction rewrites the pack without it.
   */
  async delete(tenantId: number, key: string, locator: BlobLocator): Promise<void> {
    const location = parseLocator(checkKey(key), locator);
    if (location.kind === 'file') {
      const path = this.pathOf(tenantId, key);
      try {
        await unlink(path);
      } catch (err) {
        if (isCode(err, 'ENOENT')) return;
        throw asStoreError(err, `could not delete object ${key}`);
      }
      // Retention and erasure promise the object is gone; without this a crash could bring it back.
      await fsyncDirectory(dirname(path));
      return;
    }
    let entry;
    try {
      entry = await this.readPackEntry(tenantId, key, location, 0);
    } catch (err) {
      // Already gone (the pack was removed or never made it): nothing left to erase.
      if (err instanceof IntegrityError && err.details?.missing === true) return;
      throw err;
    }
    if (entry.state === ENTRY_DELETED) return;
    const replacement = Buffer.concat([
      entryHeader(ENTRY_DELETED, key, location.length),
      Buffer.alloc(location.length),
    ]);
    const fh = await open(this.packPath(tenantId, location.pack), 'r+');
    try {
      await fh.write(replacement, 0, replacement.length, location.offset - entry.headerSize);
      await fh.sync();
    } catch (err) {
      throw asStoreError(err, `could not delete object ${key}`);
    } finally {
      await fh.close();
    }
  }

  /** Standalone files, then the live entries of every pack, read from the packs themselves. */
  async *list(tenantId: number): AsyncIterable<{ key: string; locator: BlobLocator }> {
    const tenantDir = this.tenantDir(tenantId);
    for (const shard of await readDirNames(tenantDir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await readDirNames(join(tenantDir, shard))) {
        if (KEY_PATTERN.test(name) && name.startsWith(shard)) yield { key: name, locator: FILE_LOCATOR };
      }
    }
    for (const pack of await this.packNames(tenantId)) {
      for await (const entry of walkPack(this.packPath(tenantId, pack), pack)) {
        if (entry.state === ENTRY_LIVE) yield { key: entry.key, locator: entry.locator };
      }
    }
  }

  /** A standalone file's size, or a packed object's bytes with its entry header. */
  async sizeOf(tenantId: number, key: string, locator: BlobLocator): Promise<number> {
    const location = parseLocator(checkKey(key), locator);
    if (location.kind === 'pack') {
      const entry = await this.readPackEntry(tenantId, key, location, 0);
      if (entry.state === ENTRY_DELETED) throw missing(tenantId, key, 'it was deleted');
      return entry.headerSize + location.length;
    }
    try {
      return (await stat(this.pathOf(tenantId, key))).size;
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw missing(tenantId, key);
      throw err;
    }
  }

  async usage(tenantId: number): Promise<BlobUsage> {
    const usage: BlobUsage = { objectFiles: 0, packFiles: 0, bytes: 0, allocatedBytes: 0 };
    const add = async (path: string) => {
      try {
        const s = await stat(path);
        usage.bytes += s.size;
        usage.allocatedBytes += s.blocks * 512;
        return true;
      } catch (err) {
        if (isCode(err, 'ENOENT')) return false;
        throw err;
      }
    };
    const tenantDir = this.tenantDir(tenantId);
    for (const shard of await readDirNames(tenantDir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of await readDirNames(join(tenantDir, shard))) {
        if (KEY_PATTERN.test(name) && (await add(join(tenantDir, shard, name)))) usage.objectFiles++;
      }
    }
    for (const pack of await this.packNames(tenantId)) {
      if (await add(this.packPath(tenantId, pack))) usage.packFiles++;
    }
    return usage;
  }

  /**
   * Removes temp files (objects and packs) left by a crash in the middle of `putMany`. Run it at
   * start-up, before any writer runs: a temp file of a live write would otherwise be removed under it
   * (`olderThanMs` guards that case when cleanup must run beside writers). Returns how many files it
   * removed.
   */
  async cleanup(options: { olderThanMs?: number } = {}): Promise<number> {
    const cutoff = Date.now() - (options.olderThanMs ?? 0);
    let removed = 0;
    for (const tenant of await readDirNames(this.root)) {
      // Every folder of a tenant: the 256 shards and the pack folder.
      for (const folder of await readDirNames(join(this.root, tenant))) {
        const dir = join(this.root, tenant, folder);
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

  /**
   * Reads an entry's header and `dataBytes` of its object with one positional read, and checks that
   * the header is intact and names this key and length.
   */
  private async readPackEntry(
    tenantId: number,
    key: string,
    location: Extract<Location, { kind: 'pack' }>,
    dataBytes: number,
  ): Promise<{ state: number; headerSize: number; bytes: Buffer }> {
    const headerSize = ENTRY_FIXED + key.length;
    const start = location.offset - headerSize;
    if (start < PACK_MAGIC.length) {
      throw new IntegrityError(`object ${key} has an invalid locator`, { tenantId, key });
    }
    let fh: FileHandle;
    try {
      fh = await open(this.packPath(tenantId, location.pack), 'r');
    } catch (err) {
      if (isCode(err, 'ENOENT')) throw missing(tenantId, key, `its pack ${location.pack} does not exist`);
      throw asStoreError(err, `could not read object ${key}`);
    }
    try {
      const bytes = Buffer.allocUnsafe(headerSize + dataBytes);
      const read = await readAt(fh, bytes, start);
      if (read < bytes.length) {
        throw missing(tenantId, key, `its pack ${location.pack} ends before it (truncated)`);
      }
      const header = parseEntryHeader(bytes);
      if (!header || header.key !== key || header.length !== location.length) {
        throw new IntegrityError(
          `object ${key}: the entry at offset ${start} of pack ${location.pack} is damaged or holds another object`,
          { tenantId, key },
        );
      }
      if (dataBytes < location.length && (await fh.stat()).size < location.offset + location.length) {
        throw missing(tenantId, key, `its pack ${location.pack} ends before it (truncated)`);
      }
      return { state: header.state, headerSize, bytes };
    } catch (err) {
      throw asStoreError(err, `could not read object ${key}`);
    } finally {
      await fh.close();
    }
  }

  private async packNames(tenantId: number): Promise<string[]> {
    const names: string[] = [];
    for (const file of await readDirNames(join(this.tenantDir(tenantId), PACK_DIR))) {
      const name = file.slice(0, -PACK_SUFFIX.length);
      if (file.endsWith(PACK_SUFFIX) && PACK_NAME_PATTERN.test(name)) names.push(name);
    }
    return names;
  }

  /** Removes everything stored for a tenant (after its keys are gone, it is unreadable anyway). */
  async deleteTenant(tenantId: number): Promise<void> {
    await rm(this.tenantDir(tenantId), { recursive: true, force: true });
    this.knownDirectories.clear();
  }

  private tenantDir(tenantId: number): string {
    if (!Number.isSafeInteger(tenantId) || tenantId < 0)
      throw new ValidationError(`invalid tenant id for the blob store: ${tenantId}`);
    return join(this.root, String(tenantId));
  }

  private pathOf(tenantId: number, key: string): string {
    return join(this.tenantDir(tenantId), key.slice(0, 2), key);
  }

  private packPath(tenantId: number, pack: string): string {
    return join(this.tenantDir(tenantId), PACK_DIR, pack + PACK_SUFFIX);
  }
}

function entryHeader(state: number, key: string, length: number): Buffer {
  const header = Buffer.allocUnsafe(ENTRY_FIXED + key.length);
  header[0] = state;
  header[1] = key.length;
  header.writeUInt32BE(length, 2);
  header.write(key, 6, 'latin1');
  header.writeUInt32BE(crc32(header.subarray(0, 6 + key.length)), 6 + key.length);
  return header;
}

/** The entry header at the start of `b`, or undefined when it is not an intact one. */
function parseEntryHeader(b: Buffer): { state: number; key: string; length: number } | undefined {
  if (b.length < ENTRY_FIXED) return undefined;
  const state = b[0]!;
  const keyLength = b[1]!;
  if ((state !== ENTRY_LIVE && state !== ENTRY_DELETED) || b.length < ENTRY_FIXED + keyLength)
    return undefined;
  if (crc32(b.subarray(0, 6 + keyLength)) !== b.readUInt32BE(6 + keyLength)) return undefined;
  const key = b.toString('latin1', 6, 6 + keyLength);
  if (!KEY_PATTERN.test(key)) return undefined;
  return { state, key, length: b.readUInt32BE(2) };
}

/** Every entry of a pack, by its headers alone (the objects are skipped, not read). */
async function* walkPack(
  path: string,
  pack: string,
): AsyncIterable<{ state: number; key: string; locator: BlobLocator }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const magic = Buffer.alloc(PACK_MAGIC.length);
    await readAt(fh, magic, 0);
    if (!magic.equals(PACK_MAGIC)) throw new IntegrityError(`pack ${pack} does not start with a pack header`);
    const buffer = Buffer.allocUnsafe(MAX_ENTRY_HEADER);
    for (let position = PACK_MAGIC.length; position < size;) {
      const read = await readAt(fh, buffer, position);
      const header = parseEntryHeader(buffer.subarray(0, read));
      const dataOffset = position + ENTRY_FIXED + (header?.key.length ?? 0);
      if (!header || dataOffset + header.length > size) {
        // Without an intact header the next entry cannot be found; the database still names every
        // object it references, and verify reads those by locator.
        throw new IntegrityError(`pack ${pack} is damaged or truncated at offset ${position}`, { pack });
      }
      yield { state: header.state, key: header.key, locator: `p:${pack}:${dataOffset}:${header.length}` };
      position = dataOffset + header.length;
    }
  } finally {
    await fh.close();
  }
}

function parseLocator(key: string, locator: BlobLocator): Location {
  if (locator === FILE_LOCATOR) return { kind: 'file' };
  const m = PACK_LOCATOR.exec(locator);
  if (!m)
    throw new IntegrityError(`object ${key} has an invalid locator ${JSON.stringify(locator)}`, { key });
  return { kind: 'pack', pack: m[1]!, offset: Number(m[2]), length: Number(m[3]) };
}

/** Time-ordered (so a compaction can take the oldest first) and unique without coordination. */
function newPackName(): string {
  return Date.now().toString(16).padStart(12, '0') + randomBytes(6).toString('hex');
}

/** Fills `buffer` from `position` on; returns fewer bytes only at the end of the file. */
async function readAt(fh: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await fh.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

function checkKey(key: string): string {
  // Keys become file names: anything but lowercase hex could escape the tenant folder.
  if (!KEY_PATTERN.test(key)) throw new ValidationError(`invalid blob key: ${JSON.stringify(key)}`);
  return key;
}

function missing(tenantId: number, key: string, reason?: string): IntegrityError {
  return new IntegrityError(`object ${key} is missing${reason ? `: ${reason}` : ''}`, {
    tenantId,
    key,
    missing: true,
  });
}

function asStoreError(err: unknown, message: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && TEMPORARY_CODES.has(code)) {
    return new TemporaryError(`${message}: ${code} (${(err as Error).message})`, { code });
  }
  return err;
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
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return [];
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
