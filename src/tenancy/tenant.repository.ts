import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Insertable } from 'kysely';
import type { Tenant, TenantsTable } from '../db/schema.js';
import { deleteSecondFactorRows } from './identity.repository.js';

/** Tenant rows and their wrapped keys. System-level: these queries are the only ones not scoped by tenant. */
export class TenantRepository {
  constructor(private readonly db: Db) {}

  findBySlug(slug: string): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  findById(id: number): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findAll(): Promise<Tenant[]> {
    return this.db.selectFrom('tenants').selectAll().orderBy('slug').execute();
  }

  /** Keys are wrapped with the new tenant's id as context, so they are made once the id exists. */
  insertWithKeys(
    tenant: Insertable<TenantsTable>,
    keysFor: (tenantId: number) => Array<{ purpose: 'dedup' | 'data'; keyId: number; wrapped: Buffer }>,
  ): Promise<Tenant> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('tenants')
        .values(tenant)
        .returningAll()
        .executeTakeFirstOrThrow();
      for (const key of keysFor(inserted.id)) {
        await trx
          .insertInto('tenant_keys')
          .values({
            tenant_id: inserted.id,
            purpose: key.purpose,
            key_id: key.keyId,
            wrapped: key.wrapped,
            active: 1,
            created_at: tenant.created_at,
          })
          .execute();
      }
      return inserted;
    });
  }

  async update(
    tenantId: number,
    changes: Partial<Pick<Tenant, 'name' | 'status' | 'max_users' | 'max_mailboxes' | 'max_storage_bytes'>>,
  ): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('tenants').set(changes).where('id', '=', tenantId).execute();
      // Suspending ends every session at once; resuming does not bring them back.
      if (changes.status === 'suspended') {
        await trx.deleteFrom('sessions').where('tenant_id', '=', tenantId).execute();
      }
    });
  }

  /**
   * Removes every row the tenant owns, its keys included, in one transaction: once it commits the
   * tenant's blobs can no longer be decrypted, whatever happens to the files afterwards.
   */
  async deleteWithEverything(tenantId: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await sql`delete from message_fts where rowid in
        (select id from message_contents where tenant_id = ${tenantId})`.execute(trx);
      await trx.deleteFrom('messages').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('message_contents').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('blob_parts').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('blobs').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('audit_log').where('tenant_id', '=', tenantId).execute();
      await trx.deleteFrom('audit_heads').where('tenant_id', '=', tenantId).execute();
      // Second-factor rows name users by id only; a later user with a reused id must not inherit them.
      const users = trx.selectFrom('users').select('id').where('tenant_id', '=', tenantId);
      await deleteSecondFactorRows(trx, 'tenant', users);
      // The rest (mailboxes, folders, users, groups, sessions, secrets, keys…) cascades.
      await trx.deleteFrom('tenants').where('id', '=', tenantId).execute();
    });
  }

  findKeys(tenantId: number) {
    return this.db
      .selectFrom('tenant_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('key_id')
      .execute();
  }

  /** Values sealed directly under the master key (see core/sealed.ts), re-sealed by a rotation. */
  findSystemSealedSecrets() {
    return this.db
      .selectFrom('system_admins')
      .select(['id', 'totp_secret'])
      .where('totp_secret', 'is not', null)
      .execute();
  }

  /** The system mail server's secrets, also sealed directly under the master key. */
  findSystemMailSecrets() {
    return this.db
      .selectFrom('system_mail_settings')
      .select(['password_sealed', 'graph_client_secret_sealed'])
      .executeTakeFirst();
  }

  findAllKeys() {
    return this.db.selectFrom('tenant_keys').selectAll().execute();
  }

  async addDataKey(tenantId: number, keyId: number, wrapped: Buffer, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('tenant_keys')
        .set({ active: 0 })
        .where('tenant_id', '=', tenantId)
        .where('purpose', '=', 'data')
        .execute();
      await trx
        .insertInto('tenant_keys')
        .values({ tenant_id: tenantId, purpose: 'data', key_id: keyId, wrapped, active: 1, created_at: now })
        .execute();
    });
  }

  /** Replaces every wrapped key at once, so a master-key rotation is all or nothing. */
  async rewrapAll(
    rows: Array<{ tenantId: number; purpose: string; keyId: number; wrapped: Buffer }>,
    resealedSystemSecrets: Array<{ systemAdminId: number; totpSecret: Buffer }> = [],
    resealedMailSecrets?: { password_sealed: Buffer | null; graph_client_secret_sealed: Buffer | null },
  ) {
    await this.db.transaction().execute(async (trx) => {
      if (resealedMailSecrets)
        await trx.updateTable('system_mail_settings').set(resealedMailSecrets).execute();
      for (const row of resealedSystemSecrets) {
        await trx
          .updateTable('system_admins')
          .set({ totp_secret: row.totpSecret })
          .where('id', '=', row.systemAdminId)
          .execute();
      }
      for (const row of rows) {
        await trx
          .updateTable('tenant_keys')
          .set({ wrapped: row.wrapped })
          .where('tenant_id', '=', row.tenantId)
          .where('purpose', '=', row.purpose as 'dedup' | 'data')
          .where('key_id', '=', row.keyId)
          .execute();
      }
    });
  }
}
