import { z } from 'zod';
import { ROLES, type Role } from '../db/schema.js';

/** Response shapes shared by several faces (docs/api-contract.md). */
export const RoleSchema = z.enum(ROLES as [Role, ...Role[]]);

export const SessionSchema = z.object({
  realm: z.enum(['system', 'tenant', 'gateway']),
  user: z.object({
    id: z.number(),
    login: z.string(),
    displayName: z.string(),
    language: z.string(),
    totpEnabled: z.boolean(),
  }),
  tenant: z.object({ id: z.number(), slug: z.string(), name: z.string() }).nullable(),
  roles: z.array(RoleSchema),
  csrfToken: z.string(),
  expiresAt: z.number(),
});

export const QuotasSchema = z.object({
  maxUsers: z.number().int().min(0).nullable(),
  maxMailboxes: z.number().int().min(0).nullable(),
  maxStorageBytes: z.number().int().min(0).nullable(),
});

export const UsageSchema = z.object({
  users: z.number(),
  mailboxes: z.number(),
  messages: z.number(),
  storageBytes: z.number(),
});

export const TenantSummarySchema = z.object({
  id: z.number(),
  slug: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  createdAt: z.number(),
  quotas: QuotasSchema,
  usage: UsageSchema,
});

/** A numeric id in a path (`/users/:userId`). */
export const Id = z.coerce.number().int().positive();

export const AuditQuerySchema = z.object({
  action: z.string().max(200).optional(),
  actor: z.string().max(300).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.coerce.number().int().optional(),
  to: z.coerce.number().int().optional(),
  before: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const AuditEntriesSchema = z.object({
  entries: z.array(
    z.object({
      id: z.number(),
      seq: z.number(),
      at: z.number(),
      actor: z.object({ kind: z.string(), id: z.number().nullable(), name: z.string() }),
      ip: z.string().nullable(),
      action: z.string(),
      target: z
        .object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() })
        .nullable(),
      outcome: z.enum(['success', 'failure', 'denied']),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  nextBefore: z.number().nullable(),
});
