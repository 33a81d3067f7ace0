import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.js';
import type { CookieSettings } from '../plugins/session.plugin.js';
import { authRoutes } from '../routes/auth.routes.js';
import { gatewayRoutes } from '../routes/gateway.routes.js';

/** `/gateway`: the Gateway console (pages) and its API under /api/v1/gateway; its own accounts. */
export const gatewayFace: FastifyPluginAsync<{ app: App; cookies: CookieSettings }> = async (
  server,
  { app, cookies },
) => {
  for (const path of ['/gateway', '/gateway/*']) {
    server.get(path, { schema: { hide: true } }, async (_request, reply) => reply.sendWebApp());
  }
  await server.register(authRoutes, {
    prefix: '/api/v1/gateway/auth',
    realm: 'gateway',
    auth: app.auth,
    cookies,
    metrics: app.metrics,
  });
  await server.register(gatewayRoutes, { prefix: '/api/v1/gateway', app });
};
