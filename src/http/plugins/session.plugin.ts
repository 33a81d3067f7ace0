import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '../../core/errors.js';
import type { Realm, Role } from '../../db/schema.js';
import type { AuthContext } from '../../tenancy/access.js';
import type { ActiveSession, AuthService, ClientInfo } from '../../tenancy/auth.service.js';
import { CsrfError } from './errors.plugin.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, filled by `requireSession` (null on public routes). */
    session: ActiveSession | null;
  }
}

export const SESSION_COOKIE: Record<Realm, string> = {
  system: 'pv_system',
  tenant: 'pv_session',
  gateway: 'pv_gateway',
};
export const TRUSTED_DEVICE_COOKIE: Record<Realm, string> = {
  system: 'pv_trusted_system',
  tenant: 'pv_trusted',
  gateway: 'pv_trusted_gateway',
};
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CookieSettings {
  secure: boolean;
}

export function cookieOptions(request: FastifyRequest, settings: CookieSettings) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: settings.secure || request.protocol === 'https',
  };
}

export function clientOf(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' };
}

/** The use-case context of a guarded route's request. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.session) throw new UnauthenticatedError('sign in first');
  return { ...request.session.auth, ip: request.ip };
}

export function sessionOf(request: FastifyRequest): ActiveSession {
  if (!request.session) throw new UnauthenticatedError('sign in first');
  return request.session;
}

/**
 * Route guard: a valid session of the realm, and for state-changing methods the session's CSRF
 * token in `x-csrf-token` (the cookie alone proves nothing: a browser sends it with forged requests).
 */
export function requireSession(
  auth: Pick<AuthService, 'resolveSession'>,
  realm: Realm,
  options: { roles?: Role[] } = {},
): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = request.cookies[SESSION_COOKIE[realm]];
    const session = token ? await auth.resolveSession(realm, token) : undefined;
    if (!session) {
      if (token) reply.clearCookie(SESSION_COOKIE[realm], { path: '/' });
      throw new UnauthenticatedError('sign in first; the session has ended or never existed');
    }
    request.session = session;
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      const expected = Buffer.from(session.view.csrfToken);
      if (typeof sent !== 'string' || !safeEqual(Buffer.from(sent), expected)) {
        throw new CsrfError("this request lacks the session's CSRF token (header x-csrf-token)");
      }
    }
    if (options.roles && !options.roles.some((role) => session.view.roles.includes(role))) {
      throw new ForbiddenError(`this needs one of the roles: ${options.roles.join(', ')}`, {
        roles: options.roles,
      });
    }
  };
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
