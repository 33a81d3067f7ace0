import {
  type ColumnDefinitionBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
} from 'kysely';

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
  '0004_identity': {
    // Tenants get a status and quotas; users, groups, roles, sessions, secrets and the audit log arrive.
    async up(db: Kysely<unknown>) {
      const tenantRef = (c: ColumnDefinitionBuilder) =>
        c.notNull().references('tenants.id').onDelete('cascade');
      await db.schema
        .alterTable('tenants')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .execute();
      for (const column of ['max_users', 'max_mailboxes', 'max_storage_bytes']) {
        await db.schema.alterTable('tenants').addColumn(column, 'integer').execute();
      }
      await db.schema.alterTable('archive_mailboxes').addColumn('primary_address', 'text').execute();
      await db.schema
        .createTable('system_admins')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
        .addColumn('totp_secret', 'blob')
        .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'integer')
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('provisioned', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
        .addColumn('totp_secret', 'blob')
        .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'integer')
        .addUniqueConstraint('users_name', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createTable('user_addresses')
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('is_primary', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_addresses_pk', ['tenant_id', 'address'])
        .execute();
      await db.schema.createIndex('user_addresses_by_user').on('user_addresses').column('user_id').execute();
      await db.schema
        .createTable('groups')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('groups_name', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createTable('group_members')
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('group_id', 'integer', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
        .execute();
      await db.schema.createIndex('group_members_by_user').on('group_members').column('user_id').execute();
      await db.schema
        .createTable('group_roles')
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('group_id', 'integer', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_roles_pk', ['group_id', 'role'])
        .execute();
      await db.schema
        .createTable('domains')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('domains_name', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createTable('secrets')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('sealed', 'blob', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('secrets_name', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createTable('mailbox_addresses')
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('mailbox_id', 'integer', (c) =>
          c.notNull().references('archive_mailboxes.id').onDelete('cascade'),
        )
        .addColumn('address', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('mailbox_addresses_pk', ['tenant_id', 'address'])
        .execute();
      await db.schema
        .createTable('mailbox_owners')
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('mailbox_id', 'integer', (c) =>
          c.notNull().references('archive_mailboxes.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('mailbox_owners_pk', ['mailbox_id', 'user_id'])
        .execute();
      await db.schema
        .createTable('mailbox_shares')
        .addColumn('tenant_id', 'integer', tenantRef)
        .addColumn('mailbox_id', 'integer', (c) =>
          c.notNull().references('archive_mailboxes.id').onDelete('cascade'),
        )
        .addColumn('group_id', 'integer', (c) => c.notNull().references('groups.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('mailbox_shares_pk', ['mailbox_id', 'group_id'])
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('realm', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'integer', (c) => c.references('tenants.id').onDelete('cascade'))
        .addColumn('subject_id', 'integer', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('last_seen_at', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('sessions_by_subject')
        .on('sessions')
        .columns(['realm', 'subject_id'])
        .execute();
      await db.schema
        .createTable('trusted_devices')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('realm', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('recovery_codes')
        .addColumn('realm', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'integer', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', 'integer')
        .addPrimaryKeyConstraint('recovery_codes_pk', ['realm', 'subject_id', 'code_hash'])
        .execute();
      await db.schema
        .createTable('sign_in_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_failure_at', 'integer', (c) => c.notNull())
        .addColumn('blocked_until', 'integer', (c) => c.notNull())
        .execute();
      // tenant_id 0 is the installation's own chain (system administrators' actions).
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'integer', (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'integer')
        .addColumn('actor_name', 'text', (c) => c.notNull())
        .addColumn('ip', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('target_label', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addUniqueConstraint('audit_log_seq', ['tenant_id', 'seq'])
        .execute();
      await db.schema
        .createTable('audit_heads')
        .addColumn('tenant_id', 'integer', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0005_archive_counters': {
    // Counters kept by the ingest commit: the dashboard and mailbox lists read a few rows instead of
    // scanning a tenant's messages (indexes on messages would cost every copy ~23 bytes more).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mailbox_counts')
        .addColumn('mailbox_id', 'integer', (c) =>
          c.primaryKey().references('archive_mailboxes.id').onDelete('cascade'),
        )
        .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('messages', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('volume_hourly')
        .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('hour', 'integer', (c) => c.notNull())
        .addColumn('messages', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('volume_hourly_pk', ['tenant_id', 'hour'])
        .execute();
      await sql`insert into mailbox_counts (mailbox_id, tenant_id, messages, bytes)
        select m.mailbox_id, m.tenant_id, count(*), sum(c.size)
        from messages m join message_contents c on c.id = m.content_id
        group by m.mailbox_id, m.tenant_id`.execute(db);
      await sql`insert into volume_hourly (tenant_id, hour, messages, bytes)
        select m.tenant_id, m.archived_at / 3600000, count(*), sum(c.size)
        from messages m join message_contents c on c.id = m.content_id
        group by m.tenant_id, m.archived_at / 3600000`.execute(db);
    },
  },
  '0006_totp_steps_and_audit_order': {
    // The last accepted TOTP time step, so a code cannot be used twice; audit pages by (chain, id).
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('system_admins').addColumn('totp_last_step', 'integer').execute();
      await db.schema.alterTable('users').addColumn('totp_last_step', 'integer').execute();
      await db.schema
        .createIndex('audit_log_by_chain')
        .on('audit_log')
        .columns(['tenant_id', 'id'])
        .execute();
    },
  },
  '0007_journal_endpoints': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('journal_endpoints')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        // No cascade: a mailbox that receives journal reports cannot disappear under its endpoint.
        // (NO ACTION rather than RESTRICT: checked at the end of the statement, so deleting the
        // tenant, which cascades to both tables, still works.)
        .addColumn('mailbox_id', 'integer', (c) => c.notNull().references('archive_mailboxes.id'))
        .addColumn('address_token', 'text', (c) => c.notNull().unique())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addColumn('last_received_at', 'integer')
        .addUniqueConstraint('journal_endpoints_name', ['tenant_id', 'name'])
        .execute();
      await db.schema
        .createIndex('journal_endpoints_by_mailbox')
        .on('journal_endpoints')
        .column('mailbox_id')
        .execute();
      await db.schema
        .createTable('journal_endpoint_hourly')
        .addColumn('endpoint_id', 'integer', (c) =>
          c.notNull().references('journal_endpoints.id').onDelete('cascade'),
        )
        .addColumn('hour', 'integer', (c) => c.notNull())
        .addColumn('messages', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('journal_endpoint_hourly_pk', ['endpoint_id', 'hour'])
        .execute();
    },
  },
  '0008_journal_intake': {
    async up(db: Kysely<unknown>) {
      // The transport envelope a copy arrived with (journal reports): who sent it and every
      // recipient, Bcc and expanded lists included. Per copy, merged when another report of the
      // same message arrives; content_id lets the content's index document gather them.
      await db.schema
        .createTable('message_envelopes')
        .addColumn('message_id', 'integer', (c) =>
          c.primaryKey().references('messages.id').onDelete('cascade'),
        )
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('content_id', 'integer', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('on_behalf_of', 'text')
        .addColumn('reports', 'integer', (c) => c.notNull())
        .addColumn('first_received_at', 'integer', (c) => c.notNull())
        .addColumn('last_received_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('message_envelopes_by_content')
        .on('message_envelopes')
        .columns(['tenant_id', 'content_id'])
        .execute();
      await db.schema
        .createTable('message_envelope_recipients')
        .addColumn('message_id', 'integer', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addColumn('tenant_id', 'integer', (c) => c.notNull())
        .addColumn('content_id', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('expanded_from', 'text')
        .addColumn('forwarded_from', 'text')
        .addPrimaryKeyConstraint('message_envelope_recipients_pk', ['message_id', 'kind', 'address'])
        .modifyEnd(sql`without rowid`)
        .execute();
      await db.schema
        .createIndex('message_envelope_recipients_by_content')
        .on('message_envelope_recipients')
        .columns(['tenant_id', 'content_id'])
        .execute();
      // Journal reports acknowledged (250) wait in spool files until archived; which records of a
      // spool file are archived is written here in the archive's own transaction, so a crash between
      // archiving and removing the file never archives a record twice.
      await db.schema
        .createTable('journal_spool_done')
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('record', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('journal_spool_done_pk', ['file', 'record'])
        .modifyEnd(sql`without rowid`)
        .execute();
      // What background processes report to admins (Admin Access → Process Log). The journal intake
      // writes here first; the job queue's runs will join it.
      await db.schema
        .createTable('process_log')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.references('tenants.id').onDelete('cascade'))
        .addColumn('process', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'integer')
        .addColumn('subject_name', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('details_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('process_log_by_tenant')
        .on('process_log')
        .columns(['tenant_id', 'created_at'])
        .execute();
    },
  },
  '0009_journal_summaries_and_recipient_sources': {
    async up(db: Kysely<unknown>) {
      // Hours whose counts the process log has already summarised.
      await db.schema
        .alterTable('journal_endpoint_hourly')
        .addColumn('summarized', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // The same recipient may come once directly and once through a distribution list (or
      // forwarded) in different reports: each source is a row of its own ('' = none), so a second
      // report's list is kept instead of lost to the first row.
      await sql`create table message_envelope_recipients_v2 (
        message_id integer not null references messages(id) on delete cascade,
        tenant_id integer not null,
        content_id integer not null,
        kind text not null,
        address text not null,
        expanded_from text not null default '',
        forwarded_from text not null default '',
        constraint message_envelope_recipients_pk
          primary key (message_id, kind, address, expanded_from, forwarded_from)
      ) without rowid`.execute(db);
      await sql`insert into message_envelope_recipients_v2
        select message_id, tenant_id, content_id, kind, address,
               coalesce(expanded_from, ''), coalesce(forwarded_from, '')
        from message_envelope_recipients`.execute(db);
      await sql`drop table message_envelope_recipients`.execute(db);
      await sql`alter table message_envelope_recipients_v2 rename to message_envelope_recipients`.execute(db);
      await db.schema
        .createIndex('message_envelope_recipients_by_content')
        .on('message_envelope_recipients')
        .columns(['tenant_id', 'content_id'])
        .execute();
    },
  },
  '0010_schedules_and_job_runs': {
    async up(db: Kysely<unknown>) {
      // A schedule only enqueues runs of one configuration (job type + configuration id, fixed once
      // created); next_run_at is computed from the recurrence in the schedule's time zone.
      await db.schema
        .createTable('schedules')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.references('tenants.id').onDelete('cascade'))
        .addColumn('job_type', 'text', (c) => c.notNull())
        .addColumn('config_id', 'integer')
        .addColumn('recurrence_json', 'text', (c) => c.notNull())
        .addColumn('time_zone', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('next_run_at', 'integer')
        .addColumn('last_run_id', 'integer')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('schedules_due')
        .on('schedules')
        .columns(['enabled', 'next_run_at'])
        .execute();
      await db.schema
        .createTable('job_runs')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.references('tenants.id').onDelete('cascade'))
        .addColumn('request_id', 'text', (c) => c.notNull().unique())
        .addColumn('job_type', 'text', (c) => c.notNull())
        .addColumn('config_id', 'integer')
        .addColumn('config_name', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('schedule_id', 'integer')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('not_before', 'integer', (c) => c.notNull())
        .addColumn('queued_at', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'integer')
        .addColumn('finished_at', 'integer')
        .addColumn('progress_json', 'text')
        .addColumn('counters_json', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('retried_from', 'integer')
        .addColumn('error', 'text')
        // The worst severity among the run's process-log messages, for the "minimum severity" filter.
        .addColumn('severity', 'text', (c) => c.notNull().defaultTo('info'))
        .execute();
      await db.schema
        .createIndex('job_runs_by_status')
        .on('job_runs')
        .columns(['status', 'not_before'])
        .execute();
      await db.schema
        .createIndex('job_runs_by_tenant')
        .on('job_runs')
        .columns(['tenant_id', 'queued_at'])
        .execute();
      await db.schema
        .createIndex('job_runs_by_config')
        .on('job_runs')
        .columns(['job_type', 'config_id', 'status'])
        .execute();
      // At most one queued or running run per configuration, whoever enqueues (no overlap).
      await sql`create unique index job_runs_one_active on job_runs
        (coalesce(tenant_id, 0), job_type, coalesce(config_id, 0))
        where status in ('queued', 'running')`.execute(db);
      await db.schema.alterTable('process_log').addColumn('run_id', 'integer').execute();
      await db.schema.createIndex('process_log_by_run').on('process_log').column('run_id').execute();
    },
  },
  '0011_mail_sending': {
    async up(db: Kysely<unknown>) {
      // The system's mail server: one row (id 1). Secrets are sealed under the master key.
      await db.schema
        .createTable('system_mail_settings')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('authentication', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('host', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('port', 'integer', (c) => c.notNull().defaultTo(25))
        .addColumn('encryption', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('username', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_sealed', 'blob')
        .addColumn('graph_tenant_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('graph_client_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('graph_client_secret_sealed', 'blob')
        .addColumn('sender_address', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('sender_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('smtputf8', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('support_address', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('allow_tenant_support_address', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('attach_system_info', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
      // What the system administrator allows each tenant.
      await db.schema
        .alterTable('tenants')
        .addColumn('may_use_system_mail', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema
        .alterTable('tenants')
        .addColumn('may_configure_own_mail', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      // A tenant's own sending: SMTP or a Microsoft 365 mailbox. Secrets sealed with the tenant's key.
      await db.schema
        .createTable('tenant_mail_settings')
        .addColumn('tenant_id', 'integer', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('smtp_host', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('smtp_port', 'integer', (c) => c.notNull().defaultTo(25))
        .addColumn('smtp_encryption', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('smtp_username', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('smtp_password_sealed', 'blob')
        .addColumn('sender_address', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('sender_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('smtputf8', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('m365_tenant_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('m365_sender_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('m365_sender_address', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('m365_connected_by', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('support_address', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
      // "Connect Tenant" in progress: the state handed to Microsoft and what came back so far.
      await db.schema
        .createTable('m365_connect_requests')
        .addColumn('state', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('m365_tenant_id', 'text')
        .addColumn('code_verifier', 'text', (c) => c.notNull())
        // SHA-256 of a one-time value in a SameSite=Lax cookie of the browser that started the flow.
        .addColumn('browser_binding', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .execute();
      // The outgoing queue. The message is sealed (tenant key, or master key for the system's mail).
      await db.schema
        .createTable('outgoing_mail')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('tenant_id', 'integer', (c) => c.references('tenants.id').onDelete('cascade'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('mail_from', 'text', (c) => c.notNull())
        .addColumn('recipients_json', 'text', (c) => c.notNull())
        // 1: the parts of a message Postvault composes when it is sent (with the route's sender);
        // 0: exact bytes to send unchanged (Resend).
        .addColumn('composed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('message_sealed', 'blob', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('not_before', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('transport', 'text')
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('finished_at', 'integer')
        .execute();
      await db.schema
        .createIndex('outgoing_mail_due')
        .on('outgoing_mail')
        .columns(['status', 'not_before'])
        .execute();
    },
  },
  '0012_web_access': {
    // Web Access opens a folder newest first: without this index a small folder of a large tenant
    // would be found by walking the tenant's whole date index. ~20 bytes per copy.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('messages_by_folder')
        .on('messages')
        .columns(['folder_id', 'sort_date', 'id'])
        .execute();
    },
  },
  '0013_gateway': {
    async up(db: Kysely<unknown>) {
      // Gateway mailboxes (issue 9): installation-wide, not per tenant. Only the public key and the
      // private key locked under the mailbox password are kept; nothing that verifies the password.
      await db.schema
        .createTable('gateway_mailboxes')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        // The random local part; the address is `<local_part>@<gateway domain>`.
        .addColumn('local_part', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('public_key', 'blob', (c) => c.notNull())
        .addColumn('locked_private_key', 'blob', (c) => c.notNull())
        // Also inside locked_private_key (and authenticated there); here for reports.
        .addColumn('kdf_opslimit', 'integer', (c) => c.notNull())
        .addColumn('kdf_memlimit', 'integer', (c) => c.notNull())
        // Raised by a reset without the current password: older messages cannot be opened any more.
        .addColumn('key_generation', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addColumn('last_received_at', 'integer')
        .execute();
      await db.schema
        .createTable('gateway_messages')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('mailbox_id', 'integer', (c) =>
          c.notNull().references('gateway_mailboxes.id').onDelete('cascade'),
        )
        // POP3 UIDL: stable for the life of the message; also its file name.
        .addColumn('uid', 'text', (c) => c.notNull())
        .addColumn('key_generation', 'integer', (c) => c.notNull())
        // Octets of the message as received (what RETR sends before dot-stuffing).
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('stored_size', 'integer', (c) => c.notNull())
        .addColumn('received_at', 'integer', (c) => c.notNull())
        .addUniqueConstraint('gateway_messages_uid', ['mailbox_id', 'uid'])
        .execute();
    },
  },
  '0013_gateway_segments': {
    async up(db: Kysely<unknown>) {
      // Gateway intake appends each group of messages to a mailbox's segment file with one
      // fdatasync (decision 0012), and records them here behind the 250. A segment is open while
      // one process appends to it; a closed segment whose messages are all deleted is removed.
      await db.schema
        .createTable('gateway_segments')
        .addColumn('mailbox_id', 'integer', (c) =>
          c.notNull().references('gateway_mailboxes.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (c) => c.notNull())
        // 1 while a process appends to it, 0 once closed, -1 while its file is being removed.
        .addColumn('open', 'integer', (c) => c.notNull())
        // Where its last recorded frame ends: frames after it are recovered at start-up.
        .addColumn('recorded_end', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('gateway_segments_pk', ['mailbox_id', 'name'])
        .execute();
      // Where a message's encrypted bytes are: (segment, offset, stored_size). Null segment: a file
      // of its own, <uid>.pvgm, as intake wrote before segments.
      await db.schema.alterTable('gateway_messages').addColumn('segment', 'text').execute();
      await db.schema.alterTable('gateway_messages').addColumn('segment_offset', 'integer').execute();
      await db.schema
        .createIndex('gateway_messages_segment')
        .on('gateway_messages')
        .columns(['mailbox_id', 'segment'])
        .execute();
    },
  },
  '0014_gateway_console': {
    async up(db: Kysely<unknown>) {
      // The Gateway console's own accounts (issue 9), kept apart from the system administrators:
      // whoever runs the gateway need not run the installation, and the other way round.
      await db.schema
        .createTable('gateway_admins')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
        .addColumn('totp_secret', 'blob')
        .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('totp_last_step', 'integer')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('last_sign_in_at', 'integer')
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
