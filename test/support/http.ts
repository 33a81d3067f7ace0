/* eslint-disable @typescript-eslint/no-explicit-any -- answers are untyped JSON that the tests inspect freely */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { App } from '../../src/app.js';
import { buildHttpServer } from '../../src/http/server.js';
import { openTempApp, tempDir } from './temp-app.js';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/**
 * A browser stand-in over `inject()`: keeps cookies, and sends the session's CSRF token on
 * state-changing requests the way the web app does.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrfToken?: string;

  constructor(
    private readonly server: FastifyInstance,
    private readonly ip = '127.0.0.1',
  ) {}

  async request<T = any>(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) {
      headers['cookie'] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if ((options.csrf ?? true) && this.csrfToken && method !== 'GET')
      headers['x-csrf-token'] = this.csrfToken;
    const response = await this.server.inject({
      method,
      url,
      headers,
      remoteAddress: this.ip,
      ...(body !== undefined && { payload: body as object }),
    });
    for (const cookie of response.cookies as Array<{
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }>) {
      const expired = cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now());
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const type = String(response.headers['content-type'] ?? '');
    const parsed = type.includes('json') && response.body ? JSON.parse(response.body) : response.body;
    if (parsed && typeof parsed === 'object' && typeof parsed.csrfToken === 'string')
      this.csrfToken = parsed.csrfToken;
    return { status: response.statusCode, body: parsed as T, headers: response.headers };
  }

  get = <T = any>(url: string) => this.request<T>('GET', url);
  post = <T = any>(url: string, body?: unknown) => this.request<T>('POST', url, body ?? {});
  put = <T = any>(url: string, body?: unknown) => this.request<T>('PUT', url, body ?? {});
  patch = <T = any>(url: string, body?: unknown) => this.request<T>('PATCH', url, body ?? {});
  delete = <T = any>(url: string, body?: unknown) => this.request<T>('DELETE', url, body);

  async signInSystem(username: string, password: string) {
    const answer = await this.post('/api/v1/system/auth/sign-in', { username, password });
    if (answer.status !== 200) throw new Error(`system sign-in failed: ${JSON.stringify(answer.body)}`);
    return answer;
  }

  async signInGateway(username: string, password: string) {
    const answer = await this.post('/api/v1/gateway/auth/sign-in', { username, password });
    if (answer.status !== 200) throw new Error(`gateway sign-in failed: ${JSON.stringify(answer.body)}`);
    return answer;
  }

  async signInTenant(login: string, password: string) {
    const answer = await this.post('/api/v1/auth/sign-in', { login, password });
    if (answer.status !== 200) throw new Error(`sign-in of ${login} failed: ${JSON.stringify(answer.body)}`);
    return answer;
  }
}

export const SYSTEM_ADMIN = { username: 'admin', password: 'system-admin-password' };
export const GATEWAY_ADMIN = { username: 'admin', password: 'gateway-admin-password' };

/**
 * A real app and its HTTP server (not listening) on a throwaway data folder, with a system admin
 * and a gateway admin.
 */
export async function openTempHttp(
  env: Record<string, string> = {},
  options: Parameters<typeof openTempApp>[2] = {},
) {
  const dir = tempDir('postvault-http-');
  const app: App = await openTempApp(dir.path, env, options);
  await app.systemAdmins.ensureFirstAdmin(SYSTEM_ADMIN.password);
  await app.gatewayAdmins.ensureFirstAdmin(GATEWAY_ADMIN.password);
  const server = await buildHttpServer(app);
  return {
    app,
    server,
    client: (ip?: string) => new TestClient(server, ip),
    async systemClient() {
      const client = new TestClient(server);
      await client.signInSystem(SYSTEM_ADMIN.username, SYSTEM_ADMIN.password);
      return client;
    },
    async gatewayClient(ip?: string) {
      const client = new TestClient(server, ip);
      await client.signInGateway(GATEWAY_ADMIN.username, GATEWAY_ADMIN.password);
      return client;
    },
    /** Creates a tenant through the System console and signs its provisioned admin in. */
    async tenantWithAdmin(slug: string, name = slug.toUpperCase()) {
      const system = await this.systemClient();
      const created = await system.post('/api/v1/system/tenants', { slug, name });
      if (created.status !== 201) throw new Error(`tenant creation failed: ${JSON.stringify(created.body)}`);
      const admin = new TestClient(server);
      await admin.signInTenant(created.body.admin.login, created.body.admin.password);
      return { tenant: created.body.tenant, credentials: created.body.admin, admin };
    },
    async close() {
      await server.close();
      await app.close();
      dir.remove();
    },
  };
}

export type TempHttp = Awaited<ReturnType<typeof openTempHttp>>;
