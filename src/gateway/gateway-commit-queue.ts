import { ConflictError } from '../core/errors.js';
import type { GatewayMessageStore, SealedMessage } from './gateway-message-store.js';
import type { GatewayRepository, NewGatewayMessage } from './gateway.repository.js';

/** A mailbox was deleted or got a new key while a message for it was being encrypted: retry. */
export class StaleMailboxError extends ConflictError {
  override name = 'StaleMailboxError';
  constructor() {
    super('the gateway mailbox changed while the message arrived');
  }
}

/** One delivery: every recipient's copy, recorded all together or not at all. */
export interface Delivery {
  messages: readonly SealedMessage[];
  /** Octets as received. */
  size: number;
  receivedAt: number;
}

interface Pending {
  delivery: Delivery;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for intake. Deliveries whose copies are encrypted wait here; one group at a time is
 * placed (appended to the mailboxes' segments: one write and one fdatasync per mailbox, off the
 * event loop) and then recorded (all rows in one transaction, one database fsync). What arrives
 * while a group is on its way forms the next, so under load many messages share each fsync and
 * alone a message waits for nothing. Segment upkeep (closing, removing empty ones) runs between
 * groups, so it never races an append.
 */
export class GatewayCommitQueue {
  private pending: Pending[] = [];
  private chores: Array<() => Promise<void>> = [];
  private running = false;

  constructor(
    private readonly repository: Pick<GatewayRepository, 'recordDeliveries' | 'closeSegment'>,
    private readonly store: Pick<
      GatewayMessageStore,
      'place' | 'retire' | 'retireFull' | 'takeRetired' | 'removeFiles'
    >,
    private readonly onStale: (mailboxIds: number[]) => void = () => undefined,
  ) {}

  /** Resolves once the delivery's bytes are durable and its rows committed: then 250 may be said. */
  commit(delivery: Delivery): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ delivery, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** Stops appending to the mailbox's segment (between groups); it goes if nothing in it is left. */
  retire(mailboxId: number): Promise<void> {
    return this.between(async () => {
      await this.store.retire(mailboxId);
      await this.closeRetired();
    });
  }

  /** Runs `run` between two groups: it never overlaps an append or a commit. */
  between(run: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.chores.push(() => run().then(resolve, reject));
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.pending.length > 0 || this.chores.length > 0) {
        const chores = this.chores;
        this.chores = [];
        for (const chore of chores) await chore();
        const batch = this.pending;
        this.pending = [];
        if (batch.length > 0) await this.commitGroup(batch);
        await this.closeRetired();
      }
    } finally {
      this.running = false;
    }
  }

  private async commitGroup(batch: Pending[]): Promise<void> {
    const messages = batch.flatMap((p) => p.delivery.messages);
    let placed: Awaited<ReturnType<GatewayMessageStore['place']>>;
    try {
      placed = await this.store.place(messages);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    const ready: Array<{ pending: Pending; rows: NewGatewayMessage[] }> = [];
    let next = 0;
    for (const p of batch) {
      const { delivery } = p;
      const results = placed.slice(next, next + delivery.messages.length);
      next += delivery.messages.length;
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) {
        p.reject(failed.error);
        continue;
      }
      ready.push({
        pending: p,
        rows: delivery.messages.map((m, i) => {
          const { placement } = results[i] as Extract<(typeof results)[number], { ok: true }>;
          return {
            mailboxId: m.mailboxId,
            uid: m.uid,
            publicKey: m.publicKey,
            size: delivery.size,
            storedSize: m.storedSize,
            receivedAt: delivery.receivedAt,
            segment: placement.segment,
            segmentOffset: placement.offset,
            segmentOpen: placement.open,
          };
        }),
      });
    }
    let recorded: boolean[];
    try {
      recorded = await this.repository.recordDeliveries(ready.map((r) => r.rows));
    } catch (error) {
      for (const r of ready) r.pending.reject(error);
      return;
    }
    const stale = new Set<number>();
    ready.forEach((r, i) => {
      if (recorded[i]) return r.pending.resolve();
      for (const row of r.rows) stale.add(row.mailboxId);
      r.pending.reject(new StaleMailboxError());
    });
    if (stale.size > 0) {
      this.onStale([...stale]);
      // A reused mailbox id or a new key: the next copies go to a new segment.
      for (const id of stale) await this.store.retire(id);
    }
  }

  private async closeRetired(): Promise<void> {
    await this.store.retireFull();
    for (const segment of this.store.takeRetired()) {
      try {
        if (await this.repository.closeSegment(segment.mailboxId, segment.name))
          await this.store.removeFiles(segment.mailboxId, [segment.name]);
      } catch {
        // Closed at the next start at the latest; an empty one is removed then.
      }
    }
  }
}
