import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImportSource } from '../../src/ingest/import/import-source.js';
import { isImportProblem } from '../../src/ingest/import/import.types.js';
import { runCli } from '../support/cli.js';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';
import { corpusDir } from '../support/paths.js';
import { tempDir } from '../support/temp-app.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** mbox cannot record a missing final line break (decision 0003): the message comes back with one. */
function afterMbox(raw: Buffer): Buffer {
  if (raw.at(-1) === 0x0a) return raw;
  const firstBreak = raw.indexOf(0x0a);
  const eol = raw.at(-1) === 0x0d ? '\n' : firstBreak > 0 && raw[firstBreak - 1] === 0x0d ? '\r\n' : '\n';
  return Buffer.concat([raw, Buffer.from(eol)]);
}

describe('Web Access exports round-trip through `postvault import` with the same hashes', () => {
  let http: TempHttp;
  let reader: TestClient;
  const archived: Buffer[] = [];
  const out = tempDir('postvault-webexport-');

  beforeAll(async () => {
    http = await openTempHttp();
    const { admin, tenant } = await http.tenantWithAdmin('acme');
    const user = await admin.post('/api/v1/admin/users', { name: 'alice' });
    await admin.post('/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [user.body.user.id],
    });
    const mailbox = await admin.post('/api/v1/admin/mailboxes', {
      name: 'alice',
      kind: 'user',
      ownerIds: [user.body.user.id],
    });
    const items = [];
    for await (const entry of openImportSource(corpusDir)) {
      if (isImportProblem(entry)) throw new Error(`${entry.sourceRef}: ${entry.error}`);
      items.push({ raw: entry.raw, folderPath: 'Corpus', sourceRef: entry.sourceRef });
    }
    for (const outcome of await http.app.archive.archiveBatch(
      { tenantId: tenant.id },
      mailbox.body.id,
      items,
    )) {
      if (outcome.status === 'failed') throw new Error(outcome.error);
    }
    // What the mailbox holds: one copy per distinct message in the folder.
    const seen = new Set<string>();
    for (const item of items)
      if (!seen.has(sha256(item.raw)) && seen.add(sha256(item.raw))) archived.push(item.raw);
    reader = http.client();
    await reader.signInTenant(user.body.user.login, user.body.password);
  });

  afterAll(async () => {
    await http?.close();
    out.remove();
  });

  const download = async (format: 'zip' | 'mbox') => {
    const created = await reader.post('/api/v1/webaccess/exports', { format, search: { q: '' } });
    expect(created.status).toBe(201);
    expect(created.body.messages).toBe(archived.length);
    const response = await http.server.inject({
      url: `/api/v1/webaccess/exports/${created.body.id}/download`,
      headers: { cookie: [...reader.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(response.statusCode).toBe(200);
    return response.rawPayload;
  };

  /** The SHA-256 of every message `postvault import` archived from `source` into a fresh data folder. */
  const importedHashes = (source: string) => {
    const data = tempDir();
    try {
      const imported = runCli(data.path, ['import', '--mailbox', 'back', source]);
      expect(imported.status, imported.stderr).toBe(0);
      const listed = runCli(data.path, [
        'search',
        '--json',
        '--limit',
        '1000',
        '--mailbox',
        'back',
        'size>0',
      ]);
      return listed.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { sha256: string }).sha256);
    } finally {
      data.remove();
    }
  };

  it('ZIP of EML files', async () => {
    expect(archived.length).toBeGreaterThan(70);
    const entries = unzipSync(new Uint8Array(await download('zip')));
    const folder = join(out.path, 'zip');
    mkdirSync(folder, { recursive: true });
    for (const [name, bytes] of Object.entries(entries)) writeFileSync(join(folder, name), bytes);
    expect(Object.keys(entries)).toHaveLength(archived.length);
    expect(new Set(importedHashes(folder))).toEqual(new Set(archived.map(sha256)));
  });

  it('MBOX', async () => {
    const file = join(out.path, 'export.mbox');
    writeFileSync(file, await download('mbox'));
    expect(new Set(importedHashes(file))).toEqual(new Set(archived.map((raw) => sha256(afterMbox(raw)))));
  });
});
