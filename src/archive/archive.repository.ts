import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ArchiveMailbox, Folder, MessageContent, NewMessageContent } from '../db/schema.js';
import type { FtsDocument } from './archive.types.js';

export interface NewBlob {
  key: string;
  kind: 'message' | 'part';
  rawSize: number;
  storedSize: number;
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
    placements: Array<{ mailboxId: string; folderId: string; sortDate: number }>;
  }>;
  /** Copies of contents already archived. */
  newCopies: Array<{
    contentId: number;
    blobKey: string;
    mailboxId: string;
    folderId: string;
    sortDate: number;
  }>;
  archivedAt: number;
}

export interface CommitResult {
  contentIds: Map<string, number>;
  /** `${folderId}:${contentId}` → message id, for every placement written. */
  messageIds: Map<string, number>;
}

/** Every archive query, each scoped by the tenant id passed first. */
export class ArchiveRepository {
  constructor(private readonly db: Db) {}

  findMailboxByName(tenantId: string, name: string): Promise<ArchiveMailbox | undefined> {
    return this.db
      .selectFrom('archive_mailboxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  findMailboxes(tenantId: string): Promise<ArchiveMailbox[]> {
    return this.db
      .selectFrom('archive_mailboxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
  }

  async insertMailbox(mailbox: ArchiveMailbox): Promise<void> {
    await this.db.insertInto('archive_mailboxes').values(mailbox).execute();
  }

  findFolder(tenantId: string, mailboxId: string, path: string): Promise<Folder | undefined> {
    return this.db
      .selectFrom('folders')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .where('path', '=', path)
      .executeTakeFirst();
  }

  async insertFolder(folder: Folder): Promise<void> {
    await this.db
      .insertInto('folders')
      .values(folder)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  findFolders(tenantId: string, mailboxId: string): Promise<Folder[]> {
    return this.db
      .selectFrom('folders')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .orderBy('path')
      .execute();
  }

  findContentsByBlobKeys(tenantId: string, blobKeys: string[]) {
    if (blobKeys.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('message_contents')
      .select(['id', 'blob_key', 'date'])
      .where('tenant_id', '=', tenantId)
      .where('blob_key', 'in', blobKeys)
      .execute();
  }

  findCopies(tenantId: string, contentIds: number[]) {
    if (contentIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('messages')
      .select(['id', 'folder_id', 'content_id'])
      .where('tenant_id', '=', tenantId)
      .where('content_id', 'in', contentIds)
      .execute();
  }

  async findExistingBlobKeys(tenantId: string, keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('blobs')
      .select('key')
      .where('tenant_id', '=', tenantId)
      .where('key', 'in', keys)
      .execute();
    return new Set(rows.map((r) => r.key));
  }

  /** Writes a whole ingest group atomically: contents, index entries, copies and reference counts. */
  commitIngest(tenantId: string, commit: IngestCommit): Promise<CommitResult> {
    return this.db.transaction().execute(async (trx) => {
      const contentIds = new Map<string, number>();
      const messageIds = new Map<string, number>();
      for (const blob of commit.newBlobs) {
        await trx
          .insertInto('blobs')
          .values({
            tenant_id: tenantId,
            key: blob.key,
            kind: blob.kind,
            raw_size: blob.rawSize,
            stored_size: blob.storedSize,
            ref_count: 0,
            created_at: commit.archivedAt,
          })
          .execute();
      }
      for (const [key, count] of commit.partRefIncrements) {
        await trx
          .updateTable('blobs')
          .set((eb) => ({ ref_count: eb('ref_count', '+', count) }))
          .where('tenant_id', '=', tenantId)
          .where('key', '=', key)
          .execute();
      }
      const addCopy = async (
        contentId: number,
        blobKey: string,
        p: { mailboxId: string; folderId: string; sortDate: number },
      ) => {
        const row = await trx
          .insertInto('messages')
          .values({
            tenant_id: tenantId,
            mailbox_id: p.mailboxId,
            folder_id: p.folderId,
            content_id: contentId,
            sort_date: p.sortDate,
            archived_at: commit.archivedAt,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        messageIds.set(`${p.folderId}:${contentId}`, row.id);
        await trx
          .updateTable('blobs')
          .set((eb) => ({ ref_count: eb('ref_count', '+', 1) }))
          .where('tenant_id', '=', tenantId)
          .where('key', '=', blobKey)
          .execute();
      };
      for (const item of commit.newContents) {
        const { id } = await trx
          .insertInto('message_contents')
          .values({ ...item.content, tenant_id: tenantId })
          .returning('id')
          .executeTakeFirstOrThrow();
        contentIds.set(item.content.blob_key, id);
        const f = item.fts;
        await sql`insert into message_fts (rowid, sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment)
          values (${id}, ${f.sender}, ${f.recipient_to}, ${f.recipient_cc}, ${f.recipient_bcc}, ${f.subject}, ${f.body}, ${f.attachment})`.execute(
          trx,
        );
        for (const [ordinal, partKey] of item.partKeys.entries()) {
          await trx
            .insertInto('blob_parts')
            .values({ tenant_id: tenantId, message_key: item.content.blob_key, ordinal, part_key: partKey })
            .execute();
        }
        for (const placement of item.placements) await addCopy(id, item.content.blob_key, placement);
      }
      for (const copy of commit.newCopies) await addCopy(copy.contentId, copy.blobKey, copy);
      return { contentIds, messageIds };
    });
  }

  findMessage(tenantId: string, messageId: number) {
    return this.summaryQuery(tenantId).where('m.id', '=', messageId).executeTakeFirst();
  }

  findContent(tenantId: string, contentId: number): Promise<MessageContent | undefined> {
    return this.db
      .selectFrom('message_contents')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', contentId)
      .executeTakeFirst();
  }

  findPartKeys(tenantId: string, messageKey: string): Promise<string[]> {
    return this.db
      .selectFrom('blob_parts')
      .select('part_key')
      .where('tenant_id', '=', tenantId)
      .where('message_key', '=', messageKey)
      .orderBy('ordinal')
      .execute()
      .then((rows) => rows.map((r) => r.part_key));
  }

  /** List rows joined with their content, mailbox and folder: the base of listing, search and export. */
  summaryQuery(tenantId: string) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
      .innerJoin('folders as f', 'f.id', 'm.folder_id')
      .where('m.tenant_id', '=', tenantId)
      .select([
        'm.id as id',
        'm.content_id as contentId',
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
        'c.blob_key as blobKey',
      ]);
  }

  /** Every distinct content of a tenant in id order, paged, for verify. */
  findContentsAfter(tenantId: string, afterId: number, limit: number) {
    return this.db
      .selectFrom('message_contents')
      .select(['id', 'blob_key', 'sha256', 'size'])
      .where('tenant_id', '=', tenantId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  findLocations(tenantId: string, contentId: number) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
      .innerJoin('folders as f', 'f.id', 'm.folder_id')
      .select(['m.id', 'mb.name as mailbox', 'f.path as folder'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.content_id', '=', contentId)
      .execute();
  }

  async countStats(tenantId: string) {
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
