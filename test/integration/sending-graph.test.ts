/* eslint-disable @typescript-eslint/no-explicit-any -- answers are untyped JSON that the tests inspect freely */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  seedStandardScenario,
  startMicrosoftFakes,
  type StandardScenario,
} from '../fakes/microsoft/index.js';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';
import { corpusDir } from '../support/paths.js';

const PUBLIC_URL = 'https://archive.postvault.test';
const CONSENTED = `${PUBLIC_URL}/adminaccess/sending/microsoft365/consented`;
const SIGNED_IN = `${PUBLIC_URL}/adminaccess/sending/microsoft365/signed-in`;

type Fakes = Awaited<ReturnType<typeof startMicrosoftFakes>>;

/**
 * Mail sending through Microsoft 365 against the local Entra ID and Graph fakes (shared/contracts):
 * the system's server with Graph, a tenant's "Connect Tenant" with the admin check, MIME sendMail of
 * the exact bytes, 429 + Retry-After, an expired token, the per-mailbox limit.
 */
describe('mail sending through Microsoft 365 (Graph fakes)', () => {
  let fakes: Fakes;
  let world: StandardScenario;
  let http: TempHttp;
  let system: TestClient;
  let admin: TestClient;
  let tenant: { id: number; slug: string };

  beforeEach(async () => {
    fakes = await startMicrosoftFakes();
    world = seedStandardScenario(fakes.state, { redirectUris: [CONSENTED, SIGNED_IN] });
    http = await openTempHttp({
      POSTVAULT_PUBLIC_URL: PUBLIC_URL,
      POSTVAULT_MICROSOFT_LOGIN_URL: fakes.loginUrl,
      POSTVAULT_MICROSOFT_GRAPH_URL: fakes.graphUrl,
      POSTVAULT_MICROSOFT_CLIENT_ID: world.app.clientId,
      POSTVAULT_MICROSOFT_CLIENT_SECRET: world.clientSecret,
    });
    system = await http.systemClient();
    ({ admin, tenant } = await http.tenantWithAdmin('acme'));
    await system.put('/api/v1/system/mail-server', { enabled: true });
  });

  afterEach(async () => {
    await http.close();
    await fakes.close();
  });

  /**
   * A Postvault page Microsoft redirects the browser to. The redirect is cross-site, so the browser
   * sends only Lax cookies: the flow's pv_m365_connect, not the Strict session cookie.
   */
  const follow = (client: TestClient, location: string) => {
    expect(location.startsWith(PUBLIC_URL)).toBe(true);
    const browser = http.client();
    const binding = client.cookies.get('pv_m365_connect');
    if (binding) browser.cookies.set('pv_m365_connect', binding);
    return browser.get(location.slice(PUBLIC_URL.length));
  };

  /** Microsoft's side of a redirect: the fake answers 302 at once for `fake_user`. */
  const microsoft = async (url: string, user: string, consent?: 'accept' | 'decline') => {
    const target = new URL(url);
    target.searchParams.set('fake_user', user);
    if (consent) target.searchParams.set('fake_consent', consent);
    const answer = await fetch(target, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    return answer.headers.get('location')!;
  };

  /** Connect Tenant as `user`, all the way; returns the result page and the final status. */
  const connect = async (client: TestClient, user: string, consentAs = 'admin@contoso.com') => {
    const started = await client.post('/api/v1/admin/sending/microsoft365/connect');
    expect(started.status).toBe(200);
    expect(String(started.headers['set-cookie'])).toMatch(
      /pv_m365_connect=[^;]+;.*Path=\/adminaccess\/sending\/microsoft365;.*HttpOnly;.*SameSite=Lax/,
    );
    const consented = await follow(client, await microsoft(started.body.url, consentAs, 'accept'));
    let page = consented;
    if (consented.status === 302)
      page = await follow(client, await microsoft(String(consented.headers.location), user));
    const status = await client.get(`/api/v1/admin/sending/microsoft365/connect/${started.body.state}`);
    return { page, status: status.body, state: started.body.state as string };
  };

  it('connects a tenant when an admin of it consents and signs in, then sends from the chosen mailbox', async () => {
    const { page, status } = await connect(admin, 'admin@contoso.com');
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-stage="done"');
    expect(status).toMatchObject({
      stage: 'done',
      microsoftTenantId: world.contoso.id,
      confirmedBy: 'admin@contoso.com',
    });
    // The consent redirect carried our state, and the tenant was confirmed with an app-only token.
    expect(fakes.requestsTo('/organization').length).toBeGreaterThanOrEqual(2);

    const users = (await admin.get('/api/v1/admin/sending/microsoft365/users')).body.users;
    const mails = users.map((u: any) => u.mail);
    expect(mails).toContain('alice@contoso.com');
    expect(mails).not.toContain(null);
    expect(users.some((u: any) => u.userPrincipalName.includes('#EXT#'))).toBe(false);
    const alice = users.find((u: any) => u.mail === 'alice@contoso.com');
    // The address is Graph's, not what the browser sends; a guest (no mailbox here) is refused.
    const guest = await admin.put('/api/v1/admin/sending', {
      type: 'microsoft365',
      microsoft365Sender: { id: world.guest.id, address: 'guest@contoso.com' },
    });
    expect(guest.status).toBe(400);
    const saved = await admin.put('/api/v1/admin/sending', {
      type: 'microsoft365',
      microsoft365Sender: { id: alice.id, address: 'someone-else@elsewhere.test' },
    });
    expect(saved.body.microsoft365.senderAddress).toBe('alice@contoso.com');
    expect(saved.body.route).toEqual({ available: true, via: 'tenant', kind: 'microsoft365' });

    // Test mail: Graph's 202, and the MIME handed over is what Postvault composed.
    const test = await admin.post('/api/v1/admin/sending/test', { to: 'someone@example.org' });
    expect(test.body).toEqual({ sent: true, transport: 'tenant-microsoft365', response: '202 Accepted' });
    const [sent] = world.contoso.sentMail('alice@contoso.com');
    expect(sent!.format).toBe('mime');
    expect(sent!.mime!.toString()).toMatch(/^Subject: Postvault test mail/m);

    // Resend: the archived bytes, unchanged, base64 in the body.
    const raw = readFileSync(join(corpusDir, 'tika/testRFC822_multipart_attachments.eml'));
    const me = (await admin.get('/api/v1/auth/session')).body.user.id;
    const mailbox = await admin.post('/api/v1/admin/mailboxes', {
      name: 'mine',
      kind: 'user',
      ownerIds: [me],
    });
    const [archived] = await http.app.archive.archiveBatch({ tenantId: tenant.id }, mailbox.body.id, [
      { raw, folderPath: 'Inbox', sourceRef: 'r' },
    ]);
    const resend = await admin.post(`/api/v1/messages/${(archived as any).messageId}/resend`, {
      to: 'bob@contoso.com',
    });
    expect(resend.status).toBe(202);
    await http.app.sending.outgoing.start();
    await http.app.sending.outgoing.whenIdle();
    const resent = world.contoso.sentMail('alice@contoso.com')[1]!;
    expect(Buffer.compare(resent.mime!, raw)).toBe(0);
    expect(resent.base64).toBe(raw.toString('base64'));
  });

  it('refuses a connection confirmed by a user who is not an admin of the tenant', async () => {
    const { page, status } = await connect(admin, 'alice@contoso.com');
    expect(page.body).toContain('data-stage="failed"');
    expect(status.stage).toBe('failed');
    expect(status.error).toMatch(/alice@contoso.com is not an administrator/);
    expect((await admin.get('/api/v1/admin/sending')).body.microsoft365.tenantId).toBe('');
  });

  it('does not let anyone connect a tenant that once consented for another customer', async () => {
    // contoso consented earlier (for another Postvault customer). An admin of acme, who is no admin
    // of contoso, fakes Microsoft's consent redirect with contoso's id: it proves nothing yet.
    world.contoso.grantAdminConsent(world.app.clientId);
    const fabrikam = fakes.state.addTenant({ name: 'fabrikam', domains: ['fabrikam.com'] });
    fabrikam.addUser({
      userPrincipalName: 'eve@fabrikam.com',
      roles: ['Global Administrator'],
      password: 'pw',
    });
    const started = await admin.post('/api/v1/admin/sending/microsoft365/connect');
    const next = await follow(
      admin,
      `${CONSENTED}?admin_consent=True&tenant=${world.contoso.id}&scope=x&state=${started.body.state}`,
    );
    expect(next.status).toBe(302);
    // The sign-in is bound to contoso: an admin of another tenant cannot even sign in there…
    const authorize = new URL(String(next.headers.location));
    expect(authorize.pathname).toBe(`/${world.contoso.id}/oauth2/v2.0/authorize`);
    authorize.searchParams.set('fake_user', 'eve@fabrikam.com');
    expect((await fetch(authorize, { redirect: 'manual' })).status).toBe(400);
    // …and a contoso user without an admin role gets through Microsoft but not through Postvault.
    const done = await follow(admin, await microsoft(String(next.headers.location), 'alice@contoso.com'));
    expect(done.body).toContain('data-stage="failed"');
    const status = await admin.get(`/api/v1/admin/sending/microsoft365/connect/${started.body.state}`);
    expect(status.body).toMatchObject({ stage: 'failed', confirmedBy: null });
    expect((await admin.get('/api/v1/admin/sending')).body.microsoft365.tenantId).toBe('');
  });

  it('reports a declined consent, and refuses a state it did not hand out or one of another admin', async () => {
    const started = await admin.post('/api/v1/admin/sending/microsoft365/connect');
    const declined = await follow(admin, await microsoft(started.body.url, 'admin@contoso.com', 'decline'));
    expect(declined.body).toContain('data-stage="failed"');
    const status = await admin.get(`/api/v1/admin/sending/microsoft365/connect/${started.body.state}`);
    expect(status.body.error).toMatch(/^access_denied/);

    const forged = await admin.get(
      `/adminaccess/sending/microsoft365/consented?admin_consent=True&tenant=${world.contoso.id}&state=made-up-state-value`,
    );
    expect(forged.status).toBe(400);

    // Another admin of the same tenant opens the first admin's redirect: refused.
    const again = await admin.post('/api/v1/admin/sending/microsoft365/connect');
    const other = await admin.post('/api/v1/admin/users', { name: 'second' });
    await admin.post('/api/v1/admin/groups', {
      name: 'Admins 2',
      roles: ['admin'],
      memberIds: [other.body.user.id],
    });
    const secondAdmin = http.client();
    await secondAdmin.signInTenant(other.body.user.login, other.body.password);
    const location = await microsoft(again.body.url, 'admin@contoso.com', 'accept');
    expect((await follow(secondAdmin, location)).status).toBe(400);
  });

  it('sends through the system server with Graph: honours Retry-After, renews an expired token, keeps to 4 per mailbox', async () => {
    world.contoso.grantAdminConsent(world.app.clientId);
    await system.put('/api/v1/system/mail-server', {
      authentication: 'microsoft365',
      graph: { tenantId: world.contoso.id, clientId: world.app.clientId, clientSecret: world.clientSecret },
      senderAddress: 'info@contoso.com',
    });
    const test = await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' });
    expect(test.body).toEqual({ sent: true, transport: 'system-microsoft365', response: '202 Accepted' });

    // A wrong secret: the Entra error code and text, shown to the admin.
    await system.put('/api/v1/system/mail-server', { graph: { clientSecret: 'wrong' } });
    const refused = await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' });
    expect(refused.body).toMatchObject({ sent: false, transport: 'system-microsoft365' });
    expect(refused.body.detail).toMatch(/invalid_client: AADSTS7000215/);
    await system.put('/api/v1/system/mail-server', { graph: { clientSecret: world.clientSecret } });

    // Queued mail (sign-in details of a new tenant's admin) meets a 429 with Retry-After: 1.
    const throttle = fakes.faults.throttle('/users/*/sendMail', { times: 1, retryAfterSeconds: 1 });
    const created = await system.post('/api/v1/system/tenants', {
      slug: 'globex',
      name: 'Globex',
      adminEmail: 'boss@globex.test',
    });
    expect(created.body.credentialsMail).toEqual({ to: 'boss@globex.test', queued: true, error: null });
    await http.app.sending.outgoing.start();
    const queuedAt = Date.now();
    await http.app.sending.outgoing.whenIdle();
    await expect.poll(() => world.contoso.sentMail('info@contoso.com').length, { timeout: 10_000 }).toBe(2);
    expect(throttle.hits).toBe(1);
    expect(Date.now() - queuedAt).toBeGreaterThanOrEqual(900);
    const credentials = world.contoso.sentMail('info@contoso.com')[1]!.mime!.toString();
    expect(credentials).toContain(created.body.admin.password);
    const log = await http.app.processLog.list(created.body.tenant.id, { limit: 10 });
    expect(log.map((e) => e.severity)).toEqual(['info', 'warning']);
    expect(log[1]!.message).toMatch(/retrying in 1 s/);

    // Tokens expire: one new token, then the mail goes out.
    const before = fakes.issuedTokens().length;
    fakes.faults.expireAllTokens();
    expect((await system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' })).body.sent).toBe(
      true,
    );
    expect(fakes.issuedTokens().length).toBe(before + 1);

    // Ten at once from one mailbox: never more than 4 requests in flight.
    const held = fakes.faults.hold('/users/*/sendMail', { times: 10 });
    const sends = Array.from({ length: 10 }, () =>
      system.post('/api/v1/system/mail-server/test', { to: 'ops@example.org' }),
    );
    await held.waitUntilHeld(4);
    await new Promise((r) => setTimeout(r, 200));
    expect(fakes.mailboxActivity('info@contoso.com').sendMailInFlight).toBe(4);
    // Stop holding new requests, then let the held ones go.
    held.cancel();
    held.release();
    const results = await Promise.all(sends);
    expect(results.every((r) => r.body.sent === true)).toBe(true);
    expect(fakes.mailboxActivity('info@contoso.com').maxSendMailInFlight).toBeLessThanOrEqual(4);
  });

  it('holds queued mail while sending is off, and composes it with the sender of the route it leaves by', async () => {
    world.contoso.grantAdminConsent(world.app.clientId);
    await system.put('/api/v1/system/mail-server', {
      authentication: 'microsoft365',
      graph: { tenantId: world.contoso.id, clientId: world.app.clientId, clientSecret: world.clientSecret },
      senderAddress: 'info@contoso.com',
    });
    const created = await system.post('/api/v1/system/tenants', {
      slug: 'globex',
      name: 'Globex',
      adminEmail: 'boss@globex.test',
    });
    expect(created.body.credentialsMail.queued).toBe(true);
    // Switched off before it goes out: held, not dropped, and no attempt counted.
    await system.put('/api/v1/system/mail-server', { enabled: false });
    await http.app.sending.outgoing.start();
    await expect
      .poll(
        async () =>
          (await http.app.database.db.selectFrom('outgoing_mail').selectAll().executeTakeFirst())?.last_error,
      )
      .toBe('SYSTEM_SENDING_OFF');
    const held = await http.app.database.db.selectFrom('outgoing_mail').selectAll().executeTakeFirstOrThrow();
    expect([held.status, held.attempts]).toEqual(['queued', 0]);
    expect(fakes.sentMail).toHaveLength(0);
    // On again, from another mailbox: the message leaves from the sender configured now.
    await system.put('/api/v1/system/mail-server', { enabled: true, senderAddress: 'alice@contoso.com' });
    await http.app.database.db.updateTable('outgoing_mail').set({ not_before: 0 }).execute();
    await expect.poll(() => world.contoso.sentMail('alice@contoso.com').length, { timeout: 15_000 }).toBe(1);
    const mime = world.contoso.sentMail('alice@contoso.com')[0]!.mime!.toString();
    expect(mime).toMatch(/^From: alice@contoso\.com\r$/m);
    expect(mime).toContain(created.body.admin.password);
  });
});
