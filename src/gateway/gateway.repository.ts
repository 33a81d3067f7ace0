import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type {
  GatewayMailbox,
  GatewayMailboxesTable,
  GatewayMailboxStatus,
  GatewayMessage,
  Database,
} from '../db/schema.js';
import type { RecoveredFrame, StoredState } from './gateway-message-store.js';
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
  /** Of the public key the copy is encrypted for. */
  keyGeneration: number;
  size: number;
  storedSize: number;
  receivedAt: number;
  segment: string;
  segmentOffset: number;
}

/** How far a segment's frames are recorded (or were given up on), and whether it takes appends. */
export interface SegmentMark {
  mailboxId: number;
  name: string;
  end: number;
  open: boolean;
  createdAt: number;
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

  /** The current public key and generation of each mailbox that still exists. */
  async currentKeys(ids: readonly number[]): Promise<Map<number, { publicKey: Buffer; generation: number }>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('gateway_mailboxes')
      .select(['id', 'public_key', 'key_generation'])
      .where('id', 'in', ids)
      .execute();
    return new Map(rows.map((r) => [r.id, { publicKey: r.public_key, generation: r.key_generation }]));
  }

  /**
   * Records stored copies, their bytes already durable, and moves their segments' marks forward,
   * in one transaction (one fsync). Copies and marks of mailboxes deleted meanwhile are dropped.
   */
  async recordMessages(messages: readonly NewGatewayMessage[], marks: readonly SegmentMark[]): Promise<void> {
    if (messages.length === 0 && marks.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      const ids = [...new Set([...messages.map((m) => m.mailboxId), ...marks.map((m) => m.mailboxId)])];
      const live = new Set(
        (await trx.selectFrom('gateway_mailboxes').select('id').where('id', 'in', ids).execute()).map(
          (m) => m.id,
        ),
      );
      const liveMarks = marks.filter((m) => live.has(m.mailboxId));
      for (let i = 0; i < liveMarks.length; i += 200)
        await trx
          .insertInto('gateway_segments')
          .values(
            liveMarks.slice(i, i + 200).map((m) => ({
              mailbox_id: m.mailboxId,
              name: m.name,
              open: m.open ? 1 : 0,
              recorded_end: m.end,
              created_at: m.createdAt,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['mailbox_id', 'name']).doUpdateSet({
              recorded_end: sql`max(recorded_end, excluded.recorded_end)`,
            }),
          )
          .execute();
      const rows = messages.filter((m) => live.has(m.mailboxId));
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto('gateway_messages')
          .values(
            rows.slice(i, i + 200).map((m) => ({
              mailbox_id: m.mailboxId,
              uid: m.uid,
              key_generation: m.keyGeneration,
              size: m.size,
              stored_size: m.storedSize,
              received_at: m.receivedAt,
              segment: m.segment,
              segment_offset: m.segmentOffset,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      const last = new Map<number, number>();
      for (const m of rows) last.set(m.mailboxId, Math.max(last.get(m.mailboxId) ?? 0, m.receivedAt));
      for (const [id, at] of last)
        await trx
          .updateTable('gateway_mailboxes')
          .set({ last_received_at: sql`max(coalesce(last_received_at, 0), ${at})` })
          .where('id', '=', id)
          .execute();
    });
  }

  /**
   * Nothing is appended to this segment any more. True when none of its messages is left: it is then
   * marked as being removed, and the caller removes the file, then `forgetSegments`.
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
    // Kept until the file is gone: a segment without a row is read back (recovered) at start-up.
    await trx
      .updateTable('gateway_segments')
      .set({ open: -1 })
      .where('mailbox_id', '=', mailboxId)
      .where('name', '=', name)
      .execute();
    return true;
  }

  /** Rows of segments whose files are removed. */
  async forgetSegments(mailboxId: number, names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i += 400)
      await this.db
        .deleteFrom('gateway_segments')
        .where('mailbox_id', '=', mailboxId)
        .where('name', 'in', names.slice(i, i + 400))
        .execute();
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
   * (marked as being removed in the same transaction: `forgetSegments` once their files are gone)
   * and the messages stored as files of their own.
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
   * mailboxes, segments with how far they are recorded, messages in files of their own.
   */
  async closeSegmentsAndFindStored(): Promise<StoredState> {
    await this.db.updateTable('gateway_segments').set({ open: 0 }).where('open', '=', 1).execute();
    const mailboxIds = new Set(
      (await this.db.selectFrom('gateway_mailboxes').select('id').execute()).map((m) => m.id),
    );
    const used = new Set(
      (
        await this.db
          .selectFrom('gateway_messages')
          .select(['mailbox_id', 'segment'])
          .where('segment', 'is not', null)
          .distinct()
          .execute()
      ).map((r) => `${r.mailbox_id}/${r.segment}`),
    );
    const segments = new Map<
      number,
      Map<string, { recordedEnd: number; removing: boolean; used: boolean }>
    >();
    for (const s of await this.db
      .selectFrom('gateway_segments')
      .select(['mailbox_id', 'name', 'open', 'recorded_end'])
      .execute()) {
      const map = segments.get(s.mailbox_id) ?? new Map();
      map.set(s.name, {
        recordedEnd: s.recorded_end,
        removing: s.open === -1,
        used: used.has(`${s.mailbox_id}/${s.name}`),
      });
      segments.set(s.mailbox_id, map);
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

  /** The public keys of all mailboxes, by id (start-up recovery: which key a recovered frame is for). */
  async allKeys(): Promise<Map<number, { publicKey: Buffer; generation: number }>> {
    const rows = await this.db
      .selectFrom('gateway_mailboxes')
      .select(['id', 'public_key', 'key_generation'])
      .execute();
    return new Map(rows.map((r) => [r.id, { publicKey: r.public_key, generation: r.key_generation }]));
  }

  /**
   * Records frames that start-up found after their segments' recorded ends (acknowledged, perhaps,
   * before a crash). One encrypted for a key the mailbox no longer has counts as unreadable
   * (generation 0), as any message from before a reset without the password.
   */
  async recordRecovered(frames: readonly RecoveredFrame[]): Promise<void> {
    const keys = await this.allKeys();
    const marks = new Map<string, SegmentMark>();
    const rows: NewGatewayMessage[] = [];
    for (const f of frames) {
      const key = keys.get(f.mailboxId);
      if (!key) continue;
      const current = key.publicKey.subarray(0, f.keyPrefix.length / 2).toString('hex') === f.keyPrefix;
      rows.push({
        mailboxId: f.mailboxId,
        uid: f.uid,
        keyGeneration: current ? key.generation : 0,
        size: f.size,
        storedSize: f.storedSize,
        receivedAt: f.receivedAt,
        segment: f.segment,
        segmentOffset: f.offset,
      });
      const id = `${f.mailboxId}/${f.segment}`;
      const end = f.offset + f.storedSize;
      if ((marks.get(id)?.end ?? -1) < end)
        marks.set(id, { mailboxId: f.mailboxId, name: f.segment, end, open: false, createdAt: f.receivedAt });
    }
    await this.recordMessages(rows, [...marks.values()]);
  }

  /** Segment rows whose files are gone (start-up recovery). */
  async deleteSegmentRows(segments: ReadonlyArray<{ mailboxId: number; name: string }>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const s of segments)
        await trx
          .deleteFrom('gateway_segments')
          .where('mailbox_id', '=', s.mailboxId)
          .where('name', '=', s.name)
          .execute();
    });
  }
}
