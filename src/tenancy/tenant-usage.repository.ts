import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Tenant } from '../db/schema.js';

/** What a tenant uses, as the system console's TenantSummary and the Admin Access dashboard show it. */
export interface TenantUsage {
  users: number;
  mailboxes: number;
  /** Message copies (one per mailbox folder). */
  messages: number;
  /** Bytes in the blob store after dedup, compression and encryption. */
  storageBytes: number;
}

/**
 * A tenant's row (name, status, quotas) and its usage numbers. Used by tenant administration and by
 * the system console; each query is scoped by the tenant id passed first.
 */
export class TenantUsageRepository {
  constructor(private readonly db: Db) {}

  findTenant(tenantId: number): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  }

  async usageOf(tenantId: number): Promise<TenantUsage> {
    const count = (table: 'users' | 'archive_mailboxes') =>
      this.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow();
    const [users, mailboxes, messages, storage] = await Promise.all([
      count('users'),
      count('archive_mailboxes'),
      this.db
        .selectFrom('mailbox_counts')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('messages'), sql<number>`0`).as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('blobs')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('stored_size'), sql<number>`0`).as('bytes'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      users: Number(users.n),
      mailboxes: Number(mailboxes.n),
      messages: Number(messages.n),
      storageBytes: Number(storage.bytes),
    };
  }
}
