import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../src/core/errors.js';
import type { Maildrop } from '../../src/gateway/gateway.service.js';
import {
  GATEWAY_ADMIN,
  openTempHttp,
  SYSTEM_ADMIN,
  type TempHttp,
  type TestClient,
} from '../support/http.js';

/** Cheap Argon2id for the mailbox keys, and no pause after a wrong POP3 password. */
const FAST_GATEWAY = {
  gatewayKdfParams: { opslimit: 1, memlimit: 8 * 1024 * 1024 },
  gatewayFailedLoginDelayMs: 0,
};
const PASSWORD = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$/;

async function* once(data: Buffer) {
  yield data;
}

async function readAll(maildrop: Maildrop, index: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of maildrop.read(index)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('Gateway console API', () => {
  let http: TempHttp;
  let gateway: TestClient;

  beforeEach(async () => {
    http = await openTempHttp({ POSTVAULT_GATEWAY_DOMAIN: 'gateway.example.com' }, FAST_GATEWAY);
    gateway = await http.gatewayClient();
  });
  afterEach(async () => {
    await http.close();
  });

  const service = () => http.app.gateway.service;
  const audit = () =>
    http.app.database.sqlite
      .prepare(
        'select tenant_id, actor_kind, actor_name, action, outcome, target_label from audit_log order by id',
      )
      .all() as Array<{
      tenant_id: number;
      actor_kind: string;
      actor_name: string;
      action: string;
      outcome: string;
      target_label: string | null;
    }>;
  const create = async (name = 'Office 365 Journal', description?: string) => {
    const answer = await gateway.post('/api/v1/gateway/mailboxes', { name, description });
    expect(answer.status).toBe(201);
    return answer.body as { mailbox: { id: number; address: string; name: string }; password: string };
  };
  /** Opens the mailbox the way POP3 does; resolves to the messages, or rejects. */
  const openWith = async (address: string, password: string) => {
    const maildrop = await service().openMaildrop(address, password, '192.0.2.1');
    try {
      return await Promise.all(maildrop.messages.map((_, i) => readAll(maildrop, i)));
    } finally {
      maildrop.release();
    }
  };

  it('signs the first gateway administrator in to a gateway session; a wrong password is refused, then throttled', async () => {
    const session = await gateway.get('/api/v1/gateway/auth/session');
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({
      realm: 'gateway',
      user: { login: 'admin' },
      tenant: null,
      roles: [],
    });
    expect(gateway.cookies.has('pv_gateway')).toBe(true);

    const stranger = http.client('198.51.100.7');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const answer = await stranger.post('/api/v1/gateway/auth/sign-in', {
        username: 'admin',
        password: 'not-the-password',
      });
      statuses.push(answer.status);
    }
    // Five free mistakes, then each failure makes the account wait.
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses[6]).toBe(429);
    const limited = await stranger.post('/api/v1/gateway/auth/sign-in', GATEWAY_ADMIN);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();

    const signIns = audit().filter((e) => e.action === 'auth.sign-in');
    expect(signIns[signIns.length - 1]).toMatchObject({
      tenant_id: 0,
      actor_kind: 'gateway-admin',
      outcome: 'failure',
    });
    expect(signIns.some((e) => e.actor_kind === 'gateway-admin' && e.outcome === 'success')).toBe(true);
  });

  it('creates a mailbox: the password is in that answer only, and the list shows status, address, count, size and last received', async () => {
    const answer = await gateway.post('/api/v1/gateway/mailboxes', {
      name: 'Office 365 Journal',
      description: 'Target for journal emails from example.com',
    });
    expect(answer.status).toBe(201);
    expect(answer.headers['cache-control']).toBe('no-store');
    const { mailbox, password } = answer.body;
    expect(password).toMatch(PASSWORD);
    expect(mailbox).toMatchObject({
      name: 'Office 365 Journal',
      description: 'Target for journal emails from example.com',
      status: 'active',
      messages: 0,
      bytes: 0,
      unreadableMessages: 0,
      lastReceivedAt: null,
    });
    expect(mailbox.address).toMatch(/^[a-z2-7]{20}@gateway\.example\.com$/);

    const message = Buffer.from('Subject: journal\r\n\r\nhello\r\n');
    await service().deliver([mailbox.id], once(message));
    const list = await gateway.get('/api/v1/gateway/mailboxes');
    expect(list.status).toBe(200);
    expect(list.body.mailboxes).toHaveLength(1);
    expect(list.body.mailboxes[0]).toMatchObject({
      id: mailbox.id,
      address: mailbox.address,
      status: 'active',
      messages: 1,
      bytes: message.length,
    });
    expect(list.body.mailboxes[0].lastReceivedAt).toBeGreaterThan(0);
    const one = await gateway.get(`/api/v1/gateway/mailboxes/${mailbox.id}`);
    // Never again: neither the list nor the mailbox nor the database shows the password.
    for (const shown of [list, one]) expect(JSON.stringify(shown.body)).not.toContain(password);
    expect(JSON.stringify(audit())).not.toContain(password);
    expect(await openWith(mailbox.address, password)).toEqual([message]);

    const duplicate = await gateway.post('/api/v1/gateway/mailboxes', { name: 'Office 365 Journal' });
    expect(duplicate.status).toBe(409);
    const nameless = await gateway.post('/api/v1/gateway/mailboxes', { name: '  ' });
    expect(nameless.status).toBe(400);
    const renamed = await gateway.patch(`/api/v1/gateway/mailboxes/${mailbox.id}`, {
      description: 'Changed',
    });
    expect(renamed.body).toMatchObject({ name: 'Office 365 Journal', description: 'Changed' });
    expect((await gateway.get('/api/v1/gateway/mailboxes/999')).status).toBe(404);
  });

  it('suspends and resumes a mailbox', async () => {
    const { mailbox } = await create();
    const suspended = await gateway.post(`/api/v1/gateway/mailboxes/${mailbox.id}/suspend`);
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    expect(await service().findRecipient(mailbox.address)).toMatchObject({ status: 'suspended' });
    const resumed = await gateway.post(`/api/v1/gateway/mailboxes/${mailbox.id}/resume`);
    expect(resumed.body.status).toBe('active');
    expect(audit().map((e) => e.action)).toEqual(
      expect.arrayContaining(['gateway.mailbox.suspend', 'gateway.mailbox.resume']),
    );
  });

  it('resets the password with the current one: the content stays and only the new password opens it', async () => {
    const { mailbox, password } = await create();
    const message = Buffer.from('Subject: kept\r\n\r\nstill readable\r\n');
    await service().deliver([mailbox.id], once(message));

    // A wrong mailbox password is a field error, not a lost console session.
    const wrong = await gateway.post(`/api/v1/gateway/mailboxes/${mailbox.id}/reset-password`, {
      currentPassword: 'BBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBB',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details.issues[0].path).toBe('currentPassword');
    expect((await gateway.get('/api/v1/gateway/auth/session')).status).toBe(200);

    const reset = await gateway.post(`/api/v1/gateway/mailboxes/${mailbox.id}/reset-password`, {
      currentPassword: password,
    });
    expect(reset.status).toBe(200);
    expect(reset.headers['cache-control']).toBe('no-store');
    expect(reset.body).toMatchObject({ contentKept: true, mailbox: { messages: 1, unreadableMessages: 0 } });
    expect(reset.body.password).toMatch(PASSWORD);
    expect(reset.body.password).not.toBe(password);
    await expect(openWith(mailbox.address, password)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await openWith(mailbox.address, reset.body.password)).toEqual([message]);
  });

  it('resets without the current password: the content becomes unreadable and can be purged', async () => {
    const { mailbox, password } = await create();
    const old = Buffer.from('Subject: old\r\n\r\nunder the old key\r\n');
    await service().deliver([mailbox.id], once(old));
    const reset = await gateway.post(`/api/v1/gateway/mailboxes/${mailbox.id}/reset-password`, {});
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ contentKept: false, mailbox: { messages: 1, unreadableMessages: 1 } });
    await expect(openWith(mailbox.address, password)).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(await openWith(mailbox.address, reset.body.password)).toEqual([]);

    const purged = await gateway.post(`/api/v1/gateway/mailboxes/${mailbox.id}/purge-unreadable`);
    expect(purged.body).toEqual({ messages: 1, bytes: old.length });
    const after = await gateway.get(`/api/v1/gateway/mailboxes/${mailbox.id}`);
    expect(after.body).toMatchObject({ messages: 0, unreadableMessages: 0 });
    expect(audit().filter((e) => e.action.startsWith('gateway.mailbox.'))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'gateway.mailbox.password.reset', actor_kind: 'gateway-admin' }),
        expect.objectContaining({ action: 'gateway.mailbox.purge-unreadable', actor_kind: 'gateway-admin' }),
      ]),
    );
  });

  it('deletes a mailbox only when its name is typed again', async () => {
    const { mailbox } = await create('To go');
    await service().deliver([mailbox.id], once(Buffer.from('Subject: x\r\n\r\n')));
    const wrong = await gateway.delete(`/api/v1/gateway/mailboxes/${mailbox.id}`, { confirmName: 'To' });
    expect(wrong.status).toBe(400);
    expect((await gateway.get(`/api/v1/gateway/mailboxes/${mailbox.id}`)).status).toBe(200);
    const deleted = await gateway.delete(`/api/v1/gateway/mailboxes/${mailbox.id}`, { confirmName: 'To go' });
    expect(deleted.status).toBe(204);
    expect((await gateway.get(`/api/v1/gateway/mailboxes/${mailbox.id}`)).status).toBe(404);
    expect((await gateway.get('/api/v1/gateway/mailboxes')).body.mailboxes).toEqual([]);
    expect(audit()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          tenant_id: 0,
          action: 'gateway.mailbox.delete',
          actor_kind: 'gateway-admin',
          actor_name: 'admin',
          target_label: 'To go',
        }),
      ]),
    );
  });

  it('saves the language with the account', async () => {
    const changed = await gateway.put('/api/v1/gateway/auth/language', { language: 'de' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.language).toBe('de');
    const again = await http.gatewayClient();
    expect((await again.get('/api/v1/gateway/auth/session')).body.user.language).toBe('de');
  });

  it('resets the own password to a new random one, only with the current password', async () => {
    const other = await http.gatewayClient('203.0.113.5');
    const refused = await gateway.post('/api/v1/gateway/auth/password', {
      currentPassword: 'wrong-password',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details.issues[0].path).toBe('currentPassword');
    // The Gateway console does not let anyone choose a password: there is no newPassword.
    const missing = await gateway.post('/api/v1/gateway/auth/password', {});
    expect(missing.status).toBe(400);

    const reset = await gateway.post('/api/v1/gateway/auth/password', {
      currentPassword: GATEWAY_ADMIN.password,
    });
    expect(reset.status).toBe(200);
    expect(reset.headers['cache-control']).toBe('no-store');
    expect(reset.body.password).toMatch(/^[A-Za-z0-9]{20}$/);
    // This session goes on; the other one ended.
    expect((await gateway.get('/api/v1/gateway/auth/session')).status).toBe(200);
    expect((await other.get('/api/v1/gateway/auth/session')).status).toBe(401);
    const old = await http.client().post('/api/v1/gateway/auth/sign-in', GATEWAY_ADMIN);
    expect(old.status).toBe(401);
    await http.client().signInGateway('admin', reset.body.password);
    expect(audit().map((e) => `${e.action}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['auth.password.reset:failure', 'auth.password.reset:success']),
    );
  });

  it('refuses state changes without the CSRF token', async () => {
    for (const [method, url, body] of [
      ['POST', '/api/v1/gateway/mailboxes', { name: 'Forged' }],
      ['POST', '/api/v1/gateway/auth/password', { currentPassword: GATEWAY_ADMIN.password }],
      ['PUT', '/api/v1/gateway/auth/language', { language: 'de' }],
      ['POST', '/api/v1/gateway/auth/sign-out', {}],
    ] as const) {
      const answer = await gateway.request(method, url, body, { csrf: false });
      expect([url, answer.status, answer.body.code]).toEqual([url, 403, 'CSRF_TOKEN_INVALID']);
    }
    expect((await gateway.get('/api/v1/gateway/mailboxes')).body.mailboxes).toEqual([]);
  });

  it('keeps the realms apart: tenant and system sessions get nothing here, a gateway session nothing there', async () => {
    const { mailbox } = await create();
    const { admin: tenantAdmin } = await http.tenantWithAdmin('acme');
    const system = await http.systemClient();
    for (const client of [tenantAdmin, system]) {
      for (const [method, url] of [
        ['GET', '/api/v1/gateway/mailboxes'],
        ['GET', `/api/v1/gateway/mailboxes/${mailbox.id}`],
        ['POST', `/api/v1/gateway/mailboxes/${mailbox.id}/suspend`],
        ['GET', '/api/v1/gateway/auth/session'],
      ] as const) {
        expect([url, (await client.request(method, url, method === 'GET' ? undefined : {})).status]).toEqual([
          url,
          401,
        ]);
      }
    }
    for (const [method, url] of [
      ['GET', '/api/v1/system/tenants'],
      ['GET', '/api/v1/system/audit'],
      ['GET', '/api/v1/system/auth/session'],
      ['GET', '/api/v1/admin/users'],
      ['GET', '/api/v1/auth/session'],
      ['GET', '/api/v1/audit'],
      ['POST', '/api/v1/system/tenants'],
    ] as const) {
      const answer = await gateway.request(
        method,
        url,
        method === 'GET' ? undefined : { slug: 'x', name: 'X' },
      );
      expect([url, answer.status]).toEqual([url, 401]);
    }
    // A gateway session's token under another realm's cookie name opens nothing either.
    const token = gateway.cookies.get('pv_gateway')!;
    const smuggler = http.client();
    smuggler.cookies.set('pv_system', token);
    smuggler.cookies.set('pv_session', token);
    expect((await smuggler.get('/api/v1/system/tenants')).status).toBe(401);
    expect((await smuggler.get('/api/v1/admin/users')).status).toBe(401);
    // And the other way round.
    const systemToken = system.cookies.get('pv_system')!;
    const other = http.client();
    other.cookies.set('pv_gateway', systemToken);
    expect((await other.get('/api/v1/gateway/mailboxes')).status).toBe(401);
    // The system administrator signs in to /system only; the gateway account to /gateway only.
    expect((await http.client().post('/api/v1/gateway/auth/sign-in', SYSTEM_ADMIN)).status).toBe(401);
    await http.client().signInSystem(SYSTEM_ADMIN.username, SYSTEM_ADMIN.password);
    expect(
      (
        await http
          .client()
          .post('/api/v1/system/auth/sign-in', { username: 'admin', password: GATEWAY_ADMIN.password })
      ).status,
    ).toBe(401);
  });

  it('writes sign-ins and every mailbox change to the installation’s audit chain, which the System console reads', async () => {
    const { mailbox } = await create('Audited');
    await gateway.patch(`/api/v1/gateway/mailboxes/${mailbox.id}`, { name: 'Audited 2' });
    await gateway.post(`/api/v1/gateway/auth/sign-out`);
    const system = await http.systemClient();
    const entries = (await system.get('/api/v1/system/audit?limit=50')).body.entries as Array<{
      action: string;
      actor: { kind: string; name: string };
      target: { type: string; label: string } | null;
    }>;
    const gatewayEntries = entries.filter((e) => e.actor.kind === 'gateway-admin');
    expect(gatewayEntries.map((e) => e.action).reverse()).toEqual([
      'auth.sign-in',
      'gateway.mailbox.create',
      'gateway.mailbox.update',
      'auth.sign-out',
    ]);
    expect(gatewayEntries.find((e) => e.action === 'gateway.mailbox.create')?.target).toMatchObject({
      type: 'gateway-mailbox',
      label: 'Audited',
    });
    expect((await gateway.get('/api/v1/gateway/mailboxes')).status).toBe(401);
  });
});
