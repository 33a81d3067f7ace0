import { z } from 'zod';
import { QuotasSchema, RoleSchema, UsageSchema } from '../schemas.js';

/** Admin Access shapes (docs/api-contract.md, "Admin Access"). */
const origin = z.enum(['local', 'entra', 'ldap']);
const address = z.string().trim().max(320);
const UserRef = z.object({ id: z.number(), login: z.string(), displayName: z.string() });

export const UserSchema = z.object({
  id: z.number(),
  name: z.string(),
  login: z.string(),
  displayName: z.string(),
  origin,
  disabled: z.boolean(),
  provisioned: z.boolean(),
  primaryAddress: z.string().nullable(),
  addresses: z.array(z.string()),
  groups: z.array(z.object({ id: z.number(), name: z.string() })),
  roles: z.array(RoleSchema),
  totpEnabled: z.boolean(),
  lastSignInAt: z.number().nullable(),
  createdAt: z.number(),
});

export const UserCreateBody = z.object({
  name: z.string().trim().min(1).max(64),
  displayName: z.string().trim().max(200).optional(),
  primaryAddress: address.optional(),
  addresses: z.array(address).max(100).optional(),
  password: z.string().max(1024).optional(),
});

export const UserUpdateBody = z.object({
  displayName: z.string().trim().max(200).optional(),
  primaryAddress: address.nullable().optional(),
  addresses: z.array(address).max(100).optional(),
  disabled: z.boolean().optional(),
});

export const GroupSchema = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string(),
  origin,
  members: z.array(UserRef),
  roles: z.array(RoleSchema),
  createdAt: z.number(),
});

export const GroupCreateBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(1000).optional(),
  memberIds: z.array(z.number().int().positive()).max(10_000).optional(),
  roles: z.array(RoleSchema).optional(),
});

export const GroupUpdateBody = GroupCreateBody.omit({ roles: true }).partial();

export const DomainSchema = z.object({ id: z.number(), name: z.string(), origin, createdAt: z.number() });

export const MailboxSchema = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(['user', 'journal', 'shared']),
  primaryAddress: z.string().nullable(),
  secondaryAddresses: z.array(z.string()),
  owners: z.array(UserRef),
  sharedWith: z.array(z.object({ id: z.number(), name: z.string() })),
  messages: z.number(),
  storageBytes: z.number(),
  createdAt: z.number(),
});

export const MailboxCreateBody = z.object({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['user', 'journal', 'shared']),
  primaryAddress: address.nullable().optional(),
  secondaryAddresses: z.array(address).max(100).optional(),
  ownerIds: z.array(z.number().int().positive()).max(1000).optional(),
  sharedGroupIds: z.array(z.number().int().positive()).max(1000).optional(),
});

export const MailboxUpdateBody = MailboxCreateBody.partial();

export const SecretSchema = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(['password', 'certificate']),
  username: z.string().nullable(),
  isSet: z.literal(true),
  inUse: z.boolean(),
  usedBy: z.array(z.string()),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const SecretCreateBody = z.object({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['password', 'certificate']),
  username: z.string().max(500).optional(),
  password: z.string().max(4096).optional(),
  certificate: z.string().max(200_000).optional(),
  certificatePassword: z.string().max(4096).optional(),
});

export const SecretUpdateBody = SecretCreateBody.partial();

const Volume = z.object({ messages: z.number(), bytes: z.number() });

export const DashboardSchema = z.object({
  tenant: z.object({
    id: z.number(),
    slug: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
  }),
  quotas: QuotasSchema,
  usage: UsageSchema,
  counts: z.object({ users: z.number(), groups: z.number(), mailboxes: z.number(), messages: z.number() }),
  volume: z.object({
    last24h: Volume,
    last30d: Volume,
    allTime: Volume,
    daily: z.array(z.object({ day: z.string(), messages: z.number(), bytes: z.number() })),
  }),
  jobs: z.object({ running: z.number(), failed24h: z.number() }),
  inconsistencies: z.array(
    z.object({ code: z.string(), params: z.record(z.string(), z.unknown()), link: z.string() }),
  ),
});
