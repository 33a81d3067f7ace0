import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutgoingMailRepository } from '../../src/sending/outgoing-mail.repository.js';
import { RESENDS_PER_USER_PER_HOUR } from '../../src/sending/sending.service.js';
import { runCli } from '../support/cli.js';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';
import { openTempApp } from '../support/temp-app.js';

const SMTP_PASSWORD = 'smtp-password-7f3e9c';
const CLIENT_SECRET = 'graph-client-secret-2b8d41';
const TENANT_PASSWORD = 'tenant-smtp-password-91ac';

describe('mail sending settings over HTTP', () => {
  let http: TempHttp;
  let system: TestClient;
  let admin: TestClient;
  let tenant: { id: number; slug: string };

  beforeEach(async () => {
    http = await openTempHttp();
    system = await http.systemClient();
    ({ admin, tenant } = await http.tenantWithAdmin('acme'));
  });

  afterEach(async () => {
    await http.close();
  });

  /** Every stored byte of the database, to look for a secret in plaintext. */
  const databaseContains = (needle: string) => {
    const db = http.app.database.sqlite;
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{
      name: string;
    }>;
    return tables.some(({ name }) =>
      (db.prepare(`select * from "${name}"`).all() as Array<Record<string, unknown>>).some((row) =>
        Object.values(row).some((value) =>
          Buffer.isBuffer(value) ? value.includes(needle) : String(value).includes(needle),
        ),
      ),
    );
  };

  it('keeps the system server off and unconfigured until the system admin sets it', async () => {
    const initial = await system.get('/api/v1/system/mail-server');
    expect(initial.body).toMatchObject({ enabled: false, port: 25, passwordSet: false, complete: false });
    const sending = await admin.get('/api/v1/admin/sending');
    expect(sending.body.route).toEqual({ available: false, reason: 'SYSTEM_SENDING_OFF' });
    expect((await admin.get('/api/v1/sending/availability')).body).toEqual({
      available: false,
      reason: 'SYSTEM_SENDING_OFF',
    });
  });

  it('stores secrets sealed, never returns them, and keeps them when a change leaves them out', async () => {
    const saved = await system.put('/api/v1/system/mail-server', {
      enabled: true,
      authentication: 'password',
      host: 'smtp.example.net',
      port: 587,
      encryption: 'starttls',
      username: 'postvault',
      password: SMTP_PASSWORD,
      graph: { tenantId: 'contoso.onmicrosoft.com', clientId: 'app-id', clientSecret: CLIENT_SECRET },
      senderAddress: 'archive@example.net',
      senderName: 'Postvault',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ passwordSet: true, complete: true, graph: { clientSecretSet: true } });
    expect(JSON.stringify(saved.body)).not.toContain(SMTP_PASSWORD);
    expect(JSON.stringify(saved.body)).not.toContain(CLIENT_SECRET);
    expect(databaseContains(SMTP_PASSWORD)).toBe(false);
    expect(databaseContains(CLIENT_SECRET)).toBe(false);

    const renamed = await system.put('/api/v1/system/mail-server', { senderName: 'Archive' });
    expect(renamed.body).toMatchObject({ senderName: 'Archive', passwordSet: true, complete: true });
    const resolved = await http.app.sending.settings.resolve(tenant.id);
    expect(resolved).toMatchObject({
      available: true,
      route: { via: 'system', kind: 'smtp' },
      smtp: { auth: { username: 'postvault', password: SMTP_PASSWORD } },
    });
    const cleared = await system.put('/api/v1/system/mail-server', { password: null });
    expect(cleared.body).toMatchObject({ passwordSet: false, complete: false });

    const audit = JSON.stringify((await system.get('/api/v1/system/audit?action=mail-server')).body);
    expect(audit).toContain('mail-server.update');
    expect(audit).not.toContain(SMTP_PASSWORD);
    expect(audit).not.toContain(CLIENT_SECRET);
  });

  it('refuses an internationalized sender unless the server supports UTF-8 headers', async () => {
    const refused = await system.put('/api/v1/system/mail-server', { senderAddress: '山田太郎@株式.会社' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/RFC 6532/);
    const accepted = await system.put('/api/v1/system/mail-server', {
      senderAddress: '山田太郎@株式.会社',
      smtputf8: true,
    });
    expect(accepted.status).toBe(200);
  });

  it("lets the system admin decide what a tenant may do, and resolves the tenant's route by it", async () => {
    await system.put('/api/v1/system/mail-server', {
      enabled: true,
      host: 'smtp.example.net',
      senderAddress: 'archive@example.net',
    });
    const own = {
      type: 'smtp',
      smtp: {
        host: 'mail.acme.test',
        port: 465,
        encryption: 'tls',
        username: 'acme',
        password: TENANT_PASSWORD,
      },
      senderAddress: 'archive@acme.test',
    };
    const configured = await admin.put('/api/v1/admin/sending', own);
    expect(configured.status).toBe(200);
    expect(configured.body).toMatchObject({
      type: 'smtp',
      smtp: { passwordSet: true },
      route: { available: true, via: 'tenant', kind: 'smtp' },
    });
    expect(JSON.stringify(configured.body)).not.toContain(TENANT_PASSWORD);
    expect(databaseContains(TENANT_PASSWORD)).toBe(false);

    // Not allowed to configure its own any more: the system's server takes over.
    const policy = await system.put(`/api/v1/system/tenants/${tenant.id}/mail-policy`, {
      mayConfigureOwn: false,
    });
    expect(policy.body).toEqual({ mayUseSystemServer: true, mayConfigureOwn: false });
    expect((await admin.get('/api/v1/admin/sending')).body.route).toEqual({
      available: true,
      via: 'system',
      kind: 'smtp',
    });
    const forbidden = await admin.put('/api/v1/admin/sending', { type: 'smtp' });
    expect(forbidden.status).toBe(400);
    expect(forbidden.body.message).toMatch(/does not let this tenant configure its own/);

    // Nor the system's server: unavailable, and Web Access learns it at its next look.
    await system.put(`/api/v1/system/tenants/${tenant.id}/mail-policy`, { mayUseSystemServer: false });
    expect((await admin.get('/api/v1/sending/availability')).body).toEqual({
      available: false,
      reason: 'SYSTEM_SERVER_NOT_ALLOWED',
    });
    const test = await admin.post('/api/v1/admin/sending/test', { to: 'someone@example.org' });
    expect(test.body).toMatchObject({ sent: false, detail: 'SYSTEM_SERVER_NOT_ALLOWED' });

    // The global switch beats everything, a complete own server included.
    await system.put(`/api/v1/system/tenants/${tenant.id}/mail-policy`, { mayConfigureOwn: true });
    expect((await admin.get('/api/v1/admin/sending')).body.route.via).toBe('tenant');
    await system.put('/api/v1/system/mail-server', { enabled: false });
    expect((await admin.get('/api/v1/admin/sending')).body.route).toEqual({
      available: false,
      reason: 'SYSTEM_SENDING_OFF',
    });
  });

  it('offers Microsoft 365 only when Postvault has an app registration', async () => {
    const refused = await admin.put('/api/v1/admin/sending', { type: 'microsoft365' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/no Microsoft app registration/);
    expect((await admin.post('/api/v1/admin/sending/microsoft365/connect')).status).toBe(400);
  });

  it('keeps the tenant support address to the system admin’s permission', async () => {
    expect((await admin.put('/api/v1/admin/sending', { supportAddress: 'help@acme.test' })).status).toBe(400);
    await system.put('/api/v1/system/mail-server', {
      support: { address: 'support@vendor.test', allowTenantAddress: true },
    });
    const saved = await admin.put('/api/v1/admin/sending', { supportAddress: 'help@acme.test' });
    expect(saved.body.support).toEqual({ address: 'help@acme.test', tenantAddressAllowed: true });
    expect(await http.app.sending.settings.supportAddress(tenant.id)).toEqual({
      address: 'help@acme.test',
      attachSystemInfo: true,
    });
  });

  it('answers 409 with the reason when Resend or a support request cannot be sent', async () => {
    const mailbox = await http.app.archive.ensureMailbox({ tenantId: tenant.id }, 'alice');
    const [archived] = await http.app.archive.archiveBatch({ tenantId: tenant.id }, mailbox.id, [
      {
        raw: Buffer.from('Subject: hi\r\nMessage-ID: <r@x>\r\n\r\nbody\r\n'),
        folderPath: '',
        sourceRef: 'r',
      },
    ]);
    const messageId = (archived as { messageId: number }).messageId;
    // The admin's own mailbox, so that only the sending state stands in the way.
    const me = (await admin.get('/api/v1/auth/session')).body.user.id;
    expect((await admin.patch(`/api/v1/admin/mailboxes/${mailbox.id}`, { ownerIds: [me] })).status).toBe(200);
    const resend = await admin.post(`/api/v1/messages/${messageId}/resend`, { to: 'me@acme.test' });
    expect(resend.status).toBe(409);
    expect(resend.body.details).toEqual({ reason: 'SYSTEM_SENDING_OFF' });
    await system.put('/api/v1/system/mail-server', { support: { address: 'support@vendor.test' } });
    const support = await admin.post('/api/v1/admin/support-requests', {
      subject: 'Help',
      message: 'Please.',
    });
    expect(support.status).toBe(409);
  });

  it('lets only readers of the mailbox resend a message', async () => {
    await system.put('/api/v1/system/mail-server', {
      enabled: true,
      host: '127.0.0.1',
      port: 9,
      senderAddress: 'archive@acme.test',
    });
    const mailbox = await http.app.archive.ensureMailbox({ tenantId: tenant.id }, 'alice');
    const [archived] = await http.app.archive.archiveBatch({ tenantId: tenant.id }, mailbox.id, [
      {
        raw: Buffer.from('Subject: private\r\nMessage-ID: <p@x>\r\n\r\nbody\r\n'),
        folderPath: '',
        sourceRef: 'p',
      },
    ]);
    const messageId = (archived as { messageId: number }).messageId;
    const bob = await admin.post('/api/v1/admin/users', { name: 'bob' });
    const readers = await admin.post('/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [bob.body.user.id],
    });
    expect(readers.status).toBe(201);
    const bobClient = http.client();
    await bobClient.signInTenant(bob.body.user.login, bob.body.password);
    // Not bob's mailbox, not shared with him: as if it did not exist.
    const refused = await bobClient.post(`/api/v1/messages/${messageId}/resend`, { to: 'bob@acme.test' });
    expect(refused.status).toBe(404);
    // Shared with his group: allowed (queued; the queue's sender does not run in this test).
    const mailboxes = await admin.get('/api/v1/admin/mailboxes');
    const alice = mailboxes.body.mailboxes.find((m: { name: string }) => m.name === 'alice');
    const shared = await admin.patch(`/api/v1/admin/mailboxes/${alice.id}`, {
      sharedGroupIds: [readers.body.id],
    });
    expect(shared.status).toBe(200);
    const queued = await bobClient.post(`/api/v1/messages/${messageId}/resend`, { to: 'bob@acme.test' });
    expect(queued.status).toBe(202);
    expect(queued.body.to).toBe('bob@acme.test');
    const bad = await bobClient.post(`/api/v1/messages/${messageId}/resend`, { to: 'not an address' });
    expect(bad.status).toBe(400);
    // A flood is stopped per user: the hour's allowance, then 429 with when to try again.
    const now = Date.now();
    await http.app.database.db
      .insertInto('outgoing_mail')
      .values(
        Array.from({ length: RESENDS_PER_USER_PER_HOUR - 2 }, (_, i) => ({
          tenant_id: tenant.id,
          purpose: 'resend' as const,
          mail_from: '',
          recipients_json: '["bob@acme.test"]',
          message_sealed: Buffer.alloc(0),
          size: 0,
          status: 'sent' as const,
          attempts: 1,
          not_before: now,
          requested_by: bob.body.user.login,
          created_at: now - 3_000_000 + i,
          finished_at: now,
        })),
      )
      .execute();
    // One left in the hour: of three sent at once, exactly one passes.
    const burst = await Promise.all(
      [1, 2, 3].map(() => bobClient.post(`/api/v1/messages/${messageId}/resend`, { to: 'bob@acme.test' })),
    );
    expect(burst.map((answer) => answer.status).sort()).toEqual([202, 429, 429]);
    const flooded = burst.find((answer) => answer.status === 429)!;
    expect(flooded.body.details.retryAfterSeconds).toBeGreaterThan(500);
    expect(flooded.body.details.retryAfterSeconds).toBeLessThanOrEqual(600);
  });

  it('re-seals the system server’s secrets when the master key is rotated', async () => {
    await system.put('/api/v1/system/mail-server', {
      enabled: true,
      authentication: 'password',
      host: 'smtp.example.net',
      username: 'postvault',
      password: SMTP_PASSWORD,
      graph: { clientSecret: CLIENT_SECRET },
      senderAddress: 'archive@example.net',
    });
    // The CLI rotates while the server runs (several processes may share a data folder); a new
    // process then opens the secrets with the new master key.
    const dataDir = http.app.config.dataDir;
    const rotated = runCli(dataDir, ['keys', 'rotate-master']);
    expect(rotated.status).toBe(0);
    const reopened = await openTempApp(dataDir);
    try {
      const resolved = await reopened.sending.settings.resolve(null);
      expect(resolved).toMatchObject({ available: true, smtp: { auth: { password: SMTP_PASSWORD } } });
    } finally {
      await reopened.close();
    }
  });

  it("keeps tenants' own servers out of private networks, and the system server's details from tenants", async () => {
    await system.put('/api/v1/system/mail-server', { enabled: true });
    const literal = await admin.put('/api/v1/admin/sending', {
      type: 'smtp',
      smtp: { host: '127.0.0.1', port: 25 },
      senderAddress: 'archive@acme.test',
    });
    expect(literal.status).toBe(400);
    expect(literal.body.message).toMatch(/private network/);
    // A public address is fine (an IPv4 address once counted as private through its mapped IPv6 form).
    const publicHost = await admin.put('/api/v1/admin/sending', {
      type: 'smtp',
      smtp: { host: '203.0.113.25', port: 25 },
      senderAddress: 'archive@acme.test',
    });
    expect(publicHost.status).toBe(200);
    // A name that resolves into a private network is refused when it would be used.
    const named = await admin.put('/api/v1/admin/sending', {
      type: 'smtp',
      smtp: { host: 'localhost', port: 25 },
      senderAddress: 'archive@acme.test',
    });
    expect(named.status).toBe(200);
    const probe = await admin.post('/api/v1/admin/sending/test', { to: 'someone@example.org' });
    expect(probe.body).toMatchObject({
      sent: false,
      transport: 'tenant-smtp',
      detail: 'private address refused',
    });
    expect(probe.body.error).toMatch(/localhost is in a private network/);

    // Through the system's server, a tenant sees that it failed, not why.
    const closed = 9; // discard: nothing listens here
    await admin.put('/api/v1/admin/sending', { type: 'none' });
    await system.put('/api/v1/system/mail-server', {
      host: '127.0.0.1',
      port: closed,
      senderAddress: 'a@b.test',
    });
    const tenantTest = await admin.post('/api/v1/admin/sending/test', { to: 'someone@example.org' });
    expect(tenantTest.body).toMatchObject({ sent: false, transport: 'system-smtp' });
    expect(JSON.stringify(tenantTest.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    const systemTest = await system.post('/api/v1/system/mail-server/test', { to: 'someone@example.org' });
    expect(systemTest.body.detail).toMatch(/ECONNREFUSED/);
  });

  it('refuses a Resend to an internationalized address when the server lacks RFC 6532', async () => {
    await system.put('/api/v1/system/mail-server', {
      enabled: true,
      host: 'smtp.example.net',
      senderAddress: 'a@b.test',
    });
    const mailbox = await http.app.archive.ensureMailbox({ tenantId: tenant.id }, 'mine');
    const me = (await admin.get('/api/v1/auth/session')).body.user.id;
    await admin.patch(`/api/v1/admin/mailboxes/${mailbox.id}`, { ownerIds: [me] });
    const [archived] = await http.app.archive.archiveBatch({ tenantId: tenant.id }, mailbox.id, [
      { raw: Buffer.from('Subject: x\r\nMessage-ID: <u@x>\r\n\r\nbody\r\n'), folderPath: '', sourceRef: 'u' },
    ]);
    const refused = await admin.post(
      `/api/v1/messages/${(archived as { messageId: number }).messageId}/resend`,
      {
        to: '山田太郎@株式.会社',
      },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/RFC 6532/);
    expect(await http.app.database.db.selectFrom('outgoing_mail').selectAll().execute()).toEqual([]);
  });

  it("hands out the oldest due message of each tenant, so one tenant's long queue hides no one", async () => {
    const other = await http.tenantWithAdmin('globex');
    const row = (tenantId: number, createdAt: number) => ({
      tenant_id: tenantId,
      purpose: 'resend' as const,
      mail_from: '',
      recipients_json: '["x@y.test"]',
      message_sealed: Buffer.alloc(0),
      size: 0,
      status: 'queued' as const,
      not_before: 0,
      last_error: null,
      transport: null,
      requested_by: 'test',
      created_at: createdAt,
      finished_at: null,
    });
    const db = http.app.database.db;
    await db
      .insertInto('outgoing_mail')
      .values(Array.from({ length: 60 }, (_, i) => row(tenant.id, i)))
      .execute();
    await db.insertInto('outgoing_mail').values(row(other.tenant.id, 100)).execute();
    const repository = new OutgoingMailRepository(db);
    const due = await repository.findDueByTenant(Date.now(), [], 4);
    const tenants = await Promise.all(due.map(async (id) => (await repository.findById(id))!.tenant_id));
    expect(tenants).toEqual([tenant.id, other.tenant.id]);
    expect(await repository.findDueByTenant(Date.now(), [tenant.id], 4)).toHaveLength(1);
  });
});
