import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuditLogService } from '../../compliance/audit-log.service.js';
import type { AuthService } from '../../tenancy/auth.service.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { AuditEntriesSchema, AuditQuerySchema } from '../schemas.js';

/** The tenant's audit log, for the Auditor role (the service checks the role). */
export const auditRoutes: FastifyPluginAsyncZod<{ auth: AuthService; audit: AuditLogService }> = async (
  app,
  { auth, audit },
) => {
  app.get(
    '/',
    {
      preHandler: requireSession(auth, 'tenant'),
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit log, newest first (Auditor role)",
        querystring: AuditQuerySchema,
        response: { 200: AuditEntriesSchema },
      },
    },
    async (request) => audit.list(authOf(request), request.query),
  );
};
