import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.js';
import { authOf, requireSession } from '../plugins/session.plugin.js';
import { Id, RoleSchema } from '../schemas.js';
import {
  DashboardSchema,
  DomainSchema,
  GroupCreateBody,
  GroupSchema,
  GroupUpdateBody,
  MailboxCreateBody,
  MailboxSchema,
  MailboxUpdateBody,
  SecretCreateBody,
  SecretSchema,
  SecretUpdateBody,
  UserCreateBody,
  UserSchema,
  UserUpdateBody,
} from './admin.schemas.js';

const UserParams = z.object({ userId: Id });
const GroupParams = z.object({ groupId: Id });
const DomainParams = z.object({ domainId: Id });
const MailboxParams = z.object({ mailboxId: Id });
const SecretParams = z.object({ secretId: Id });

/**
 * Admin Access API (`/api/v1/admin`): tenant configuration for users with the Admin role. Every
 * handler hands the request's context to one service method; the services check the role again
 * and scope every query by the session's tenant.
 */
export const adminRoutes: FastifyPluginAsyncZod<{ app: App }> = async (server, { app }) => {
  server.addHook('preHandler', requireSession(app.auth, 'tenant', { roles: ['admin'] }));
  const { users, groups, domains, mailboxes, secrets, dashboard } = app.admin;

  server.get(
    '/dashboard',
    {
      schema: {
        tags: ['admin: dashboard'],
        summary: 'Tenant overview and inconsistencies',
        response: { 200: DashboardSchema },
      },
    },
    async (request) => dashboard.get(authOf(request)),
  );

  // Users
  const userTags = ['admin: users'];
  server.get(
    '/users',
    {
      schema: {
        tags: userTags,
        summary: 'List users',
        response: { 200: z.object({ users: z.array(UserSchema) }) },
      },
    },
    async (request) => ({ users: await users.list(authOf(request)) }),
  );
  server.post(
    '/users',
    {
      schema: {
        tags: userTags,
        summary: 'Create a local user; without a password one is generated and shown once',
        body: UserCreateBody,
        response: { 201: z.object({ user: UserSchema, password: z.string().optional() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await users.create(authOf(request), request.body)),
  );
  server.get(
    '/users/:userId',
    { schema: { tags: userTags, summary: 'One user', params: UserParams, response: { 200: UserSchema } } },
    async (request) => users.get(authOf(request), request.params.userId),
  );
  server.patch(
    '/users/:userId',
    {
      schema: {
        tags: userTags,
        summary: 'Change a user',
        params: UserParams,
        body: UserUpdateBody,
        response: { 200: UserSchema },
      },
    },
    async (request) => users.update(authOf(request), request.params.userId, request.body),
  );
  server.delete(
    '/users/:userId',
    { schema: { tags: userTags, summary: 'Delete a user (not the last admin)', params: UserParams } },
    async (request, reply) => {
      await users.delete(authOf(request), request.params.userId);
      return reply.code(204).send();
    },
  );
  server.post(
    '/users/:userId/reset-password',
    {
      schema: {
        tags: userTags,
        summary: 'Give a user a generated password, shown once; their sessions end',
        params: UserParams,
        response: { 200: z.object({ password: z.string() }) },
      },
    },
    async (request) => users.resetPassword(authOf(request), request.params.userId),
  );
  server.post(
    '/users/:userId/reset-totp',
    {
      schema: { tags: userTags, summary: "Turn off a user's second factor (lost phone)", params: UserParams },
    },
    async (request, reply) => {
      await users.resetTotp(authOf(request), request.params.userId);
      return reply.code(204).send();
    },
  );

  // Groups
  const groupTags = ['admin: groups'];
  server.get(
    '/groups',
    {
      schema: {
        tags: groupTags,
        summary: 'List groups',
        response: { 200: z.object({ groups: z.array(GroupSchema) }) },
      },
    },
    async (request) => ({ groups: await groups.list(authOf(request)) }),
  );
  server.post(
    '/groups',
    {
      schema: {
        tags: groupTags,
        summary: 'Create a group',
        body: GroupCreateBody,
        response: { 201: GroupSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await groups.create(authOf(request), request.body)),
  );
  server.get(
    '/groups/:groupId',
    {
      schema: { tags: groupTags, summary: 'One group', params: GroupParams, response: { 200: GroupSchema } },
    },
    async (request) => groups.get(authOf(request), request.params.groupId),
  );
  server.patch(
    '/groups/:groupId',
    {
      schema: {
        tags: groupTags,
        summary: 'Rename a group or set its members',
        params: GroupParams,
        body: GroupUpdateBody,
        response: { 200: GroupSchema },
      },
    },
    async (request) => groups.update(authOf(request), request.params.groupId, request.body),
  );
  server.put(
    '/groups/:groupId/roles',
    {
      schema: {
        tags: groupTags,
        summary: "Set a group's roles (the last Admin cannot be removed)",
        params: GroupParams,
        body: z.object({ roles: z.array(RoleSchema) }),
        response: { 200: GroupSchema },
      },
    },
    async (request) => groups.setRoles(authOf(request), request.params.groupId, request.body.roles),
  );
  server.delete(
    '/groups/:groupId',
    { schema: { tags: groupTags, summary: 'Delete a group', params: GroupParams } },
    async (request, reply) => {
      await groups.delete(authOf(request), request.params.groupId);
      return reply.code(204).send();
    },
  );

  // Domains
  const domainTags = ['admin: domains'];
  server.get(
    '/domains',
    {
      schema: {
        tags: domainTags,
        summary: 'List domains',
        response: { 200: z.object({ domains: z.array(DomainSchema) }) },
      },
    },
    async (request) => ({ domains: await domains.list(authOf(request)) }),
  );
  server.post(
    '/domains',
    {
      schema: {
        tags: domainTags,
        summary: 'Add a domain',
        body: z.object({ name: z.string().trim().min(1).max(253) }),
        response: { 201: DomainSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await domains.create(authOf(request), request.body)),
  );
  server.delete(
    '/domains/:domainId',
    { schema: { tags: domainTags, summary: 'Remove a local domain', params: DomainParams } },
    async (request, reply) => {
      await domains.delete(authOf(request), request.params.domainId);
      return reply.code(204).send();
    },
  );

  // Archive mailboxes
  const mailboxTags = ['admin: mailboxes'];
  server.get(
    '/mailboxes',
    {
      schema: {
        tags: mailboxTags,
        summary: 'List archive mailboxes',
        response: { 200: z.object({ mailboxes: z.array(MailboxSchema) }) },
      },
    },
    async (request) => ({ mailboxes: await mailboxes.list(authOf(request)) }),
  );
  server.post(
    '/mailboxes',
    {
      schema: {
        tags: mailboxTags,
        summary: 'Create an archive mailbox',
        body: MailboxCreateBody,
        response: { 201: MailboxSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await mailboxes.create(authOf(request), request.body)),
  );
  server.get(
    '/mailboxes/:mailboxId',
    {
      schema: {
        tags: mailboxTags,
        summary: 'One archive mailbox',
        params: MailboxParams,
        response: { 200: MailboxSchema },
      },
    },
    async (request) => mailboxes.get(authOf(request), request.params.mailboxId),
  );
  server.patch(
    '/mailboxes/:mailboxId',
    {
      schema: {
        tags: mailboxTags,
        summary: 'Change addresses, owners or shares of an archive mailbox',
        params: MailboxParams,
        body: MailboxUpdateBody,
        response: { 200: MailboxSchema },
      },
    },
    async (request) => mailboxes.update(authOf(request), request.params.mailboxId, request.body),
  );
  server.delete(
    '/mailboxes/:mailboxId',
    { schema: { tags: mailboxTags, summary: 'Delete an empty archive mailbox', params: MailboxParams } },
    async (request, reply) => {
      await mailboxes.delete(authOf(request), request.params.mailboxId);
      return reply.code(204).send();
    },
  );

  // Secrets
  const secretTags = ['admin: secrets'];
  server.get(
    '/secrets',
    {
      schema: {
        tags: secretTags,
        summary: 'List secrets (values are never returned)',
        response: { 200: z.object({ secrets: z.array(SecretSchema) }) },
      },
    },
    async (request) => ({ secrets: await secrets.list(authOf(request)) }),
  );
  server.post(
    '/secrets',
    {
      schema: {
        tags: secretTags,
        summary: 'Store a reusable credential',
        body: SecretCreateBody,
        response: { 201: SecretSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await secrets.create(authOf(request), request.body)),
  );
  server.patch(
    '/secrets/:secretId',
    {
      schema: {
        tags: secretTags,
        summary: 'Replace the name, user name or secret material',
        params: SecretParams,
        body: SecretUpdateBody,
        response: { 200: SecretSchema },
      },
    },
    async (request) => secrets.update(authOf(request), request.params.secretId, request.body),
  );
  server.delete(
    '/secrets/:secretId',
    { schema: { tags: secretTags, summary: 'Delete a secret that nothing uses', params: SecretParams } },
    async (request, reply) => {
      await secrets.delete(authOf(request), request.params.secretId);
      return reply.code(204).send();
    },
  );
};
