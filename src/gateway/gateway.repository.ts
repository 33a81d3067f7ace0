import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type {
  GatewayMailbox,
  GatewayMailboxesTable,
  GatewayMailboxStatus,
  GatewayMessage,
} from '../db/schema.js';
import type { Insertable, Updateable } from 'kysely';

/** A mailbox row with what its messages add up to. */
export interface GatewayMailboxSummary {
  mailbox: GatewayMailbox;
  messages: number;
  bytes: number;
  /** Messages of an older key generation: nobody can open them any more. */
  unreadableMessages: number;
}

/** What intake writes for one stored copy. */
export interface NewGatewayMessage {
  mailboxId: number;
  uid: string;
  keyGeneration: number;
  size: number;
  storedSize: number;
  receivedAt: number;
}

/** Gateway mailboxes and their messages: installation-wide, so no tenant scoping. */
export class GatewayRepository {
  constructor(private readonly db: Db) {}

  /** Every mailbox (or the one with `id`), sorted by name, with its message counts. */
  async findSummaries(id?: number): Promise<GatewayMailboxSummary[]> {
    let query = this.db
      .selectFrom('gateway_mailboxes as mb')
      .leftJoin('gateway_messages as m', 'm.mailbox_id', 'mb.id')
      .selectAll('mb')
      .select([
        sql<number>`count(m.id)`.as('messages'),
        sql<number>`coalesce(sum(m.size), 0)`.as('bytes'),
        sql<number>`coalesce(sum(case when m.key_generation < mb.key_generation then 1 else 0 end), 0)`.as(
          'unreadableMessages',
        ),
      ])
      .groupBy('mb.id')
      .orderBy('mb.name');
    if (id !== undefined) query = query.where('mb.id', '=', id);
    const rows = await query.execute();
    return rows.map(({ messages, bytes, unreadableMessages, ...mailbox }) => ({
      mailbox,
      messages: Number(messages),
      bytes: Number(bytes),
      unreadableMessages: Number(unreadableMessages),
    }));
  }

  async findById(id: number): Promise<GatewayMailbox | undefined> {
    return this.db.selectFrom('gateway_mailboxes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByName(name: string): Promise<GatewayMailbox | undefined> {
    return this.db.selectFrom('gateway_mailboxes').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async findByLocalPart(localPart: string): Promise<GatewayMailbox | undefined> {
    return this.db
      .selectFrom('gateway_mailboxes')
      .selectAll()
      .where('local_part', '=', localPart)
      .executeTakeFirst();
  }

  async insert(row: Insertable<GatewayMailboxesTable>): Promise<GatewayMailbox> {
    return this.db.insertInto('gateway_mailboxes').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async update(id: number, changes: Updateable<GatewayMailboxesTable>): Promise<void> {
    await this.db.updateTable('gateway_mailboxes').set(changes).where('id', '=', id).execute();
  }

  async setStatus(id: number, status: GatewayMailboxStatus, now: number): Promise<void> {
    await this.update(id, { status, updated_at: now });
  }

  /** The mailbox row; its messages go with it (cascade). */
  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('gateway_mailboxes').where('id', '=', id).execute();
  }

  /** Records stored copies, each file already durable, in one transaction (one fsync). */
  async insertMessages(messages: readonly NewGatewayMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('gateway_messages')
        .values(
          messages.map((m) => ({
            mailbox_id: m.mailboxId,
            uid: m.uid,
            key_generation: m.keyGeneration,
            size: m.size,
            stored_size: m.storedSize,
            received_at: m.receivedAt,
          })),
        )
        .execute();
      for (const m of messages) {
        await trx
          .updateTable('gateway_mailboxes')
          .set({ last_received_at: m.receivedAt })
          .where('id', '=', m.mailboxId)
          .execute();
      }
    });
  }

  /** The messages encrypted for `keyGeneration`, oldest first: a POP3 maildrop. */
  async findReadableMessages(mailboxId: number, keyGeneration: number): Promise<GatewayMessage[]> {
    return this.db
      .selectFrom('gateway_messages')
      .selectAll()
      .where('mailbox_id', '=', mailboxId)
      .where('key_generation', '=', keyGeneration)
      .orderBy('id')
      .execute();
  }

  async findUnreadableMessages(mailboxId: number, keyGeneration: number): Promise<GatewayMessage[]> {
    return this.db
      .selectFrom('gateway_messages')
      .selectAll()
      .where('mailbox_id', '=', mailboxId)
      .where('key_generation', '<', keyGeneration)
      .orderBy('id')
      .execute();
  }

  async deleteMessages(mailboxId: number, ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 400)
      await this.db
        .deleteFrom('gateway_messages')
        .where('mailbox_id', '=', mailboxId)
        .where('id', 'in', ids.slice(i, i + 400))
        .execute();
  }

  /** Every mailbox id with the uids of its messages: what start-up cleanup keeps. */
  async findAllUids(): Promise<Map<number, Set<string>>> {
    const mailboxes = await this.db.selectFrom('gateway_mailboxes').select('id').execute();
    const byMailbox = new Map<number, Set<string>>(mailboxes.map((m) => [m.id, new Set()]));
    const rows = await this.db.selectFrom('gateway_messages').select(['mailbox_id', 'uid']).execute();
    for (const row of rows) byMailbox.get(row.mailbox_id)?.add(row.uid);
    return byMailbox;
  }
}
