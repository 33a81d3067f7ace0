import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyReply {
    /** Answers with the web app's index.html; the app routes on the client. */
    sendWebApp(): FastifyReply;
  }
}

/** Both src/http and dist/http sit two levels below the package root; Vite builds into dist/web. */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/web');

/**
 * The built React app (web/, `npm run build`): hashed assets under /assets/, and index.html for the
 * pages of every face. Without a build the faces say how to make one instead of failing obscurely.
 */
export const webAppPlugin = fp(
  async (app: FastifyInstance, options: { root?: string }) => {
    const root = options.root ?? WEB_ROOT;
    const indexFile = join(root, 'index.html');
    const built = existsSync(indexFile);
    if (built) {
      await app.register(fastifyStatic, {
        root: join(root, 'assets'),
        prefix: '/assets/',
        decorateReply: false,
        immutable: true,
        maxAge: '365d',
      });
    }
    const index = built ? readFileSync(indexFile) : undefined;
    app.decorateReply('sendWebApp', function (this: FastifyReply) {
      if (!index) {
        return this.code(503)
          .type('text/plain; charset=utf-8')
          .send('The web consoles are not built. Run `npm run build` (npm start does it for you).\n');
      }
      return this.type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-frame-options', 'DENY')
        .header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        .send(index);
    });
  },
  { name: 'postvault-web-app' },
);
