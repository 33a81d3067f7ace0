import type { Db } from '../db/database.js';
import type { DomainsTable, IdentityOrigin } from '../db/schema.js';
import type { Selectable } from 'kysely';

export type DomainRow = Selectable<DomainsTable>;

/** A tenant's mail domains, each query scoped by the tenant id passed first. */
export class DomainsRepository {
  constructor(private readonly db: Db) {}

  findAll(tenantId: number): Promise<DomainRow[]> {
    return this.db
      .selectFrom('domains')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
  }

  findById(tenantId: number, id: number): Promise<DomainRow | undefined> {
    return this.db
      .selectFrom('domains')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByName(tenantId: number, name: string): Promise<DomainRow | undefined> {
    return this.db
      .selectFrom('domains')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  insert(
    tenantId: number,
    domain: { name: string; origin: IdentityOrigin; now: number },
  ): Promise<DomainRow> {
    return this.db
      .insertInto('domains')
      .values({ tenant_id: tenantId, name: domain.name, origin: domain.origin, created_at: domain.now })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async delete(tenantId: number, id: number): Promise<void> {
    await this.db.deleteFrom('domains').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  }
}
