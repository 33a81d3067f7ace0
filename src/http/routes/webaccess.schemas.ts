import { z } from 'zod';
import { Id } from '../schemas.js';

const Address = z.object({ name: z.string(), address: z.string() });

const Folder = z.object({
  id: z.number(),
  path: z.string(),
  name: z.string(),
  parentId: z.number().nullable(),
  messageCount: z.number(),
});

const Mailbox = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(['user', 'journal', 'shared']),
  messageCount: z.number(),
  folders: z.array(Folder),
});

export const MailboxesSchema = z.object({
  mine: z.array(Mailbox),
  shared: z.array(Mailbox),
  others: z.array(Mailbox),
});

export const MessageListQuery = z.object({
  q: z.string().max(2000).default(''),
  mailboxId: Id.optional(),
  folderId: Id.optional(),
  sort: z.enum(['date', 'from', 'subject', 'size']).default('date'),
  order: z.enum(['asc', 'desc']).default('desc'),
  // The cursor carries the last row's sort key (a subject can be long).
  cursor: z.string().max(16_000).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const MessageListSchema = z.object({
  results: z.array(
    z.object({
      id: z.number(),
      mailboxId: z.number(),
      mailbox: z.string(),
      folderId: z.number(),
      folder: z.string(),
      date: z.number().nullable(),
      from: z.string(),
      fromName: z.string(),
      to: z.string(),
      subject: z.string(),
      size: z.number(),
      hasAttachments: z.boolean(),
      subjectMarked: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
  terms: z.array(z.string()),
});

export const MessageDetailSchema = z.object({
  id: z.number(),
  mailboxId: z.number(),
  mailbox: z.string(),
  folderId: z.number(),
  folder: z.string(),
  date: z.number().nullable(),
  archivedAt: z.number(),
  messageId: z.string().nullable(),
  from: z.array(Address),
  to: z.array(Address),
  cc: z.array(Address),
  bcc: z.array(Address),
  replyTo: z.array(Address),
  subject: z.string(),
  size: z.number(),
  sha256: z.string(),
  text: z.string(),
  textMarked: z.string().nullable(),
  hasHtml: z.boolean(),
  hasExternalContent: z.boolean(),
  attachments: z.array(
    z.object({
      index: z.number(),
      filename: z.string(),
      contentType: z.string(),
      size: z.number(),
      contentId: z.string().nullable(),
      inline: z.boolean(),
    }),
  ),
  envelope: z
    .object({
      sender: z.string(),
      onBehalfOf: z.string().nullable(),
      firstReceivedAt: z.number(),
      lastReceivedAt: z.number(),
      reports: z.number(),
      recipients: z.array(
        z.object({
          address: z.string(),
          kind: z.enum(['to', 'cc', 'bcc', 'recipient']),
          expandedFrom: z.string().nullable(),
          forwardedFrom: z.string().nullable(),
        }),
      ),
    })
    .nullable(),
  problems: z.array(z.string()),
  owned: z.boolean(),
});

export const ExportBody = z
  .object({
    format: z.enum(['zip', 'mbox']),
    messageIds: z.array(z.number().int().positive()).min(1).max(100_000).optional(),
    search: z
      .object({
        q: z.string().max(2000).default(''),
        mailboxId: z.number().int().positive().optional(),
        folderId: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .refine((body) => (body.messageIds === undefined) !== (body.search === undefined), {
    message: 'give either messageIds or search',
    path: ['messageIds'],
  });

export const ExportStatusSchema = z.object({
  id: z.string(),
  format: z.enum(['zip', 'mbox']),
  status: z.enum(['ready', 'running', 'done', 'failed']),
  messages: z.number(),
  written: z.number(),
  bytes: z.number(),
  bytesWritten: z.number(),
  error: z.string().nullable(),
});
