import { z } from 'zod';

/** Mail sending shapes (docs/api-contract.md, "Mail sending"). Secrets go in, never come out. */
const Encryption = z.enum(['none', 'starttls', 'tls']);
const Port = z.number().int().min(1).max(65535);
const Text = (max: number) => z.string().trim().max(max);
/** A new secret; null or '' removes it; left out keeps it. */
const Secret = z.string().max(1000).nullable().optional();

export const SendingRouteSchema = z.union([
  z.object({
    available: z.literal(true),
    via: z.enum(['tenant', 'system']),
    kind: z.enum(['smtp', 'microsoft365']),
  }),
  z.object({
    available: z.literal(false),
    reason: z.enum(['SYSTEM_SENDING_OFF', 'SYSTEM_SERVER_NOT_ALLOWED', 'NOT_CONFIGURED']),
  }),
]);

export const SystemMailSettingsSchema = z.object({
  enabled: z.boolean(),
  authentication: z.enum(['none', 'password', 'microsoft365']),
  host: z.string(),
  port: z.number(),
  encryption: Encryption,
  username: z.string(),
  passwordSet: z.boolean(),
  graph: z.object({ tenantId: z.string(), clientId: z.string(), clientSecretSet: z.boolean() }),
  senderAddress: z.string(),
  senderName: z.string(),
  smtputf8: z.boolean(),
  support: z.object({ address: z.string(), allowTenantAddress: z.boolean(), attachSystemInfo: z.boolean() }),
  complete: z.boolean(),
  updatedAt: z.number(),
});

export const SystemMailSettingsBody = z.object({
  enabled: z.boolean().optional(),
  authentication: z.enum(['none', 'password', 'microsoft365']).optional(),
  host: Text(253).optional(),
  port: Port.optional(),
  encryption: Encryption.optional(),
  username: Text(320).optional(),
  password: Secret,
  graph: z
    .object({ tenantId: Text(100).optional(), clientId: Text(100).optional(), clientSecret: Secret })
    .optional(),
  senderAddress: Text(320).optional(),
  senderName: Text(200).optional(),
  smtputf8: z.boolean().optional(),
  support: z
    .object({
      address: Text(320).optional(),
      allowTenantAddress: z.boolean().optional(),
      attachSystemInfo: z.boolean().optional(),
    })
    .optional(),
});

export const MailPolicySchema = z.object({ mayUseSystemServer: z.boolean(), mayConfigureOwn: z.boolean() });

export const TenantSendingSchema = z.object({
  type: z.enum(['none', 'smtp', 'microsoft365']),
  smtp: z.object({
    host: z.string(),
    port: z.number(),
    encryption: Encryption,
    username: z.string(),
    passwordSet: z.boolean(),
  }),
  senderAddress: z.string(),
  senderName: z.string(),
  smtputf8: z.boolean(),
  microsoft365: z.object({
    available: z.boolean(),
    tenantId: z.string(),
    senderId: z.string(),
    senderAddress: z.string(),
    connectedBy: z.string(),
  }),
  policy: MailPolicySchema,
  route: SendingRouteSchema,
  support: z.object({ address: z.string(), tenantAddressAllowed: z.boolean() }),
  updatedAt: z.number(),
});

export const TenantSendingBody = z.object({
  type: z.enum(['none', 'smtp', 'microsoft365']).optional(),
  smtp: z
    .object({
      host: Text(253).optional(),
      port: Port.optional(),
      encryption: Encryption.optional(),
      username: Text(320).optional(),
      password: Secret,
    })
    .optional(),
  senderAddress: Text(320).optional(),
  senderName: Text(200).optional(),
  smtputf8: z.boolean().optional(),
  microsoft365Sender: z.object({ id: Text(100).min(1), address: Text(320).min(3) }).optional(),
  supportAddress: Text(320).optional(),
});

export const TestMailBody = z.object({ to: Text(320).min(3) });

export const TestMailResultSchema = z.union([
  z.object({ sent: z.literal(true), transport: z.string(), response: z.string() }),
  z.object({
    sent: z.literal(false),
    transport: z.string().nullable(),
    error: z.string(),
    detail: z.string(),
  }),
]);

export const ConnectStatusSchema = z.object({
  state: z.string(),
  stage: z.enum(['consent', 'sign-in', 'done', 'failed']),
  microsoftTenantId: z.string().nullable(),
  confirmedBy: z.string().nullable(),
  error: z.string().nullable(),
});

export const SupportRequestBody = z.object({
  subject: Text(200).min(1),
  message: Text(20_000).min(1),
  replyTo: Text(320).optional(),
});
