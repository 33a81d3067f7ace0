import { performance } from 'node:perf_hooks';
import { openApp } from '../app.js';
import { loadConfig } from '../core/config.js';
import { buildHttpServer } from '../http/server.js';
import { percentile } from './bench-util.js';

export interface HttpFigures {
  messages: number;
  signInP50Ms: number;
  signInP95Ms: number;
  sessionRequestsPerSec: number;
  usersListP95Ms: number;
  dashboardP50Ms: number;
  dashboardP95Ms: number;
}

/**
 * The consoles' costs on a data folder of `messages` archived messages, through the real Fastify
 * app (inject: no sockets, so the figures are the server's own): an argon2id sign-in, a cheap
 * authenticated request (session lookup, CSRF-free GET), and the Admin Access dashboard, whose
 * counts and 30-day volume grow with the archive.
 */
export async function measureHttp(dataDir: string, messages: number, rounds = 20): Promise<HttpFigures> {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
    {
      workers: 0,
    },
  );
  const server = await buildHttpServer(app);
  try {
    const tenant = await app.tenants.findBySlug('default');
    const admin = await app.tenantManagement.resetAdmin(
      { tenantId: 0, actor: { kind: 'system', name: 'bench' } },
      tenant.id,
    );
    const signInTimes: number[] = [];
    let cookie = '';
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const answer = await server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: admin });
      signInTimes.push(performance.now() - t0);
      if (answer.statusCode !== 200) throw new Error(`bench sign-in failed: ${answer.body}`);
      cookie = `pv_session=${answer.cookies.find((c) => c.name === 'pv_session')!.value}`;
    }
    const get = (url: string) => server.inject({ method: 'GET', url, headers: { cookie } });

    const sessionCount = 500;
    const t0 = performance.now();
    for (let i = 0; i < sessionCount; i++) await get('/api/v1/auth/session');
    const sessionRequestsPerSec = sessionCount / ((performance.now() - t0) / 1000);

    const time = async (url: string) => {
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const start = performance.now();
        const answer = await get(url);
        samples.push(performance.now() - start);
        if (answer.statusCode !== 200) throw new Error(`${url}: ${answer.statusCode} ${answer.body}`);
      }
      return samples;
    };
    const users = await time('/api/v1/admin/users');
    const dashboard = await time('/api/v1/admin/dashboard');
    return {
      messages,
      signInP50Ms: percentile(signInTimes, 50),
      signInP95Ms: percentile(signInTimes, 95),
      sessionRequestsPerSec,
      usersListP95Ms: percentile(users, 95),
      dashboardP50Ms: percentile(dashboard, 50),
      dashboardP95Ms: percentile(dashboard, 95),
    };
  } finally {
    await server.close();
    await app.close();
  }
}
