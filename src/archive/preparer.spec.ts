import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PreparedMessage, Preparer, PrepareRequest } from './archive.types.js';
import { InThreadPreparer } from './preparer.js';

// The worker pool needs the compiled worker, so this runs against dist (built by `npm run build`).
const compiledPreparer = fileURLToPath(new URL('../../dist/archive/preparer.js', import.meta.url));
const corpusDir = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));

/** Encryption draws a fresh nonce, so objects are compared by everything but their ciphertext. */
const comparable = (p: PreparedMessage) => ({
  ...p,
  objects: p.objects.map(({ key, kind, rawSize }) => ({ key, kind, rawSize })),
});

const settle = (preparer: Preparer, requests: PrepareRequest[]) =>
  Promise.all(
    requests.map((r) =>
      preparer.prepare(r).then(
        (prepared) => ({ prepared: comparable(prepared) }),
        (error: Error) => ({ error: error.message }),
      ),
    ),
  );

// `npm test` builds dist first (pretest), so a missing build fails here instead of skipping.
describe('WorkerPoolPreparer', () => {
  it('prepares a group in a few tasks with the same results as in-thread, failures per message', async () => {
    const { WorkerPoolPreparer } = (await import(compiledPreparer)) as typeof import('./preparer.js');
    const files = readdirSync(corpusDir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(eml|msg)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    const base = {
      tenantId: 1,
      dedupKey: new Uint8Array(32).fill(1),
      dataKeyId: 1,
      dataKey: new Uint8Array(32).fill(2),
      partThreshold: 64 * 1024,
    };
    const requests: PrepareRequest[] = files.map((file) => ({ ...base, raw: readFileSync(file) }));
    // A key of the wrong length fails in encryption: only that message may fail.
    requests.splice(3, 0, { ...requests[0]!, dataKey: new Uint8Array(5) });

    const pool = new WorkerPoolPreparer(2);
    try {
      const [pooled, inThread] = await Promise.all([
        settle(pool, requests),
        settle(new InThreadPreparer(), requests),
      ]);
      expect(pooled).toEqual(inThread);
      expect(pooled.filter((r) => 'error' in r)).toHaveLength(1);
      expect(pooled[3]).toHaveProperty('error');
    } finally {
      await pool.close();
    }
  }, 60_000);
});
