import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.js';
import { ValidationError } from '../../core/errors.js';
import { WrongPasswordError } from '../../gateway/gateway-crypto.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { Id } from '../schemas.js';
import {
  GatewayMailboxCreateBody,
  GatewayMailboxSchema,
  GatewayMailboxUpdateBody,
  GatewayMailboxWithPasswordSchema,
  GatewayResetPasswordAnswer,
  GatewayResetPasswordBody,
} from './gateway.schemas.js';

const MailboxParams = z.object({ gatewayMailboxId: Id });
const tags = ['gateway: mailboxes'];
// Answers that carry a mailbox password: no cache anywhere may keep them.
const NO_STORE = 'no-store';

/**
 * The Gateway console's API (`/api/v1/gateway`), for gateway administrators only. Each handler
 * calls one GatewayService method, which checks the actor again.
 */
export const gatewayRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'gateway'));
  const gateway = app.gateway.service;

  server.get(
    '/mailboxes',
    {
      schema: {
        tags,
        summary: 'All gateway mailboxes with status, SMTP address, message count, size, last received',
        response: { 200: z.object({ mailboxes: z.array(GatewayMailboxSchema) }) },
      },
    },
    async (request) => ({ mailboxes: await gateway.list(authOf(request)) }),
  );

  server.post(
    '/mailboxes',
    {
      schema: {
        tags,
        summary:
          'Create a mailbox with a new key pair; its password is in this answer only and cannot be recovered',
        body: GatewayMailboxCreateBody,
        response: { 201: GatewayMailboxWithPasswordSchema },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .header('cache-control', NO_STORE)
        .send(await gateway.create(authOf(request), request.body)),
  );

  server.get(
    '/mailboxes/:gatewayMailboxId',
    {
      schema: {
        tags,
        summary: 'One gateway mailbox',
        params: MailboxParams,
        response: { 200: GatewayMailboxSchema },
      },
    },
    async (request) => gateway.get(authOf(request), request.params.gatewayMailboxId),
  );

  server.patch(
    '/mailboxes/:gatewayMailboxId',
    {
      schema: {
        tags,
        summary: 'Rename a mailbox or change its description',
        params: MailboxParams,
        body: GatewayMailboxUpdateBody,
        response: { 200: GatewayMailboxSchema },
      },
    },
    async (request) => gateway.update(authOf(request), request.params.gatewayMailboxId, request.body),
  );

  server.delete(
    '/mailboxes/:gatewayMailboxId',
    {
      schema: {
        tags,
        summary: 'Delete a mailbox and destroy its content; confirmName must repeat the name',
        params: MailboxParams,
        body: z.object({ confirmName: z.string().max(200) }),
      },
    },
    async (request, reply) => {
      const ctx = authOf(request);
      const mailbox = await gateway.get(ctx, request.params.gatewayMailboxId);
      if (request.body.confirmName.trim() !== mailbox.name) {
        throw new ValidationError('type the mailbox name to confirm the deletion', {
          issues: [{ path: 'confirmName', message: 'does not match the mailbox name' }],
        });
      }
      await gateway.delete(ctx, mailbox.id);
      return reply.code(204).send();
    },
  );

  for (const action of ['suspend', 'resume'] as const) {
    server.post(
      `/mailboxes/:gatewayMailboxId/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'suspend'
              ? 'Suspend: SMTP intake answers 450 (senders retry later); POP3 still gives out what is there'
              : 'Resume a suspended mailbox',
          params: MailboxParams,
          response: { 200: GatewayMailboxSchema },
        },
      },
      async (request) => gateway[action](authOf(request), request.params.gatewayMailboxId),
    );
  }

  server.post(
    '/mailboxes/:gatewayMailboxId/reset-password',
    {
      schema: {
        tags,
        summary:
          'A new generated password. With currentPassword the content stays readable; without it a new key pair is made and the content so far can never be read again',
        params: MailboxParams,
        body: GatewayResetPasswordBody,
        response: { 200: GatewayResetPasswordAnswer },
      },
    },
    async (request, reply) => {
      try {
        const result = await gateway.resetPassword(
          authOf(request),
          request.params.gatewayMailboxId,
          request.body,
        );
        return reply.header('cache-control', NO_STORE).send(result);
      } catch (error) {
        // A wrong mailbox password is a wrong field here, not a lost session (401 would sign out).
        if (error instanceof WrongPasswordError) {
          throw new ValidationError('the current mailbox password is wrong', {
            issues: [{ path: 'currentPassword', message: 'the current mailbox password is wrong' }],
          });
        }
        throw error;
      }
    },
  );

  server.post(
    '/mailboxes/:gatewayMailboxId/purge-unreadable',
    {
      schema: {
        tags,
        summary: 'Remove the messages nobody can read any more (from before a reset without the password)',
        params: MailboxParams,
        response: { 200: z.object({ messages: z.number(), bytes: z.number() }) },
      },
    },
    async (request) => gateway.purgeUnreadable(authOf(request), request.params.gatewayMailboxId),
  );
};
