import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';

/** Every stored object: its file (a pack or a file of its own) and where its bytes are in it. */
export async function storedObjects(dataDir: string) {
  const root = join(dataDir, 'blobs');
  const objects: Array<{ path: string; offset: number; length: number }> = [];
  for (const tenant of readdirSync(root)) {
    for await (const { key, locator } of new FsBlobStore(dataDir).list(Number(tenant))) {
      const packed = /^p:([0-9a-f]+):(\d+):(\d+)$/.exec(locator);
      if (packed) {
        const path = join(root, tenant, 'packs', `${packed[1]}.pack`);
        objects.push({ path, offset: Number(packed[2]), length: Number(packed[3]) });
      } else {
        const path = join(root, tenant, key.slice(0, 2), key);
        objects.push({ path, offset: 0, length: statSync(path).size });
      }
    }
  }
  return objects.sort((a, b) => a.path.localeCompare(b.path) || a.offset - b.offset);
}
