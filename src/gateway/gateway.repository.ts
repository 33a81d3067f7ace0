import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type {
  GatewayMailbox,
  GatewayMailboxesTable,
  GatewayMailboxStatus,
  GatewayMessage,
  Database,
} from '../db/schema.js';
import type { StoredState } from './gateway-message-store.js';
import type { Insertable, Updateable } from 'kysely';

/** A mailbox row with what its messages add up to. */
export interface GatewayMailboxSummary {
  mailbox: GatewayMailbox;
  messages: number;
  bytes: number;
  /** Messages of an older key generation: nobody can open them any more. */
  unreadableMessages: number;
}

/** What intake writes for one stored copy, once its bytes are durable. */
export interface NewGatewayMessage {
  mailboxId: number;
  uid: string;
  /** The public key the copy is encrypted for: recorded only if it is still the mailbox's. */
  publicKey: Uint8Array;
  size: number;
  storedSize: number;
  receivedAt: number;
  segment: string;
  segmentOffset: number;
  /** Whether the segment still takes appends (false for a message in a segment of its own). */
  segmentOpen: boolean;
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

  /**
   * Replaces the mailbox's key material only if it is still `expectedLockedKey`: of two resets at
   * once, one wins and the other is told, instead of one handing out a password that no longer works.
   */
  async replaceKey(
    id: number,
    expectedLockedKey: Uint8Array,
    changes: Updateable<GatewayMailboxesTable>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('gateway_mailboxes')
      .set(changes)
      .where('id', '=', id)
      .where('locked_private_key', '=', Buffer.from(expectedLockedKey))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async setStatus(id: number, status: GatewayMailboxStatus, now: number): Promise<void> {
    await this.update(id, { status, updated_at: now });
  }

  /** The mailbox row; its messages go with it (cascade). */
  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('gateway_mailboxes').where('id', '=', id).execute();
  }

  /**
   * Records the copies of a group of deliveries, their bytes already durable, in one transaction
   * (one fsync). A delivery is recorded whole or not at all: not when one of its mailboxes is gone
   * or has a new public key since its copy was encrypted (a reset, perhaps by another process).
   * Returns, per delivery, whether it was recorded.
   */
  async recordDeliveries(deliveries: ReadonlyArray<readonly NewGatewayMessage[]>): Promise<boolean[]> {
    if (deliveries.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const ids = [...new Set(deliveries.flatMap((d) => d.map((m) => m.mailboxId)))];
      const mailboxes = new Map(
        (
          await trx
            .selectFrom('gateway_mailboxes')
            .select(['id', 'public_key', 'key_generation'])
            .where('id', 'in', ids)
            .execute()
        ).map((m) => [m.id, m]),
      );
      const recorded = deliveries.map((d) =>
        d.every((m) => {
          const mailbox = mailboxes.get(m.mailboxId);
          return mailbox !== undefined && Buffer.from(mailbox.public_key).equals(m.publicKey);
        }),
      );
      const rows = deliveries.filter((_, i) => recorded[i]).flat();
      if (rows.length === 0) return recorded;
      const segments = new Map<
        string,
        { mailbox_id: number; name: string; open: number; created_at: number }
      >();
      for (const m of rows)
        segments.set(`${m.mailboxId}/${m.segment}`, {
          mailbox_id: m.mailboxId,
          name: m.segment,
          open: m.segmentOpen ? 1 : 0,
          created_at: m.receivedAt,
        });
      await trx
        .insertInto('gateway_segments')
        .values([...segments.values()])
        .onConflict((oc) => oc.doNothing())
        .execute();
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto('gateway_messages')
          .values(
            rows.slice(i, i + 200).map((m) => ({
              mailbox_id: m.mailboxId,
              uid: m.uid,
              key_generation: mailboxes.get(m.mailboxId)!.key_generation,
              size: m.size,
              stored_size: m.storedSize,
              received_at: m.receivedAt,
              segment: m.segment,
              segment_offset: m.segmentOffset,
            })),
          )
          .execute();
      const last = new Map<number, number>();
      for (const m of rows) last.set(m.mailboxId, Math.max(last.get(m.mailboxId) ?? 0, m.receivedAt));
      for (const [id, at] of last)
        await trx
          .updateTable('gateway_mailboxes')
          .set({ last_received_at: at })
          .where('id', '=', id)
          .execute();
      return recorded;
    });
  }

  /**
   * Nothing is appended to this segment any more. True when none of its messages is left: its row
   * is then gone too, and the caller removes the file.
   */
  async closeSegment(mailboxId: number, name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('gateway_segments')
        .set({ open: 0 })
        .where('mailbox_id', '=', mailboxId)
        .where('name', '=', name)
        .execute();
      return this.dropIfEmpty(trx, mailboxId, name);
    });
  }

  private async dropIfEmpty(trx: Transaction<Database>, mailboxId: number, name: string): Promise<boolean> {
    const left = await trx
      .selectFrom('gateway_messages')
      .select('id')
      .where('mailbox_id', '=', mailboxId)
      .where('segment', '=', name)
      .limit(1)
      .executeTakeFirst();
    if (left) return false;
    await trx
      .deleteFrom('gateway_segments')
      .where('mailbox_id', '=', mailboxId)
      .where('name', '=', name)
      .execute();
    return true;
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

  /**
   * Deletes messages; returns what files can go now: closed segments none of whose messages is left
   * (their rows deleted in the same transaction) and the messages stored as files of their own.
   */
  async deleteMessages(
    mailboxId: number,
    ids: readonly number[],
  ): Promise<{ segments: string[]; legacyUids: string[] }> {
    if (ids.length === 0) return { segments: [], legacyUids: [] };
    return this.db.transaction().execute(async (trx) => {
      const touched = new Set<string>();
      const legacyUids: string[] = [];
      for (let i = 0; i < ids.length; i += 400) {
        const slice = ids.slice(i, i + 400);
        for (const row of await trx
          .selectFrom('gateway_messages')
          .select(['uid', 'segment'])
          .where('mailbox_id', '=', mailboxId)
          .where('id', 'in', slice)
          .execute()) {
          if (row.segment === null) legacyUids.push(row.uid);
          else touched.add(row.segment);
        }
        await trx
          .deleteFrom('gateway_messages')
          .where('mailbox_id', '=', mailboxId)
          .where('id', 'in', slice)
          .execute();
      }
      const segments: string[] = [];
      for (const name of touched) {
        const segment = await trx
          .selectFrom('gateway_segments')
          .select('open')
          .where('mailbox_id', '=', mailboxId)
          .where('name', '=', name)
          .executeTakeFirst();
        // An open segment belongs to the process appending to it; it removes it once closed.
        if (segment?.open === 0 && (await this.dropIfEmpty(trx, mailboxId, name))) segments.push(name);
      }
      return { segments, legacyUids };
    });
  }

  /**
   * For start-up recovery, when no process appends: every segment is closed, and what is stored —
   * mailboxes, each segment with the end of its last message, messages in files of their own.
   */
  async closeSegmentsAndFindStored(): Promise<StoredState> {
    await this.db.updateTable('gateway_segments').set({ open: 0 }).where('open', '=', 1).execute();
    const mailboxIds = new Set(
      (await this.db.selectFrom('gateway_mailboxes').select('id').execute()).map((m) => m.id),
    );
    const segments = new Map<number, Map<string, number>>();
    for (const s of await this.db.selectFrom('gateway_segments').select(['mailbox_id', 'name']).execute()) {
      const map = segments.get(s.mailbox_id) ?? new Map<string, number>();
      map.set(s.name, 0);
      segments.set(s.mailbox_id, map);
    }
    const ends = await this.db
      .selectFrom('gateway_messages')
      .select(['mailbox_id', 'segment', sql<number>`max(segment_offset + stored_size)`.as('end')])
      .where('segment', 'is not', null)
      .groupBy(['mailbox_id', 'segment'])
      .execute();
    for (const e of ends) {
      const map = segments.get(e.mailbox_id) ?? new Map<string, number>();
      map.set(e.segment!, Number(e.end));
      segments.set(e.mailbox_id, map);
    }
    const legacy = new Map<number, Set<string>>();
    for (const row of await this.db
      .selectFrom('gateway_messages')
      .select(['mailbox_id', 'uid'])
      .where('segment', 'is', null)
      .execute()) {
      const set = legacy.get(row.mailbox_id) ?? new Set<string>();
      set.add(row.uid);
      legacy.set(row.mailbox_id, set);
    }
    return { mailboxIds, segments, legacy };
  }

  /** Segment rows without messages (start-up recovery removed or found no file). */
  async deleteEmptySegments(segments: ReadonlyArray<{ mailboxId: number; name: string }>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const s of segments) await this.dropIfEmpty(trx, s.mailboxId, s.name);
    });
  }
}
