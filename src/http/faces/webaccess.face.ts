import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.js';
import { webAccessRoutes } from '../routes/webaccess.routes.js';

/** `/webaccess`: end users' own archived mail (pages) and its API under /api/v1/webaccess. */
export const webAccessFace: FastifyPluginAsync<{ app: App }> = async (server, { app }) => {
  for (const path of ['/webaccess', '/webaccess/*']) {
    server.get(path, { schema: { hide: true } }, async (_request, reply) => reply.sendWebApp());
  }
  await server.register(webAccessRoutes, { prefix: '/api/v1/webaccess', app });
};
