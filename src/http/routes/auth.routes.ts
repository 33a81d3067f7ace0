import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Realm } from '../../db/schema.js';
import { type AuthService, LANGUAGES, TRUSTED_DEVICE_DAYS } from '../../tenancy/auth.service.js';
import type { Metrics } from '../../core/metrics.js';
import {
  clientOf,
  type CookieSettings,
  cookieOptions,
  requireSession,
  SESSION_COOKIE,
  sessionOf,
  TRUSTED_DEVICE_COOKIE,
} from '../plugins/session.plugin.js';
import { SessionSchema } from '../schemas.js';

const password = z.string().min(1).max(1024);
const TAGS: Record<Realm, string> = {
  system: 'system: session',
  tenant: 'session',
  gateway: 'gateway: session',
};

/**
 * Sign-in and the signed-in person's own settings, registered once per realm:
 * `/api/v1/system/auth` (system administrators), `/api/v1/auth` (tenant users) and
 * `/api/v1/gateway/auth` (gateway administrators). The Gateway console has no second factor, and
 * its own password is not chosen but generated ("Reset own password").
 */
export const authRoutes: FastifyPluginAsyncZod<{
  realm: Realm;
  auth: AuthService;
  cookies: CookieSettings;
  metrics: Pick<Metrics, 'signIns'>;
}> = async (app, { realm, auth, cookies, metrics }) => {
  const tags = [TAGS[realm]];
  const guard = requireSession(auth, realm);
  const loginField =
    realm === 'tenant'
      ? { login: z.string().min(3).max(300).describe('name@customer, e.g. admin@acme') }
      : { username: z.string().min(1).max(200).describe(`the ${realm} administrator name`) };

  app.post(
    '/sign-in',
    {
      schema: {
        tags,
        summary: 'Sign in; answers 401 TOTP_REQUIRED when the second factor is missing',
        body: z.object({
          ...loginField,
          password,
          totpCode: z.string().max(16).optional(),
          recoveryCode: z.string().max(32).optional(),
          trustDevice: z.boolean().optional(),
        }),
        response: { 200: SessionSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as typeof request.body & { username?: string; login?: string };
      try {
        const result = await auth.signIn(
          realm,
          {
            login: body.username ?? body.login ?? '',
            password: body.password,
            totpCode: body.totpCode,
            recoveryCode: body.recoveryCode,
            trustDevice: body.trustDevice,
            trustedDeviceToken: request.cookies[TRUSTED_DEVICE_COOKIE[realm]],
          },
          clientOf(request),
        );
        metrics.signIns.inc({ realm, outcome: 'success' });
        reply.setCookie(SESSION_COOKIE[realm], result.sessionToken, cookieOptions(request, cookies));
        if (result.trustedDeviceToken) {
          reply.setCookie(TRUSTED_DEVICE_COOKIE[realm], result.trustedDeviceToken, {
            ...cookieOptions(request, cookies),
            maxAge: TRUSTED_DEVICE_DAYS * 24 * 3600,
          });
        }
        return result.active.view;
      } catch (error) {
        metrics.signIns.inc({ realm, outcome: 'failure' });
        throw error;
      }
    },
  );

  app.get(
    '/session',
    { preHandler: guard, schema: { tags, summary: 'The current session', response: { 200: SessionSchema } } },
    async (request) => sessionOf(request).view,
  );

  app.post(
    '/sign-out',
    { preHandler: guard, schema: { tags, summary: 'Sign out: the session ends on the server' } },
    async (request, reply) => {
      await auth.signOut(sessionOf(request), clientOf(request));
      reply.clearCookie(SESSION_COOKIE[realm], { path: '/' });
      return reply.code(204).send();
    },
  );

  if (realm === 'gateway') {
    app.post(
      '/password',
      {
        preHandler: guard,
        schema: {
          tags,
          summary:
            'Reset the own password: a new random one, shown only in this answer (other sessions of this account end)',
          body: z.object({ currentPassword: password }),
          response: { 200: z.object({ password: z.string() }) },
        },
      },
      async (request, reply) => {
        const result = await auth.resetOwnPassword(
          sessionOf(request),
          request.body.currentPassword,
          clientOf(request),
        );
        return reply.header('cache-control', 'no-store').send(result);
      },
    );
  } else {
    app.post(
      '/password',
      {
        preHandler: guard,
        schema: {
          tags,
          summary: 'Change the own password (other sessions of this account end)',
          body: z.object({ currentPassword: password, newPassword: password }),
        },
      },
      async (request, reply) => {
        await auth.changePassword(sessionOf(request), request.body, clientOf(request));
        return reply.code(204).send();
      },
    );
  }

  app.put(
    '/language',
    {
      preHandler: guard,
      schema: {
        tags,
        summary: 'Choose the interface language',
        body: z.object({ language: z.enum(LANGUAGES) }),
        response: { 200: SessionSchema },
      },
    },
    async (request) => {
      const session = sessionOf(request);
      await auth.setLanguage(session, request.body.language);
      return { ...session.view, user: { ...session.view.user, language: request.body.language } };
    },
  );

  // Two-factor sign-in: System console and tenant faces.
  if (realm === 'gateway') return;

  app.post(
    '/totp/setup',
    {
      preHandler: guard,
      schema: {
        tags,
        summary: 'Start two-factor enrolment: a new secret and its QR code',
        response: {
          200: z.object({ secret: z.string(), otpauthUri: z.string(), qrCodeDataUrl: z.string() }),
        },
      },
    },
    async (request) => auth.setUpTotp(sessionOf(request)),
  );

  app.post(
    '/totp/enable',
    {
      preHandler: guard,
      schema: {
        tags,
        summary: 'Turn two-factor sign-in on with a code from the app; returns recovery codes once',
        body: z.object({ code: z.string().min(6).max(16) }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }) },
      },
    },
    async (request) => auth.enableTotp(sessionOf(request), request.body.code, clientOf(request)),
  );

  app.post(
    '/totp/disable',
    {
      preHandler: guard,
      schema: {
        tags,
        summary: 'Turn two-factor sign-in off (needs the password)',
        body: z.object({ password }),
      },
    },
    async (request, reply) => {
      await auth.disableTotp(sessionOf(request), request.body.password, clientOf(request));
      return reply.code(204).send();
    },
  );
};
