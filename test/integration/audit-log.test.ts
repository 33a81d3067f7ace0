import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { AuditLogRepository } from '../../src/compliance/audit-log.repository.js';
import { AuditLogService } from '../../src/compliance/audit-log.service.js';
import { SYSTEM_AUDIT_CHAIN, type AuditEvent } from '../../src/compliance/audit-log.types.js';
import { ForbiddenError, ValidationError } from '../../src/core/errors.js';
import type { AuditLogRow } from '../../src/db/schema.js';
import type { Actor, AuthContext } from '../../src/tenancy/access.js';
import { runCli } from '../support/cli.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

const START = Date.parse('2026-11-24T10:00:00Z');
const MINUTE = 60_000;

const userActor = (id: number, name: string, roles: Array<'admin' | 'reader' | 'auditor'>): Actor => ({
  kind: 'user',
  id,
  name,
  roles,
});

/** A clock that moves one minute per reading, so every entry has its own time. */
function minuteClock(start = START) {
  let now = start - MINUTE;
  return () => (now += MINUTE);
}

function userCreated(tenantId: number, n: number, actor: Actor): AuditEvent {
  return {
    tenantId,
    actor,
    ip: '192.0.2.10',
    action: 'user.create',
    target: { type: 'user', id: 100 + n, label: `user${n}` },
    outcome: 'success',
    details: { name: `user${n}` },
  };
}

interface Seeded {
  dir: ReturnType<typeof tempDir>;
  acme: number;
  globex: number;
}

/**
 * A data folder with three chains: the system's (3 entries), acme's and globex's (10 each), all
 * written through the service; the app is closed again so that the CLI and raw SQL can use it.
 */
async function seedDataFolder(): Promise<Seeded> {
  const dir = tempDir('postvault-audit-');
  const app = await openTempApp(dir.path);
  try {
    const audit = new AuditLogService(new AuditLogRepository(app.database.db), minuteClock());
    const acme = (await app.tenants.createTenant('acme', 'Acme Ltd')).id;
    const globex = (await app.tenants.createTenant('globex', 'Globex')).id;
    const root: Actor = { kind: 'system-admin', id: 1, name: 'root' };
    for (let n = 1; n <= 3; n++) {
      await audit.record({
        tenantId: SYSTEM_AUDIT_CHAIN,
        actor: root,
        action: 'tenant.create',
        target: { type: 'tenant', id: n },
        outcome: 'success',
      });
    }
    for (let n = 1; n <= 10; n++) {
      await audit.record(userCreated(acme, n, userActor(1, 'admin@acme', ['admin'])));
      await audit.record(userCreated(globex, n, userActor(2, 'admin@globex', ['admin'])));
    }
    return { dir, acme, globex };
  } finally {
    await app.close();
  }
}

/** Changes the database file behind Postvault's back, as someone with access to the disk could. */
function tamper(dataDir: string, change: (db: SQLite.Database) => void): void {
  const db = new SQLite(join(dataDir, 'postvault.sqlite'));
  try {
    db.transaction(() => change(db))();
  } finally {
    db.close();
  }
}

const entryAt = (db: SQLite.Database, tenantId: number, seq: number) =>
  db.prepare('select * from audit_log where tenant_id = ? and seq = ?').get(tenantId, seq) as AuditLogRow;

describe('postvault audit verify', () => {
  const folders: Seeded[] = [];
  const seed = async () => {
    const seeded = await seedDataFolder();
    folders.push(seeded);
    return seeded;
  };
  afterAll(() => folders.forEach((f) => f.dir.remove()));

  it('prints help', () => {
    const dir = tempDir();
    const result = runCli(dir.path, ['audit', 'verify', '--help']);
    dir.remove();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: postvault audit verify/);
    expect(result.stdout).toMatch(/head-mismatch/);
  });

  it('reports every chain intact and exits 0 when nobody tampered with the log', async () => {
    const { dir } = await seed();
    const result = runCli(dir.path, ['audit', 'verify']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      'system: 3 entries, intact\nacme: 10 entries, intact\nglobex: 10 entries, intact\n',
    );
  });

  it('names an edited entry, and only in its own tenant', async () => {
    const { dir, acme } = await seed();
    let id = 0;
    tamper(dir.path, (db) => {
      id = entryAt(db, acme, 5).id;
      db.prepare('update audit_log set details = ? where id = ?').run('{"name":"someone else"}', id);
    });
    const result = runCli(dir.path, ['audit', 'verify']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('system: 3 entries, intact\n');
    expect(result.stdout).toContain('globex: 10 entries, intact\n');
    expect(result.stdout).toContain(
      `acme: 10 entries, 1 problem\n  edited: entry ${id} (seq 5, 2026-11-24T10:11:00Z, user.create by admin@acme) ` +
        `was edited after it was written\n`,
    );
  });

  it('names an entry deleted from the middle of a chain', async () => {
    const { dir, acme } = await seed();
    tamper(dir.path, (db) => db.prepare('delete from audit_log where tenant_id = ? and seq = 5').run(acme));
    const result = runCli(dir.path, ['audit', 'verify', '--tenant', 'acme']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^acme: 9 entries, 1 problem\n {2}missing: the entry with seq 5 was deleted: the chain goes from entry \d+ \(seq 4, .*\) straight to entry \d+ \(seq 6, .*\)\n$/,
    );
  });

  it('names the last entry when it was deleted', async () => {
    const { dir, acme } = await seed();
    tamper(dir.path, (db) => db.prepare('delete from audit_log where tenant_id = ? and seq = 10').run(acme));
    const result = runCli(dir.path, ['audit', 'verify']);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /acme: 9 entries, 1 problem\n {2}head-mismatch: the entry with seq 10 was deleted from the end of the chain: it now ends at entry \d+ \(seq 9, /,
    );
    expect(result.stdout).toContain('globex: 10 entries, intact\n');
  });

  it('names two entries whose rows were swapped', async () => {
    const { dir, acme } = await seed();
    const ids: number[] = [];
    tamper(dir.path, (db) => {
      const [fourth, fifth] = [entryAt(db, acme, 4), entryAt(db, acme, 5)];
      ids.push(fourth.id, fifth.id);
      const columns = Object.keys(fourth).filter((c) => c !== 'id');
      const overwrite = db.prepare(
        `update audit_log set ${columns.map((c) => `${c} = @${c}`).join(', ')} where id = @id`,
      );
      // Out of the way first: (tenant_id, seq) is unique.
      db.prepare('update audit_log set seq = -1 where id = ?').run(fourth.id);
      overwrite.run({ ...fourth, id: fifth.id });
      overwrite.run({ ...fifth, id: fourth.id });
    });
    const result = runCli(dir.path, ['audit', 'verify']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `acme: 10 entries, 1 problem\n  reordered: entry ${ids[1]} (seq 4, 2026-11-24T10:09:00Z, user.create by admin@acme) ` +
        `is stored after entry ${ids[0]} (seq 5, 2026-11-24T10:11:00Z, user.create by admin@acme) although it was written before it: ` +
        'the entries were swapped or moved\n',
    );
  });

  it('keeps chains independent: tampering with globex is not reported for acme', async () => {
    const { dir, globex } = await seed();
    tamper(dir.path, (db) => db.prepare('delete from audit_log where tenant_id = ? and seq = 2').run(globex));
    const acme = runCli(dir.path, ['audit', 'verify', '--tenant', 'acme']);
    expect(acme.status).toBe(0);
    expect(acme.stdout).toBe('acme: 10 entries, intact\n');
    const all = runCli(dir.path, ['audit', 'verify', '--json']);
    expect(all.status).toBe(1);
    const report = JSON.parse(all.stdout) as {
      ok: boolean;
      chains: Array<{ chain: string; ok: boolean; problems: Array<{ kind: string; seq: number }> }>;
    };
    expect(report.ok).toBe(false);
    expect(report.chains.map((c) => [c.chain, c.ok])).toEqual([
      ['system', true],
      ['acme', true],
      ['globex', false],
    ]);
    expect(report.chains[2]!.problems).toMatchObject([
      { kind: 'missing', seq: 3, deleted: { from: 2, to: 2 } },
    ]);
  });

  it('reports an unknown tenant as an error', async () => {
    const { dir } = await seed();
    const result = runCli(dir.path, ['audit', 'verify', '--tenant', 'nobody']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^postvault: tenant "nobody" does not exist/);
  });
});

describe('AuditLogService', () => {
  const dir = tempDir('postvault-audit-service-');
  let app: App;
  let audit: AuditLogService;
  let acme: number;
  let globex: number;
  let auditor: AuthContext;

  beforeAll(async () => {
    app = await openTempApp(dir.path);
    audit = new AuditLogService(new AuditLogRepository(app.database.db), minuteClock());
    acme = (await app.tenants.createTenant('acme', 'Acme Ltd')).id;
    globex = (await app.tenants.createTenant('globex', 'Globex')).id;
    auditor = { tenantId: acme, actor: userActor(3, 'carol@acme', ['auditor']) };
    // 30 entries: user.create by alice, group.roles.set by bob (denied every third), auth.sign-in failures.
    for (let n = 1; n <= 30; n++) {
      if (n % 3 === 0) {
        await audit.record({
          tenantId: acme,
          actor: { kind: 'anonymous', name: 'mallory@acme' },
          ip: '198.51.100.7',
          action: 'auth.sign-in',
          outcome: 'failure',
        });
      } else if (n % 2 === 0) {
        await audit.record({
          tenantId: acme,
          actor: userActor(2, 'Bob@acme', ['admin']),
          action: 'group.roles.set',
          target: { type: 'group', id: 4, label: 'Legal' },
          outcome: n % 4 === 0 ? 'denied' : 'success',
          details: { roles: ['reader', 'auditor'] },
        });
      } else {
        await audit.record(userCreated(acme, n, userActor(1, 'alice@acme', ['admin'])));
      }
    }
    await audit.record(userCreated(globex, 1, userActor(9, 'alice@globex', ['admin'])));
  });
  afterAll(async () => {
    await app.close();
    dir.remove();
  });

  it('returns entries newest first in the shape of the HTTP contract', async () => {
    const page = await audit.list(auditor, { limit: 3 });
    expect(page.entries.map((e) => e.seq)).toEqual([30, 29, 28]);
    const created = (await audit.list(auditor, { action: 'user.create', limit: 1 })).entries[0]!;
    expect(created).toEqual({
      id: expect.any(Number),
      seq: 29,
      at: START + 28 * MINUTE,
      actor: { kind: 'user', id: 1, name: 'alice@acme' },
      ip: '192.0.2.10',
      action: 'user.create',
      target: { type: 'user', id: '129', label: 'user29' },
      outcome: 'success',
      details: { name: 'user29' },
    });
    const signIn = page.entries[0]!;
    expect(signIn).toMatchObject({ actor: { kind: 'anonymous', id: null }, target: null, details: {} });
  });

  it('pages through a chain with nextBefore without gaps or repeats', async () => {
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await audit.list(auditor, { limit: 7, before });
      seen.push(...page.entries.map((e) => e.seq));
      if (page.nextBefore === null) break;
      expect(page.nextBefore).toBe(page.entries.at(-1)!.id);
      before = page.nextBefore;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
  });

  it('filters by action prefix, actor name part, outcome and time', async () => {
    const seqs = async (filters: Parameters<AuditLogService['list']>[1]) =>
      (await audit.list(auditor, { limit: 500, ...filters })).entries.map((e) => e.seq);
    expect(await seqs({ action: 'group' })).toEqual([28, 26, 22, 20, 16, 14, 10, 8, 4, 2]);
    expect(await seqs({ action: 'group.roles.set' })).toEqual(await seqs({ action: 'group' }));
    expect(await seqs({ action: 'grou' })).toEqual([]);
    expect(await seqs({ action: 'auth.' })).toEqual([30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);
    expect(await seqs({ actor: 'BOB' })).toEqual(await seqs({ action: 'group' }));
    expect(await seqs({ actor: '%' })).toEqual([]);
    expect(await seqs({ outcome: 'denied' })).toEqual([28, 20, 16, 8, 4]);
    expect(await seqs({ outcome: 'denied', actor: 'bob', action: 'group' })).toEqual([28, 20, 16, 8, 4]);
    expect(await seqs({ from: START + 9 * MINUTE, to: START + 11 * MINUTE })).toEqual([12, 11, 10]);
    const filteredPage = await audit.list(auditor, { outcome: 'failure', limit: 4 });
    expect(filteredPage.entries.map((e) => e.seq)).toEqual([30, 27, 24, 21]);
    const next = await audit.list(auditor, {
      outcome: 'failure',
      limit: 4,
      before: filteredPage.nextBefore!,
    });
    expect(next.entries.map((e) => e.seq)).toEqual([18, 15, 12, 9]);
  });

  it("shows only the caller's tenant chain", async () => {
    const page = await audit.list({ ...auditor, tenantId: globex }, {});
    expect(page.entries.map((e) => e.actor.name)).toEqual(['alice@globex']);
    expect((await audit.listSystem({ actor: { kind: 'system', name: 'test' } })).entries).toEqual([]);
    await expect(audit.listSystem({ actor: auditor.actor })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('refuses readers and admins without the Auditor role, and lets system administrators in', async () => {
    const reader = { tenantId: acme, actor: userActor(5, 'dave@acme', ['reader']) };
    await expect(audit.list(reader, {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(audit.list(reader, {})).rejects.toThrow('reading the audit log needs the auditor role');
    const admin = { tenantId: acme, actor: userActor(1, 'alice@acme', ['admin']) };
    await expect(audit.list(admin, {})).rejects.toBeInstanceOf(ForbiddenError);
    const root: AuthContext = { tenantId: acme, actor: { kind: 'system-admin', id: 1, name: 'root' } };
    expect((await audit.list(root, { limit: 1 })).entries).toHaveLength(1);
  });

  it('does not record reading the log', async () => {
    const before = (await audit.verify({ tenantIds: [acme] })).chains[0]!.entries;
    await audit.list(auditor, {});
    expect((await audit.verify({ tenantIds: [acme] })).chains[0]!.entries).toBe(before);
  });

  it('rejects a page size outside 1 to 500', async () => {
    await expect(audit.list(auditor, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(audit.list(auditor, { limit: 501 })).rejects.toBeInstanceOf(ValidationError);
    expect((await audit.list(auditor, { limit: 500 })).entries).toHaveLength(30);
  });

  it('never stores a password or other secret given in the details', async () => {
    await audit.record({
      tenantId: globex,
      actor: userActor(9, 'alice@globex', ['admin']),
      action: 'secret.create',
      outcome: 'success',
      details: { name: 'ews', password: 'hunter2hunter2', nested: { apiKey: 'k-123', totpEnabled: false } },
    });
    const rows = await app.database.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'secret.create')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).not.toMatch(/hunter2|k-123/);
    expect(JSON.parse(rows[0]!.details)).toEqual({
      name: 'ews',
      password: '[redacted]',
      nested: { apiKey: '[redacted]', totpEnabled: false },
    });
  });

  it('keeps one valid chain when 200 records are made at once', async () => {
    const tenant = (await app.tenants.createTenant('busy', 'Busy')).id;
    const actor = userActor(1, 'admin@busy', ['admin']);
    await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        Promise.all([
          audit.record(userCreated(tenant, n, actor)),
          audit.record(userCreated(SYSTEM_AUDIT_CHAIN, n, { kind: 'system', name: 'postvault' })),
        ]),
      ),
    );
    const report = await audit.verify({ tenantIds: [SYSTEM_AUDIT_CHAIN, tenant] });
    expect(report).toMatchObject({
      ok: true,
      chains: [
        { tenantId: SYSTEM_AUDIT_CHAIN, entries: 200, ok: true, problems: [] },
        { tenantId: tenant, entries: 200, ok: true, problems: [] },
      ],
    });
    const rows = await app.database.db
      .selectFrom('audit_log')
      .select('seq')
      .where('tenant_id', '=', tenant)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('verifies every chain present and the system chain when no tenant is named', async () => {
    const report = await audit.verify();
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => c.tenantId)).toEqual(
      expect.arrayContaining([SYSTEM_AUDIT_CHAIN, acme, globex]),
    );
  });

  it('refuses to continue a chain whose head record was deleted', async () => {
    const tenant = (await app.tenants.createTenant('headless', 'Headless')).id;
    await audit.record(userCreated(tenant, 1, userActor(1, 'admin@headless', ['admin'])));
    await app.database.db.deleteFrom('audit_heads').where('tenant_id', '=', tenant).execute();
    await expect(
      audit.record(userCreated(tenant, 2, userActor(1, 'admin@headless', ['admin']))),
    ).rejects.toThrow(/head record was deleted/);
    const report = await audit.verify({ tenantIds: [tenant] });
    expect(report.chains[0]!.problems.map((p) => p.kind)).toEqual(['head-mismatch']);
  });
});
