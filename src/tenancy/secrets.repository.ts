import type { Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { SecretsTable } from '../db/schema.js';

export type SecretRow = Selectable<SecretsTable>;
/** What lists show: everything but the sealed material. */
export type SecretSummaryRow = Omit<SecretRow, 'sealed'>;

const SUMMARY_COLUMNS = ['id', 'tenant_id', 'name', 'kind', 'username', 'created_at', 'updated_at'] as const;

/** Stored credentials (sealed); each query scoped by the tenant id passed first. */
export class SecretsRepository {
  constructor(private readonly db: Db) {}

  findAll(tenantId: number): Promise<SecretSummaryRow[]> {
    return this.db
      .selectFrom('secrets')
      .select(SUMMARY_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
  }

  findById(tenantId: number, id: number): Promise<SecretRow | undefined> {
    return this.db
      .selectFrom('secrets')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByName(tenantId: number, name: string): Promise<SecretSummaryRow | undefined> {
    return this.db
      .selectFrom('secrets')
      .select(SUMMARY_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /**
   * The material is sealed with the new row's id as context, so it is sealed once the id exists,
   * in the same transaction: no row ever holds an unsealed or placeholder value after commit.
   */
  insert(
    tenantId: number,
    secret: Pick<SecretRow, 'name' | 'kind' | 'username'> & { now: number },
    sealFor: (id: number) => Buffer,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('secrets')
        .values({
          tenant_id: tenantId,
          name: secret.name,
          kind: secret.kind,
          username: secret.username,
          sealed: Buffer.alloc(0),
          created_at: secret.now,
          updated_at: secret.now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('secrets')
        .set({ sealed: sealFor(id) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      return id;
    });
  }

  /** Fields left undefined are kept. */
  async update(
    tenantId: number,
    id: number,
    patch: Partial<Pick<SecretRow, 'name' | 'kind' | 'username' | 'sealed'>> & { now: number },
  ): Promise<void> {
    await this.db
      .updateTable('secrets')
      .set({
        name: patch.name,
        kind: patch.kind,
        username: patch.username,
        sealed: patch.sealed,
        updated_at: patch.now,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async delete(tenantId: number, id: number): Promise<void> {
    await this.db.deleteFrom('secrets').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  }
}
