import type { Db } from '../db/database.js';
import type { Insertable } from 'kysely';
import type { Tenant, TenantsTable } from '../db/schema.js';

/** Tenant rows and their wrapped keys. System-level: these queries are the only ones not scoped by tenant. */
export class TenantRepository {
  constructor(private readonly db: Db) {}

  findBySlug(slug: string): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('slug', '=', slug).executeTakeFirst();
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

  findKeys(tenantId: number) {
    return this.db
      .selectFrom('tenant_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('key_id')
      .execute();
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
  async rewrapAll(rows: Array<{ tenantId: number; purpose: string; keyId: number; wrapped: Buffer }>) {
    await this.db.transaction().execute(async (trx) => {
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
