import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.js';
import type { CookieSettings } from '../plugins/session.plugin.js';
import { auditRoutes } from '../routes/audit.routes.js';
import { authRoutes } from '../routes/auth.routes.js';
import { userSendingRoutes } from '../routes/sending.routes.js';

/** `/api/v1` routes every tenant face shares: the session of tenant users and the audit log. */
export const apiV1: FastifyPluginAsync<{ app: App; cookies: CookieSettings }> = async (
  server,
  { app, cookies },
) => {
  await server.register(authRoutes, {
    prefix: '/auth',
    realm: 'tenant',
    auth: app.auth,
    cookies,
    metrics: app.metrics,
  });
  await server.register(auditRoutes, { prefix: '/audit', auth: app.auth, audit: app.audit });
  await server.register(userSendingRoutes, { app });
};
