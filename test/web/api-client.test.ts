import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, buildUrl, createApiClient } from '../../web/src/shared/api/client.js';

// The consoles' fetch wrapper against docs/api-contract.md: the CSRF header on every state-changing
// request except sign-in, same-origin cookies, and error bodies turned into ApiError.

interface Sent {
  url: string;
  init: RequestInit;
}

function stubFetch(...answers: Array<Response | Error>) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      const answer = answers.shift();
      if (!answer) throw new Error('no answer left');
      if (answer instanceof Error) throw answer;
      return answer;
    }),
  );
  return sent;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const headersOf = (sent: Sent) => sent.init.headers as Record<string, string>;

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('api client', () => {
  it('sends the session CSRF token on state-changing requests only', async () => {
    const sent = stubFetch(json(200, { ok: 1 }), json(200, { ok: 2 }), new Response(null, { status: 204 }));
    const api = createApiClient({ csrfToken: () => 'token-1' });
    await api('/api/v1/admin/users');
    await api('/api/v1/admin/users', { method: 'POST', body: { name: 'bob' } });
    expect(await api('/api/v1/admin/users/4', { method: 'DELETE' })).toBeUndefined();
    expect(headersOf(sent[0]!)['x-csrf-token']).toBeUndefined();
    expect(headersOf(sent[1]!)['x-csrf-token']).toBe('token-1');
    expect(headersOf(sent[1]!)['content-type']).toBe('application/json');
    expect(sent[1]!.init.body).toBe('{"name":"bob"}');
    expect(headersOf(sent[2]!)['x-csrf-token']).toBe('token-1');
    expect(sent.every((request) => request.init.credentials === 'same-origin')).toBe(true);
  });

  it('sends no CSRF token with sign-in', async () => {
    const sent = stubFetch(json(200, { realm: 'tenant' }));
    const api = createApiClient({ csrfToken: () => 'token-1' });
    await api('/api/v1/auth/sign-in', {
      method: 'POST',
      body: { login: 'a@b', password: 'x' },
      withoutCsrf: true,
      signIn: true,
    });
    expect(headersOf(sent[0]!)['x-csrf-token']).toBeUndefined();
  });

  it('turns an error body into an ApiError with status, code, message and details', async () => {
    stubFetch(
      json(400, {
        statusCode: 400,
        code: 'VALIDATION',
        message: 'slug is invalid',
        details: { issues: [{ path: 'slug', message: 'lower-case letters' }] },
      }),
    );
    const api = createApiClient({ csrfToken: () => 't' });
    const error = await api('/api/v1/system/tenants', { method: 'POST', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect([apiError.status, apiError.code, apiError.message]).toEqual([
      400,
      'VALIDATION',
      'slug is invalid',
    ]);
    expect(apiError.issues).toEqual([{ path: 'slug', message: 'lower-case letters' }]);
  });

  it('reads the wait of a 429 from details, or from Retry-After', async () => {
    stubFetch(
      json(429, { code: 'RATE_LIMITED', message: 'slow down', details: { retryAfterSeconds: 42 } }),
      json(429, { code: 'RATE_LIMITED', message: 'slow down' }, { 'retry-after': '7' }),
    );
    const api = createApiClient({ csrfToken: () => undefined });
    const first = (await api('/x', { method: 'POST', withoutCsrf: true }).catch(
      (e: unknown) => e,
    )) as ApiError;
    const second = (await api('/x', { method: 'POST', withoutCsrf: true }).catch(
      (e: unknown) => e,
    )) as ApiError;
    expect([first.code, first.retryAfterSeconds]).toEqual(['RATE_LIMITED', 42]);
    expect(second.retryAfterSeconds).toBe(7);
  });

  it('reports a lost session, but not a failed sign-in', async () => {
    stubFetch(
      json(401, { code: 'UNAUTHENTICATED', message: 'signed out' }),
      json(401, { code: 'TOTP_REQUIRED', message: 'code' }),
      json(401, { code: 'UNAUTHENTICATED', message: 'wrong password' }),
      json(401, { code: 'UNAUTHENTICATED', message: 'signed out' }),
    );
    const onUnauthenticated = vi.fn();
    const api = createApiClient({ csrfToken: () => 't', onUnauthenticated });
    await api('/api/v1/admin/users').catch(() => undefined);
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
    const signIn = { method: 'POST', withoutCsrf: true, signIn: true } as const;
    const totp = (await api('/api/v1/auth/sign-in', signIn).catch((e: unknown) => e)) as ApiError;
    expect(totp.code).toBe('TOTP_REQUIRED');
    await api('/api/v1/auth/sign-in', signIn).catch(() => undefined);
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
    // Without the CSRF token alone a request is no sign-in: its 401 is a lost session.
    await api('/x', { method: 'POST', withoutCsrf: true }).catch(() => undefined);
    expect(onUnauthenticated).toHaveBeenCalledTimes(2);
  });

  it('gives a code to answers without a JSON body and to network failures', async () => {
    stubFetch(new Response('<html>bad gateway</html>', { status: 503 }), new TypeError('fetch failed'));
    const api = createApiClient({ csrfToken: () => 't' });
    const temporary = (await api('/x').catch((e: unknown) => e)) as ApiError;
    const network = (await api('/x').catch((e: unknown) => e)) as ApiError;
    expect([temporary.status, temporary.code]).toEqual([503, 'TEMPORARY']);
    expect([network.status, network.code]).toEqual([0, 'NETWORK']);
  });

  it('leaves empty query parameters out', () => {
    expect(
      buildUrl('/api/v1/audit', { action: '', actor: undefined, outcome: 'denied', before: 12, limit: 50 }),
    ).toBe('/api/v1/audit?outcome=denied&before=12&limit=50');
    expect(buildUrl('/api/v1/audit', {})).toBe('/api/v1/audit');
  });
});
