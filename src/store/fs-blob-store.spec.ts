import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, TemporaryError, ValidationError } from '../core/errors.js';
import { FsBlobStore } from './fs-blob-store.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pv-blobs-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const keyOf = (s: string) => createHash('sha256').update(s).digest('hex');
const obj = (s: string) => ({ key: keyOf(s), data: Buffer.from(s) });

async function listAll(store: FsBlobStore, tenant: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of store.list(tenant)) keys.push(k);
  return keys;
}

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

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

describe('FsBlobStore', () => {
  it('stores a group under blobs/<tenant>/<key[0..2]>/<key> and reads it back', async () => {
    const store = new FsBlobStore(dataDir);
    const objects = ['one', 'two', 'three', 'four'].map(obj);
    await store.putMany('t1', objects);
    for (const o of objects) {
      const path = join(dataDir, 'blobs', 't1', o.key.slice(0, 2), o.key);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect((await store.get('t1', o.key)).equals(o.data)).toBe(true);
      expect(await store.has('t1', o.key)).toBe(true);
      expect(await store.sizeOf('t1', o.key)).toBe(o.data.length);
    }
    expect((await listAll(store, 't1')).sort()).toEqual(objects.map((o) => o.key).sort());
    expect(await listAll(store, 't2')).toEqual([]);
    expect(await store.has('t2', objects[0]!.key)).toBe(false);
  });

  it('skips a key that already exists: objects are content-addressed', async () => {
    const store = new FsBlobStore(dataDir);
    const o = obj('same');
    await store.putMany('t1', [o]);
    await store.putMany('t1', [{ key: o.key, data: Buffer.from('other bytes') }, o]);
    expect((await store.get('t1', o.key)).toString()).toBe('same');
  });

  it('a missing object is an IntegrityError naming the key', async () => {
    const store = new FsBlobStore(dataDir);
    const key = keyOf('never stored');
    await expect(store.get('t1', key)).rejects.toThrow(IntegrityError);
    await expect(store.get('t1', key)).rejects.toThrow(`object ${key} is missing`);
    await expect(store.sizeOf('t1', key)).rejects.toThrow(IntegrityError);
  });

  it('deletes, and deleting twice is fine', async () => {
    const store = new FsBlobStore(dataDir);
    const o = obj('gone');
    await store.putMany('t1', [o]);
    await store.delete('t1', o.key);
    await store.delete('t1', o.key);
    expect(await store.has('t1', o.key)).toBe(false);
  });

  it('ENOSPC in the middle of a group fails with TemporaryError and leaves nothing on disk', async () => {
    let writes = 0;
    const store = new FsBlobStore(dataDir, {
      faults: {
        beforeWrite: () => {
          if (++writes === 3) throw enospc();
        },
      },
    });
    const objects = ['a', 'b', 'c', 'd', 'e'].map(obj);
    const err = await store.putMany('t1', objects).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporaryError);
    expect(String(err)).toMatch(/ENOSPC/);
    expect(await listAll(store, 't1')).toEqual([]);
    expect(filesOnDisk(dataDir)).toEqual([]);
  });

  it('a failure after fsync but before rename leaves only whole objects and no temp files', async () => {
    let renames = 0;
    const store = new FsBlobStore(dataDir, {
      faults: {
        beforeRename: () => {
          if (++renames === 2) throw enospc();
        },
      },
    });
    const objects = ['a', 'b', 'c'].map(obj);
    await expect(store.putMany('t1', objects)).rejects.toThrow(TemporaryError);
    const visible = await listAll(store, 't1');
    expect(filesOnDisk(dataDir).every((f) => !f.includes('.tmp-'))).toBe(true);
    for (const k of visible) {
      const o = objects.find((x) => x.key === k)!;
      expect((await store.get('t1', k)).equals(o.data)).toBe(true);
    }
    // A retry (what ingest does after a TemporaryError) completes the group.
    await new FsBlobStore(dataDir).putMany('t1', objects);
    expect((await listAll(store, 't1')).length).toBe(3);
  });

  it('list skips stale temp files and cleanup removes them', async () => {
    const store = new FsBlobStore(dataDir);
    const o = obj('kept');
    await store.putMany('t1', [o]);
    const shard = join(dataDir, 'blobs', 't1', o.key.slice(0, 2));
    writeFileSync(join(shard, '.tmp-123-deadbeef'), 'half a mess');
    expect(await listAll(store, 't1')).toEqual([o.key]);
    expect(await store.cleanup({ olderThanMs: 60_000 })).toBe(0);
    expect(await store.cleanup()).toBe(1);
    expect(readdirSync(shard)).toEqual([o.key]);
  });

  it('rejects keys and tenant ids that could leave the tenant folder', async () => {
    const store = new FsBlobStore(dataDir);
    await expect(store.get('t1', '../../master.key')).rejects.toThrow(ValidationError);
    await expect(store.get('../t2', keyOf('x'))).rejects.toThrow(ValidationError);
    await expect(store.putMany('t1', [{ key: 'ABC', data: Buffer.from('x') }])).rejects.toThrow(
      ValidationError,
    );
  });

  it('writes a large group (more files than one wave) correctly', async () => {
    const store = new FsBlobStore(dataDir);
    const objects = Array.from({ length: 300 }, (_, i) => obj(`message ${i}`));
    await store.putMany('t1', objects);
    expect((await listAll(store, 't1')).length).toBe(300);
  });
});
