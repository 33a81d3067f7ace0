import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { App } from '../../app.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { ProcessLogPageSchema, ProcessLogQuerySchema } from './process-log.schemas.js';

/**
 * The process log in Admin Access (`/api/v1/admin/process-log`), for users with the Admin or the
 * Auditor role. ProcessLogService checks the roles again and scopes the query by the session's tenant.
 */
export const processLogRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant', { roles: ['admin', 'auditor'] }));
  const processLog = app.admin.processLog;

  server.get(
    '',
    {
      schema: {
        tags: ['admin: process log'],
        summary: "What the tenant's background processes reported, newest first (Admin or Auditor role)",
        querystring: ProcessLogQuerySchema,
        response: { 200: ProcessLogPageSchema },
      },
    },
    async (request) => processLog.list(authOf(request), request.query),
  );
};
