import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.js';
import type { ConnectStatus } from '../../sending/microsoft365-connect.service.js';
import { authOf, requireSession, type CookieSettings } from '../plugins/session.plugin.js';

const CONNECT_COOKIE = 'pv_m365_connect';
import { Id } from '../schemas.js';
import {
  ConnectStatusSchema,
  MailPolicySchema,
  SupportRequestBody,
  SystemMailSettingsBody,
  SystemMailSettingsSchema,
  TenantSendingBody,
  TenantSendingSchema,
  TestMailBody,
  TestMailResultSchema,
} from './sending.schemas.js';

/** System console → Email server, and what each tenant may do (under /api/v1/system). */
export const systemSendingRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'system'));
  const { settings, service } = app.sending;
  const tags = ['system: email server'];

  server.get(
    '/mail-server',
    {
      schema: {
        tags,
        summary: "The system's mail server (secrets only as set/not set)",
        response: { 200: SystemMailSettingsSchema },
      },
    },
    async (request) => settings.getSystem(authOf(request)),
  );
  server.put(
    '/mail-server',
    {
      schema: {
        tags,
        summary: 'Change the mail server; password and clientSecret are write-only (null removes them)',
        body: SystemMailSettingsBody,
        response: { 200: SystemMailSettingsSchema },
      },
    },
    async (request) => settings.updateSystem(authOf(request), request.body),
  );
  server.post(
    '/mail-server/test',
    {
      schema: {
        tags,
        summary:
          "Send a test mail through the system's server now; the answer is the server's reply or the error",
        body: TestMailBody,
        response: { 200: TestMailResultSchema },
      },
    },
    async (request) => service.systemTestMail(authOf(request), request.body.to),
  );
  const TenantParams = z.object({ tenantId: Id });
  server.get(
    '/tenants/:tenantId/mail-policy',
    {
      schema: {
        tags,
        summary: "Whether a tenant may use the system's server and configure its own",
        params: TenantParams,
        response: { 200: MailPolicySchema },
      },
    },
    async (request) => settings.policyOf(authOf(request), request.params.tenantId),
  );
  server.put(
    '/tenants/:tenantId/mail-policy',
    {
      schema: {
        tags,
        summary: "Allow or forbid a tenant the system's server and its own configuration",
        params: TenantParams,
        body: MailPolicySchema.partial(),
        response: { 200: MailPolicySchema },
      },
    },
    async (request) => settings.setPolicy(authOf(request), request.params.tenantId, request.body),
  );
};

/** Admin Access → Sending Mails, Connect Tenant and Contact support (under /api/v1/admin). */
export const adminSendingRoutes: FastifyPluginAsyncZod<{ app: App; cookies: CookieSettings }> = async (
  server,
  { app, cookies },
) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant', { roles: ['admin'] }));
  const { settings, service, microsoft365 } = app.sending;
  const tags = ['admin: sending mails'];

  server.get(
    '/sending',
    {
      schema: {
        tags,
        summary: "The tenant's mail sending: type, settings, what the system allows, the route now",
        response: { 200: TenantSendingSchema },
      },
    },
    async (request) => settings.getTenant(authOf(request)),
  );
  server.put(
    '/sending',
    {
      schema: {
        tags,
        summary: 'Change the mail sending (None, SMTP or Microsoft 365); the SMTP password is write-only',
        body: TenantSendingBody,
        response: { 200: TenantSendingSchema },
      },
    },
    async (request) => {
      const ctx = authOf(request);
      const chosen = request.body.microsoft365Sender;
      // The mailbox's address comes from Graph, whatever the browser sent along with its id.
      const body = chosen
        ? { ...request.body, microsoft365Sender: await microsoft365.sender(ctx, chosen.id) }
        : request.body;
      return settings.updateTenant(ctx, body);
    },
  );
  server.post(
    '/sending/test',
    {
      schema: {
        tags,
        summary: 'Send a test mail the way this tenant sends now; the answer is the reply or the error',
        body: TestMailBody,
        response: { 200: TestMailResultSchema },
      },
    },
    async (request) => service.tenantTestMail(authOf(request), request.body.to),
  );
  server.post(
    '/sending/microsoft365/connect',
    {
      schema: {
        tags,
        summary: 'Start "Connect Tenant": open `url` in a new tab, then poll the state',
        response: { 200: z.object({ state: z.string(), url: z.string() }) },
      },
    },
    async (request, reply) => {
      const { state, url, browserBinding } = await microsoft365.start(authOf(request));
      // Lax, unlike the session cookie: it must come along on Microsoft's redirects back.
      reply.setCookie(CONNECT_COOKIE, browserBinding, {
        path: '/adminaccess/sending/microsoft365',
        httpOnly: true,
        sameSite: 'lax',
        secure: cookies.secure || request.protocol === 'https',
        maxAge: 30 * 60,
      });
      return { state, url };
    },
  );
  server.get(
    '/sending/microsoft365/connect/:state',
    {
      schema: {
        tags,
        summary: 'Where a Connect Tenant stands (consent, sign-in, done, failed)',
        params: z.object({ state: z.string().min(10).max(100) }),
        response: { 200: ConnectStatusSchema },
      },
    },
    async (request) => microsoft365.status(authOf(request), request.params.state),
  );
  server.get(
    '/sending/microsoft365/users',
    {
      schema: {
        tags,
        summary: "The connected Microsoft 365 tenant's users with a mailbox, for the sending mailbox",
        response: {
          200: z.object({
            users: z.array(
              z.object({
                id: z.string(),
                userPrincipalName: z.string(),
                mail: z.string(),
                displayName: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ users: await microsoft365.users(authOf(request)) }),
  );
  server.post(
    '/support-requests',
    {
      schema: {
        tags,
        summary:
          'Contact support: queued to the support address (with system information when the system says so)',
        body: SupportRequestBody,
        response: { 202: z.object({ id: z.number(), to: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await service.contactSupport(authOf(request), request.body)),
  );
};

/** Every signed-in tenant user: is Resend available, and Resend itself (under /api/v1). */
export const userSendingRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant'));
  const { service } = app.sending;
  const tags = ['sending'];
  server.get(
    '/sending/availability',
    {
      schema: {
        tags,
        summary: "Whether mail can be sent for the user's tenant now (Web Access asks every minute)",
        response: { 200: z.object({ available: z.boolean(), reason: z.string().nullable() }) },
      },
    },
    async (request) => service.availability(authOf(request)),
  );
  server.post(
    '/messages/:messageId/resend',
    {
      schema: {
        tags,
        summary:
          'Resend an archived message unchanged, to the user or to `to` (409 when sending is unavailable)',
        params: z.object({ messageId: Id }),
        body: z.object({ to: z.string().trim().max(320).optional() }),
        response: { 202: z.object({ id: z.number(), to: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await service.resend(authOf(request), request.params.messageId, request.body.to)),
  );
};

/**
 * Microsoft's redirects back into Admin Access during Connect Tenant (browser pages, not API). They
 * are cross-site, so the SameSite=Strict session cookie is not sent: the flow's own Lax cookie
 * (set when it started, bound to its state) says that this browser started it.
 */
export const microsoft365CallbackRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  const { microsoft365 } = app.sending;
  const Query = z.record(z.string(), z.string());
  const page = (reply: FastifyReply, status: ConnectStatus) =>
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(resultPage(status));
  server.get(
    '/adminaccess/sending/microsoft365/consented',
    { schema: { hide: true, querystring: Query } },
    async (request, reply) => {
      // An error redirect may come without our state (contract section 2): show it all the same.
      if (!request.query.state && request.query.error) return page(reply, errorWithoutState(request.query));
      const next = await microsoft365.consented(request.cookies[CONNECT_COOKIE], request.query);
      if ('redirect' in next) return reply.redirect(next.redirect);
      return page(reply, next.done);
    },
  );
  server.get(
    '/adminaccess/sending/microsoft365/signed-in',
    { schema: { hide: true, querystring: Query } },
    async (request, reply) => {
      if (!request.query.state && request.query.error) return page(reply, errorWithoutState(request.query));
      return page(reply, await microsoft365.signedIn(request.cookies[CONNECT_COOKIE], request.query));
    },
  );
};

function errorWithoutState(query: Record<string, string>): ConnectStatus {
  return {
    state: '',
    stage: 'failed',
    microsoftTenantId: null,
    confirmedBy: null,
    error: `${query.error}: ${query.error_description ?? ''}`.trim(),
  };
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The tab Microsoft returned to: the outcome in both UI languages; the dialog shows it too. */
function resultPage(status: ConnectStatus): string {
  const ok = status.stage === 'done';
  const en = ok
    ? `Microsoft 365 tenant ${status.microsoftTenantId} is connected (confirmed by ${status.confirmedBy}). You can close this tab.`
    : `Connect Tenant failed: ${status.error}`;
  const de = ok
    ? `Der Microsoft-365-Mandant ${status.microsoftTenantId} ist verbunden (bestätigt von ${status.confirmedBy}). Sie können diesen Tab schließen.`
    : `Mandant verbinden fehlgeschlagen: ${status.error}`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Postvault – Connect Tenant</title></head>` +
    `<body>` +
    `<h1 data-testid="connect-result" data-stage="${status.stage}">${ok ? 'Connected' : 'Not connected'}</h1>` +
    `<p>${escape(en)}</p><p lang="de">${escape(de)}</p></body></html>`
  );
}
