import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { openForSystem } from '../../src/core/sealed.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ADMIN, openTempHttp, type TempHttp } from '../support/http.js';

const codeFor = (secret: string, at = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({
    timestamp: at,
  });

describe('sign-in and sessions (system realm)', () => {
  let http: TempHttp;
  beforeEach(async () => {
    http = await openTempHttp();
  });
  afterEach(async () => {
    await http.close();
  });

  it('signs in, reports the session, and signs out so that the old cookie is dead on the server', async () => {
    const client = http.client();
    const signIn = await client.signInSystem(SYSTEM_ADMIN.username, SYSTEM_ADMIN.password);
    expect(signIn.body).toMatchObject({ realm: 'system', user: { login: 'admin' }, tenant: null, roles: [] });
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/pv_system=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect((await client.get('/api/v1/system/auth/session')).status).toBe(200);

    const stolen = new Map(client.cookies);
    expect((await client.post('/api/v1/system/auth/sign-out')).status).toBe(204);
    const replay = http.client();
    for (const [k, v] of stolen) replay.cookies.set(k, v);
    const answer = await replay.get('/api/v1/system/auth/session');
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('UNAUTHENTICATED');
  });

  it('answers a wrong password and an unknown name alike, and audits both', async () => {
    const client = http.client();
    const wrong = await client.post('/api/v1/system/auth/sign-in', {
      username: 'admin',
      password: 'nope-nope-nope',
    });
    const unknown = await client.post('/api/v1/system/auth/sign-in', {
      username: 'ghost',
      password: 'nope-nope-nope',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
    const log = await http.app.audit.listSystem(
      { actor: { kind: 'system', name: 'test' } },
      { action: 'auth.sign-in' },
    );
    expect(
      log.entries
        .filter((e) => e.outcome === 'failure')
        .map((e) => e.actor.name)
        .sort(),
    ).toEqual(['admin', 'ghost']);
  });

  it('rejects a state-changing request without the CSRF token', async () => {
    const client = await http.systemClient();
    const answer = await client.request(
      'POST',
      '/api/v1/system/tenants',
      { slug: 'x', name: 'X' },
      { csrf: false },
    );
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('CSRF_TOKEN_INVALID');
    const forged = await client.request(
      'POST',
      '/api/v1/system/tenants',
      { slug: 'x', name: 'X' },
      { csrf: false, headers: { 'x-csrf-token': 'guess' } },
    );
    expect(forged.body.code).toBe('CSRF_TOKEN_INVALID');
  });

  it('grows the delay after repeated failures, per account and per address', async () => {
    const client = http.client('10.0.0.7');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (
          await client.post('/api/v1/system/auth/sign-in', {
            username: 'admin',
            password: `wrong-${i}-xxxxx`,
          })
        ).status,
      );
    }
    // Five free failures, the sixth sets a wait, the seventh meets it.
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses[6]).toBe(429);
    const limited = await client.post('/api/v1/system/auth/sign-in', SYSTEM_ADMIN);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The wait doubles with every further failure once it has passed.
    const rows = http.app.database.sqlite
      .prepare(
        'select key, failures, blocked_until - last_failure_at as wait from sign_in_throttle order by key',
      )
      .all() as Array<{ key: string; failures: number; wait: number }>;
    expect(rows.find((r) => r.key === 'account:system:admin')).toMatchObject({ failures: 6, wait: 1000 });
    http.app.database.sqlite.prepare('update sign_in_throttle set blocked_until = 0').run();
    await client.post('/api/v1/system/auth/sign-in', { username: 'admin', password: 'wrong-again-xx' });
    const after = http.app.database.sqlite
      .prepare(
        "select blocked_until - last_failure_at as wait from sign_in_throttle where key = 'account:system:admin'",
      )
      .get() as { wait: number };
    expect(after.wait).toBe(2000);
  });

  it('ends a session after the idle time and after the absolute limit', async () => {
    const client = await http.systemClient();
    const db = http.app.database.sqlite;
    db.prepare('update sessions set last_seen_at = last_seen_at - ?').run(31 * 60_000);
    expect((await client.get('/api/v1/system/auth/session')).status).toBe(401);

    const again = await http.systemClient();
    db.prepare('update sessions set expires_at = ?').run(Date.now() - 1);
    expect((await again.get('/api/v1/system/auth/session')).status).toBe(401);
    expect(db.prepare('select count(*) as n from sessions').get()).toEqual({ n: 0 });
  });

  it('changes the password, ending the other sessions but not this one', async () => {
    const here = await http.systemClient();
    const elsewhere = await http.systemClient();
    const short = await here.post('/api/v1/system/auth/password', {
      currentPassword: SYSTEM_ADMIN.password,
      newPassword: 'short',
    });
    expect(short.status).toBe(400);
    const wrong = await here.post('/api/v1/system/auth/password', {
      currentPassword: 'not-the-password',
      newPassword: 'a-new-long-password',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details.issues[0].path).toBe('currentPassword');
    const changed = await here.post('/api/v1/system/auth/password', {
      currentPassword: SYSTEM_ADMIN.password,
      newPassword: 'a-new-long-password',
    });
    expect(changed.status).toBe(204);
    expect((await here.get('/api/v1/system/auth/session')).status).toBe(200);
    expect((await elsewhere.get('/api/v1/system/auth/session')).status).toBe(401);
    await http.client().signInSystem('admin', 'a-new-long-password');
  });

  it('keeps the language choice across sessions', async () => {
    const client = await http.systemClient();
    const changed = await client.put('/api/v1/system/auth/language', { language: 'de' });
    expect(changed.body.user.language).toBe('de');
    expect((await client.put('/api/v1/system/auth/language', { language: 'fr' })).status).toBe(400);
    const next = await http.systemClient();
    expect((await next.get('/api/v1/system/auth/session')).body.user.language).toBe('de');
  });

  it('turns on TOTP: sign-in then needs a code, a recovery code works once, a trusted device skips it', async () => {
    const client = await http.systemClient();
    const setup = await client.post('/api/v1/system/auth/totp/setup');
    expect(setup.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Postvault:admin\?/);
    expect(setup.body.qrCodeDataUrl).toMatch(/^data:image\/png;base64,/);
    expect((await client.post('/api/v1/system/auth/totp/enable', { code: '000000' })).status).toBe(400);
    // Each code works once: enable with the previous step's, sign in with the current one.
    const enabled = await client.post('/api/v1/system/auth/totp/enable', {
      code: codeFor(setup.body.secret, Date.now() - 30_000),
    });
    expect(enabled.status).toBe(200);
    const recoveryCodes: string[] = enabled.body.recoveryCodes;
    expect(new Set(recoveryCodes).size).toBe(10);

    const fresh = http.client();
    const needsCode = await fresh.post('/api/v1/system/auth/sign-in', SYSTEM_ADMIN);
    expect(needsCode.status).toBe(401);
    expect(needsCode.body.code).toBe('TOTP_REQUIRED');
    const badCode = await fresh.post('/api/v1/system/auth/sign-in', { ...SYSTEM_ADMIN, totpCode: '123456' });
    expect(badCode.body.code).toBe('UNAUTHENTICATED');
    const withCode = await fresh.post('/api/v1/system/auth/sign-in', {
      ...SYSTEM_ADMIN,
      totpCode: codeFor(setup.body.secret),
      trustDevice: true,
    });
    expect(withCode.status).toBe(200);
    expect(withCode.body.user.totpEnabled).toBe(true);
    // The trusted-device cookie lets this browser skip the second step for 14 days.
    await fresh.post('/api/v1/system/auth/sign-out');
    expect((await fresh.post('/api/v1/system/auth/sign-in', SYSTEM_ADMIN)).status).toBe(200);

    const other = http.client();
    const recovery = recoveryCodes[0]!.toUpperCase();
    expect(
      (await other.post('/api/v1/system/auth/sign-in', { ...SYSTEM_ADMIN, recoveryCode: recovery })).status,
    ).toBe(200);
    const reused = await http
      .client()
      .post('/api/v1/system/auth/sign-in', { ...SYSTEM_ADMIN, recoveryCode: recovery });
    expect(reused.status).toBe(401);

    // The TOTP seed is sealed at rest, not stored in the clear.
    const row = http.app.database.sqlite.prepare('select totp_secret from system_admins').get() as {
      totp_secret: Buffer;
    };
    expect(row.totp_secret.includes(Buffer.from(Secret.fromBase32(setup.body.secret).bytes))).toBe(false);

    expect(
      (await other.post('/api/v1/system/auth/totp/disable', { password: 'wrong-password' })).status,
    ).toBe(400);
    expect(
      (await other.post('/api/v1/system/auth/totp/disable', { password: SYSTEM_ADMIN.password })).status,
    ).toBe(204);
    expect((await http.client().post('/api/v1/system/auth/sign-in', SYSTEM_ADMIN)).status).toBe(200);
  });

  it('explains validation errors by field', async () => {
    const answer = await http.client().post('/api/v1/system/auth/sign-in', { username: 'admin' });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION');
    expect(answer.body.message).toMatch(/password/);
    expect(answer.body.details.issues).toEqual([expect.objectContaining({ path: 'password' })]);
  });
});

describe('sign-in of tenant users', () => {
  let http: TempHttp;
  beforeEach(async () => {
    http = await openTempHttp();
  });
  afterEach(async () => {
    await http.close();
  });

  it('signs in as name@slug only: the slug picks the tenant', async () => {
    const { credentials } = await http.tenantWithAdmin('acme');
    await http.tenantWithAdmin('globex');
    const wrongTenant = await http.client().post('/api/v1/auth/sign-in', {
      login: 'admin@globex',
      password: credentials.password,
    });
    expect(wrongTenant.status).toBe(401);
    const noSlug = await http
      .client()
      .post('/api/v1/auth/sign-in', { login: 'admin', password: credentials.password });
    expect(noSlug.status).toBe(401);
    const upperCase = await http.client().post('/api/v1/auth/sign-in', {
      login: 'Admin@ACME',
      password: credentials.password,
    });
    expect(upperCase.status).toBe(200);
    // A tenant session is no system session.
    expect((await http.client().get('/api/v1/system/auth/session')).status).toBe(401);
  });

  it('runs TOTP for a tenant user with the seed sealed under the tenant key', async () => {
    const { credentials, admin } = await http.tenantWithAdmin('acme');
    const setup = await admin.post('/api/v1/auth/totp/setup');
    expect(setup.body.otpauthUri).toContain('admin%40acme');
    const enable = { code: codeFor(setup.body.secret, Date.now() - 30_000) };
    expect((await admin.post('/api/v1/auth/totp/enable', enable)).status).toBe(200);
    const client = http.client();
    const step1 = await client.post('/api/v1/auth/sign-in', {
      login: credentials.login,
      password: credentials.password,
    });
    expect(step1.body.code).toBe('TOTP_REQUIRED');
    const step2 = await client.post('/api/v1/auth/sign-in', {
      login: credentials.login,
      password: credentials.password,
      totpCode: codeFor(setup.body.secret),
    });
    expect(step2.status).toBe(200);
    // After a data-key rotation the old seal still opens.
    await http.app.tenants.rotateDataKey((await http.app.tenants.findBySlug('acme')).id);
    const again = await http.client().post('/api/v1/auth/sign-in', {
      login: credentials.login,
      password: credentials.password,
      totpCode: codeFor(setup.body.secret, Date.now() + 30_000),
    });
    expect(again.status).toBe(200);
  });

  it("keeps a system administrator's TOTP seed readable across a master-key rotation", async () => {
    const client = await http.systemClient();
    const setup = await client.post('/api/v1/system/auth/totp/setup');
    await client.post('/api/v1/system/auth/totp/enable', { code: codeFor(setup.body.secret) });
    const next = randomBytes(32);
    await http.app.tenants.rewrapUnder(next);
    const row = http.app.database.sqlite.prepare('select id, totp_secret from system_admins').get() as {
      id: number;
      totp_secret: Buffer;
    };
    const opened = openForSystem(next, row.totp_secret, `totp:system:${row.id}`);
    expect(Buffer.from(opened).equals(Buffer.from(Secret.fromBase32(setup.body.secret).bytes))).toBe(true);
  });

  it('accepts a TOTP code once: the same code again is refused', async () => {
    const { credentials, admin } = await http.tenantWithAdmin('acme');
    const setup = await admin.post('/api/v1/auth/totp/setup');
    // Enabling consumes the current step; sign in with the next one.
    await admin.post('/api/v1/auth/totp/enable', { code: codeFor(setup.body.secret, Date.now() - 30_000) });
    const code = codeFor(setup.body.secret);
    const body = { login: credentials.login, password: credentials.password, totpCode: code };
    expect((await http.client().post('/api/v1/auth/sign-in', body)).status).toBe(200);
    expect((await http.client().post('/api/v1/auth/sign-in', body)).status).toBe(401);
  });

  it('counts a burst of parallel wrong passwords: the limit holds', async () => {
    const { credentials } = await http.tenantWithAdmin('acme');
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        http
          .client(`10.1.0.${i}`)
          .post('/api/v1/auth/sign-in', { login: credentials.login, password: `wrong-${i}-xxxx` }),
      ),
    );
    const statuses = attempts.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    const right = await http.client('10.2.0.1').post('/api/v1/auth/sign-in', credentials);
    expect(right.status).toBe(429);
  });

  it("writes failed sign-ins on a tenant's unknown accounts to that tenant's log", async () => {
    const { admin } = await http.tenantWithAdmin('acme');
    await http.client().post('/api/v1/auth/sign-in', { login: 'ghost@acme', password: 'whatever-xxxx' });
    const auditors = await admin.post('/api/v1/admin/groups', {
      name: 'Auditors',
      roles: ['auditor'],
      memberIds: [(await admin.get('/api/v1/auth/session')).body.user.id],
    });
    expect(auditors.status).toBe(201);
    const log = await admin.get('/api/v1/audit?action=auth.sign-in&outcome=failure');
    expect(log.body.entries.map((e: { actor: { name: string } }) => e.actor.name)).toEqual(['ghost@acme']);
  });

  it('system-admin reset turns off the second factor of someone who lost the phone', async () => {
    const client = await http.systemClient();
    const setup = await client.post('/api/v1/system/auth/totp/setup');
    await client.post('/api/v1/system/auth/totp/enable', { code: codeFor(setup.body.secret) });
    expect((await http.client().post('/api/v1/system/auth/sign-in', SYSTEM_ADMIN)).body.code).toBe(
      'TOTP_REQUIRED',
    );
    await http.app.systemAdmins.addOrReset(
      'admin',
      { password: 'a-fresh-password', mode: 'reset' },
      { kind: 'system', name: 'test' },
    );
    const signIn = await http.client().post('/api/v1/system/auth/sign-in', {
      username: 'admin',
      password: 'a-fresh-password',
    });
    expect(signIn.status).toBe(200);
    expect(signIn.body.user.totpEnabled).toBe(false);
  });
});
