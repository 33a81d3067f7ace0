/* eslint-disable @typescript-eslint/no-explicit-any -- Graph and Entra answers are untyped JSON the tests inspect freely */
/**
 * Proves that the Microsoft fakes follow shared/contracts/microsoft-graph.md, with plain fetch as the
 * client. The "§ n" in comments is the contract section a behaviour comes from.
 */
import { createHash, generateKeyPairSync, createSign } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GRAPH_DEFAULT_SCOPE,
  seedStandardScenario,
  startMicrosoftFakes,
  type MicrosoftFakes,
  type StandardScenario,
} from './index.js';

const REDIRECT_URI = 'http://127.0.0.1:8080/api/microsoft/callback';

let fakes: MicrosoftFakes;
let world: StandardScenario;

beforeEach(async () => {
  fakes = await startMicrosoftFakes();
  world = seedStandardScenario(fakes.state, { redirectUris: [REDIRECT_URI], contosoConsented: true });
});

afterEach(async () => {
  await fakes.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  const json =
    (response.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, body: json, text };
}

function tokenRequest(tenant: string, fields: Record<string, string>): Promise<Answer> {
  return fetch(`${fakes.loginUrl}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  }).then(answerOf);
}

function clientCredentials(tenant: string, overrides: Record<string, string> = {}): Promise<Answer> {
  return tokenRequest(tenant, {
    client_id: world.app.clientId,
    client_secret: world.clientSecret,
    grant_type: 'client_credentials',
    scope: GRAPH_DEFAULT_SCOPE,
    ...overrides,
  });
}

async function appToken(tenant = 'contoso.com'): Promise<string> {
  const answer = await clientCredentials(tenant);
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

function graph(
  token: string | undefined,
  pathOrUrl: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${fakes.graphUrl}${pathOrUrl}`;
  return fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...init.headers },
    ...(init.body !== undefined && { body: init.body }),
  }).then(answerOf);
}

/** Follows `@odata.nextLink` to the end, as the contract demands (§ 3); returns every page. */
async function allPages(token: string, path: string, headers: Record<string, string> = {}): Promise<any[]> {
  const pages: any[] = [];
  let url: string | undefined = `${fakes.graphUrl}${path}`;
  while (url) {
    const answer = await graph(token, url, { headers });
    expect(answer.status).toBe(200);
    pages.push(answer.body);
    url = answer.body['@odata.nextLink'];
    expect(pages.length).toBeLessThan(100);
  }
  return pages;
}

/** Graph's error body (§ 6): `{"error":{"code","message","innerError":{"request-id","date"}}}`. */
function expectGraphError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    error: {
      code,
      message: expect.any(String),
      innerError: { 'request-id': expect.stringMatching(/^[0-9a-f-]{36}$/), date: expect.any(String) },
    },
  });
}

/** Entra's error body (§ 1). */
function expectEntraError(answer: Answer, status: number, error: string, code: number): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({
    error,
    error_description: expect.stringMatching(new RegExp(`^AADSTS${code}: `)),
    error_codes: [code],
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
    trace_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    correlation_id: expect.any(String),
  });
}

function redirectParams(answer: Answer): URLSearchParams {
  expect(answer.status).toBe(302);
  const location = answer.headers.get('location')!;
  expect(location.startsWith(`${REDIRECT_URI}?`)).toBe(true);
  return new URL(location).searchParams;
}

function browserGet(url: string): Promise<Answer> {
  return fetch(url, { redirect: 'manual' }).then(answerOf);
}

function adminConsentUrl(tenant: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_id: world.app.clientId,
    scope: GRAPH_DEFAULT_SCOPE,
    redirect_uri: REDIRECT_URI,
    state: 'csrf-123',
    ...params,
  });
  return `${fakes.loginUrl}/${tenant}/v2.0/adminconsent?${query}`;
}

function authorizeUrl(tenant: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_id: world.app.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile User.Read',
    state: 'state-456',
    ...params,
  });
  return `${fakes.loginUrl}/${tenant}/oauth2/v2.0/authorize?${query}`;
}

async function delegatedToken(login: string, tenant = 'organizations'): Promise<string> {
  const code = redirectParams(await browserGet(authorizeUrl(tenant, { fake_user: login }))).get('code')!;
  const answer = await tokenRequest(tenant, {
    client_id: world.app.clientId,
    client_secret: world.clientSecret,
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
  });
  expect(answer.status).toBe(200);
  return answer.body.access_token as string;
}

describe('§ 1 app-only token (client credentials)', () => {
  it('issues a Bearer token for the tenant GUID or a verified domain, with exactly the documented fields', async () => {
    for (const tenant of [world.contoso.id, 'contoso.com', 'sales.contoso.com', 'contoso.onmicrosoft.com']) {
      const answer = await clientCredentials(tenant);
      expect(answer.status).toBe(200);
      // § 1: {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"..."}, no refresh token.
      expect(answer.body).toEqual({
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      });
    }
    const claims = JSON.parse(Buffer.from((await appToken()).split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ tid: world.contoso.id, appid: world.app.clientId, idtyp: 'app' });
    expect(claims.roles).toEqual(expect.arrayContaining(['Mail.Send', 'User.Read.All']));
  });

  it('answers a wrong secret with 401 invalid_client AADSTS7000215', async () => {
    const answer = await clientCredentials('contoso.com', { client_secret: 'wrong' });
    expectEntraError(answer, 401, 'invalid_client', 7000215);
  });

  it('rejects every scope but https://graph.microsoft.com/.default', async () => {
    // § 1: "any other scope shape is rejected".
    expectEntraError(
      await clientCredentials('contoso.com', { scope: 'https://graph.microsoft.com/Mail.Send' }),
      400,
      'invalid_scope',
      1002012,
    );
    expectEntraError(
      await clientCredentials('contoso.com', { scope: 'openid' }),
      400,
      'invalid_scope',
      1002012,
    );
    expectEntraError(
      await clientCredentials('contoso.com', { scope: 'https://outlook.office.com/.default' }),
      400,
      'invalid_resource',
      500011,
    );
  });

  it('answers an unknown tenant with AADSTS90002 and a tenant without consent with AADSTS7000229', async () => {
    expectEntraError(await clientCredentials('fabrikam.com'), 400, 'invalid_request', 90002);
    expectEntraError(
      await clientCredentials('00000000-1111-2222-3333-444444444444'),
      400,
      'invalid_request',
      90002,
    );
    world.contoso.revokeAdminConsent(world.app.clientId);
    expectEntraError(await clientCredentials('contoso.com'), 400, 'invalid_client', 7000229);
  });

  it('answers an unknown client id, a missing field and another grant type', async () => {
    expectEntraError(
      await clientCredentials('contoso.com', { client_id: '11111111-2222-3333-4444-555555555555' }),
      400,
      'unauthorized_client',
      700016,
    );
    expectEntraError(
      await tokenRequest('contoso.com', { client_id: world.app.clientId, grant_type: 'client_credentials' }),
      400,
      'invalid_request',
      900144,
    );
    expectEntraError(
      await clientCredentials('contoso.com', { grant_type: 'password' }),
      400,
      'unsupported_grant_type',
      70003,
    );
  });

  it('reads only a form body: JSON leaves the fields missing', async () => {
    const answer = await fetch(`${fakes.loginUrl}/contoso.com/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    }).then(answerOf);
    expectEntraError(answer, 400, 'invalid_request', 900144);
  });

  it('accepts a certificate assertion signed with a registered key instead of the secret', async () => {
    const registered = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app = world.publisher.registerApp({
      certificates: [registered.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
    });
    world.contoso.grantAdminConsent(app.clientId);
    const audience = `${fakes.loginUrl}/contoso.com/oauth2/v2.0/token`;
    const assertion = (key: typeof registered.privateKey) => {
      const now = Math.floor(Date.now() / 1000);
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const signed = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ aud: audience, iss: app.clientId, sub: app.clientId, jti: 'x', nbf: now, exp: now + 600 })}`;
      return `${signed}.${createSign('RSA-SHA256').update(signed).sign(key).toString('base64url')}`;
    };
    const fields = (key: typeof registered.privateKey) => ({
      client_id: app.clientId,
      grant_type: 'client_credentials',
      scope: GRAPH_DEFAULT_SCOPE,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion(key),
    });
    expect((await tokenRequest('contoso.com', fields(registered.privateKey))).status).toBe(200);
    expectEntraError(
      await tokenRequest('contoso.com', fields(other.privateKey)),
      401,
      'invalid_client',
      700027,
    );
  });
});

describe('§ 2 admin consent ("Connect Tenant")', () => {
  beforeEach(() => world.contoso.revokeAdminConsent(world.app.clientId));

  it('redirects with admin_consent=True, the tenant GUID, the scope and the state; then the tenant can be confirmed', async () => {
    const params = redirectParams(
      await browserGet(
        adminConsentUrl('organizations', { fake_user: 'admin@contoso.com', fake_consent: 'accept' }),
      ),
    );
    expect(params.get('admin_consent')).toBe('True');
    expect(params.get('tenant')).toBe(world.contoso.id);
    expect(params.get('state')).toBe('csrf-123');
    expect(params.get('scope')).toContain('https://graph.microsoft.com/Mail.Send');
    expect(params.get('error')).toBeNull();
    expect(world.contoso.hasAdminConsent(world.app.clientId)).toBe(true);

    // § 2: never trust `tenant` alone: get an app-only token for it and read /organization and /domains.
    const token = await appToken(params.get('tenant')!);
    const organization = await graph(token, '/organization');
    expect(organization.status).toBe(200);
    expect(organization.body.value).toHaveLength(1);
    expect(organization.body.value[0].id).toBe(world.contoso.id);
    expect(organization.body.value[0].verifiedDomains.map((d: any) => d.name)).toContain('contoso.com');
    const domains = await graph(token, '/domains');
    expect(domains.body.value).toContainEqual(
      expect.objectContaining({
        id: 'contoso.com',
        isDefault: true,
        isInitial: false,
        isVerified: true,
        supportedServices: ['Email'],
      }),
    );
    expect(domains.body.value).toContainEqual(
      expect.objectContaining({ id: 'contoso.onmicrosoft.com', isInitial: true }),
    );
  });

  it('reports a declined consent as error=access_denied with AADSTS65004 and the state', async () => {
    const params = redirectParams(
      await browserGet(
        adminConsentUrl('contoso.com', { fake_user: 'admin@contoso.com', fake_consent: 'decline' }),
      ),
    );
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toMatch(/^AADSTS65004/);
    expect(params.get('state')).toBe('csrf-123');
    expect(params.get('admin_consent')).toBeNull();
    expect(world.contoso.hasAdminConsent(world.app.clientId)).toBe(false);
  });

  it('refuses consent from a user who is not an administrator (consent_required)', async () => {
    const params = redirectParams(
      await browserGet(adminConsentUrl('organizations', { fake_user: 'alice@contoso.com' })),
    );
    expect(params.get('error')).toBe('consent_required');
    expect(world.contoso.hasAdminConsent(world.app.clientId)).toBe(false);
  });

  it('can script any failure, including one that also carries admin_consent=True', async () => {
    // § 2: "Check error before admin_consent: a failure may carry admin_consent=True too."
    fakes.signIn.next({
      user: 'admin@contoso.com',
      consent: {
        error: 'consent_required',
        errorDescription: 'AADSTS65004: User declined to consent to access the app.',
        alsoAdminConsentTrue: true,
      },
    });
    const params = redirectParams(await browserGet(adminConsentUrl('organizations')));
    expect(params.get('admin_consent')).toBe('True');
    expect(params.get('error')).toBe('consent_required');
    expect(params.get('error_description')).toMatch(/^AADSTS65004/);
    expect(params.get('state')).toBe('csrf-123');
    expect(fakes.signIn.pending).toBe(0);
  });

  it('accepts the classic form without /v2.0 and scope (no scope in the answer)', async () => {
    const query = new URLSearchParams({
      client_id: world.app.clientId,
      redirect_uri: REDIRECT_URI,
      state: 's',
    });
    fakes.signIn.next({ user: 'admin@contoso.com' });
    const params = redirectParams(await browserGet(`${fakes.loginUrl}/contoso.com/adminconsent?${query}`));
    expect(params.get('admin_consent')).toBe('True');
    expect(params.get('tenant')).toBe(world.contoso.id);
    expect(params.has('scope')).toBe(false);
  });

  it('does not redirect to a redirect_uri that differs from the registered one in any way, nor for common', async () => {
    for (const redirectUri of [
      `${REDIRECT_URI}/`,
      REDIRECT_URI.replace('callback', 'Callback'),
      'http://evil.example/cb',
    ]) {
      const answer = await browserGet(
        adminConsentUrl('organizations', { redirect_uri: redirectUri, fake_user: 'admin@contoso.com' }),
      );
      expect(answer.status).toBe(400);
      expect(answer.headers.get('location')).toBeNull();
      expect(answer.text).toContain('AADSTS50011');
    }
    const common = await browserGet(adminConsentUrl('common', { fake_user: 'admin@contoso.com' }));
    expect(common.status).toBe(400);
    expect(common.headers.get('location')).toBeNull();
  });

  it('shows a sign-in form without a scripted user, and consents when an admin submits it', async () => {
    const url = adminConsentUrl('organizations');
    const page = await browserGet(url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form method="post"');
    const submit = (fields: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      }).then(answerOf);
    const wrong = await submit({ login: 'admin@contoso.com', password: 'nope', action: 'accept' });
    expect(wrong.status).toBe(200);
    expect(wrong.text).toContain('AADSTS50126');
    const params = redirectParams(
      await submit({ login: 'admin@contoso.com', password: 'admin-password', action: 'accept' }),
    );
    expect(params.get('admin_consent')).toBe('True');
    expect(params.get('state')).toBe('csrf-123');
  });
});

describe('§ 2 interactive sign-in (authorization code) and /me/memberOf', () => {
  it('signs in through the form, exchanges the code and lists the Global Administrator role', async () => {
    const url = authorizeUrl('contoso.com');
    const form = await browserGet(url);
    expect(form.status).toBe(200);
    const signedIn = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'admin@contoso.com', password: 'admin-password', action: 'accept' }),
    }).then(answerOf);
    const params = redirectParams(signedIn);
    expect(params.get('state')).toBe('state-456');
    const exchange = {
      client_id: world.app.clientId,
      client_secret: world.clientSecret,
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: REDIRECT_URI,
    };
    const tokens = await tokenRequest('contoso.com', exchange);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3599,
      id_token: expect.any(String),
    });
    const idClaims = JSON.parse(Buffer.from(tokens.body.id_token.split('.')[1], 'base64url').toString());
    expect(idClaims).toMatchObject({
      tid: world.contoso.id,
      preferred_username: 'admin@contoso.com',
      aud: world.app.clientId,
    });

    const memberOf = await graph(tokens.body.access_token, '/me/memberOf');
    expect(memberOf.status).toBe(200);
    // § 2: "/me/memberOf contains a #microsoft.graph.directoryRole such as Global Administrator".
    expect(memberOf.body.value).toContainEqual(
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.directoryRole',
        displayName: 'Global Administrator',
        roleTemplateId: '62e90394-69f5-4237-9190-012177145e10',
      }),
    );
    // A code is good once.
    expectEntraError(await tokenRequest('contoso.com', exchange), 400, 'invalid_grant', 54005);
  });

  it('lists no directory role for an ordinary user, only their groups', async () => {
    const token = await delegatedToken('bob@contoso.com');
    const memberOf = await graph(token, '/me/memberOf');
    const types = memberOf.body.value.map((item: any) => item['@odata.type']);
    expect(types).not.toContain('#microsoft.graph.directoryRole');
    expect(memberOf.body.value.map((item: any) => item.displayName).sort()).toEqual(['Everyone', 'Sales']);
  });

  it('keeps delegated and app-only tokens apart', async () => {
    // /me needs a signed-in user; a delegated User.Read token cannot list the directory.
    expectGraphError(await graph(await appToken(), '/me/memberOf'), 400, 'BadRequest');
    const delegated = await delegatedToken('alice@contoso.com');
    expect((await graph(delegated, '/me')).body.userPrincipalName).toBe('alice@contoso.com');
    expectGraphError(await graph(delegated, '/users'), 403, 'Authorization_RequestDenied');
  });

  it('gives a refresh token for offline_access, and an id_token is no Graph token', async () => {
    const url = authorizeUrl('organizations', {
      fake_user: 'alice@contoso.com',
      scope: 'openid offline_access User.Read',
    });
    const code = redirectParams(await browserGet(url)).get('code')!;
    const credentials = { client_id: world.app.clientId, client_secret: world.clientSecret };
    const first = await tokenRequest('organizations', {
      ...credentials,
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
    });
    expect(first.body.scope.split(' ')).toEqual(
      expect.arrayContaining(['openid', 'offline_access', 'User.Read']),
    );
    // The id_token's audience is the app, not Graph.
    expectGraphError(await graph(first.body.id_token, '/me'), 401, 'InvalidAuthenticationToken');
    const refreshed = await tokenRequest('organizations', {
      ...credentials,
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    expect((await graph(refreshed.body.access_token, '/me')).body.id).toBe(world.alice.id);
  });

  it('checks the redirect_uri and PKCE verifier at the token endpoint', async () => {
    const verifier = 'a-verifier-that-is-long-enough-for-pkce-0123456789';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = authorizeUrl('organizations', {
      fake_user: 'admin@contoso.com',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const code = redirectParams(await browserGet(url)).get('code')!;
    const exchange = (overrides: Record<string, string>) =>
      tokenRequest('organizations', {
        client_id: world.app.clientId,
        client_secret: world.clientSecret,
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        ...overrides,
      });
    expectEntraError(await exchange({ redirect_uri: `${REDIRECT_URI}/` }), 400, 'invalid_grant', 500112);
    expectEntraError(await exchange({ code_verifier: 'wrong' }), 400, 'invalid_grant', 501481);
    expect((await exchange({})).status).toBe(200);
  });

  it('refuses a user of another tenant at a tenant-specific authorize URL, and prompt=none without a session', async () => {
    fakes.state
      .addTenant({ name: 'fabrikam', domains: ['fabrikam.com'] })
      .addUser({ userPrincipalName: 'eve@fabrikam.com' });
    const page = await browserGet(authorizeUrl('contoso.com', { fake_user: 'eve@fabrikam.com' }));
    expect(page.status).toBe(400);
    expect(page.text).toContain('AADSTS50020');
    const silent = redirectParams(await browserGet(authorizeUrl('contoso.com', { prompt: 'none' })));
    expect(silent.get('error')).toBe('login_required');
  });

  it.skipIf(!existsSync(process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'))(
    'lets a headless browser fill in the sign-in form',
    async () => {
      const { launchChromium } = await import('../../support/browser.js');
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(authorizeUrl('contoso.com'));
        await page.fill('#login', 'admin@contoso.com');
        await page.fill('#password', 'admin-password');
        // The redirect target does not exist; catch the navigation request instead of loading it.
        const redirected = page.waitForRequest((request) => request.url().startsWith(REDIRECT_URI));
        await page.click('#accept');
        const params = new URL((await redirected).url()).searchParams;
        expect(params.get('code')).toMatch(/^code\./);
        expect(params.get('state')).toBe('state-456');
      } finally {
        await browser.close();
      }
    },
  );
});

describe('§ 3 directory', () => {
  it('pages /users by $top with @odata.nextLink until it is absent', async () => {
    for (let i = 0; i < 250; i += 1) world.contoso.addUser({ userPrincipalName: `user${i}@contoso.com` });
    const total = world.contoso.users.size;
    const token = await appToken();
    const pages = await allPages(
      token,
      '/users?$select=id,userPrincipalName,mail,displayName,accountEnabled,proxyAddresses,userType&$top=120',
    );
    expect(pages.map((page) => page.value.length)).toEqual([120, 120, total - 240]);
    const ids = pages.flatMap((page) => page.value.map((user: any) => user.id));
    expect(new Set(ids).size).toBe(total);
    // The nextLink is a whole URL to follow, with an opaque skip token.
    expect(pages[0]['@odata.nextLink']).toMatch(new RegExp(`^${fakes.graphUrl}/users\\?.*\\$skiptoken=`));
    expect(pages.at(-1)['@odata.nextLink']).toBeUndefined();
    // Default page size 100, at most 999.
    expect((await graph(token, '/users')).body.value).toHaveLength(100);
    expect((await graph(token, '/users?$top=999')).body.value).toHaveLength(total);
    expectGraphError(await graph(token, '/users?$top=1000'), 400, 'Request_UnsupportedQuery');
    // Skip tokens are not to be made by hand.
    expectGraphError(await graph(token, '/users?$skiptoken=made-up'), 400, 'Directory_ExpiredPageToken');
  });

  it('returns accountEnabled, proxyAddresses and userType only when selected; mail may be null; guests are marked', async () => {
    const token = await appToken();
    const plain = await graph(token, '/users');
    const alice = plain.body.value.find((user: any) => user.userPrincipalName === 'alice@contoso.com');
    expect(alice).not.toHaveProperty('accountEnabled');
    expect(alice).not.toHaveProperty('proxyAddresses');
    expect(alice).not.toHaveProperty('userType');
    const selected = await graph(
      token,
      '/users?$select=id,userPrincipalName,mail,accountEnabled,proxyAddresses,userType',
    );
    const byUpn = new Map<string, any>(
      selected.body.value.map((user: any) => [user.userPrincipalName, user]),
    );
    expect(Object.keys(byUpn.get('alice@contoso.com')).sort()).toEqual([
      'accountEnabled',
      'id',
      'mail',
      'proxyAddresses',
      'userPrincipalName',
      'userType',
    ]);
    expect(byUpn.get('alice@contoso.com').proxyAddresses).toEqual([
      'SMTP:alice@contoso.com',
      'smtp:alice@sales.contoso.com',
    ]);
    expect(byUpn.get('nomail@contoso.com').mail).toBeNull();
    expect(byUpn.get('info@contoso.com').accountEnabled).toBe(false);
    const guest = byUpn.get('partner_fabrikam.com#EXT#@contoso.onmicrosoft.com');
    expect(guest).toMatchObject({ userType: 'Guest', mail: 'partner@fabrikam.com' });
    expectGraphError(await graph(token, '/users?$select=nonsense'), 400, 'BadRequest');
  });

  it('lists groups and their direct members with @odata.type', async () => {
    const token = await appToken();
    const groups = await graph(token, '/groups?$select=id,displayName,mail,securityEnabled,mailEnabled');
    expect(groups.body.value).toContainEqual({
      id: world.everyone.id,
      displayName: 'Everyone',
      mail: 'everyone@contoso.com',
      securityEnabled: true,
      mailEnabled: true,
    });
    const members = await graph(token, `/groups/${world.everyone.id}/members`);
    const types = Object.fromEntries(members.body.value.map((m: any) => [m.displayName, m['@odata.type']]));
    expect(types).toEqual({
      'Alice Example': '#microsoft.graph.user',
      'Bob Example': '#microsoft.graph.user',
      'Fabrikam Partner': '#microsoft.graph.user',
      'Meeting Room PC': '#microsoft.graph.device',
      Sales: '#microsoft.graph.group',
    });
    expectGraphError(
      await graph(token, '/groups/00000000-0000-0000-0000-000000000000/members'),
      404,
      'Request_ResourceNotFound',
    );
  });

  it("lists a user's roles and groups with an app-only token too", async () => {
    const memberOf = await graph(await appToken(), `/users/${world.admin.id}/memberOf`);
    expect(memberOf.body.value).toEqual([
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.directoryRole',
        displayName: 'Global Administrator',
      }),
    ]);
    expectGraphError(
      await graph(await appToken(), '/users/ghost@contoso.com'),
      404,
      'Request_ResourceNotFound',
    );
  });

  it('can answer an empty page in the middle of a listing', async () => {
    // § 3: "a page may be empty".
    const token = await appToken();
    fakes.faults.emptyPage('/users');
    const pages = await allPages(token, '/users?$top=3');
    expect(pages[0].value).toEqual([]);
    expect(pages.flatMap((page) => page.value)).toHaveLength(world.contoso.users.size);
  });

  it('refuses directory reads without a directory permission', async () => {
    world.contoso.grantAdminConsent(world.app.clientId, ['Mail.Send']);
    expectGraphError(await graph(await appToken(), '/users'), 403, 'Authorization_RequestDenied');
  });
});

describe('§ 3 delta', () => {
  it('pages a first round to a deltaLink, then reports changes and removals', async () => {
    const token = await appToken();
    const first = await allPages(token, '/users/delta?$select=id,userPrincipalName,mail,accountEnabled', {
      prefer: 'odata.maxpagesize=3',
    });
    expect(first.length).toBeGreaterThan(1);
    expect(first.slice(0, -1).every((page) => page['@odata.nextLink'] && !page['@odata.deltaLink'])).toBe(
      true,
    );
    const deltaLink: string = first.at(-1)['@odata.deltaLink'];
    expect(deltaLink).toMatch(new RegExp(`^${fakes.graphUrl}/users/delta\\?\\$deltatoken=`));
    expect(first.flatMap((page) => page.value)).toHaveLength(world.contoso.users.size);

    world.contoso.updateUser('alice@contoso.com', { displayName: 'Alice Renamed', accountEnabled: false });
    world.contoso.deleteUser('bob@contoso.com');
    world.contoso.deleteUser('former@contoso.com', { permanently: true });
    const carol = world.contoso.addUser({ userPrincipalName: 'carol@contoso.com' });

    const second = await graph(token, deltaLink);
    expect(second.body['@odata.deltaLink']).toBeDefined();
    expect(second.body.value).toEqual(
      expect.arrayContaining([
        {
          id: world.alice.id,
          userPrincipalName: 'alice@contoso.com',
          mail: 'alice@contoso.com',
          accountEnabled: false,
        },
        expect.objectContaining({ id: carol.id }),
        // § 3: changed = soft-deleted (restorable), deleted = gone.
        { id: world.bob.id, '@removed': { reason: 'changed' } },
        { id: world.disabled.id, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect(second.body.value).toHaveLength(4);
    // Replays happen: the same deltaLink gives the same changes again.
    expect((await graph(token, deltaLink)).body.value).toHaveLength(4);
    const third = await graph(token, second.body['@odata.deltaLink']);
    expect(third.body.value).toEqual([]);
  });

  it('answers a stale or unknown delta token with 410 Gone and a Location for a full sync', async () => {
    const token = await appToken();
    const deltaLink = (await allPages(token, '/users/delta?$select=id,mail')).at(-1)['@odata.deltaLink'];
    fakes.faults.expireDeltaTokens();
    const stale = await graph(token, deltaLink);
    expectGraphError(stale, 410, 'syncStateNotFound');
    expect(stale.headers.get('location')).toBe(`${fakes.graphUrl}/users/delta?$select=id,mail`);
    expectGraphError(await graph(token, '/users/delta?$deltatoken=never-issued'), 410, 'syncStateNotFound');
    fakes.faults.expireDeltaTokens({ code: 'resyncRequired', location: false });
    const resync = await graph(token, '/users/delta?$deltatoken=never-issued');
    expectGraphError(resync, 410, 'resyncRequired');
    expect(resync.headers.get('location')).toBeNull();
  });

  it('starts from now with $deltatoken=latest', async () => {
    const token = await appToken();
    const latest = await graph(token, '/users/delta?$deltatoken=latest');
    expect(latest.body.value).toEqual([]);
    world.contoso.updateUser('bob@contoso.com', { displayName: 'Robert' });
    const changes = await graph(token, latest.body['@odata.deltaLink']);
    expect(changes.body.value).toEqual([
      expect.objectContaining({ id: world.bob.id, displayName: 'Robert' }),
    ]);
  });

  it('reports group membership changes as members@delta', async () => {
    const token = await appToken();
    const first = await allPages(token, '/groups/delta?$select=displayName,members');
    const everyone = first.flatMap((page) => page.value).find((g: any) => g.id === world.everyone.id);
    expect(everyone['members@delta']).toContainEqual({
      '@odata.type': '#microsoft.graph.group',
      id: world.sales.id,
    });
    world.contoso.removeMember(world.everyone.id, world.bob.id);
    world.contoso.addMember(world.everyone.id, world.admin.id);
    const second = await graph(token, first.at(-1)['@odata.deltaLink']);
    const changed = second.body.value.find((g: any) => g.id === world.everyone.id);
    expect(changed['members@delta']).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.user', id: world.bob.id, '@removed': { reason: 'deleted' } },
        { '@odata.type': '#microsoft.graph.user', id: world.admin.id },
      ]),
    );
  });
});

describe('§ 4 mailboxes', () => {
  const raw = (subject: string) =>
    `From: "Carol" <carol@fabrikam.com>\r\nTo: alice@contoso.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@fabrikam.com>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHello ${subject}\r\n`;

  it('lists root folders (hidden ones only on request, search folders typed) and child folders', async () => {
    const mailbox = world.contoso.mailbox('alice@contoso.com');
    mailbox.addFolder({ displayName: 'Hidden', hidden: true });
    mailbox.addFolder({ displayName: 'Unread Mail', search: { filterQuery: 'isRead eq false' } });
    const projects = mailbox.addFolder({ displayName: 'Projects', parent: 'inbox' });
    mailbox.addFolder({ displayName: 'Receipts' });
    mailbox.addFolder({ displayName: 'Travel' });
    const token = await appToken();
    const path = `/users/${world.alice.id}/mailFolders`;
    const visible = (await allPages(token, path)).flatMap((page) => page.value);
    expect(visible.map((f: any) => f.displayName)).not.toContain('Hidden');
    const all = await allPages(token, `${path}?includeHiddenFolders=true`);
    // Default page size is 10 (§ 4): 7 standard folders + 4 here make 11.
    expect(all.map((page) => page.value.length)).toEqual([10, 1]);
    const folders = all.flatMap((page) => page.value);
    expect(folders.find((f: any) => f.displayName === 'Hidden').isHidden).toBe(true);
    expect(folders.find((f: any) => f.displayName === 'Unread Mail')['@odata.type']).toBe(
      '#microsoft.graph.mailSearchFolder',
    );
    const inbox = folders.find((f: any) => f.displayName === 'Inbox');
    expect(Object.keys(inbox)).toEqual(
      expect.arrayContaining([
        'id',
        'displayName',
        'parentFolderId',
        'childFolderCount',
        'totalItemCount',
        'unreadItemCount',
        'isHidden',
      ]),
    );
    expect(inbox.childFolderCount).toBe(1);
    const children = await graph(token, `${path}/${encodeURIComponent(inbox.id)}/childFolders`);
    expect(children.body.value.map((f: any) => f.id)).toEqual([projects.id]);
  });

  it('serves message delta with maxpagesize and immutable ids, reports moves and deletes, and returns raw MIME', async () => {
    const mailbox = world.contoso.mailbox('alice@contoso.com');
    const messages = ['one', 'two', 'three'].map((subject) => mailbox.addMessage({ raw: raw(subject) }));
    const token = await appToken();
    const headers = { prefer: 'odata.maxpagesize=2, IdType="ImmutableId"' };
    const deltaPath = `/users/alice@contoso.com/mailFolders/inbox/messages/delta?$select=id,internetMessageId,receivedDateTime,parentFolderId,subject,from,hasAttachments`;
    const first = await allPages(token, deltaPath, headers);
    expect(first.map((page) => page.value.length)).toEqual([2, 1]);
    const items = first.flatMap((page) => page.value);
    expect(items.map((m: any) => m.id).sort()).toEqual(messages.map((m) => m.immutableId).sort());
    expect(items[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.message',
      from: { emailAddress: { name: 'Carol', address: 'carol@fabrikam.com' } },
      receivedDateTime: '2024-01-01T10:00:00Z',
    });

    mailbox.moveMessage(messages[0]!.immutableId, 'archive');
    const second = await graph(token, first.at(-1)['@odata.deltaLink'], { headers });
    expect(second.body.value).toEqual([
      {
        '@odata.type': '#microsoft.graph.message',
        id: messages[0]!.immutableId,
        '@removed': { reason: 'deleted' },
      },
    ]);

    const mime = await graph(token, `/users/alice@contoso.com/messages/${messages[1]!.immutableId}/$value`, {
      headers,
    });
    expect(mime.status).toBe(200);
    expect(mime.headers.get('content-type')).toBe('text/plain');
    expect(mime.text).toBe(raw('two'));

    const restId = messages[2]!.restId;
    expect(
      (await graph(token, `/users/alice@contoso.com/messages/${restId}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(mailbox.message(messages[2]!.immutableId).folderId).toBe(mailbox.recoverableItemsFolderId);
    const permanent = await graph(
      token,
      `/users/alice@contoso.com/messages/${messages[2]!.immutableId}/permanentDelete`,
      {
        method: 'POST',
      },
    );
    expect(permanent.status).toBe(204);
    expectGraphError(
      await graph(token, `/users/alice@contoso.com/messages/${restId}`),
      404,
      'ErrorItemNotFound',
    );
  });

  it('filters message delta by receivedDateTime and answers a stale token with 410', async () => {
    const mailbox = world.contoso.mailbox('alice@contoso.com');
    mailbox.addMessage({ raw: raw('old'), receivedDateTime: '2023-01-01T00:00:00Z' });
    mailbox.addMessage({ raw: raw('new'), receivedDateTime: '2024-06-01T00:00:00Z' });
    const token = await appToken();
    const path = '/users/alice@contoso.com/mailFolders/inbox/messages/delta';
    const filtered = await graph(token, `${path}?$filter=receivedDateTime ge 2024-01-01T00:00:00Z`);
    expect(filtered.body.value.map((m: any) => m.subject)).toEqual(['new']);
    expectGraphError(await graph(token, `${path}?$filter=subject eq 'x'`), 400, 'ErrorInvalidUrlQueryFilter');
    fakes.faults.expireDeltaTokens();
    expectGraphError(await graph(token, filtered.body['@odata.deltaLink']), 410, 'syncStateNotFound');
  });

  it('can answer 504 for large listing pages', async () => {
    await fakes.close();
    fakes = await startMicrosoftFakes({ messagesPageSizeGatewayTimeoutAbove: 100 });
    world = seedStandardScenario(fakes.state, { redirectUris: [REDIRECT_URI], contosoConsented: true });
    const token = await appToken();
    const path = '/users/alice@contoso.com/mailFolders/inbox/messages';
    expect((await graph(token, `${path}?$top=100`)).status).toBe(200);
    expect((await graph(token, `${path}?$top=1000`)).status).toBe(504);
  });
});

describe('§ 5 sendMail', () => {
  it('accepts a JSON message with 202 and an empty body, and records it for the mailbox', async () => {
    const token = await appToken();
    const body = {
      message: {
        subject: 'Hello',
        body: { contentType: 'Text', content: 'Hi there' },
        toRecipients: [{ emailAddress: { address: 'carol@fabrikam.com', name: 'Carol' } }],
        ccRecipients: [],
        bccRecipients: [{ emailAddress: { address: 'audit@contoso.com' } }],
        attachments: [
          {
            '@odata.type': '#microsoft.graph.fileAttachment',
            name: 'a.txt',
            contentType: 'text/plain',
            contentBytes: Buffer.from('attached').toString('base64'),
          },
        ],
        internetMessageHeaders: [{ name: 'X-Postvault', value: '1' }],
      },
      saveToSentItems: false,
    };
    const answer = await graph(token, '/users/alice@contoso.com/sendMail', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status).toBe(202);
    expect(answer.text).toBe('');
    const sent = world.contoso.sentMail('alice@contoso.com');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      format: 'json',
      message: body.message,
      saveToSentItems: false,
      recipients: ['carol@fabrikam.com', 'audit@contoso.com'],
      clientId: world.app.clientId,
      tokenKind: 'app',
    });
  });

  it('accepts base64 MIME as text/plain and records the exact bytes', async () => {
    const token = await appToken();
    // Bytes that a re-encoding would change: CRLF, 8-bit, trailing whitespace.
    const message = Buffer.concat([
      Buffer.from(
        'From: alice@contoso.com\r\nTo: carol@fabrikam.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\n',
      ),
      Buffer.from([0xc3, 0xa4, 0x20, 0x20, 0x0d, 0x0a]),
    ]);
    const base64 = message.toString('base64');
    const answer = await graph(token, `/users/${world.alice.id}/sendMail`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: base64,
    });
    expect(answer.status).toBe(202);
    const [sent] = fakes.sentMail;
    expect(sent!.format).toBe('mime');
    expect(sent!.mime!.equals(message)).toBe(true);
    // The request log holds the body exactly as sent.
    const [request] = fakes.requestsTo('/users/*/sendMail', { method: 'POST' });
    expect(request!.body.toString()).toBe(base64);
    expect(Buffer.from(request!.text, 'base64').equals(message)).toBe(true);
  });

  it('answers invalid base64 with ErrorMimeContentInvalidBase64String', async () => {
    const answer = await graph(await appToken(), '/users/alice@contoso.com/sendMail', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'this is not base64!',
    });
    expectGraphError(answer, 400, 'ErrorMimeContentInvalidBase64String');
    expect(fakes.sentMail).toHaveLength(0);
  });

  it('sends only from mailboxes of the token’s tenant and with Mail.Send', async () => {
    const token = await appToken();
    const mime = {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('To: x@y.z\r\n\r\nhi').toString('base64'),
    };
    expectGraphError(
      await graph(token, '/users/nomail@contoso.com/sendMail', mime),
      404,
      'MailboxNotEnabledForRESTAPI',
    );
    expectGraphError(
      await graph(token, `/users/${encodeURIComponent(world.guest.userPrincipalName)}/sendMail`, mime),
      404,
      'MailboxNotEnabledForRESTAPI',
    );
    expectGraphError(await graph(token, '/users/nobody@contoso.com/sendMail', mime), 404, 'ErrorInvalidUser');
    const fabrikam = fakes.state.addTenant({ name: 'fabrikam', domains: ['fabrikam.com'] });
    fabrikam.addUser({ userPrincipalName: 'eve@fabrikam.com' });
    expectGraphError(await graph(token, '/users/eve@fabrikam.com/sendMail', mime), 404, 'ErrorInvalidUser');
    // A shared mailbox (disabled account) still sends.
    expect((await graph(token, '/users/info@contoso.com/sendMail', mime)).status).toBe(202);
    world.contoso.grantAdminConsent(world.app.clientId, ['User.Read.All']);
    expectGraphError(
      await graph(await appToken(), '/users/alice@contoso.com/sendMail', mime),
      403,
      'ErrorAccessDenied',
    );
  });

  it('refuses a JSON message without recipients or with a property Graph does not know', async () => {
    const token = await appToken();
    const send = (body: unknown) =>
      graph(token, '/users/alice@contoso.com/sendMail', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expectGraphError(await send({ message: { subject: 'x' } }), 400, 'ErrorInvalidRecipients');
    expectGraphError(
      await send({
        message: { subject: 'x', to: [], toRecipients: [{ emailAddress: { address: 'a@b.c' } }] },
      }),
      400,
      'RequestBodyRead',
    );
  });
});

describe('§ 6 errors and throttling', () => {
  const mime = () => ({
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: Buffer.from('To: carol@fabrikam.com\r\nSubject: x\r\n\r\nhi').toString('base64'),
  });

  it('answers injected 429s with Retry-After for the next N requests, then serves again', async () => {
    const token = await appToken();
    const rule = fakes.faults.throttle('/users/*/sendMail', { times: 2, retryAfterSeconds: 7 });
    for (let i = 0; i < 2; i += 1) {
      const answer = await graph(token, '/users/alice@contoso.com/sendMail', mime());
      expectGraphError(answer, 429, 'TooManyRequests');
      expect(answer.headers.get('retry-after')).toBe('7');
    }
    expect((await graph(token, '/users/alice@contoso.com/sendMail', mime())).status).toBe(202);
    expect(rule.hits).toBe(2);
    expect(rule.remaining).toBe(0);
  });

  it('injects ApplicationThrottled, 503 and 504', async () => {
    const token = await appToken();
    fakes.faults.applicationThrottled('/users/**', { retryAfterSeconds: 3 });
    const throttled = await graph(token, '/users/alice@contoso.com/sendMail', mime());
    expectGraphError(throttled, 429, 'ApplicationThrottled');
    expect(throttled.body.error.message).toBe('Application is over its MailboxConcurrency limit.');
    fakes.faults.serviceUnavailable('/users', { retryAfterSeconds: 2 });
    const unavailable = await graph(token, '/users');
    expectGraphError(unavailable, 503, 'serviceNotAvailable');
    expect(unavailable.headers.get('retry-after')).toBe('2');
    fakes.faults.gatewayTimeout(/\/messages$/);
    const timeout = await graph(token, '/users/alice@contoso.com/mailFolders/inbox/messages');
    expect(timeout.status).toBe(504);
    expect(timeout.headers.get('retry-after')).toBeNull();
    // The login server can fail too, in Entra's error shape.
    fakes.faults.serviceUnavailable('/*/oauth2/v2.0/token', { server: 'login', retryAfterSeconds: 5 });
    const login = await clientCredentials('contoso.com');
    expectEntraError(login, 503, 'temporarily_unavailable', 90033);
    expect(login.headers.get('retry-after')).toBe('5');
  });

  it('answers the fifth concurrent request to a mailbox with 429 ApplicationThrottled and records the peak', async () => {
    const token = await appToken();
    const held = fakes.faults.hold('/users/*/sendMail');
    const sends = Array.from({ length: 4 }, () => graph(token, '/users/alice@contoso.com/sendMail', mime()));
    await held.waitUntilHeld(4);
    expect(fakes.mailboxActivity('alice@contoso.com').sendMailInFlight).toBe(4);
    // § 6: over 4 concurrent requests per app and mailbox → 429 ApplicationThrottled.
    const fifth = await graph(token, '/users/alice@contoso.com/sendMail', mime());
    expectGraphError(fifth, 429, 'ApplicationThrottled');
    expect(fifth.body.error.message).toBe('Application is over its MailboxConcurrency limit.');
    expect(fifth.headers.get('retry-after')).toBe('1');
    // Another mailbox is not affected.
    const bob = graph(token, '/users/bob@contoso.com/sendMail', mime());
    await held.waitUntilHeld(5);
    held.release();
    expect((await Promise.all([...sends, bob])).map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(fakes.mailboxActivity('alice@contoso.com')).toMatchObject({
      inFlight: 0,
      maxInFlight: 5,
      maxSendMailInFlight: 5,
      requests: 5,
      throttled: 1,
    });
    expect(fakes.mailboxActivity('bob@contoso.com').maxInFlight).toBe(1);
  });

  it('answers 401 InvalidAuthenticationToken for an expired, missing, forged or foreign token', async () => {
    const token = await appToken();
    expect((await graph(token, '/users')).status).toBe(200);
    fakes.faults.expireAllTokens();
    const expired = await graph(token, '/users');
    expectGraphError(expired, 401, 'InvalidAuthenticationToken');
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer /);
    // § 6: get a new token once.
    expect((await graph(await appToken(), '/users')).status).toBe(200);

    expectGraphError(await graph(undefined, '/users'), 401, 'InvalidAuthenticationToken');
    expectGraphError(await graph('not-a-jwt', '/users'), 401, 'InvalidAuthenticationToken');
    const [header, claims] = token.split('.');
    expectGraphError(await graph(`${header}.${claims}.forged`, '/users'), 401, 'InvalidAuthenticationToken');
    const other = await startMicrosoftFakes();
    try {
      const otherWorld = seedStandardScenario(other.state, { contosoConsented: true });
      const foreign = await fetch(`${other.loginUrl}/contoso.com/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: otherWorld.app.clientId,
          client_secret: otherWorld.clientSecret,
          grant_type: 'client_credentials',
          scope: GRAPH_DEFAULT_SCOPE,
        }),
      }).then(answerOf);
      expectGraphError(await graph(foreign.body.access_token, '/users'), 401, 'InvalidAuthenticationToken');
    } finally {
      await other.close();
    }
  });

  it('injects a 401 for a valid token and slows requests down', async () => {
    const token = await appToken();
    fakes.faults.invalidToken('/users');
    expectGraphError(await graph(token, '/users'), 401, 'InvalidAuthenticationToken');
    expect((await graph(token, '/users')).status).toBe(200);
    const slow = fakes.faults.delay('/organization', 150, { times: 1 });
    const started = Date.now();
    expect((await graph(token, '/organization')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(slow.remaining).toBe(0);
  });

  it('lets a token run out with a short lifetime and the fakes’ clock', async () => {
    fakes.state.tokenLifetimeSeconds = 60;
    const answer = await clientCredentials('contoso.com');
    expect(answer.body.expires_in).toBe(60);
    expect((await graph(answer.body.access_token, '/organization')).status).toBe(200);
    fakes.clock.advance(61_000);
    expectGraphError(
      await graph(answer.body.access_token, '/organization'),
      401,
      'InvalidAuthenticationToken',
    );
  });

  it('answers an unknown resource like Graph and records every request with its body and answer', async () => {
    const token = await appToken();
    expectGraphError(await graph(token, '/nothing-here'), 400, 'BadRequest');
    await graph(token, '/users?$top=5', { headers: { 'client-request-id': 'abc' } });
    const request = fakes.requests.at(-1)!;
    expect(request).toMatchObject({
      server: 'graph',
      method: 'GET',
      path: '/users',
      query: { $top: '5' },
    });
    expect(request.headers['client-request-id']).toBe('abc');
    expect(request.response?.status).toBe(200);
    expect(request.response?.headers['client-request-id']).toBe('abc');
    const tokenRequestRecord = fakes.requestsTo('/contoso.com/oauth2/v2.0/token', { server: 'login' })[0]!;
    expect(tokenRequestRecord.form).toMatchObject({
      grant_type: 'client_credentials',
      scope: GRAPH_DEFAULT_SCOPE,
    });
    expect(fakes.issuedTokens()).toHaveLength(1);
  });
});
