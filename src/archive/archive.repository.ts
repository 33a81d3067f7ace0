import { sql, type Insertable, type Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type {
  Database,
  ArchiveMailbox,
  ArchiveMailboxesTable,
  Folder,
  FoldersTable,
  NewMessageContent,
} from '../db/schema.js';
import type { FtsDocument, MessageEnvelope } from './archive.types.js';

export interface NewBlob {
  key: string;
  kind: 'message' | 'part';
  rawSize: number;
  storedSize: number;
  /** From BlobStore.putMany. */
  locator: string;
}

/** One group of ingest writes, committed in a single transaction. */
export interface IngestCommit {
  newBlobs: NewBlob[];
  /** Existing part objects referenced by new skeletons: ref_count += count. */
  partRefIncrements: Map<string, number>;
  newContents: Array<{
    content: Omit<NewMessageContent, 'tenant_id'>;
    partKeys: string[];
    fts: FtsDocument;
    placements: Array<{ mailboxId: number; folderId: number; sortDate: number }>;
  }>;
  /** Copies of contents already archived. */
  newCopies: Array<{
    contentId: number;
    blobKey: string;
    /** Original size of the message, for the mailbox and volume counters. */
    size: number;
    mailboxId: number;
    folderId: number;
    sortDate: number;
  }>;
  /** Envelopes to keep with copies (new or existing) and to add to their contents' index documents. */
  envelopes: Array<{
    /** Set for a content that already existed; otherwise the content is new in this commit. */
    contentId?: number;
    blobKey: string;
    folderId: number;
    envelope: MessageEnvelope;
    /** The content's index document as derived from the message alone. */
    baseFts: FtsDocument;
  }>;
  archivedAt: number;
  /** The caller's own writes that must commit (or not) with this group; see ArchiveBatchOptions. */
  inCommit?: (trx: Transaction<Database>) => Promise<void>;
}

export interface CommitResult {
  contentIds: Map<string, number>;
  /** `${folderId}:${contentId}` → message id, for every placement written. */
  messageIds: Map<string, number>;
}

/** The columns of a message list row, over the aliases m, c, mb and f (listing, search, export). */
export const MESSAGE_SUMMARY_COLUMNS = [
  'm.id as id',
  'm.content_id as contentId',
  'm.mailbox_id as mailboxId',
  'm.folder_id as folderId',
  'mb.name as mailbox',
  'f.path as folder',
  'c.date as date',
  'm.sort_date as sortDate',
  'c.from_addr as from',
  'c.from_name as fromName',
  'c.subject as subject',
  'c.size as size',
  'c.sha256 as sha256',
  'c.has_attachments as hasAttachments',
] as const;

/** Every archive query, each scoped by the tenant id passed first. */
export class ArchiveRepository {
  constructor(private readonly db: Db) {}

  findMailboxById(tenantId: number, id: number): Promise<ArchiveMailbox | undefined> {
    return this.db
      .selectFrom('archive_mailboxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findMailboxByName(tenantId: number, name: string): Promise<ArchiveMailbox | undefined> {
    return this.db
      .selectFrom('archive_mailboxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findMailboxes(tenantId: number): Promise<ArchiveMailbox[]> {
    return this.db
      .selectFrom('archive_mailboxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
  }

  insertMailbox(mailbox: Insertable<ArchiveMailboxesTable>): Promise<ArchiveMailbox> {
    return this.db.insertInto('archive_mailboxes').values(mailbox).returningAll().executeTakeFirstOrThrow();
  }

  findFolder(tenantId: number, mailboxId: number, path: string): Promise<Folder | undefined> {
    return this.db
      .selectFrom('folders')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .where('path', '=', path)
      .executeTakeFirst();
  }

  async insertFolder(folder: Insertable<FoldersTable>): Promise<void> {
    await this.db
      .insertInto('folders')
      .values(folder)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  findFolders(tenantId: number, mailboxId: number): Promise<Folder[]> {
    return this.db
      .selectFrom('folders')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .orderBy('path')
      .execute();
  }

  findContentsByBlobKeys(tenantId: number, blobKeys: string[]) {
    if (blobKeys.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('message_contents')
      .select(['id', 'blob_key', 'date', 'size', 'problems_json'])
      .where('tenant_id', '=', tenantId)
      .where('blob_key', 'in', blobKeys)
      .execute();
  }

  findCopies(tenantId: number, contentIds: number[]) {
    if (contentIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('messages')
      .select(['id', 'folder_id', 'content_id'])
      .where('tenant_id', '=', tenantId)
      .where('content_id', 'in', contentIds)
      .execute();
  }

  async findExistingBlobKeys(tenantId: number, keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('blobs')
      .select('key')
      .where('tenant_id', '=', tenantId)
      .where('key', 'in', keys)
      .execute();
    return new Set(rows.map((r) => r.key));
  }

  /**
   * Writes a whole ingest group atomically: contents, index entries, copies and reference counts.
   * Multi-row statements (a few per group, not several per message): each statement is a round
   * through Kysely's compiler and SQLite's executor, and a group holds up to a few hundred rows.
   */
  commitIngest(tenantId: number, commit: IngestCommit): Promise<CommitResult> {
    return this.db.transaction().execute(async (trx) => {
      const contentIds = new Map<string, number>();
      const messageIds = new Map<string, number>();

      // Every reference this commit adds, per object: part references of new skeletons, and one
      // per copy of a message. A new object starts at its count; existing ones are incremented.
      const refCounts = new Map(commit.partRefIncrements);
      const addRefs = (key: string, n: number) => refCounts.set(key, (refCounts.get(key) ?? 0) + n);
      for (const item of commit.newContents) addRefs(item.content.blob_key, item.placements.length);
      for (const copy of commit.newCopies) addRefs(copy.blobKey, 1);

      const blobRows = commit.newBlobs.map((blob) => {
        const refCount = refCounts.get(blob.key) ?? 0;
        refCounts.delete(blob.key);
        return {
          tenant_id: tenantId,
          key: blob.key,
          kind: blob.kind,
          raw_size: blob.rawSize,
          stored_size: blob.storedSize,
          locator: blob.locator,
          ref_count: refCount,
          created_at: commit.archivedAt,
        };
      });
      for (const rows of chunksOf(blobRows)) await trx.insertInto('blobs').values(rows).execute();

      const keysByIncrement = new Map<number, string[]>();
      for (const [key, count] of refCounts) {
        const keys = keysByIncrement.get(count) ?? [];
        keys.push(key);
        keysByIncrement.set(count, keys);
      }
      for (const [count, keys] of keysByIncrement) {
        for (const chunk of chunksOf(keys, MAX_PARAMETERS - 2)) {
          await trx
            .updateTable('blobs')
            .set((eb) => ({ ref_count: eb('ref_count', '+', count) }))
            .where('tenant_id', '=', tenantId)
            .where('key', 'in', chunk)
            .execute();
        }
      }

      for (const items of chunksOf(commit.newContents)) {
        // RETURNING order is unspecified, so rows are matched back by their blob key.
        const rows = await trx
          .insertInto('message_contents')
          .values(items.map((item) => ({ ...item.content, tenant_id: tenantId })))
          .returning(['id', 'blob_key'])
          .execute();
        for (const row of rows) contentIds.set(row.blob_key, row.id);
      }

      // A content new in this commit gets its envelopes' addresses in its first document; only an
      // existing content's document is rebuilt (mergeEnvelopes).
      const newEnvelopes = new Map<string, MessageEnvelope[]>();
      for (const entry of commit.envelopes) {
        if (entry.contentId !== undefined) continue;
        newEnvelopes.set(entry.blobKey, [...(newEnvelopes.get(entry.blobKey) ?? []), entry.envelope]);
      }
      const ftsRows = commit.newContents.map((item) => {
        const envelopes = newEnvelopes.get(item.content.blob_key);
        const f = envelopes ? withEnvelopeAddresses(item.fts, ...envelopeRows(envelopes)) : item.fts;
        return sql`(${contentIds.get(item.content.blob_key)!}, ${f.sender}, ${f.recipient_to}, ${f.recipient_cc}, ${f.recipient_bcc}, ${f.subject}, ${f.body}, ${f.attachment})`;
      });
      for (const rows of chunksOf(ftsRows, Math.floor(MAX_PARAMETERS / 8))) {
        await sql`insert into message_fts (rowid, sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment)
          values ${sql.join(rows)}`.execute(trx);
      }

      const partRows = commit.newContents.flatMap((item) =>
        item.partKeys.map((partKey, ordinal) => ({
          tenant_id: tenantId,
          message_key: item.content.blob_key,
          ordinal,
          part_key: partKey,
        })),
      );
      for (const rows of chunksOf(partRows)) await trx.insertInto('blob_parts').values(rows).execute();

      // Same order as one insert per copy would give: each new content's placements, then copies.
      const placements = [
        ...commit.newContents.flatMap((item) =>
          item.placements.map((p) => ({
            contentId: contentIds.get(item.content.blob_key)!,
            mailboxId: p.mailboxId,
            folderId: p.folderId,
            sortDate: p.sortDate,
            size: item.content.size,
          })),
        ),
        ...commit.newCopies,
      ];
      await this.addToCounters(trx, tenantId, commit.archivedAt, placements);
      const messageRows = placements.map((p) => ({
        tenant_id: tenantId,
        mailbox_id: p.mailboxId,
        folder_id: p.folderId,
        content_id: p.contentId,
        sort_date: p.sortDate,
        archived_at: commit.archivedAt,
      }));
      for (const rows of chunksOf(messageRows)) {
        const inserted = await trx
          .insertInto('messages')
          .values(rows)
          .returning(['id', 'folder_id', 'content_id'])
          .execute();
        for (const row of inserted) messageIds.set(`${row.folder_id}:${row.content_id}`, row.id);
      }
      await this.mergeEnvelopes(trx, tenantId, commit, contentIds, messageIds);
      await commit.inCommit?.(trx);
      return { contentIds, messageIds };
    });
  }

  /**
   * Keeps each envelope with its copy, adding recipients a copy has not seen yet, and re-indexes a
   * content whose envelope addresses grew: its document becomes the message's own plus every
   * envelope address of every copy, so `bcc:` finds a hidden recipient. In the ingest transaction,
   * so a message is never acknowledged with its envelope half-recorded.
   */
  private async mergeEnvelopes(
    trx: Transaction<Database>,
    tenantId: number,
    commit: IngestCommit,
    contentIds: Map<string, number>,
    messageIds: Map<string, number>,
  ): Promise<void> {
    const reindex = new Map<number, FtsDocument>();
    for (const entry of commit.envelopes) {
      const contentId = entry.contentId ?? contentIds.get(entry.blobKey)!;
      const messageId =
        messageIds.get(`${entry.folderId}:${contentId}`) ??
        (
          await trx
            .selectFrom('messages')
            .select('id')
            .where('tenant_id', '=', tenantId)
            .where('content_id', '=', contentId)
            .where('folder_id', '=', entry.folderId)
            .executeTakeFirstOrThrow()
        ).id;
      const { envelope } = entry;
      const isNewContent = entry.contentId === undefined;
      const known =
        !isNewContent &&
        (await trx
          .selectFrom('message_envelopes')
          .select('message_id')
          .where('message_id', '=', messageId)
          .executeTakeFirst()) !== undefined;
      await trx
        .insertInto('message_envelopes')
        .values({
          message_id: messageId,
          tenant_id: tenantId,
          content_id: contentId,
          sender: envelope.sender,
          on_behalf_of: envelope.onBehalfOf ?? null,
          reports: 1,
          first_received_at: envelope.receivedAt ?? commit.archivedAt,
          last_received_at: envelope.receivedAt ?? commit.archivedAt,
        })
        .onConflict((oc) =>
          oc.column('message_id').doUpdateSet((eb) => ({
            reports: eb('message_envelopes.reports', '+', 1),
            first_received_at: sql<number>`min(message_envelopes.first_received_at, excluded.first_received_at)`,
            last_received_at: sql<number>`max(message_envelopes.last_received_at, excluded.last_received_at)`,
          })),
        )
        .execute();
      let added = known ? 0 : 1;
      for (const rows of chunksOf(
        dedupeRecipients(envelope).map((r) => ({
          message_id: messageId,
          tenant_id: tenantId,
          content_id: contentId,
          kind: r.kind,
          address: r.address,
          expanded_from: r.expandedFrom ?? '',
          forwarded_from: r.forwardedFrom ?? '',
        })),
      )) {
        const result = await trx
          .insertInto('message_envelope_recipients')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        added += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      if (added > 0 && !isNewContent) reindex.set(contentId, entry.baseFts);
    }

    for (const [contentId, base] of reindex) {
      const senders = await trx
        .selectFrom('message_envelopes')
        .select(['sender', 'on_behalf_of'])
        .distinct()
        .where('tenant_id', '=', tenantId)
        .where('content_id', '=', contentId)
        .execute();
      const recipients = await trx
        .selectFrom('message_envelope_recipients')
        .select(['kind', 'address', 'expanded_from', 'forwarded_from'])
        .where('tenant_id', '=', tenantId)
        .where('content_id', '=', contentId)
        .execute();
      const doc = withEnvelopeAddresses(base, senders, recipients);
      await sql`delete from message_fts where rowid = ${contentId}`.execute(trx);
      await sql`insert into message_fts (rowid, sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment)
        values (${contentId}, ${doc.sender}, ${doc.recipient_to}, ${doc.recipient_cc}, ${doc.recipient_bcc}, ${doc.subject}, ${doc.body}, ${doc.attachment})`.execute(
        trx,
      );
    }
  }

  private async addToCounters(
    trx: Transaction<Database>,
    tenantId: number,
    archivedAt: number,
    placements: Array<{ mailboxId: number; size: number }>,
  ): Promise<void> {
    if (placements.length === 0) return;
    const perMailbox = new Map<number, { messages: number; bytes: number }>();
    let bytes = 0;
    for (const p of placements) {
      const counts = perMailbox.get(p.mailboxId) ?? { messages: 0, bytes: 0 };
      counts.messages += 1;
      counts.bytes += p.size;
      perMailbox.set(p.mailboxId, counts);
      bytes += p.size;
    }
    for (const [mailboxId, counts] of perMailbox) {
      await trx
        .insertInto('mailbox_counts')
        .values({ mailbox_id: mailboxId, tenant_id: tenantId, ...counts })
        .onConflict((oc) =>
          oc.column('mailbox_id').doUpdateSet((eb) => ({
            messages: eb('mailbox_counts.messages', '+', eb.ref('excluded.messages')),
            bytes: eb('mailbox_counts.bytes', '+', eb.ref('excluded.bytes')),
          })),
        )
        .execute();
    }
    await trx
      .insertInto('volume_hourly')
      .values({
        tenant_id: tenantId,
        hour: Math.floor(archivedAt / 3_600_000),
        messages: placements.length,
        bytes,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'hour']).doUpdateSet((eb) => ({
          messages: eb('volume_hourly.messages', '+', eb.ref('excluded.messages')),
          bytes: eb('volume_hourly.bytes', '+', eb.ref('excluded.bytes')),
        })),
      )
      .execute();
  }

  findMessage(tenantId: number, messageId: number) {
    return this.summaryQuery(tenantId).where('m.id', '=', messageId).executeTakeFirst();
  }

  /** Where the blob store keeps each of these objects; a key without a row is left out. */
  async findBlobLocators(tenantId: number, keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('blobs')
      .select(['key', 'locator'])
      .where('tenant_id', '=', tenantId)
      .where('key', 'in', keys)
      .execute();
    return new Map(rows.map((r) => [r.key, r.locator]));
  }

  /** The locators of a skeleton's parts, for reassembly. */
  async findPartLocators(tenantId: number, messageKey: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('blob_parts as p')
      .innerJoin('blobs as b', (join) =>
        join.onRef('b.tenant_id', '=', 'p.tenant_id').onRef('b.key', '=', 'p.part_key'),
      )
      .select(['p.part_key as key', 'b.locator as locator'])
      .where('p.tenant_id', '=', tenantId)
      .where('p.message_key', '=', messageKey)
      .execute();
    return new Map(rows.map((r) => [r.key, r.locator]));
  }

  /** List rows joined with their content, mailbox and folder: the base of listing, search and export. */
  summaryQuery(tenantId: number) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
      .innerJoin('folders as f', 'f.id', 'm.folder_id')
      .where('m.tenant_id', '=', tenantId)
      .select([...MESSAGE_SUMMARY_COLUMNS, 'c.blob_key as blobKey']);
  }

  /** Every distinct content of a tenant in id order, paged, for verify. */
  findContentsAfter(tenantId: number, afterId: number, limit: number) {
    return this.db
      .selectFrom('message_contents as c')
      .leftJoin('blobs as b', (join) =>
        join.onRef('b.tenant_id', '=', 'c.tenant_id').onRef('b.key', '=', 'c.blob_key'),
      )
      .select(['c.id as id', 'c.blob_key as blob_key', 'c.sha256 as sha256', 'c.size as size', 'b.locator'])
      .where('c.tenant_id', '=', tenantId)
      .where('c.id', '>', afterId)
      .orderBy('c.id')
      .limit(limit)
      .execute();
  }

  findLocations(tenantId: number, contentId: number) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
      .innerJoin('folders as f', 'f.id', 'm.folder_id')
      .select(['m.id', 'mb.name as mailbox', 'f.path as folder'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.content_id', '=', contentId)
      .execute();
  }

  async countStats(tenantId: number) {
    const messages = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const contents = await this.db
      .selectFrom('message_contents')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('raw'),
      ])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const rawOfCopies = await this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('c.size'), sql<number>`0`).as('raw'))
      .where('m.tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    const blobs = await this.db
      .selectFrom('blobs')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.coalesce(eb.fn.sum<number>('stored_size'), sql<number>`0`).as('stored'),
      ])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return {
      messages: Number(messages.n),
      distinctMessages: Number(contents.n),
      rawBytes: Number(rawOfCopies.raw),
      distinctRawBytes: Number(contents.raw),
      objects: Number(blobs.n),
      storedBytes: Number(blobs.stored),
    };
  }

  /** Bytes used by the full-text index (all tenants share the FTS5 shadow tables). */
  async indexBytes(): Promise<number> {
    const row = await sql<{
      bytes: number;
    }>`select coalesce(sum(pgsize), 0) as bytes from dbstat where name like 'message_fts%'`
      .execute(this.db)
      .then((r) => r.rows[0]);
    return Number(row?.bytes ?? 0);
  }
}

/**
 * Bound parameters per statement: SQLite allows 32,766 and PostgreSQL 65,535; staying well below
 * keeps each statement small enough to prepare quickly.
 */
const MAX_PARAMETERS = 4000;

/** Splits rows so that a multi-row statement stays under MAX_PARAMETERS bound values. */
function chunksOf<T>(rows: T[], size?: number): T[][] {
  if (rows.length === 0) return [];
  const first = rows[0];
  const perRow = typeof first === 'object' && first !== null ? Math.max(1, Object.keys(first).length) : 1;
  const n = Math.max(1, size ?? Math.floor(MAX_PARAMETERS / perRow));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += n) chunks.push(rows.slice(i, i + n));
  return chunks;
}

/** One row per (kind, address): a report may list a recipient twice (directly and through a list). */
function dedupeRecipients(envelope: MessageEnvelope): MessageEnvelope['recipients'] {
  const seen = new Map<string, MessageEnvelope['recipients'][number]>();
  for (const r of envelope.recipients) {
    const address = r.address.trim().toLowerCase();
    if (!address) continue;
    const key = `${r.kind} ${address} ${r.expandedFrom ?? ''} ${r.forwardedFrom ?? ''}`;
    if (!seen.has(key)) seen.set(key, { ...r, address });
  }
  return [...seen.values()];
}

type EnvelopeSenderRow = { sender: string; on_behalf_of: string | null };
type EnvelopeRecipientRow = {
  kind: MessageEnvelope['recipients'][number]['kind'];
  address: string;
  /** '' or null: none. */
  expanded_from: string | null;
  forwarded_from: string | null;
};

/** Envelopes in the row shapes withEnvelopeAddresses reads. */
function envelopeRows(envelopes: MessageEnvelope[]): [EnvelopeSenderRow[], EnvelopeRecipientRow[]] {
  return [
    envelopes.map((e) => ({ sender: e.sender, on_behalf_of: e.onBehalfOf ?? null })),
    envelopes.flatMap((e) =>
      dedupeRecipients(e).map((r) => ({
        kind: r.kind,
        address: r.address,
        expanded_from: r.expandedFrom ?? null,
        forwarded_from: r.forwardedFrom ?? null,
      })),
    ),
  ];
}

/**
 * The index document of a content with its envelope addresses appended. A `Recipient:` line names a
 * recipient the headers do not show, so it is indexed with Bcc; a list a recipient was expanded
 * from, and the address a message was forwarded from, count as recipients of the same kind.
 */
export function withEnvelopeAddresses(
  base: FtsDocument,
  senders: EnvelopeSenderRow[],
  recipients: EnvelopeRecipientRow[],
): FtsDocument {
  const column = {
    to: 'recipient_to',
    cc: 'recipient_cc',
    bcc: 'recipient_bcc',
    recipient: 'recipient_bcc',
  } as const;
  const extra: Record<'sender' | 'recipient_to' | 'recipient_cc' | 'recipient_bcc', Set<string>> = {
    sender: new Set(),
    recipient_to: new Set(),
    recipient_cc: new Set(),
    recipient_bcc: new Set(),
  };
  for (const s of senders) {
    if (s.sender) extra.sender.add(s.sender);
    if (s.on_behalf_of) extra.sender.add(s.on_behalf_of);
  }
  for (const r of recipients) {
    const set = extra[column[r.kind]];
    set.add(r.address);
    if (r.expanded_from) set.add(r.expanded_from);
    if (r.forwarded_from) set.add(r.forwarded_from);
  }
  const append = (text: string, more: Set<string>) =>
    more.size === 0 ? text : [text, ...more].filter((t) => t.length > 0).join('\n');
  return {
    ...base,
    sender: append(base.sender, extra.sender),
    recipient_to: append(base.recipient_to, extra.recipient_to),
    recipient_cc: append(base.recipient_cc, extra.recipient_cc),
    recipient_bcc: append(base.recipient_bcc, extra.recipient_bcc),
  };
}
