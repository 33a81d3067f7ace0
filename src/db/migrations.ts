import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

/**
 * Migrations live in code (not files found at run time) so that the compiled CLI carries them.
 * Append new ones; never edit one that has shipped.
 */
const migrations: Record<string, Migration> = {
  '0001_archive_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tenant_keys')
        .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('key_id', 'integer', (c) => c.notNull())
        .addColumn('wrapped', 'blob', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('tenant_keys_pk', ['tenant_id', 'purpose', 'key_id'])
        .execute();
      await db.schema
        .createTable('archive_mailboxes')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('archive_mailboxes_name', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createTable('folders')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('mailbox_id', 'integer', (c) =>
          c.notNull().references('archive_mailboxes.id').onDelete('cascade'),
        )
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('folders_path', ['mailbox_id', 'path'])
        .execute();
      await db.schema
        .createTable('blobs')
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('raw_size', 'integer', (c) => c.notNull())
        .addColumn('stored_size', 'integer', (c) => c.notNull())
        .addColumn('locator', 'text', (c) => c.notNull())
        .addColumn('ref_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('blobs_pk', ['tenant_id', 'key'])
        .modifyEnd(sql`without rowid`)
        .execute();
      await db.schema
        .createTable('blob_parts')
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('message_key', 'text', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('part_key', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('blob_parts_pk', ['tenant_id', 'message_key', 'ordinal'])
        .modifyEnd(sql`without rowid`)
        .execute();
      await db.schema
        .createTable('message_contents')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'text')
        .addColumn('date', 'integer')
        .addColumn('from_addr', 'text', (c) => c.notNull())
        .addColumn('from_name', 'text', (c) => c.notNull())
        .addColumn('to_json', 'text', (c) => c.notNull())
        .addColumn('cc_json', 'text', (c) => c.notNull())
        .addColumn('bcc_json', 'text', (c) => c.notNull())
        .addColumn('reply_to_json', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('has_attachments', 'integer', (c) => c.notNull())
        .addColumn('attachments_json', 'text', (c) => c.notNull())
        .addColumn('problems_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('message_contents_blob', ['tenant_id', 'blob_key'])
        .execute();
      await db.schema
        .createTable('messages')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('mailbox_id', 'integer', (c) => c.notNull())
        .addColumn('folder_id', 'integer', (c) => c.notNull())
        .addColumn('content_id', 'integer', (c) => c.notNull())
        .addColumn('sort_date', 'integer', (c) => c.notNull())
        .addColumn('archived_at', 'integer', (c) => c.notNull())
        // One copy per folder; content first so the same index also finds every copy of a
        // content (search candidates, verify) without a second index on content_id.
        .addUniqueConstraint('messages_copy', ['content_id', 'folder_id'])
        .execute();
      await db.schema
        .createIndex('messages_by_date')
        .on('messages')
        .columns(['tenant_id', 'sort_date', 'id'])
        .execute();
      // Contentless: the index holds tokens only, no second copy of the text; snippets are made from
      // the stored message when a result page is shown. unicode61 with remove_diacritics 2 folds
      // "résumé" to "resume" and "Grüße" to "gruße" for German and English alike.
      await sql`create virtual table message_fts using fts5(
        sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment,
        content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`.execute(db);
      await sql`create virtual table message_fts_vocab using fts5vocab(message_fts, 'row')`.execute(db);
    },
  },
  '0002_search_candidates': {
    // Searches sorted by date start from the few contents that satisfy a rare condition
    // (size>100k, has:attachment) instead of walking every message; these find and count them.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('message_contents_by_size')
        .on('message_contents')
        .columns(['tenant_id', 'size'])
        .execute();
      await db.schema
        .createIndex('message_contents_with_attachments')
        .on('message_contents')
        .column('tenant_id')
        .where(sql.ref('has_attachments'), '=', 1)
        .execute();
    },
  },
  '0003_message_id_lookup': {
    // messageid: searches and, later, journal reports find a message by its Message-ID.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('message_contents_by_message_id')
        .on('message_contents')
        .columns(['tenant_id', 'message_id'])
        .execute();
    },
  },
};

class InCodeMigrationProvider implements MigrationProvider {
  async getMigrations() {
    return migrations;
  }
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: new InCodeMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
