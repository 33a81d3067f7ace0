import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { AuditRecorder } from '../../compliance/audit-log.types.js';
import {
  ConflictError,
  ForbiddenError,
  IntegrityError,
  NotFoundError,
  PostvaultError,
  RateLimitedError,
  TemporaryError,
  UnauthenticatedError,
  ValidationError,
} from '../../core/errors.js';
import { TotpRequiredError } from '../../tenancy/auth.service.js';

/** A state-changing request without the session's CSRF token. */
export class CsrfError extends ForbiddenError {
  override name = 'CsrfError';
}

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The one mapping from error classes to HTTP answers (docs/api-contract.md, "Errors"). Order matters. */
const MAPPING: Array<[new (...args: never[]) => PostvaultError, number, string]> = [
  [TotpRequiredError, 401, 'TOTP_REQUIRED'],
  [UnauthenticatedError, 401, 'UNAUTHENTICATED'],
  [CsrfError, 403, 'CSRF_TOKEN_INVALID'],
  [ForbiddenError, 403, 'FORBIDDEN'],
  [NotFoundError, 404, 'NOT_FOUND'],
  [ConflictError, 409, 'CONFLICT'],
  [ValidationError, 400, 'VALIDATION'],
  [RateLimitedError, 429, 'RATE_LIMITED'],
  [TemporaryError, 503, 'TEMPORARY'],
  [IntegrityError, 500, 'INTEGRITY'],
];

export function toErrorBody(error: unknown): ErrorBody {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: issue.message ?? 'invalid',
    }));
    const where = error.validationContext ?? 'request';
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    return {
      statusCode: 400,
      code: 'VALIDATION',
      message: `invalid ${where}: ${summary}`,
      details: { issues },
    };
  }
  if (error instanceof PostvaultError) {
    const mapped = MAPPING.find(([type]) => error instanceof type);
    // An unmapped error is a bug: its message may name internals, so the answer stays generic.
    if (mapped) {
      const [, statusCode, code] = mapped;
      return { statusCode, code, message: error.message, ...(error.details && { details: error.details }) };
    }
    return { statusCode: 500, code: 'INTERNAL', message: 'internal error; the server log has the details' };
  }
  const fastifyError = error as FastifyError;
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    // Fastify's own 4xx: unparseable JSON, wrong content type, body too large.
    return { statusCode: fastifyError.statusCode, code: 'VALIDATION', message: fastifyError.message };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'internal error; the server log has the details' };
}

/**
 * Maps errors once for every route, and writes authorization failures of signed-in people to the
 * audit log (the sign-in code records its own failures).
 */
export const errorsPlugin = fp(
  async (app: FastifyInstance, options: { audit: AuditRecorder }) => {
    app.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const body = toErrorBody(error);
      if (body.statusCode >= 500 || isResponseSerializationError(error)) {
        request.log.error({ err: error }, 'request failed');
      }
      if (body.statusCode === 403 && request.session) {
        await options.audit.record({
          tenantId: request.session.auth.tenantId,
          actor: request.session.auth.actor,
          ip: request.ip,
          action: 'authorization',
          target: { type: 'route', label: `${request.method} ${request.routeOptions.url ?? request.url}` },
          outcome: 'denied',
          details: { reason: body.message },
        });
      }
      if (error instanceof RateLimitedError) reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(body.statusCode).send(body);
    });
    app.setNotFoundHandler(async (request, reply) =>
      reply
        .code(404)
        .send({ statusCode: 404, code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` }),
    );
  },
  { name: 'postvault-errors' },
);
