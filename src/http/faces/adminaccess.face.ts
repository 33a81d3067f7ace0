import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.js';
import type { CookieSettings } from '../plugins/session.plugin.js';
import { adminRoutes } from '../routes/admin.routes.js';
import { adminJobRoutes } from '../routes/jobs.routes.js';
import { adminSendingRoutes, microsoft365CallbackRoutes } from '../routes/sending.routes.js';
import { journalEndpointRoutes } from '../routes/journal-endpoints.routes.js';
import { processLogRoutes } from '../routes/process-log.routes.js';

/** `/adminaccess`: the tenant admins' console (pages) and its API under /api/v1/admin. */
export const adminAccessFace: FastifyPluginAsync<{ app: App; cookies: CookieSettings }> = async (
  server,
  { app, cookies },
) => {
  for (const path of ['/adminaccess', '/adminaccess/*']) {
    server.get(path, { schema: { hide: true } }, async (_request, reply) => reply.sendWebApp());
  }
  await server.register(adminRoutes, { prefix: '/api/v1/admin', app });
  await server.register(journalEndpointRoutes, { prefix: '/api/v1/admin/journal-endpoints', app });
  await server.register(processLogRoutes, { prefix: '/api/v1/admin/process-log', app });
  await server.register(adminJobRoutes, { prefix: '/api/v1/admin', app });
  await server.register(adminSendingRoutes, { prefix: '/api/v1/admin', app, cookies });
  await server.register(microsoft365CallbackRoutes, { app });
};
