import PostalMime, { type Attachment, type Email } from 'postal-mime';
import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import { htmlToText } from '../mime/html-to-text.js';
import type { MailAddress } from '../mime/mime.types.js';
import { contentIdKey, renderSafeHtml, safeHtmlDocument } from '../mime/safe-html.js';
import { extractHighlightTerms, markMatches, type HighlightTerm } from '../search/highlight.js';
import type { SearchService, SearchSort } from '../search/search.service.js';
import { hasRole, type AuthContext } from '../tenancy/access.js';
import type { ArchiveService } from './archive.service.js';
import type { MessageSummary } from './archive.types.js';
import type { MessageAccess, ReadReason } from './message-access.js';

export interface WebAccessFolder {
  id: number;
  path: string;
  name: string;
  parentId: number | null;
  messageCount: number;
}

export interface WebAccessMailbox {
  id: number;
  name: string;
  kind: 'user' | 'journal' | 'shared';
  messageCount: number;
  folders: WebAccessFolder[];
}

export interface MessageListRequest {
  q: string;
  mailboxId?: number;
  folderId?: number;
  sort: Exclude<SearchSort, 'relevance'>;
  order: 'asc' | 'desc';
  cursor?: string;
  limit: number;
}

export interface MessageRow extends Omit<MessageSummary, 'contentId' | 'sha256'> {
  to: string;
  subjectMarked: string | null;
}

export interface AttachmentView {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  /** Shown inside the HTML body (a referenced cid: image), not only in the attachment list. */
  inline: boolean;
}

export interface EnvelopeView {
  sender: string;
  onBehalfOf: string | null;
  firstReceivedAt: number;
  lastReceivedAt: number;
  reports: number;
  recipients: Array<{
    address: string;
    kind: 'to' | 'cc' | 'bcc' | 'recipient';
    expandedFrom: string | null;
    forwardedFrom: string | null;
  }>;
}

export interface MessageDetail {
  id: number;
  mailboxId: number;
  mailbox: string;
  folderId: number;
  folder: string;
  date: number | null;
  archivedAt: number;
  messageId: string | null;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  replyTo: MailAddress[];
  subject: string;
  size: number;
  sha256: string;
  text: string;
  textMarked: string | null;
  hasHtml: boolean;
  hasExternalContent: boolean;
  attachments: AttachmentView[];
  envelope: EnvelopeView | null;
  problems: string[];
  owned: boolean;
}

export interface WebAccessServiceDeps {
  db: Db;
  archive: ArchiveService;
  search: SearchService;
  access: MessageAccess;
  audit: AuditRecorder;
}

/** Inline images larger than this are left to the attachment list rather than embedded. */
const MAX_INLINE_IMAGE_BYTES = 10 * 1024 * 1024;

/**
 * What Web Access shows an end user: the mailboxes they may read, their messages found and sorted,
 * one message made safe to read, its parts and its exact bytes. Every method checks the Reader or
 * Compliance role and the mailbox first; a message the user may not read is "not found".
 */
export class WebAccessService {
  constructor(private readonly deps: WebAccessServiceDeps) {}

  async mailboxes(
    ctx: AuthContext,
  ): Promise<{ mine: WebAccessMailbox[]; shared: WebAccessMailbox[]; others: WebAccessMailbox[] }> {
    requireWebAccess(ctx);
    const readable = await this.deps.access.readableMailboxes(ctx);
    const all = [...readable.owned, ...readable.shared, ...readable.others];
    const views = await this.mailboxViews(ctx, all);
    const pick = (ids: number[]) =>
      views.filter((v) => ids.includes(v.id)).sort((a, b) => a.name.localeCompare(b.name));
    return { mine: pick(readable.owned), shared: pick(readable.shared), others: pick(readable.others) };
  }

  async list(
    ctx: AuthContext,
    request: MessageListRequest,
  ): Promise<{ results: MessageRow[]; nextCursor: string | null; terms: string[] }> {
    requireWebAccess(ctx);
    const scope = await this.scope(ctx, request.mailboxId, request.folderId);
    const page = await this.deps.search.search(ctx, {
      query: request.q,
      mailboxIds: scope.mailboxIds,
      ...(request.folderId !== undefined ? { folderId: request.folderId } : {}),
      sort: request.sort,
      order: request.order,
      cursor: request.cursor ?? null,
      limit: request.limit,
    });
    const terms = request.q.trim() ? extractHighlightTerms(this.deps.search.parse(request.q)!) : [];
    const subjectTerms = terms.filter((t) => t.field === null || t.field === 'subject');
    const recipients = await this.firstRecipients(
      ctx,
      page.results.map((r) => r.contentId),
    );
    // Browsing a mailbox one does not own is a read of it: every page that shows such mail is
    // audited (the cursor comes from the client, so "only the first page" could be skipped).
    const notOwned = [...new Set(page.results.map((r) => r.mailboxId))].filter((id) => !scope.owned.has(id));
    if (notOwned.length > 0)
      await this.audit(ctx, 'mailbox.browse', {
        target: { type: 'mailbox', id: request.mailboxId ?? notOwned.join(',') },
        details: {
          query: request.q,
          folderId: request.folderId ?? null,
          mailboxes: notOwned,
          page: request.cursor ? 'next' : 'first',
          rows: page.results.length,
        },
      });
    return {
      results: page.results.map((r) => ({
        id: r.id,
        mailboxId: r.mailboxId,
        mailbox: r.mailbox,
        folderId: r.folderId,
        folder: r.folder,
        date: r.date,
        from: r.from,
        fromName: r.fromName,
        to: recipients.get(r.contentId) ?? '',
        subject: r.subject,
        size: r.size,
        hasAttachments: r.hasAttachments,
        subjectMarked: markMatches(r.subject, subjectTerms),
      })),
      nextCursor: page.nextCursor,
      terms: [...new Set(terms.map((t) => t.tokens.join(' ')))],
    };
  }

  async detail(ctx: AuthContext, messageId: number, q = ''): Promise<MessageDetail> {
    const { summary, reason } = await this.readable(ctx, messageId);
    const [row, raw] = await Promise.all([
      this.deps.db
        .selectFrom('messages as m')
        .innerJoin('message_contents as c', 'c.id', 'm.content_id')
        .select([
          'm.archived_at',
          'c.message_id',
          'c.to_json',
          'c.cc_json',
          'c.bcc_json',
          'c.reply_to_json',
          'c.problems_json',
        ])
        .where('m.tenant_id', '=', ctx.tenantId)
        .where('m.id', '=', messageId)
        .executeTakeFirstOrThrow(),
      this.deps.archive.readMessage(ctx, messageId),
    ]);
    const email = await parseForDisplay(raw);
    const from = summary.from ? [{ name: summary.fromName, address: summary.from }] : [];
    const text = email.text ?? (email.html ? htmlToText(email.html) : '');
    const safe = email.html ? renderSafeHtml(email.html, inlineImages(email)) : null;
    const terms = q.trim() ? bodyTerms(extractHighlightTerms(this.deps.search.parse(q)!)) : [];
    await this.auditRead(ctx, reason, 'message.read', summary);
    return {
      id: summary.id,
      mailboxId: summary.mailboxId,
      mailbox: summary.mailbox,
      folderId: summary.folderId,
      folder: summary.folder,
      date: summary.date,
      archivedAt: row.archived_at,
      messageId: row.message_id,
      from,
      to: JSON.parse(row.to_json) as MailAddress[],
      cc: JSON.parse(row.cc_json) as MailAddress[],
      bcc: JSON.parse(row.bcc_json) as MailAddress[],
      replyTo: JSON.parse(row.reply_to_json) as MailAddress[],
      subject: summary.subject,
      size: summary.size,
      sha256: summary.sha256,
      text,
      textMarked: markMatches(text, terms),
      hasHtml: safe !== null,
      hasExternalContent: safe?.hasExternalContent ?? false,
      attachments: attachmentViews(email),
      envelope: await this.envelope(ctx, messageId),
      problems: JSON.parse(row.problems_json) as string[],
      owned: reason === 'owner',
    };
  }

  /** The HTML body as the document the sandboxed frame loads (see safe-html.ts for the walls). */
  async htmlDocument(ctx: AuthContext, messageId: number): Promise<string> {
    const { summary, reason } = await this.readable(ctx, messageId);
    const email = await parseForDisplay(await this.deps.archive.readMessage(ctx, messageId));
    if (!email.html) throw new NotFoundError(`message ${messageId} has no HTML body`);
    await this.auditRead(ctx, reason, 'message.read', summary, { as: 'html' });
    return safeHtmlDocument(renderSafeHtml(email.html, inlineImages(email)).html);
  }

  async attachment(
    ctx: AuthContext,
    messageId: number,
    index: number,
  ): Promise<{ filename: string; contentType: string; content: Buffer }> {
    const { summary, reason } = await this.readable(ctx, messageId);
    const email = await parseForDisplay(await this.deps.archive.readMessage(ctx, messageId));
    const attachment = email.attachments[index];
    if (!attachment) throw new NotFoundError(`message ${messageId} has no attachment ${index}`);
    await this.auditRead(ctx, reason, 'message.download', summary, {
      attachment: attachment.filename ?? `attachment ${index}`,
    });
    return {
      filename: attachmentName(attachment, index),
      contentType: attachment.mimeType || 'application/octet-stream',
      content: Buffer.from(attachment.content as ArrayBuffer),
    };
  }

  /** The archived bytes, unchanged (download as EML, show source). */
  async raw(
    ctx: AuthContext,
    messageId: number,
    purpose: 'download' | 'source',
  ): Promise<{ subject: string; raw: Buffer }> {
    const { summary, reason } = await this.readable(ctx, messageId);
    const raw = await this.deps.archive.readMessage(ctx, messageId);
    await this.auditRead(ctx, reason, purpose === 'download' ? 'message.download' : 'message.read', summary, {
      as: purpose === 'download' ? 'eml' : 'source',
    });
    return { subject: summary.subject, raw };
  }

  /**
   * The mailboxes a listing covers, checked: one readable mailbox (404 otherwise), one of its folders,
   * or every readable mailbox.
   */
  async scope(
    ctx: AuthContext,
    mailboxId: number | undefined,
    folderId: number | undefined,
  ): Promise<{ mailboxIds: number[]; owned: Set<number> }> {
    const readable = await this.deps.access.readableMailboxes(ctx);
    const all = [...readable.owned, ...readable.shared, ...readable.others];
    let mailboxIds = all;
    if (folderId !== undefined) {
      const folder = await this.deps.db
        .selectFrom('folders')
        .select('mailbox_id')
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', '=', folderId)
        .executeTakeFirst();
      if (
        !folder ||
        !all.includes(folder.mailbox_id) ||
        (mailboxId !== undefined && folder.mailbox_id !== mailboxId)
      )
        throw new NotFoundError(`folder ${folderId} does not exist`);
      mailboxIds = [folder.mailbox_id];
    } else if (mailboxId !== undefined) {
      if (!all.includes(mailboxId)) throw new NotFoundError(`mailbox ${mailboxId} does not exist`);
      mailboxIds = [mailboxId];
    }
    return { mailboxIds, owned: new Set(readable.owned) };
  }

  /** The message if the caller may read it (404 otherwise, as if it did not exist). */
  async readable(
    ctx: AuthContext,
    messageId: number,
  ): Promise<{ summary: MessageSummary; reason: ReadReason }> {
    requireWebAccess(ctx);
    const reason = await this.deps.access.readReason(ctx, messageId);
    if (!reason) throw new NotFoundError(`message ${messageId} does not exist`);
    return { summary: await this.deps.archive.findMessage(ctx, messageId), reason };
  }

  /** Reading in a mailbox one does not own goes to the audit log (issue: "every read"). */
  async auditRead(
    ctx: AuthContext,
    reason: ReadReason,
    action: string,
    summary: MessageSummary,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    if (reason === 'owner') return;
    await this.audit(ctx, action, {
      target: { type: 'message', id: summary.id, label: summary.subject },
      details: { mailbox: summary.mailbox, folder: summary.folder, access: reason, ...details },
    });
  }

  /** An export that reaches into mailboxes the user does not own: one entry naming them. */
  async auditExport(
    ctx: AuthContext,
    details: { format: string; messages: number; mailboxes: string[] },
  ): Promise<void> {
    await this.audit(ctx, 'message.export', {
      target: { type: 'mailbox', label: details.mailboxes.join(', ') },
      details,
    });
  }

  private async audit(
    ctx: AuthContext,
    action: string,
    event: {
      target: { type: string; id?: string | number; label?: string };
      details: Record<string, unknown>;
    },
  ): Promise<void> {
    await this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      outcome: 'success',
      ...event,
    });
  }

  private async mailboxViews(ctx: AuthContext, ids: number[]): Promise<WebAccessMailbox[]> {
    if (ids.length === 0) return [];
    const { db } = this.deps;
    const [mailboxes, folders, counts] = await Promise.all([
      db
        .selectFrom('archive_mailboxes as mb')
        .leftJoin('mailbox_counts as n', 'n.mailbox_id', 'mb.id')
        .select(['mb.id', 'mb.name', 'mb.kind', 'n.messages'])
        .where('mb.tenant_id', '=', ctx.tenantId)
        .where('mb.id', 'in', ids)
        .execute(),
      db
        .selectFrom('folders')
        .select(['id', 'mailbox_id', 'path'])
        .where('tenant_id', '=', ctx.tenantId)
        .where('mailbox_id', 'in', ids)
        .orderBy('path')
        .execute(),
      // messages_by_folder answers each folder's count from the index alone; the folder ids come
      // from this tenant's folders, which is what scopes this query to the tenant.
      db
        .selectFrom('messages')
        .select(['folder_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where(
          'folder_id',
          'in',
          db
            .selectFrom('folders')
            .select('id')
            .where('tenant_id', '=', ctx.tenantId)
            .where('mailbox_id', 'in', ids),
        )
        .groupBy('folder_id')
        .execute(),
    ]);
    const countOf = new Map(counts.map((c) => [c.folder_id, Number(c.n)]));
    return mailboxes.map((mb) => {
      const own = folders.filter((f) => f.mailbox_id === mb.id);
      const byPath = new Map(own.map((f) => [f.path, f.id]));
      return {
        id: mb.id,
        name: mb.name,
        kind: mb.kind,
        messageCount: mb.messages ?? 0,
        folders: own.map((f) => ({
          id: f.id,
          path: f.path,
          name: f.path === '' ? '' : f.path.slice(f.path.lastIndexOf('/') + 1),
          parentId: parentFolderId(f.path, byPath),
          messageCount: countOf.get(f.id) ?? 0,
        })),
      };
    });
  }

  /** The first To (else Cc) recipient of each content, in display form, for the list's column. */
  private async firstRecipients(ctx: AuthContext, contentIds: number[]): Promise<Map<number, string>> {
    if (contentIds.length === 0) return new Map();
    const rows = await this.deps.db
      .selectFrom('message_contents')
      .select(['id', 'to_json', 'cc_json'])
      .where('tenant_id', '=', ctx.tenantId)
      .where('id', 'in', [...new Set(contentIds)])
      .execute();
    return new Map(
      rows.map((r) => {
        const list = [
          ...(JSON.parse(r.to_json) as MailAddress[]),
          ...(JSON.parse(r.cc_json) as MailAddress[]),
        ];
        const first = list[0];
        const more = list.length > 1 ? ` +${list.length - 1}` : '';
        return [r.id, first ? `${first.name || first.address}${more}` : ''];
      }),
    );
  }

  private async envelope(ctx: AuthContext, messageId: number): Promise<EnvelopeView | null> {
    const envelope = await this.deps.db
      .selectFrom('message_envelopes')
      .selectAll()
      .where('tenant_id', '=', ctx.tenantId)
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    if (!envelope) return null;
    const recipients = await this.deps.db
      .selectFrom('message_envelope_recipients')
      .select(['address', 'kind', 'expanded_from', 'forwarded_from'])
      .where('tenant_id', '=', ctx.tenantId)
      .where('message_id', '=', messageId)
      .execute();
    return {
      sender: envelope.sender,
      onBehalfOf: envelope.on_behalf_of,
      firstReceivedAt: envelope.first_received_at,
      lastReceivedAt: envelope.last_received_at,
      reports: envelope.reports,
      recipients: recipients.map((r) => ({
        address: r.address,
        kind: r.kind,
        expandedFrom: r.expanded_from || null,
        forwardedFrom: r.forwarded_from || null,
      })),
    };
  }
}

/** Web Access is for the Reader role; Compliance reads every mailbox through it too. */
export function requireWebAccess(ctx: AuthContext): void {
  // hasRole lets the installation's actors through, never a gateway administrator.
  if (!hasRole(ctx, 'reader') && !hasRole(ctx, 'compliance'))
    throw new ForbiddenError('Web Access needs the Reader or the Compliance role', { role: 'reader' });
}

function parentFolderId(path: string, byPath: Map<string, number>): number | null {
  if (path === '') return null;
  // The nearest existing ancestor: an import may create "A/B/C" without "A/B".
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const id = byPath.get(path.slice(0, cut));
    if (id !== undefined) return id;
  }
  return byPath.get('') ?? null;
}

/** Parsed for showing: the body as sent and the attachments' bytes (postal-mime never throws here). */
async function parseForDisplay(raw: Buffer): Promise<Email> {
  try {
    return await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
  } catch {
    return { headers: [], attachments: [], text: raw.toString('latin1') } as unknown as Email;
  }
}

function isImage(attachment: Attachment): boolean {
  return /^image\//i.test(attachment.mimeType);
}

function inlineImages(email: Email): Map<string, string> {
  const images = new Map<string, string>();
  for (const attachment of email.attachments) {
    if (!attachment.contentId || !isImage(attachment)) continue;
    const bytes = Buffer.from(attachment.content as ArrayBuffer);
    if (bytes.length > MAX_INLINE_IMAGE_BYTES) continue;
    // Only raster types and the like: an SVG could carry script into an img (it would not run, but why risk it).
    if (/svg/i.test(attachment.mimeType)) continue;
    images.set(
      contentIdKey(attachment.contentId),
      `data:${attachment.mimeType.toLowerCase()};base64,${bytes.toString('base64')}`,
    );
  }
  return images;
}

function attachmentViews(email: Email): AttachmentView[] {
  const referenced = new Set(
    [...(email.html ?? '').matchAll(/cid:([^"'\s)>]+)/gi)].map((m) => contentIdKey(m[1]!)),
  );
  return email.attachments.map((a, index) => ({
    index,
    filename: attachmentName(a, index),
    contentType: a.mimeType || 'application/octet-stream',
    size: (a.content as ArrayBuffer).byteLength,
    contentId: a.contentId ? contentIdKey(a.contentId) : null,
    inline: a.contentId !== undefined && isImage(a) && referenced.has(contentIdKey(a.contentId)),
  }));
}

function attachmentName(attachment: Attachment, index: number): string {
  const name = attachment.filename?.trim();
  if (name) return name;
  const extension = attachment.mimeType === 'message/rfc822' ? '.eml' : '';
  return `attachment-${index + 1}${extension}`;
}

/** Body text is highlighted with the terms that search the body (not from:, to:, subject:…). */
function bodyTerms(terms: HighlightTerm[]): HighlightTerm[] {
  return terms.filter((t) => t.field === null || t.field === 'body');
}
