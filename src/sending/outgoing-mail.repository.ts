import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { OutgoingMailTable } from '../db/schema.js';

export type OutgoingMailRow = Selectable<OutgoingMailTable>;

/** The outgoing queue's rows. A row is claimed with a conditional update, so it is sent once. */
export class OutgoingMailRepository {
  constructor(private readonly db: Db) {}

  insert(row: Insertable<OutgoingMailTable>): Promise<OutgoingMailRow> {
    return this.db.insertInto('outgoing_mail').values(row).returningAll().executeTakeFirstOrThrow();
  }

  find(tenantId: number | null, id: number): Promise<OutgoingMailRow | undefined> {
    return this.db
      .selectFrom('outgoing_mail')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .executeTakeFirst();
  }

  /** One tenant's queue (or the system's), newest first, without the message. */
  list(tenantId: number | null, limit: number) {
    return this.db
      .selectFrom('outgoing_mail')
      .select([
        'id',
        'purpose',
        'mail_from',
        'recipients_json',
        'size',
        'status',
        'attempts',
        'not_before',
        'last_error',
        'transport',
        'requested_by',
        'created_at',
        'finished_at',
      ])
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  findDue(now: number, limit: number): Promise<OutgoingMailRow[]> {
    return this.db
      .selectFrom('outgoing_mail')
      .selectAll()
      .where('status', '=', 'queued')
      .where('not_before', '<=', now)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /**
   * The oldest due message of each tenant not in `busy` (null tenant = 0), oldest first: a tenant
   * with a long queue cannot hide the others' mail behind it.
   */
  async findDueByTenant(now: number, busy: readonly number[], limit: number): Promise<number[]> {
    let q = this.db
      .selectFrom('outgoing_mail')
      .select((eb) => eb.fn.min<number>('id').as('id'))
      .where('status', '=', 'queued')
      .where('not_before', '<=', now);
    if (busy.length > 0) q = q.where(sql<number>`coalesce(tenant_id, 0)`, 'not in', [...busy]);
    const rows = await q
      .groupBy(sql`coalesce(tenant_id, 0)`)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  findById(id: number): Promise<OutgoingMailRow | undefined> {
    return this.db.selectFrom('outgoing_mail').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('outgoing_mail')
      .select((eb) => eb.fn.min<number>('not_before').as('at'))
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return row?.at ?? null;
  }

  async claim(id: number): Promise<boolean> {
    const result = await this.db
      .updateTable('outgoing_mail')
      .set({ status: 'sending' })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async finish(
    id: number,
    status: 'sent' | 'failed',
    now: number,
    transport: string | null,
    error: string | null,
  ) {
    await this.db
      .updateTable('outgoing_mail')
      .set({
        status,
        finished_at: now,
        transport,
        last_error: error,
        attempts: (eb) => eb('attempts', '+', 1),
        // The queue keeps no mail longer than it needs to.
        message_sealed: Buffer.alloc(0),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Back to the queue until `notBefore`; `countAttempt` false while sending is merely unavailable. */
  async defer(id: number, notBefore: number, transport: string | null, error: string, countAttempt: boolean) {
    await this.db
      .updateTable('outgoing_mail')
      .set({
        status: 'queued',
        not_before: notBefore,
        transport,
        last_error: error,
        attempts: (eb) => eb('attempts', '+', countAttempt ? 1 : 0),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Rows a dead process left 'sending' go back to the queue. */
  async requeueInterrupted(): Promise<number> {
    const result = await this.db
      .updateTable('outgoing_mail')
      .set({ status: 'queued' })
      .where('status', '=', 'sending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
