import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.js';
import type { CookieSettings } from '../plugins/session.plugin.js';
import { authRoutes } from '../routes/auth.routes.js';
import { systemJobRoutes } from '../routes/jobs.routes.js';
import { systemSendingRoutes } from '../routes/sending.routes.js';
import { systemRoutes } from '../routes/system.routes.js';

/** `/system`: the operator's console (pages) and its API under /api/v1/system. */
export const systemFace: FastifyPluginAsync<{ app: App; cookies: CookieSettings }> = async (
  server,
  { app, cookies },
) => {
  for (const path of ['/system', '/system/*']) {
    server.get(path, { schema: { hide: true } }, async (_request, reply) => reply.sendWebApp());
  }
  await server.register(authRoutes, {
    prefix: '/api/v1/system/auth',
    realm: 'system',
    auth: app.auth,
    cookies,
    metrics: app.metrics,
  });
  await server.register(systemRoutes, {
    prefix: '/api/v1/system',
    auth: app.auth,
    tenants: app.tenantManagement,
    audit: app.audit,
  });
  await server.register(systemJobRoutes, { prefix: '/api/v1/system', app });
  await server.register(systemSendingRoutes, { prefix: '/api/v1/system', app });
};
