import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { App } from '../app.js';
import { adminAccessFace } from './faces/adminaccess.face.js';
import { apiV1 } from './faces/api-v1.js';
import { gatewayFace } from './faces/gateway.face.js';
import { systemFace } from './faces/system.face.js';
import { webAccessFace } from './faces/webaccess.face.js';
import { errorsPlugin } from './plugins/errors.plugin.js';
import { metricsPlugin } from './plugins/metrics.plugin.js';
import { webAppPlugin } from './plugins/web-app.plugin.js';

export interface RouteListEntry {
  method: string;
  url: string;
  hasBody: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeList: RouteListEntry[];
  }
}

/**
 * The HTTP face of Postvault, built but not listening: tests call `inject()` on it, `serve`
 * listens. One plugin per face; each carries its own guards (see src/http/faces).
 */
export async function buildHttpServer(app: App): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: app.logger as FastifyBaseLogger,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    trustProxy: app.config.http.trustProxy,
  }).withTypeProvider<ZodTypeProvider>();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.decorateRequest('session', null);
  // Every route with its schema, for the route-walking tests (tenant isolation, validation).
  const routes: RouteListEntry[] = [];
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, hasBody: Boolean(route.schema?.body) });
    }
  });
  server.decorate('routeList', routes);
  server.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await server.register(cookie);
  await server.register(errorsPlugin, { audit: app.audit });
  await server.register(metricsPlugin, { metrics: app.metrics });
  await server.register(swagger, {
    openapi: {
      info: {
        title: 'Postvault API',
        version: '1',
        description:
          'Multi-tenant email archive. Sessions are cookies; state-changing requests carry the ' +
          "session's csrfToken in the x-csrf-token header. See docs/api-contract.md.",
      },
    },
    transform: jsonSchemaTransform,
  });
  await server.register(swaggerUi, { routePrefix: '/api/docs' });

  server.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  server.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/adminaccess'));

  const cookies = { secure: app.config.auth.secureCookies };
  await server.register(webAppPlugin);
  await server.register(apiV1, { prefix: '/api/v1', app, cookies });
  await server.register(systemFace, { app, cookies });
  await server.register(adminAccessFace, { app, cookies });
  await server.register(gatewayFace, { app, cookies });
  await server.register(webAccessFace, { app });
  return server;
}

export async function startHttpServer(app: App) {
  const { host, port } = app.config.http;
  if (port === 0) return { url: '(HTTP listener disabled)', close: async () => undefined };
  const server = await buildHttpServer(app);
  await server.listen({ host, port });
  const purge = setInterval(() => void app.auth.purgeExpired().catch(() => undefined), 10 * 60_000);
  purge.unref();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  app.setListeningUrl(url);
  return {
    url,
    close: async () => {
      clearInterval(purge);
      await server.close();
    },
  };
}
