import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { Id } from '../schemas.js';
import {
  JournalEndpointCreateBody,
  JournalEndpointSchema,
  JournalEndpointUpdateBody,
} from './journal-endpoints.schemas.js';

const EndpointParams = z.object({ endpointId: Id });
const tags = ['admin: journal endpoints'];

/**
 * Journal endpoints in Admin Access (`/api/v1/admin/journal-endpoints`), for users with the Admin
 * role. Each handler calls one JournalEndpointsService method, which checks the role again and
 * scopes every query by the session's tenant.
 */
export const journalEndpointRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant', { roles: ['admin'] }));
  const endpoints = app.admin.journalEndpoints;

  server.get(
    '',
    {
      schema: {
        tags,
        summary: 'List journal endpoints with their addresses and what they received',
        response: { 200: z.object({ journalEndpoints: z.array(JournalEndpointSchema) }) },
      },
    },
    async (request) => ({ journalEndpoints: await endpoints.list(authOf(request)) }),
  );
  server.post(
    '',
    {
      schema: {
        tags,
        summary:
          'Create a journal endpoint for a journal mailbox (mailboxId), or with a new one (newMailbox)',
        body: JournalEndpointCreateBody,
        response: { 201: JournalEndpointSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await endpoints.create(authOf(request), request.body)),
  );
  server.get(
    '/:endpointId',
    {
      schema: {
        tags,
        summary: 'One journal endpoint',
        params: EndpointParams,
        response: { 200: JournalEndpointSchema },
      },
    },
    async (request) => endpoints.get(authOf(request), request.params.endpointId),
  );
  server.patch(
    '/:endpointId',
    {
      schema: {
        tags,
        summary: 'Rename, enable or disable a journal endpoint, or change its mailbox',
        params: EndpointParams,
        body: JournalEndpointUpdateBody,
        response: { 200: JournalEndpointSchema },
      },
    },
    async (request) => endpoints.update(authOf(request), request.params.endpointId, request.body),
  );
  server.post(
    '/:endpointId/regenerate-address',
    {
      schema: {
        tags,
        summary: 'Give a journal endpoint a new SMTP address; the old one stops working',
        params: EndpointParams,
        response: { 200: JournalEndpointSchema },
      },
    },
    async (request) => endpoints.regenerateAddress(authOf(request), request.params.endpointId),
  );
  server.delete(
    '/:endpointId',
    {
      schema: {
        tags,
        summary: 'Delete a journal endpoint (its mailbox and messages stay)',
        params: EndpointParams,
      },
    },
    async (request, reply) => {
      await endpoints.delete(authOf(request), request.params.endpointId);
      return reply.code(204).send();
    },
  );
};
