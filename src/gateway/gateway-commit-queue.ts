import { ConflictError } from '../core/errors.js';
import type { GatewayMessageStore, SealedMessage } from './gateway-message-store.js';
import type { GatewayRepository, NewGatewayMessage, SegmentMark } from './gateway.repository.js';

/**
 * Groups written at the same time: a message that becomes ready while one group is on its way to
 * the disk need not wait for it to land before its own write starts.
 */
const MAX_GROUPS_UNDER_WAY = 2;

/** A mailbox was deleted or got a new key while a message for it was being encrypted: retry. */
export class StaleMailboxError extends ConflictError {
  override name = 'StaleMailboxError';
  constructor() {
    super('the gateway mailbox changed while the message arrived');
  }
}

/** One delivery: every recipient's copy, stored all together or not at all. */
export interface Delivery {
  messages: readonly SealedMessage[];
}

interface Pending {
  delivery: Delivery;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface GatewayCommitQueueOptions {
  /** Rows wait at most this long to be recorded behind their 250 (unless someone needs them). */
  recordDelayMs?: number;
  /** ... or until this many are waiting. */
  recordBatch?: number;
  /** Called when recording fails (the rows are kept and tried again; start-up recovers them too). */
  onRecordError?: (error: unknown) => void;
}

/**
 * Group commit for intake. Deliveries whose copies are encrypted wait here; a group (up to two at a
 * time, each in its own range of the segment) is checked (each mailbox still has the key its copy is for), then placed: appended to the mailboxes'
 * segments with one O_DSYNC write (write + fdatasync) per mailbox, off the event loop. Then the deliveries are
 * durable and 250 may be said. What arrives while a group is on its way forms the next, so under
 * load many messages share each fsync and alone a message waits for nothing.
 *
 * Their rows are recorded behind that (better-sqlite3 commits, and fsyncs, on the event loop), many
 * groups in one transaction: within `recordDelayMs`, or at once when someone needs them (a POP3
 * session opening, a segment closing, shutdown). A crash before that loses nothing: the frames are
 * in the segments, and start-up records whatever follows a segment's recorded end.
 *
 * Segment upkeep (closing, removing empty ones) runs between groups, so it never races an append.
 */
export class GatewayCommitQueue {
  private pending: Pending[] = [];
  private chores: Array<() => Promise<void>> = [];
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | null = null;
  private recording: Promise<void> | null = null;
  private unrecorded: NewGatewayMessage[] = [];
  private marks = new Map<string, SegmentMark>();
  private recordTimer: NodeJS.Timeout | null = null;
  private readonly recordDelayMs: number;
  private readonly recordBatch: number;

  constructor(
    private readonly repository: Pick<
      GatewayRepository,
      'currentKeys' | 'recordMessages' | 'closeSegment' | 'forgetSegments'
    >,
    private readonly store: Pick<
      GatewayMessageStore,
      'place' | 'retire' | 'retireFull' | 'takeRetired' | 'removeFiles'
    >,
    private readonly onStale: (mailboxIds: number[]) => void = () => undefined,
    private readonly options: GatewayCommitQueueOptions = {},
  ) {
    this.recordDelayMs = options.recordDelayMs ?? 200;
    this.recordBatch = options.recordBatch ?? 2000;
  }

  /** Resolves once the delivery's bytes are durable (its rows follow): then 250 may be said. */
  commit(delivery: Delivery): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ delivery, resolve, reject });
      if (!this.running) void this.drain();
      else this.wake?.();
    });
  }

  /** Records every acknowledged delivery's rows now. */
  flush(): Promise<void> {
    return this.between(() => this.record());
  }

  /** Stops appending to the mailbox's segment (between groups); it goes if nothing in it is left. */
  retire(mailboxId: number): Promise<void> {
    return this.between(async () => {
      await this.store.retire(mailboxId);
      await this.closeRetired();
    });
  }

  /** Runs `run` between two groups: it never overlaps an append, a record or segment upkeep. */
  between(run: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.chores.push(() => run().then(resolve, reject));
      if (!this.running) void this.drain();
      else this.wake?.();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        if (this.chores.length > 0) {
          // Chores see no group under way.
          await Promise.all(this.inFlight);
          const chores = this.chores;
          this.chores = [];
          for (const chore of chores) await chore();
          continue;
        }
        if (this.pending.length > 0 && this.inFlight.size < MAX_GROUPS_UNDER_WAY) {
          const batch = this.pending;
          this.pending = [];
          const group: Promise<void> = this.commitGroup(batch).finally(() => this.inFlight.delete(group));
          this.inFlight.add(group);
          continue;
        }
        if (this.inFlight.size === 0) {
          // Segment upkeep only when nothing is being written: a retired segment may still have a
          // group on its way, whose rows its emptiness depends on.
          await this.closeRetired();
          if (this.pending.length > 0 || this.chores.length > 0) continue;
          break;
        }
        await Promise.race([...this.inFlight, new Promise<void>((wake) => (this.wake = wake))]);
        this.wake = null;
        if (this.unrecorded.length >= this.recordBatch) await this.record().catch(() => undefined);
      }
    } finally {
      this.running = false;
    }
    if (this.unrecorded.length > 0 || this.marks.size > 0) this.scheduleRecord();
  }

  private scheduleRecord(): void {
    if (this.recordTimer) return;
    this.recordTimer = setTimeout(() => {
      this.recordTimer = null;
      this.flush().catch(() => undefined);
    }, this.recordDelayMs);
    this.recordTimer.unref();
  }

  private async record(): Promise<void> {
    while (this.recording) await this.recording;
    if (this.unrecorded.length === 0 && this.marks.size === 0) return;
    this.recording = this.recordNow().finally(() => (this.recording = null));
    return this.recording;
  }

  private async recordNow(): Promise<void> {
    const rows = this.unrecorded;
    const marks = [...this.marks.values()];
    this.unrecorded = [];
    this.marks = new Map();
    try {
      await this.repository.recordMessages(rows, marks);
    } catch (error) {
      // Kept for the next try (and in the segments for start-up, whatever happens).
      this.unrecorded = [...rows, ...this.unrecorded];
      for (const mark of marks) {
        const later = this.marks.get(`${mark.mailboxId}/${mark.name}`);
        if (!later || later.end < mark.end) this.marks.set(`${mark.mailboxId}/${mark.name}`, mark);
      }
      this.options.onRecordError?.(error);
      throw error;
    }
  }

  private async commitGroup(batch: Pending[]): Promise<void> {
    // Copies for a key the mailbox no longer has (a reset, maybe by another process) or for a mailbox
    // that is gone are refused before they are written: the sender retries and gets the new key.
    let keys: Awaited<ReturnType<GatewayRepository['currentKeys']>>;
    try {
      keys = await this.repository.currentKeys([
        ...new Set(batch.flatMap((p) => p.delivery.messages.map((m) => m.mailboxId))),
      ]);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    const stale = new Set<number>();
    const current = batch.filter((p) => {
      const ok = p.delivery.messages.every((m) => {
        const key = keys.get(m.mailboxId);
        return key !== undefined && key.publicKey.equals(m.publicKey);
      });
      if (!ok) {
        for (const m of p.delivery.messages) stale.add(m.mailboxId);
        p.reject(new StaleMailboxError());
      }
      return ok;
    });
    if (stale.size > 0) {
      this.onStale([...stale]);
      // A reused mailbox id or a new key: later copies go to a new segment.
      for (const id of stale) await this.store.retire(id);
    }
    if (current.length === 0) return;

    const messages = current.flatMap((p) => p.delivery.messages);
    let placed: Awaited<ReturnType<GatewayMessageStore['place']>>;
    try {
      placed = await this.store.place(messages);
    } catch (error) {
      for (const p of current) p.reject(error);
      return;
    }
    let next = 0;
    for (const p of current) {
      const { messages: copies } = p.delivery;
      const results = placed.slice(next, next + copies.length);
      next += copies.length;
      // Every frame written moves its segment's mark, also those of a delivery that failed whole:
      // they are given up on, not recovered later.
      copies.forEach((m, i) => {
        const result = results[i]!;
        if (!result.ok) return;
        const key = `${m.mailboxId}/${result.placement.segment}`;
        const mark = this.marks.get(key);
        if (!mark || mark.end < result.placement.end)
          this.marks.set(key, {
            mailboxId: m.mailboxId,
            name: result.placement.segment,
            end: result.placement.end,
            open: result.placement.open,
            createdAt: m.receivedAt,
          });
      });
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) {
        p.reject(failed.error);
        continue;
      }
      copies.forEach((m, i) => {
        const { placement } = results[i] as Extract<(typeof results)[number], { ok: true }>;
        this.unrecorded.push({
          mailboxId: m.mailboxId,
          uid: m.uid,
          keyGeneration: keys.get(m.mailboxId)!.generation,
          size: m.size,
          storedSize: m.storedSize,
          receivedAt: m.receivedAt,
          segment: placement.segment,
          segmentOffset: placement.offset,
        });
      });
      p.resolve();
    }
  }

  private async closeRetired(): Promise<void> {
    await this.store.retireFull();
    const retired = this.store.takeRetired();
    if (retired.length === 0) return;
    try {
      // Whether a segment is empty is known only once everything in it is recorded.
      await this.record();
      for (const segment of retired) {
        if (await this.repository.closeSegment(segment.mailboxId, segment.name)) {
          await this.store.removeFiles(segment.mailboxId, [segment.name]);
          await this.repository.forgetSegments(segment.mailboxId, [segment.name]);
        }
      }
    } catch {
      // Closed at the next start at the latest; an empty one is removed then.
    }
  }
}
