import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export const DAY_MS = 86_400_000;

/** The archived-volume figures of the Admin Access dashboard; each query scoped by the tenant id. */
export class DashboardRepository {
  constructor(private readonly db: Db) {}

  /** Message copies archived at or after `sinceMs` (all of them when null) and their original bytes. */
  async volumeSince(tenantId: number, sinceMs: number | null): Promise<{ messages: number; bytes: number }> {
    let query = this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .select((eb) => [
        eb.fn.countAll<number>().as('messages'),
        eb.fn.coalesce(eb.fn.sum<number>('c.size'), sql<number>`0`).as('bytes'),
      ])
      .where('m.tenant_id', '=', tenantId);
    if (sinceMs !== null) query = query.where('m.archived_at', '>=', sinceMs);
    const row = await query.executeTakeFirstOrThrow();
    return { messages: Number(row.messages), bytes: Number(row.bytes) };
  }

  /**
   * Per UTC day (days since the epoch) from `sinceMs` on: only days with messages. The divisor is a
   * literal so that the selected and the grouped expression are the same text on PostgreSQL too.
   */
  async dailyVolume(
    tenantId: number,
    sinceMs: number,
  ): Promise<Array<{ day: number; messages: number; bytes: number }>> {
    const day = sql<number>`m.archived_at / ${sql.lit(DAY_MS)}`;
    const rows = await this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .select((eb) => [
        day.as('day'),
        eb.fn.countAll<number>().as('messages'),
        eb.fn.coalesce(eb.fn.sum<number>('c.size'), sql<number>`0`).as('bytes'),
      ])
      .where('m.tenant_id', '=', tenantId)
      .where('m.archived_at', '>=', sinceMs)
      .groupBy(day)
      .orderBy(day)
      .execute();
    return rows.map((r) => ({ day: Number(r.day), messages: Number(r.messages), bytes: Number(r.bytes) }));
  }
}
