import { z } from 'zod';

/** The Gateway console's shapes (docs/api-contract.md, "Gateway console"). Never anything secret. */
export const GatewayMailboxSchema = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string(),
  /** SMTP address and POP3 user name. */
  address: z.string(),
  status: z.enum(['active', 'suspended']),
  messages: z.number(),
  bytes: z.number(),
  /** Messages from before a reset without the password: nobody can read them any more. */
  unreadableMessages: z.number(),
  lastReceivedAt: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const name = z.string().trim().min(1).max(200);
const description = z.string().trim().max(1000);

export const GatewayMailboxCreateBody = z.object({ name, description: description.optional() });

export const GatewayMailboxUpdateBody = z.object({
  name: name.optional(),
  description: description.optional(),
});

/** The mailbox password appears in these answers only, and is stored nowhere. */
export const GatewayMailboxWithPasswordSchema = z.object({
  mailbox: GatewayMailboxSchema,
  password: z.string(),
});

export const GatewayResetPasswordBody = z.object({
  /** With it the content stays readable; without it a new key pair is made and the content is lost. */
  currentPassword: z.string().min(1).max(200).optional(),
});

export const GatewayResetPasswordAnswer = GatewayMailboxWithPasswordSchema.extend({
  contentKept: z.boolean(),
});
