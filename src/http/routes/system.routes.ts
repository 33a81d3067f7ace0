import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLogService } from '../../compliance/audit-log.service.js';
import type { AuthService } from '../../tenancy/auth.service.js';
import type { TenantManagementService } from '../../tenancy/tenant-management.service.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { AuditEntriesSchema, AuditQuerySchema, Id, QuotasSchema, TenantSummarySchema } from '../schemas.js';

const tags = ['system: tenants'];
const TenantParams = z.object({ tenantId: Id });
const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'lower-case letters, digits and dashes, starting with a letter or digit',
  );
const AdminCredentials = z.object({ login: z.string(), password: z.string() });

/** The System console's API: tenants and the installation's audit chain. System administrators only. */
export const systemRoutes: FastifyPluginAsyncZod<{
  auth: AuthService;
  tenants: TenantManagementService;
  audit: AuditLogService;
}> = async (app, { auth, tenants, audit }) => {
  app.addHook('preHandler', requireSession(auth, 'system'));

  app.get(
    '/tenants',
    {
      schema: {
        tags,
        summary: 'All tenants with quotas and usage',
        response: { 200: z.object({ tenants: z.array(TenantSummarySchema) }) },
      },
    },
    async (request) => ({ tenants: await tenants.list(authOf(request)) }),
  );

  app.post(
    '/tenants',
    {
      schema: {
        tags,
        summary:
          'Create a tenant and its admin (admin@slug); the password is shown once, and mailed to adminEmail when given',
        body: z.object({
          slug,
          name: z.string().trim().min(1).max(200),
          quotas: QuotasSchema.partial().optional(),
          adminEmail: z.string().trim().max(320).optional(),
        }),
        response: {
          201: z.object({
            tenant: TenantSummarySchema,
            admin: AdminCredentials,
            credentialsMail: z
              .object({ to: z.string(), queued: z.boolean(), error: z.string().nullable() })
              .optional(),
          }),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await tenants.create(authOf(request), request.body)),
  );

  app.get(
    '/tenants/:tenantId',
    { schema: { tags, summary: 'One tenant', params: TenantParams, response: { 200: TenantSummarySchema } } },
    async (request) => tenants.get(authOf(request), request.params.tenantId),
  );

  app.patch(
    '/tenants/:tenantId',
    {
      schema: {
        tags,
        summary: 'Rename a tenant or change its quotas (null = unlimited)',
        params: TenantParams,
        body: z.object({
          name: z.string().trim().min(1).max(200).optional(),
          quotas: QuotasSchema.partial().optional(),
        }),
        response: { 200: TenantSummarySchema },
      },
    },
    async (request) => tenants.update(authOf(request), request.params.tenantId, request.body),
  );

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['resume', 'active'],
  ] as const) {
    app.post(
      `/tenants/:tenantId/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'suspend' ? 'Suspend: nobody of the tenant can sign in' : 'Resume a suspended tenant',
          params: TenantParams,
          response: { 200: TenantSummarySchema },
        },
      },
      async (request) => tenants.setStatus(authOf(request), request.params.tenantId, status),
    );
  }

  app.post(
    '/tenants/:tenantId/reset-admin',
    {
      schema: {
        tags,
        summary: 'Re-create or reset the provisioned admin; the new password is shown once',
        params: TenantParams,
        response: { 200: AdminCredentials },
      },
    },
    async (request) => tenants.resetAdmin(authOf(request), request.params.tenantId),
  );

  app.delete(
    '/tenants/:tenantId',
    {
      schema: {
        tags,
        summary: 'Delete a tenant and all it owns; confirmSlug must repeat the slug',
        params: TenantParams,
        body: z.object({ confirmSlug: z.string() }),
      },
    },
    async (request, reply) => {
      await tenants.delete(authOf(request), request.params.tenantId, request.body.confirmSlug);
      return reply.code(204).send();
    },
  );

  app.get(
    '/audit',
    {
      schema: {
        tags: ['system: audit'],
        summary: "The installation's audit chain (system administrators' actions), newest first",
        querystring: AuditQuerySchema,
        response: { 200: AuditEntriesSchema },
      },
    },
    async (request) => audit.listSystem(authOf(request), request.query),
  );
};
