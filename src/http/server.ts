import Fastify from 'fastify';
import type { App } from '../app.js';

/**
 * The HTTP listener. Today it serves health and archive statistics; the consoles (/system,
 * /adminaccess, /webaccess, /gateway) and /api/v1 plug in here as their issues land.
 */
export async function startHttpServer(app: App) {
  const server = Fastify({ loggerInstance: app.logger, disableRequestLogging: false });
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/', async (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send('Postvault is running. The web consoles are not built yet; use the postvault CLI.\n'),
  );
  const { host, port } = app.config.http;
  if (port === 0) return { url: '(HTTP listener disabled)', close: async () => undefined };
  await server.listen({ host, port });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { url, close: () => server.close() };
}
