import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { App } from '../../app.js';
import { fileNamePart } from '../../archive/export.service.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { Id } from '../schemas.js';
import {
  ExportBody,
  ExportStatusSchema,
  MailboxesSchema,
  MessageDetailSchema,
  MessageListQuery,
  MessageListSchema,
} from './webaccess.schemas.js';

const tags = ['webaccess'];
/** src/http/routes and dist/http/routes sit three levels below the package root. */
const SEARCH_HELP = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/search.md');
const MessageParams = z.object({ messageId: Id });
const ExportParams = z.object({ exportId: z.string().min(1).max(64) });

/**
 * What an archived message's own content may do once it reaches the browser: nothing. `sandbox`
 * gives the document an opaque origin without scripts, forms or top navigation even when it is
 * opened directly instead of in Web Access's sandboxed frame; `default-src 'none'` keeps every
 * fetch at home. "Load external content" adds remote images, styles and fonts, never scripts.
 */
export function messageContentPolicy(external: boolean): string {
  const remote = external ? ' https: http:' : '';
  return [
    'sandbox allow-popups allow-popups-to-escape-sandbox',
    "default-src 'none'",
    `style-src 'unsafe-inline'${remote}`,
    `img-src data:${remote}`,
    `font-src data:${remote}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'self'",
  ].join('; ');
}

/** Attachments and sources are never run or rendered as pages, whatever their type claims. */
const DOWNLOAD_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'";

/** RFC 6266: an ASCII fallback for old clients and the UTF-8 name for the rest. */
function contentDisposition(kind: 'attachment' | 'inline', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function privateDownload(reply: FastifyReply, contentType: string, disposition: string): FastifyReply {
  return reply
    .type(contentType)
    .header('content-disposition', disposition)
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', DOWNLOAD_POLICY);
}

/**
 * Web Access (`/api/v1/webaccess`): an end user's own mail and the mail shared with them. The
 * Reader or Compliance role is required; each service method checks the mailbox, so a message
 * the user may not read is "not found" on every route.
 */
export const webAccessRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant', { roles: ['reader', 'compliance'] }));
  const { service, exports } = app.webAccess;

  server.get(
    '/me',
    {
      schema: {
        tags,
        summary: "The user's own address (Resend to me) and roles",
        response: { 200: z.object({ email: z.string().nullable(), roles: z.array(z.string()) }) },
      },
    },
    async (request) => {
      const ctx = authOf(request);
      const email = await app.sending.service.ownAddress(ctx);
      return { email: email || null, roles: ctx.actor.kind === 'user' ? [...ctx.actor.roles] : [] };
    },
  );
  server.get(
    '/help/search',
    { schema: { tags, summary: 'The search syntax (docs/search.md) as Markdown' } },
    async (_request, reply) =>
      reply
        .type('text/markdown; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(await readFile(SEARCH_HELP)),
  );
  server.get(
    '/mailboxes',
    {
      schema: {
        tags,
        summary: 'The mailboxes the user may read, with their folders and counts',
        response: { 200: MailboxesSchema },
      },
    },
    async (request) => service.mailboxes(authOf(request)),
  );
  server.get(
    '/messages',
    {
      schema: {
        tags,
        summary:
          'Messages of the readable mailboxes, a mailbox or a folder, found by `q`, sorted, cursor-paged',
        querystring: MessageListQuery,
        response: { 200: MessageListSchema },
      },
    },
    async (request) => {
      const { q, mailboxId, folderId, sort, order, cursor, limit } = request.query;
      return service.list(authOf(request), {
        q,
        sort,
        order,
        limit,
        ...(mailboxId !== undefined ? { mailboxId } : {}),
        ...(folderId !== undefined ? { folderId } : {}),
        ...(cursor ? { cursor } : {}),
      });
    },
  );
  server.get(
    '/messages/:messageId',
    {
      schema: {
        tags,
        summary: 'One message to read: headers, journal envelope, text, attachments',
        params: MessageParams,
        querystring: z.object({ q: z.string().max(2000).default('') }),
        response: { 200: MessageDetailSchema },
      },
    },
    async (request) => service.detail(authOf(request), request.params.messageId, request.query.q),
  );
  server.get(
    '/messages/:messageId/html',
    {
      schema: {
        tags,
        summary:
          'The HTML body, made safe, for a sandboxed frame (external=1: with remote images and styles)',
        params: MessageParams,
        querystring: z.object({ external: z.enum(['0', '1']).default('0') }),
      },
    },
    async (request, reply) => {
      const html = await service.htmlDocument(authOf(request), request.params.messageId);
      return (
        reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', messageContentPolicy(request.query.external === '1'))
          .header('x-content-type-options', 'nosniff')
          .header('x-frame-options', 'SAMEORIGIN')
          .header('referrer-policy', 'no-referrer')
          // Links in a message must not tell anyone it was opened by resolving their hosts.
          .header('x-dns-prefetch-control', 'off')
          .header('cache-control', 'private, no-store')
          .send(html)
      );
    },
  );
  server.get(
    '/messages/:messageId/parts/:index',
    {
      schema: {
        tags,
        summary: 'One attachment, decoded (inline=1 shows an image in the browser instead of saving it)',
        params: z.object({ messageId: Id, index: z.coerce.number().int().min(0) }),
        querystring: z.object({ inline: z.enum(['0', '1']).default('0') }),
      },
    },
    async (request, reply) => {
      const part = await service.attachment(authOf(request), request.params.messageId, request.params.index);
      // Only a raster image may be shown in place; anything else (HTML, SVG, PDF…) is saved.
      const showable =
        request.query.inline === '1' && /^image\/(png|jpe?g|gif|webp|bmp)$/i.test(part.contentType);
      return privateDownload(
        reply,
        showable ? part.contentType : 'application/octet-stream',
        contentDisposition(showable ? 'inline' : 'attachment', part.filename),
      ).send(part.content);
    },
  );
  server.get(
    '/messages/:messageId/eml',
    {
      schema: { tags, summary: 'The archived bytes, unchanged, as an EML file', params: MessageParams },
    },
    async (request, reply) => {
      const { subject, raw } = await service.raw(authOf(request), request.params.messageId, 'download');
      return privateDownload(
        reply,
        'message/rfc822',
        contentDisposition('attachment', `${fileNamePart(subject, 80)}.eml`),
      ).send(raw);
    },
  );
  server.get(
    '/messages/:messageId/source',
    { schema: { tags, summary: 'The archived bytes as text, for "show source"', params: MessageParams } },
    async (request, reply) => {
      const { raw } = await service.raw(authOf(request), request.params.messageId, 'source');
      return privateDownload(reply, 'text/plain; charset=utf-8', 'inline').send(raw);
    },
  );
  server.post(
    '/exports',
    {
      schema: {
        tags,
        summary: 'Prepare an export of messages or of a search result as ZIP (EML files) or MBOX',
        body: ExportBody,
        response: { 201: ExportStatusSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await exports.create(authOf(request), request.body)),
  );
  server.get(
    '/exports/:exportId',
    {
      schema: {
        tags,
        summary: "An export's progress (poll while it downloads)",
        params: ExportParams,
        response: { 200: ExportStatusSchema },
      },
    },
    async (request) => exports.status(authOf(request), request.params.exportId),
  );
  server.get(
    '/exports/:exportId/download',
    // A HEAD request must not use up the one download.
    {
      exposeHeadRoute: false,
      schema: { tags, summary: 'The export, streamed (once)', params: ExportParams },
    },
    async (request, reply) => {
      const download = await exports.download(authOf(request), request.params.exportId);
      return privateDownload(
        reply,
        download.contentType,
        contentDisposition('attachment', download.filename),
      ).send(download.stream);
    },
  );
};
