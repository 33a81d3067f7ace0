import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';

/**
 * Walks every route the server has, as tenant A's admin (who also holds every other role), against
 * the ids of tenant B's objects. Every answer must be a refusal (404, or 403; 401 for the System
 * and Gateway consoles, which tenant users have no session for), and B's objects must be unchanged
 * afterwards (and the installation's gateway mailbox too).
 * A new route with a path parameter or a body this test does not know fails it on purpose: add
 * B's id of that kind and a sample body below.
 */
const SAMPLE_BODIES: Record<string, unknown> = {
  'POST /api/v1/system/auth/sign-in': null,
  'POST /api/v1/auth/sign-in': null,
  'POST /api/v1/system/auth/password': null,
  'POST /api/v1/auth/password': null,
  'PUT /api/v1/system/auth/language': null,
  'PUT /api/v1/auth/language': null,
  'POST /api/v1/system/auth/totp/enable': null,
  'POST /api/v1/auth/totp/enable': null,
  'POST /api/v1/system/auth/totp/disable': null,
  'POST /api/v1/auth/totp/disable': null,
  'POST /api/v1/system/tenants': { slug: 'intruder', name: 'Intruder' },
  'PATCH /api/v1/system/tenants/:tenantId': { name: 'Taken over' },
  'DELETE /api/v1/system/tenants/:tenantId': { confirmSlug: 'beta' },
  'POST /api/v1/admin/users': null,
  'PATCH /api/v1/admin/users/:userId': { displayName: 'Taken over', disabled: true },
  'POST /api/v1/admin/groups': null,
  'PATCH /api/v1/admin/groups/:groupId': { name: 'Taken over', memberIds: [] },
  'PUT /api/v1/admin/groups/:groupId/roles': { roles: [] },
  'POST /api/v1/admin/domains': null,
  'POST /api/v1/admin/mailboxes': null,
  'PATCH /api/v1/admin/mailboxes/:mailboxId': { name: 'Taken over' },
  'POST /api/v1/admin/secrets': null,
  'PATCH /api/v1/admin/secrets/:secretId': { password: 'taken-over-password' },
  'POST /api/v1/admin/journal-endpoints': null,
  'PATCH /api/v1/admin/journal-endpoints/:endpointId': { name: 'Taken over', enabled: false },
  'POST /api/v1/admin/schedules': null,
  'PATCH /api/v1/admin/schedules/:scheduleId': { enabled: false },
  'POST /api/v1/admin/schedules/:scheduleId/run': {},
  'POST /api/v1/admin/job-runs': null,
  'POST /api/v1/admin/job-runs/:runId/cancel': {},
  'POST /api/v1/system/job-runs/:runId/cancel': {},
  'PUT /api/v1/system/tenants/:tenantId/mail-policy': { mayUseSystemServer: false },
  'POST /api/v1/messages/:messageId/resend': { to: 'intruder@alpha.example' },
  'PATCH /api/v1/gateway/mailboxes/:gatewayMailboxId': { name: 'Taken over' },
  'DELETE /api/v1/gateway/mailboxes/:gatewayMailboxId': { confirmName: 'Journal of beta' },
  'POST /api/v1/gateway/mailboxes/:gatewayMailboxId/reset-password': {},
};

describe('tenant isolation, route by route', () => {
  let http: TempHttp;
  let intruder: TestClient;
  const idsOfB: Record<string, number | string> = {};
  let snapshotOfB: string;
  let adminOfB: TestClient;

  const snapshot = async (client: TestClient) =>
    JSON.stringify(
      await Promise.all(
        [
          '/api/v1/admin/users',
          '/api/v1/admin/groups',
          '/api/v1/admin/domains',
          '/api/v1/admin/mailboxes',
          '/api/v1/admin/secrets',
          '/api/v1/admin/journal-endpoints',
          '/api/v1/admin/process-log',
          '/api/v1/admin/schedules',
          '/api/v1/admin/job-runs',
          '/api/v1/admin/sending',
        ].map(async (url) => (await client.get(url)).body),
      ),
    ) + JSON.stringify(await http.app.gateway.service.list({ actor: { kind: 'system', name: 'test' } }));

  beforeAll(async () => {
    http = await openTempHttp({}, { gatewayKdfParams: { opslimit: 1, memlimit: 8 * 1024 * 1024 } });
    const a = await http.tenantWithAdmin('alpha');
    const b = await http.tenantWithAdmin('beta');
    intruder = a.admin;
    // A's admin holds every role, so only the tenant wall can stop them.
    const me = (await intruder.get('/api/v1/auth/session')).body.user.id;
    const allRoles = await intruder.post('/api/v1/admin/groups', {
      name: 'Everything',
      roles: ['admin', 'reader', 'auditor', 'compliance'],
      memberIds: [me],
    });
    expect(allRoles.status).toBe(201);
    adminOfB = b.admin;

    const user = await b.admin.post('/api/v1/admin/users', {
      name: 'bob',
      primaryAddress: 'bob@beta.example',
    });
    const group = await b.admin.post('/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [user.body.user.id],
    });
    const domain = await b.admin.post('/api/v1/admin/domains', { name: 'beta.example' });
    const mailbox = await b.admin.post('/api/v1/admin/mailboxes', {
      name: 'bob',
      kind: 'user',
      ownerIds: [user.body.user.id],
    });
    const secret = await b.admin.post('/api/v1/admin/secrets', {
      name: 'imap',
      kind: 'password',
      username: 'u',
      password: 'p-secret-value',
    });
    const endpoint = await b.admin.post('/api/v1/admin/journal-endpoints', {
      name: 'M365',
      newMailbox: { name: 'Journal' },
    });
    const schedule = await b.admin.post('/api/v1/admin/schedules', {
      jobType: 'integrity-check',
      configId: null,
      recurrence: { kind: 'weekly', days: ['sun'], time: '03:00' },
      timeZone: 'Europe/Berlin',
    });
    for (const answer of [user, group, domain, mailbox, secret, endpoint, schedule])
      expect(answer.status).toBe(201);
    // A message in B's archive, and a Connect Tenant B's admin has started.
    const [archived] = await http.app.archive.archiveBatch({ tenantId: b.tenant.id }, mailbox.body.id, [
      {
        raw: Buffer.from('Subject: beta only\r\nMessage-ID: <b@beta>\r\n\r\nbody\r\n'),
        folderPath: '',
        sourceRef: 'b',
      },
    ]);
    const state = 'beta-connect-state-0123456789';
    await http.app.database.db
      .insertInto('m365_connect_requests')
      .values({
        state,
        tenant_id: b.tenant.id,
        user_id: user.body.user.id,
        stage: 'consent',
        m365_tenant_id: null,
        code_verifier: 'v',
        browser_binding: 'b',
        outcome: null,
        error: null,
        created_at: Date.now(),
        expires_at: Date.now() + 600_000,
      })
      .execute();
    // Queued, not run: the runner only works in `serve`.
    const run = await b.admin.post(`/api/v1/admin/schedules/${schedule.body.id}/run`);
    expect(run.status).toBe(202);
    await http.app.processLog.append([
      {
        tenantId: b.tenant.id,
        process: 'journal-intake',
        subjectId: endpoint.body.id,
        subjectName: 'M365',
        severity: 'warning',
        message: 'Not a journal report, archived as received',
        details: { peer: '192.0.2.9', mailFrom: 'journal@beta.example' },
        at: Date.now(),
      },
    ]);
    // Not a tenant's: the installation's gateway mailbox, which only gateway administrators reach.
    const { mailbox: gatewayMailbox } = await http.app.gateway.service.create(
      { actor: { kind: 'system', name: 'test' } },
      { name: 'Journal of beta' },
    );
    Object.assign(idsOfB, {
      tenantId: b.tenant.id,
      userId: user.body.user.id,
      groupId: group.body.id,
      domainId: domain.body.id,
      mailboxId: mailbox.body.id,
      secretId: secret.body.id,
      endpointId: endpoint.body.id,
      scheduleId: schedule.body.id,
      runId: run.body.id,
      messageId: (archived as { messageId: number }).messageId,
      state,
      gatewayMailboxId: gatewayMailbox.id,
    });
    // An export B's reader has prepared (not downloaded yet).
    const bobClient = http.client();
    await bobClient.signInTenant(user.body.user.login, user.body.password);
    const exported = await bobClient.post('/api/v1/webaccess/exports', {
      format: 'mbox',
      messageIds: [(archived as { messageId: number }).messageId],
    });
    expect(exported.status).toBe(201);
    Object.assign(idsOfB, { exportId: exported.body.id, index: 0 });
    snapshotOfB = await snapshot(b.admin);
  });

  afterAll(async () => {
    await http.close();
  });

  it('refuses every route that names one of tenant B’s objects', async () => {
    const routes = http.server.routeList.filter((r) => r.url.includes(':'));
    expect(routes.length).toBeGreaterThan(15);
    const unexpected: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const url = route.url.replace(/:(\w+)/g, (_, name: string) => {
        if (!(name in idsOfB))
          throw new Error(`${key}: no id of tenant B for :${name}; add one to this test`);
        return String(idsOfB[name]);
      });
      if (route.hasBody && SAMPLE_BODIES[key] === undefined) {
        throw new Error(`${key} takes a body; add a valid sample to SAMPLE_BODIES`);
      }
      const answer = await intruder.request(
        route.method as 'GET',
        url,
        route.hasBody ? SAMPLE_BODIES[key] : undefined,
      );
      const allowed = /^\/api\/v1\/(system|gateway)\//.test(url) ? [401] : [403, 404];
      if (!allowed.includes(answer.status))
        unexpected.push(`${key} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    expect(unexpected).toEqual([]);
  });

  it('leaves tenant B exactly as it was', async () => {
    expect(await snapshot(adminOfB)).toBe(snapshotOfB);
  });

  it('lists only tenant A’s own objects', async () => {
    const lists = await snapshot(intruder);
    expect(lists).not.toContain('bob@beta.example');
    expect(lists).not.toContain('beta.example');
    expect(lists).not.toContain('"imap"');
    expect(lists).not.toContain('M365');
    const webAccess = JSON.stringify([
      (await intruder.get('/api/v1/webaccess/mailboxes')).body,
      (await intruder.get('/api/v1/webaccess/messages')).body,
      (await intruder.get(`/api/v1/webaccess/messages?mailboxId=${idsOfB['mailboxId']}`)).body,
    ]);
    expect(webAccess).not.toContain('beta only');
    expect(webAccess).toContain('NOT_FOUND');
  });
});
