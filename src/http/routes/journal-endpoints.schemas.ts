import { z } from 'zod';

/** Admin Access's journal endpoint shapes (docs/api-contract.md, "Admin Access"). */
export const JournalEndpointSchema = z.object({
  id: z.number(),
  name: z.string(),
  address: z.string(),
  mailbox: z.object({ id: z.number(), name: z.string() }),
  enabled: z.boolean(),
  messages24h: z.number(),
  messages30d: z.number(),
  lastReceivedAt: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const name = z.string().trim().min(1).max(200);
const mailboxId = z.number().int().positive();

export const JournalEndpointCreateBody = z.object({
  name,
  /** An existing journal mailbox… */
  mailboxId: mailboxId.optional(),
  /** …or a new one, created with the endpoint. */
  newMailbox: z.object({ name: z.string().trim().min(1).max(200) }).optional(),
});

export const JournalEndpointUpdateBody = z.object({
  name: name.optional(),
  mailboxId: mailboxId.optional(),
  enabled: z.boolean().optional(),
});
