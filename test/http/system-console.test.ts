import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempHttp, type TempHttp } from '../support/http.js';

describe('System console API', () => {
  let http: TempHttp;
  beforeEach(async () => {
    http = await openTempHttp();
  });
  afterEach(async () => {
    await http.close();
  });

  it('creates a tenant with a provisioned admin who can sign in as admin@slug, password shown once', async () => {
    const system = await http.systemClient();
    const created = await system.post('/api/v1/system/tenants', {
      slug: 'acme',
      name: 'Acme Ltd',
      quotas: { maxUsers: 10 },
    });
    expect(created.status).toBe(201);
    expect(created.body.tenant).toMatchObject({
      slug: 'acme',
      name: 'Acme Ltd',
      status: 'active',
      quotas: { maxUsers: 10, maxMailboxes: null, maxStorageBytes: null },
      usage: { users: 1, mailboxes: 0, messages: 0 },
    });
    expect(created.body.admin.login).toBe('admin@acme');
    expect(created.body.admin.password.length).toBeGreaterThanOrEqual(16);
    const admin = http.client();
    const session = await admin.signInTenant('admin@acme', created.body.admin.password);
    expect(session.body).toMatchObject({ realm: 'tenant', tenant: { slug: 'acme' }, roles: ['admin'] });
    // Shown once: nothing returns it again.
    const listed = await system.get('/api/v1/system/tenants');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.admin.password);
    const stored = http.app.database.sqlite
      .prepare("select password_hash from users where name = 'admin'")
      .get() as {
      password_hash: string;
    };
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('answers bad input with the field and the reason', async () => {
    const system = await http.systemClient();
    const badSlug = await system.post('/api/v1/system/tenants', { slug: 'Not A Slug', name: 'X' });
    expect(badSlug.status).toBe(400);
    expect(badSlug.body.details.issues[0]).toMatchObject({ path: 'slug' });
    expect(badSlug.body.message).toMatch(/slug: lower-case letters/);
    await system.post('/api/v1/system/tenants', { slug: 'acme', name: 'Acme' });
    const duplicate = await system.post('/api/v1/system/tenants', { slug: 'acme', name: 'Acme again' });
    expect(duplicate.status).toBe(409);
    const negative = await system.patch('/api/v1/system/tenants/1', { quotas: { maxUsers: -1 } });
    expect(negative.status).toBe(400);
    expect((await system.get('/api/v1/system/tenants/999')).status).toBe(404);
  });

  it('suspends a tenant: its sessions stop and sign-in is refused until it resumes', async () => {
    const { tenant, credentials, admin } = await http.tenantWithAdmin('acme');
    const system = await http.systemClient();
    const suspended = await system.post(`/api/v1/system/tenants/${tenant.id}/suspend`);
    expect(suspended.body.status).toBe('suspended');
    expect((await admin.get('/api/v1/auth/session')).status).toBe(401);
    const refused = await http.client().post('/api/v1/auth/sign-in', {
      login: credentials.login,
      password: credentials.password,
    });
    expect(refused.status).toBe(403);
    await system.post(`/api/v1/system/tenants/${tenant.id}/resume`);
    // Resuming does not bring the old sessions back.
    expect((await admin.get('/api/v1/auth/session')).status).toBe(401);
    await http.client().signInTenant(credentials.login, credentials.password);
  });

  it('changes quotas and shows usage', async () => {
    const { tenant } = await http.tenantWithAdmin('acme');
    const system = await http.systemClient();
    const changed = await system.patch(`/api/v1/system/tenants/${tenant.id}`, {
      name: 'Acme GmbH',
      quotas: { maxMailboxes: 5, maxStorageBytes: 1_000_000 },
    });
    expect(changed.body).toMatchObject({
      name: 'Acme GmbH',
      quotas: { maxUsers: null, maxMailboxes: 5, maxStorageBytes: 1_000_000 },
    });
    const cleared = await system.patch(`/api/v1/system/tenants/${tenant.id}`, {
      quotas: { maxMailboxes: null },
    });
    expect(cleared.body.quotas.maxMailboxes).toBeNull();
  });

  it('resets the provisioned admin: the old password stops working', async () => {
    const { tenant, credentials, admin } = await http.tenantWithAdmin('acme');
    const system = await http.systemClient();
    const reset = await system.post(`/api/v1/system/tenants/${tenant.id}/reset-admin`);
    expect(reset.body.login).toBe('admin@acme');
    expect(reset.body.password).not.toBe(credentials.password);
    expect((await admin.get('/api/v1/auth/session')).status).toBe(401);
    await http.client().signInTenant('admin@acme', reset.body.password);
  });

  it('deletes a tenant with everything it owns, only when the slug is typed again', async () => {
    const { tenant, credentials } = await http.tenantWithAdmin('acme');
    const ctx = { tenantId: tenant.id };
    const mailbox = await http.app.archive.ensureMailbox(ctx, 'inbox');
    await http.app.archive.archiveBatch(ctx, mailbox.id, [
      {
        raw: Buffer.from('Subject: hello\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n'),
        folderPath: '',
        sourceRef: 't',
      },
    ]);
    const blobFolder = join(http.app.config.dataDir, 'blobs', String(tenant.id));
    expect(existsSync(blobFolder)).toBe(true);
    const system = await http.systemClient();
    const wrong = await system.delete(`/api/v1/system/tenants/${tenant.id}`, { confirmSlug: 'acm' });
    expect(wrong.status).toBe(400);
    expect((await system.delete(`/api/v1/system/tenants/${tenant.id}`, { confirmSlug: 'acme' })).status).toBe(
      204,
    );
    expect(existsSync(blobFolder)).toBe(false);
    const db = http.app.database.sqlite;
    for (const table of [
      'users',
      'groups',
      'messages',
      'message_contents',
      'blobs',
      'tenant_keys',
      'archive_mailboxes',
    ]) {
      expect(
        db.prepare(`select count(*) as n from ${table} where tenant_id = ?`).get(tenant.id),
        table,
      ).toEqual({
        n: 0,
      });
    }
    const signIn = await http
      .client()
      .post('/api/v1/auth/sign-in', { login: credentials.login, password: credentials.password });
    expect(signIn.status).toBe(401);
    const log = await system.get('/api/v1/system/audit?action=tenant.');
    expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual([
      'tenant.delete',
      'tenant.create',
    ]);
  });

  it('is closed to tenant users and to nobody-signed-in', async () => {
    const { admin } = await http.tenantWithAdmin('acme');
    expect((await admin.get('/api/v1/system/tenants')).status).toBe(401);
    expect((await http.client().get('/api/v1/system/tenants')).status).toBe(401);
  });
});

describe('HTTP foundation', () => {
  let http: TempHttp;
  beforeEach(async () => {
    http = await openTempHttp();
  });
  afterEach(async () => {
    await http.close();
  });

  it('publishes an OpenAPI document covering every API route, and the interactive docs', async () => {
    const doc = await http.client().get('/api/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const documented = new Set(
      Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
        Object.keys(methods).map(
          (m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1').replace(/(.)\/$/, '$1')}`,
        ),
      ),
    );
    const apiRoutes = http.server.routeList.filter((r) => r.url.startsWith('/api/v1'));
    for (const route of apiRoutes)
      expect(documented, `${route.method} ${route.url}`).toContain(`${route.method} ${route.url}`);
    const ui = await http.client().get('/api/docs');
    expect([200, 302]).toContain(ui.status);
  });

  it('answers health, metrics with request and ingest counters, and echoes request ids', async () => {
    const client = http.client();
    const health = await client.request('GET', '/healthz', undefined, {
      headers: { 'x-request-id': 'trace-me-42' },
    });
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers['x-request-id']).toBe('trace-me-42');
    const ctx = { tenantId: (await http.app.tenants.findBySlug('default')).id };
    const mailbox = await http.app.archive.ensureMailbox(ctx, 'inbox');
    await http.app.archive.archiveBatch(ctx, mailbox.id, [
      { raw: Buffer.from('Subject: m\r\n\r\nx\r\n'), folderPath: '', sourceRef: 'a' },
    ]);
    const metrics = await client.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(
      /postvault_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/,
    );
    expect(metrics.body).toMatch(/postvault_ingest_messages_total\{outcome="archived"\} 1/);
    expect(metrics.body).toMatch(/postvault_jobs_running 0/);
  });

  it('serves the web app for the console pages, with assets', async () => {
    const page = await http.client().get('/system/tenants');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/text\/html/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(asset).toBeDefined();
    expect((await http.client().get(asset!)).status).toBe(200);
    expect((await http.client().get('/adminaccess')).status).toBe(200);
    expect((await http.client().get('/')).headers['location']).toBe('/adminaccess');
  });
});
