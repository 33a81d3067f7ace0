import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { Selectable } from 'kysely';
import type { SchedulesTable } from '../db/schema.js';

export type Schedule = Selectable<SchedulesTable>;

/** Schedules, always read and changed within one tenant (null: the installation's own). */
export class SchedulesRepository {
  constructor(private readonly db: Db) {}

  list(tenantId: number | null): Promise<Schedule[]> {
    return this.db
      .selectFrom('schedules')
      .selectAll()
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .orderBy('id')
      .execute();
  }

  find(tenantId: number | null, id: number): Promise<Schedule | undefined> {
    return this.db
      .selectFrom('schedules')
      .selectAll()
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  insert(row: Insertable<SchedulesTable>): Promise<Schedule> {
    return this.db.insertInto('schedules').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async update(tenantId: number | null, id: number, changes: Updateable<SchedulesTable>): Promise<void> {
    await this.db
      .updateTable('schedules')
      .set(changes)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  /**
   * The scheduler's write after firing: only when nobody changed the schedule since it was read
   * (an admin's edit in between wins). False when it was changed.
   */
  async updateIfUnchanged(
    schedule: Pick<Schedule, 'id' | 'updated_at'>,
    changes: Updateable<SchedulesTable>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('schedules')
      .set(changes)
      .where('id', '=', schedule.id)
      .where('updated_at', '=', schedule.updated_at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Remembers the latest run without touching anything an admin edits. */
  async setLastRun(id: number, runId: number): Promise<void> {
    await this.db.updateTable('schedules').set({ last_run_id: runId }).where('id', '=', id).execute();
  }

  async delete(tenantId: number | null, id: number): Promise<void> {
    await this.db
      .deleteFrom('schedules')
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  /** Every tenant's enabled schedules due by `now` (the scheduler's tick). */
  findDue(now: number): Promise<Schedule[]> {
    return this.db
      .selectFrom('schedules')
      .selectAll()
      .where('enabled', '=', 1)
      .where('next_run_at', 'is not', null)
      .where('next_run_at', '<=', now)
      .orderBy('next_run_at')
      .execute();
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('schedules')
      .select((eb) => eb.fn.min<number>('next_run_at').as('at'))
      .where('enabled', '=', 1)
      .executeTakeFirst();
    return row?.at ?? null;
  }
}
