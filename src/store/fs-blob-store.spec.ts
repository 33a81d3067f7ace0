import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IntegrityError, TemporaryError, ValidationError } from '../core/errors.js';
import { FsBlobStore } from './fs-blob-store.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pv-blobs-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dataDir, { recursive: true, force: true });
});

const keyOf = (s: string) => createHash('sha256').update(s).digest('hex');
const obj = (s: string) => ({ key: keyOf(s), data: Buffer.from(s) });
/** An object of `size` bytes, above the pack threshold used in these tests. */
const big = (s: string, size = 4096) => ({ key: keyOf(s), data: Buffer.alloc(size, s) });
/** Small threshold so tests can have standalone objects without megabytes of data. */
const THRESHOLD = 1024;

async function listAll(store: FsBlobStore, tenant: number): Promise<Array<{ key: string; locator: string }>> {
  const entries: Array<{ key: string; locator: string }> = [];
  for await (const e of store.list(tenant)) entries.push(e);
  return entries;
}
const keysOf = async (store: FsBlobStore, tenant: number) =>
  (await listAll(store, tenant)).map((e) => e.key).sort();

/** Every file under the blob root, temp files included: what a crash would leave behind. */
function filesOnDisk(dir: string): string[] {
  const root = join(dir, 'blobs');
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(root.length + 1))
      .sort();
  } catch {
    return [];
  }
}

function packFile(locator: string): { path: string; offset: number; length: number } {
  const m = /^p:([0-9a-f]{24}):(\d+):(\d+)$/.exec(locator);
  if (!m) throw new Error(`not a pack locator: ${locator}`);
  return { path: join(dataDir, 'blobs', '1', 'packs', `${m[1]}.pack`), offset: +m[2]!, length: +m[3]! };
}

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

describe('FsBlobStore', () => {
  it('packs a group of small objects into one file and reads each back by its locator', async () => {
    const store = new FsBlobStore(dataDir);
    const objects = ['one', 'two', 'three', 'four'].map(obj);
    const locators = await store.putMany(1, objects);
    expect([...locators.keys()].sort()).toEqual(objects.map((o) => o.key).sort());
    const packs = readdirSync(join(dataDir, 'blobs', '1', 'packs'));
    expect(packs).toHaveLength(1);
    expect(packs[0]).toMatch(/^[0-9a-f]{24}\.pack$/);
    expect(statSync(join(dataDir, 'blobs', '1', 'packs', packs[0]!)).mode & 0o777).toBe(0o600);
    for (const o of objects) {
      const locator = locators.get(o.key)!;
      const { path, offset, length } = packFile(locator);
      expect(path.endsWith(packs[0]!)).toBe(true);
      // The locator points at the object's own bytes inside the pack.
      expect(
        readFileSync(path)
          .subarray(offset, offset + length)
          .equals(o.data),
      ).toBe(true);
      expect((await store.get(1, o.key, locator)).equals(o.data)).toBe(true);
      expect(await store.has(1, o.key, locator)).toBe(true);
      expect(await store.sizeOf(1, o.key, locator)).toBeGreaterThan(o.data.length);
    }
    expect(await keysOf(store, 1)).toEqual(objects.map((o) => o.key).sort());
    expect(await listAll(store, 2)).toEqual([]);
    expect(await store.has(2, objects[0]!.key, locators.get(objects[0]!.key)!)).toBe(false);
  });

  it('reads a packed object with one positional read, never the whole pack', async () => {
    const store = new FsBlobStore(dataDir);
    const objects = Array.from({ length: 50 }, (_, i) => obj(`message number ${i} `.repeat(20)));
    const locators = await store.putMany(1, objects);
    // FileHandle is not exported; its prototype is reached through an open handle.
    const probe = await open(packFile(locators.get(objects[0]!.key)!).path, 'r');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const readSpy = vi.spyOn(proto, 'read');
    const readFileSpy = vi.spyOn(proto, 'readFile');
    const target = objects[17]!;
    const { path, offset, length } = packFile(locators.get(target.key)!);
    expect((await store.get(1, target.key, locators.get(target.key)!)).equals(target.data)).toBe(true);
    expect(readFileSpy).not.toHaveBeenCalled();
    const reads = readSpy.mock.calls.map((c) => {
      const args = c as unknown[];
      return { bytes: args[2], position: args[3] };
    });
    expect(reads).toHaveLength(1);
    // The entry header (10 bytes + the key) and the object, nothing before or after.
    expect(reads[0]).toEqual({
      bytes: 10 + target.key.length + length,
      position: offset - 10 - target.key.length,
    });
    expect(statSync(path).size).toBeGreaterThan(20 * length);
  });

  it('keeps objects at or above the threshold as files of their own (locator f)', async () => {
    const store = new FsBlobStore(dataDir, { packThreshold: THRESHOLD });
    const small = obj('small');
    const large = big('large');
    const locators = await store.putMany(1, [small, large]);
    expect(locators.get(large.key)).toBe('f');
    expect(locators.get(small.key)).toMatch(/^p:/);
    const path = join(dataDir, 'blobs', '1', large.key.slice(0, 2), large.key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await store.get(1, large.key, 'f')).equals(large.data)).toBe(true);
    expect(await store.sizeOf(1, large.key, 'f')).toBe(large.data.length);
    expect(await listAll(store, 1)).toEqual(
      expect.arrayContaining([
        { key: large.key, locator: 'f' },
        { key: small.key, locator: locators.get(small.key) },
      ]),
    );
    const usage = await store.usage(1);
    expect(usage).toMatchObject({ objectFiles: 1, packFiles: 1 });
    expect(usage.bytes).toBe(statSync(path).size + statSync(packFile(locators.get(small.key)!).path).size);
    expect(usage.allocatedBytes).toBeGreaterThanOrEqual(usage.bytes);
  });

  it('skips a standalone key that already exists: objects are content-addressed', async () => {
    const store = new FsBlobStore(dataDir, { packThreshold: THRESHOLD });
    const o = big('same');
    await store.putMany(1, [o]);
    await store.putMany(1, [{ key: o.key, data: Buffer.alloc(4096, 'x') }, o]);
    expect((await store.get(1, o.key, 'f')).equals(o.data)).toBe(true);
  });

  it('a missing object is an IntegrityError naming the key', async () => {
    const store = new FsBlobStore(dataDir);
    const key = keyOf('never stored');
    await expect(store.get(1, key, 'f')).rejects.toThrow(IntegrityError);
    await expect(store.get(1, key, 'f')).rejects.toThrow(`object ${key} is missing`);
    await expect(store.sizeOf(1, key, 'f')).rejects.toThrow(IntegrityError);
    const inMissingPack = `p:${'0'.repeat(24)}:100:10`;
    await expect(store.get(1, key, inMissingPack)).rejects.toThrow(`object ${key} is missing`);
    await expect(store.get(1, key, 'nonsense')).rejects.toThrow(/invalid locator/);
  });

  it('detects a flipped byte inside a packed object, a damaged entry header, and a truncated pack', async () => {
    const store = new FsBlobStore(dataDir);
    const objects = ['first object', 'second object', 'third object'].map(obj);
    const locators = await store.putMany(1, objects);
    const [a, b, c] = objects.map((o) => ({ ...o, locator: locators.get(o.key)! }));
    const { path, offset } = packFile(b!.locator);
    const bytes = readFileSync(path);

    // The store hands back exactly what it holds; the object's GCM tag (object-codec) is what catches
    // a flip in its bytes. Here the bytes come back changed, and nothing else is affected.
    bytes[offset + 3]! ^= 0x01;
    writeFileSync(path, bytes);
    expect((await store.get(1, b!.key, b!.locator)).equals(b!.data)).toBe(false);
    expect((await store.get(1, a!.key, a!.locator)).equals(a!.data)).toBe(true);

    // A flip in the entry header (its length, its key, its checksum) fails at the store itself.
    bytes[offset + 3]! ^= 0x01;
    bytes[offset - 10]! ^= 0x01;
    writeFileSync(path, bytes);
    await expect(store.get(1, b!.key, b!.locator)).rejects.toThrow(/damaged or holds another object/);
    await expect(listAll(store, 1)).rejects.toThrow(/damaged or truncated/);
    // A locator pointing at another object's entry is refused too.
    const wrong = a!.locator.replace(/:\d+:\d+$/, `:${packFile(c!.locator).offset}:${c!.data.length}`);
    await expect(store.get(1, a!.key, wrong)).rejects.toThrow(/damaged or holds another object/);

    truncateSync(path, packFile(c!.locator).offset + 2);
    await expect(store.get(1, c!.key, c!.locator)).rejects.toThrow(`object ${c!.key} is missing`);
    expect(await store.has(1, c!.key, c!.locator)).toBe(false);
  });

  it('deletes a file, and erases a packed object in place (space left for compaction)', async () => {
    const store = new FsBlobStore(dataDir, { packThreshold: THRESHOLD });
    const file = big('gone');
    const packed = obj('packed and gone');
    const kept = obj('packed and kept');
    const locators = await store.putMany(1, [file, packed, kept]);
    for (const o of [file, packed]) {
      await store.delete(1, o.key, locators.get(o.key)!);
      await store.delete(1, o.key, locators.get(o.key)!);
      expect(await store.has(1, o.key, locators.get(o.key)!)).toBe(false);
      await expect(store.get(1, o.key, locators.get(o.key)!)).rejects.toThrow(/is missing/);
    }
    const { path } = packFile(locators.get(packed.key)!);
    expect(readFileSync(path).includes(packed.data)).toBe(false);
    expect((await store.get(1, kept.key, locators.get(kept.key)!)).equals(kept.data)).toBe(true);
    expect(await keysOf(store, 1)).toEqual([kept.key]);
  });

  it('ENOSPC in the middle of a packed group fails with TemporaryError and leaves nothing on disk', async () => {
    let writes = 0;
    const store = new FsBlobStore(dataDir, {
      faults: {
        beforeWrite: () => {
          if (++writes === 3) throw enospc();
        },
      },
    });
    const objects = ['a', 'b', 'c', 'd', 'e'].map(obj);
    const err = await store.putMany(1, objects).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect(String(err)).toMatch(/ENOSPC/);
    expect(await listAll(store, 1)).toEqual([]);
    expect(filesOnDisk(dataDir)).toEqual([]);
  });

  it('ENOSPC on a standalone object removes the group pack already written', async () => {
    const store = new FsBlobStore(dataDir, {
      packThreshold: THRESHOLD,
      faults: {
        beforeWrite: (_temp, key) => {
          if (key === keyOf('large')) throw enospc();
        },
      },
    });
    await expect(store.putMany(1, [obj('small'), big('large')])).rejects.toThrow(TemporaryError);
    expect(filesOnDisk(dataDir)).toEqual([]);
  });

  it('a failure after fsync but before rename leaves no temp files, and a retry completes the group', async () => {
    const store = new FsBlobStore(dataDir, {
      packThreshold: THRESHOLD,
      faults: {
        beforeRename: () => {
          throw enospc();
        },
      },
    });
    const objects = [obj('a'), obj('b'), big('c')];
    await expect(store.putMany(1, objects)).rejects.toThrow(TemporaryError);
    expect(filesOnDisk(dataDir)).toEqual([]);
    const retry = new FsBlobStore(dataDir, { packThreshold: THRESHOLD });
    const locators = await retry.putMany(1, objects);
    for (const o of objects)
      expect((await retry.get(1, o.key, locators.get(o.key)!)).equals(o.data)).toBe(true);
  });

  it('list skips stale temp files and temp packs, and cleanup removes them', async () => {
    const store = new FsBlobStore(dataDir, { packThreshold: THRESHOLD });
    const packed = obj('kept');
    const file = big('kept too');
    await store.putMany(1, [packed, file]);
    const shard = join(dataDir, 'blobs', '1', file.key.slice(0, 2));
    const packs = join(dataDir, 'blobs', '1', 'packs');
    writeFileSync(join(shard, '.tmp-123-deadbeef'), 'half a mess');
    writeFileSync(join(packs, '.tmp-123-cafebabe'), 'half a pack');
    expect(await keysOf(store, 1)).toEqual([packed.key, file.key].sort());
    expect(await store.cleanup({ olderThanMs: 60_000 })).toBe(0);
    expect(await store.cleanup()).toBe(2);
    expect(readdirSync(shard)).toEqual([file.key]);
    expect(readdirSync(packs)).toHaveLength(1);
    expect(readdirSync(packs)[0]).toMatch(/\.pack$/);
  });

  it('rejects keys and tenant ids that could leave the tenant folder', async () => {
    const store = new FsBlobStore(dataDir);
    await expect(store.get(1, '../../master.key', 'f')).rejects.toThrow(ValidationError);
    await expect(store.get(-1, keyOf('x'), 'f')).rejects.toThrow(ValidationError);
    await expect(store.putMany(1, [{ key: 'ABC', data: Buffer.from('x') }])).rejects.toThrow(ValidationError);
  });

  it('writes a large group (more standalone files than one wave, and a pack) correctly', async () => {
    const store = new FsBlobStore(dataDir, { packThreshold: THRESHOLD });
    const objects = Array.from({ length: 300 }, (_, i) =>
      i % 2 ? obj(`message ${i}`) : big(`message ${i}`),
    );
    const locators = await store.putMany(1, objects);
    expect((await listAll(store, 1)).length).toBe(300);
    for (const o of objects)
      expect((await store.get(1, o.key, locators.get(o.key)!)).equals(o.data)).toBe(true);
    expect(await store.usage(1)).toMatchObject({ objectFiles: 150, packFiles: 1 });
  });

  it('writes an empty group without touching the disk', async () => {
    const store = new FsBlobStore(dataDir);
    expect((await store.putMany(1, [])).size).toBe(0);
    expect(filesOnDisk(dataDir)).toEqual([]);
  });
});
