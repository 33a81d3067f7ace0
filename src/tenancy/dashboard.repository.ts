import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export const DAY_MS = 86_400_000;

const HOUR_MS = 3_600_000;

/**
 * The archived-volume figures of the Admin Access dashboard, from the hourly counters the ingest
 * commit keeps (volume_hourly): a few hundred rows per tenant and month, whatever the archive's
 * size. Each query is scoped by the tenant id.
 */
export class DashboardRepository {
  constructor(private readonly db: Db) {}

  /** Message copies archived at or after `sinceMs` (all of them when null) and their original bytes. */
  async volumeSince(tenantId: number, sinceMs: number | null): Promise<{ messages: number; bytes: number }> {
    let query = this.db
      .selectFrom('volume_hourly')
      .select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>('messages'), sql<number>`0`).as('messages'),
        eb.fn.coalesce(eb.fn.sum<number>('bytes'), sql<number>`0`).as('bytes'),
      ])
      .where('tenant_id', '=', tenantId);
    // Whole hours only: "the last 24 hours" covers 23 to 24 of them, never more.
    if (sinceMs !== null) query = query.where('hour', '>=', Math.ceil(sinceMs / HOUR_MS));
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
    const day = sql<number>`hour / ${sql.lit(DAY_MS / HOUR_MS)}`;
    const rows = await this.db
      .selectFrom('volume_hourly')
      .select((eb) => [
        day.as('day'),
        eb.fn.sum<number>('messages').as('messages'),
        eb.fn.sum<number>('bytes').as('bytes'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('hour', '>=', Math.floor(sinceMs / HOUR_MS))
      .groupBy(day)
      .orderBy(day)
      .execute();
    return rows.map((r) => ({ day: Number(r.day), messages: Number(r.messages), bytes: Number(r.bytes) }));
  }
}
