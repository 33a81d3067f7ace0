import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ArchiveService } from '../../archive/archive.service.js';
import type { ArchiveItem } from '../../archive/archive.types.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Database } from '../../db/schema.js';
import type { ProcessLogEntry, ProcessLogRepository } from '../../jobs/process-log.repository.js';
import { unwrapJournalReport } from '../../mime/journal-report.js';
import { decodeObject, encodeObject } from '../../store/object-codec.js';
import type { TenantService } from '../../tenancy/tenant.service.js';
import { HOUR_MS, type JournalEndpointsRepository } from './journal-endpoints.repository.js';
import type { JournalEndpointTarget } from './journal-endpoints.service.js';
import type { JournalSpool, SpoolRange, SpoolRecord } from './journal-spool.js';

export const INTAKE_PROCESS = 'journal-intake';

/** One message as the SMTP transaction delivered it. */
export interface JournalDelivery {
  raw: Buffer;
  /** The endpoints among its envelope recipients (RCPT TO), each already looked up. */
  targets: readonly JournalEndpointTarget[];
  /** For the process log: the connection's peer and MAIL FROM. */
  peer: string;
  mailFrom: string;
}

export interface JournalIntakeLimits {
  /** Above either backlog, new mail is refused with 451 until the archive catches up. */
  maxBacklogMessages: number;
  maxBacklogBytes: number;
  /** Upper bounds of one archive group, and how many groups may be under way at once. */
  groupMessages: number;
  groupBytes: number;
  groupsInFlight: number;
  /**
   * While mail arrives faster than this (messages per second), archiving waits for the burst to end
   * (or for the backlog to reach deferBelowBacklog): both compete for the same CPU, and taking mail
   * in quickly is what keeps senders from queueing. 0 never defers.
   */
  deferAboveRate: number;
  deferBelowBacklog: number;
  /** First retry of a failed group after this long, doubling up to ten minutes. */
  retryBaseMs: number;
}

export const DEFAULT_INTAKE_LIMITS: JournalIntakeLimits = {
  maxBacklogMessages: 50_000,
  maxBacklogBytes: 4 * 1024 ** 3,
  groupMessages: 256,
  groupBytes: 32 * 1024 * 1024,
  groupsInFlight: 2,
  deferAboveRate: 300,
  deferBelowBacklog: 20_000,
  retryBaseMs: 5_000,
};

/** How many recent acceptances the arrival rate is judged by. */
const RATE_WINDOW = 64;

export interface JournalIntakeDeps {
  archive: Pick<ArchiveService, 'archiveBatch'>;
  tenants: Pick<TenantService, 'keyringFor'>;
  spool: JournalSpool;
  endpoints: Pick<JournalEndpointsRepository, 'recordReceivedIn' | 'namesOf'>;
  processLog: Pick<ProcessLogRepository, 'append' | 'appendIn'>;
  logger: Logger;
  metrics?: Pick<Metrics, 'journalBacklog'>;
  clock?: () => number;
  limits?: Partial<JournalIntakeLimits>;
}

/** The message could not be spooled; the SMTP adapter answers 451 so the sender retries. */
export class IntakeStoreError extends Error {
  override readonly name = 'IntakeStoreError';
}

/** Too much is waiting to be archived; the sender should come back later (451). */
export class IntakeBusyError extends Error {
  override readonly name = 'IntakeBusyError';
}

/** Spooled records waiting to be archived. */
interface QueuedRange extends SpoolRange {
  attempts: number;
  nextAttemptAt: number;
}

/** One spooled record on its way into the archive. */
interface Pending {
  file: string;
  index: number;
  record: SpoolRecord;
  item: ArchiveItem;
  log: ProcessLogEntry[];
}

const spoolAad = (tenantId: number, ref: string) => `journal-spool/${tenantId}/${ref}`;
const RETRY_MAX_MS = 10 * 60_000;
const IDLE_POLL_MS = 1_000;

/**
 * The journal intake's core, free of SMTP, in two halves:
 *
 * - accept: a delivered message is encrypted under each addressed tenant's data key and written to
 *   the spool, messages arriving together sharing one commit. When accept resolves the message is
 *   durable and recorded for archiving, and the sender may be told 250. The expensive work (parsing,
 *   compressing, indexing) is not on that path, so a burst is taken at the speed of a disk write.
 * - drain: in the background, spooled messages are unwrapped (journal report → original and its
 *   envelope), archived into their endpoint's journal mailbox, counted, logged, and deleted from the
 *   spool — all in the archive's own transaction, so a crash at any point neither loses nor
 *   duplicates anything. A failure leaves the message spooled and retries it with back-off.
 */
export class JournalIntake {
  private readonly clock: () => number;
  private readonly limits: JournalIntakeLimits;
  private readonly backlog = { messages: 0, bytes: 0 };
  private pendingWrites: Array<{
    records: SpoolRecord[];
    resolve: () => void;
    reject: (error: unknown) => void;
  }> = [];
  private writesInFlight = 0;
  private readonly queue: QueuedRange[] = [];
  private draining: Promise<void> | null = null;
  private recovered: Promise<void> = Promise.resolve();
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private lastPruneHour: number | null = null;
  /** Times of the last RATE_WINDOW acceptances (a ring), for the arrival rate. */
  private readonly recentAccepts: number[] = [];
  private recentIndex = 0;

  constructor(private readonly deps: JournalIntakeDeps) {
    this.clock = deps.clock ?? Date.now;
    this.limits = { ...DEFAULT_INTAKE_LIMITS, ...deps.limits };
  }

  /** Whether new mail should be refused for now (the backlog is over its limits). */
  isBusy(): boolean {
    return (
      this.backlog.messages >= this.limits.maxBacklogMessages ||
      this.backlog.bytes >= this.limits.maxBacklogBytes
    );
  }

  backlogSize(): { messages: number; bytes: number } {
    return { ...this.backlog };
  }

  /** Whether mail is arriving faster than deferAboveRate right now. */
  private inBurst(): boolean {
    const { deferAboveRate } = this.limits;
    if (deferAboveRate <= 0 || this.recentAccepts.length < RATE_WINDOW) return false;
    const now = this.clock();
    const newest = this.recentAccepts[(this.recentIndex + RATE_WINDOW - 1) % RATE_WINDOW]!;
    const oldest = this.recentAccepts[this.recentIndex]!;
    // A pause ends a burst at once, whatever the rate before it was.
    if (now - newest > 100) return false;
    return (RATE_WINDOW * 1000) / Math.max(1, now - oldest) > deferAboveRate;
  }

  /** Resolves when the message is durably spooled for every target; see the class comment. */
  async accept(delivery: JournalDelivery): Promise<void> {
    if (this.isBusy()) throw new IntakeBusyError('too much mail is waiting to be archived');
    const now = this.clock();
    const byMailbox = new Map<string, JournalEndpointTarget[]>();
    for (const target of delivery.targets) {
      const key = `${target.tenantId}:${target.mailboxId}`;
      const list = byMailbox.get(key) ?? [];
      if (!list.some((t) => t.endpointId === target.endpointId)) list.push(target);
      byMailbox.set(key, list);
    }
    const records: SpoolRecord[] = [];
    try {
      for (const targets of byMailbox.values()) {
        const { tenantId, mailboxId } = targets[0]!;
        const keyring = await this.deps.tenants.keyringFor(tenantId);
        const ref = randomBytes(12).toString('base64url');
        records.push({
          tenantId,
          mailboxId,
          endpointIds: targets.map((t) => t.endpointId),
          ref,
          peer: delivery.peer,
          mailFrom: delivery.mailFrom,
          receivedAt: now,
          size: delivery.raw.length,
          // Uncompressed: the archive compresses the message once, when it parses it.
          data: encodeObject(delivery.raw, {
            kind: 'message',
            keyId: keyring.activeDataKeyId,
            key: keyring.dataKeys.get(keyring.activeDataKeyId)!,
            aad: spoolAad(tenantId, ref),
            compression: 'none',
          }),
        });
      }
      await new Promise<void>((resolve, reject) => {
        this.pendingWrites.push({ records, resolve, reject });
        void this.writePending();
      });
    } catch (error) {
      const reason = errorText(error);
      this.deps.logger.error({ err: error }, 'journal intake could not spool a message');
      // Best effort: whatever broke the spool may break this too.
      await this.deps.processLog
        .append(
          [...byMailbox.values()].map((targets) => ({
            tenantId: targets[0]!.tenantId,
            process: INTAKE_PROCESS,
            subjectId: targets[0]!.endpointId,
            subjectName: targets[0]!.name,
            severity: 'error' as const,
            message: `Could not store a message, the sender was asked to retry (451): ${reason}`,
            details: { peer: delivery.peer, mailFrom: delivery.mailFrom, size: delivery.raw.length },
            at: now,
          })),
        )
        .catch(() => undefined);
      throw new IntakeStoreError(reason);
    }
    this.recentAccepts[this.recentIndex] = this.clock();
    this.recentIndex = (this.recentIndex + 1) % RATE_WINDOW;
  }

  /** Group commit: what arrives while one append is on its way to the disk goes in the next one. */
  private async writePending(): Promise<void> {
    if (this.writesInFlight > 0) return;
    this.writesInFlight = 1;
    try {
      while (this.pendingWrites.length > 0) {
        const group = this.pendingWrites;
        this.pendingWrites = [];
        try {
          this.enqueue(await this.deps.spool.append(group.flatMap((g) => g.records)));
          for (const g of group) g.resolve();
        } catch (error) {
          for (const g of group) g.reject(error);
        }
      }
    } finally {
      this.writesInFlight = 0;
    }
  }

  private enqueue(range: SpoolRange): void {
    this.queue.push({ ...range, attempts: 0, nextAttemptAt: 0 });
    this.backlog.messages += range.count;
    this.backlog.bytes += range.bytes;
    this.deps.metrics?.journalBacklog.set(this.backlog.messages);
    this.wake?.();
  }

  /**
   * Starts archiving spooled messages in the background, beginning with what an earlier run left
   * (also after kill -9: every file there was acknowledged, every record not marked done is owed).
   */
  start(): void {
    if (this.draining) return;
    this.stopping = false;
    this.recovered = this.recover();
    this.draining = this.recovered
      .then(() => this.drainLoop())
      .catch((error: unknown) => this.deps.logger.fatal({ err: error }, 'journal intake drain stopped'));
  }

  private async recover(): Promise<void> {
    for (const range of await this.deps.spool.recover()) this.enqueue(range);
  }

  /** Finishes the groups under way and stops; what is left stays spooled for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.draining;
    this.draining = null;
    await this.deps.spool.close();
  }

  /** Resolves once nothing accepted is waiting (tests, benchmarks). */
  async whenDrained(): Promise<void> {
    await this.recovered.catch(() => undefined);
    while (
      this.inFlight.size > 0 ||
      this.writesInFlight > 0 ||
      this.pendingWrites.length > 0 ||
      this.queue.some((q) => q.nextAttemptAt <= this.clock())
    )
      await new Promise((r) => setTimeout(r, 10));
  }

  private async drainLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.inBurst() && this.backlog.messages < this.limits.deferBelowBacklog) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (this.inFlight.size >= this.limits.groupsInFlight) {
        await Promise.race(this.inFlight);
        continue;
      }
      const batch = this.takeDue();
      if (batch.length === 0) {
        if (this.inFlight.size > 0) await Promise.race(this.inFlight);
        else await this.idle();
        continue;
      }
      const task = this.archiveRanges(batch)
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'journal intake group failed'))
        .finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
    await Promise.all(this.inFlight);
  }

  /** Due ranges from the front of the queue, up to one group's worth of records and bytes. */
  private takeDue(): QueuedRange[] {
    const now = this.clock();
    const batch: QueuedRange[] = [];
    let records = 0;
    let bytes = 0;
    for (let i = 0; i < this.queue.length;) {
      const range = this.queue[i]!;
      if (range.nextAttemptAt > now) {
        i += 1;
        continue;
      }
      if (
        batch.length > 0 &&
        (records + range.count > this.limits.groupMessages || bytes + range.bytes > this.limits.groupBytes)
      )
        break;
      this.queue.splice(i, 1);
      batch.push(range);
      records += range.count;
      bytes += range.bytes;
    }
    return batch;
  }

  private async idle(): Promise<void> {
    const next = Math.min(...this.queue.map((q) => q.nextAttemptAt));
    const wait = Number.isFinite(next)
      ? Math.max(0, Math.min(IDLE_POLL_MS, next - this.clock()))
      : IDLE_POLL_MS;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  private async archiveRanges(ranges: QueuedRange[]): Promise<void> {
    const failures = new Map<QueuedRange, string>();
    const pending: Pending[] = [];
    const rangeOf = new Map<Pending, QueuedRange>();
    for (const range of ranges) {
      try {
        const done = await this.deps.spool.doneRecords(range.segment, range.firstIndex, range.count);
        for (const { index, record } of await this.deps.spool.read(range)) {
          if (done.has(index)) continue;
          const p = await this.unwrap(range.segment, index, record);
          pending.push(p);
          rangeOf.set(p, range);
        }
      } catch (error) {
        failures.set(range, `cannot read it from the spool: ${errorText(error)}`);
      }
    }
    const byMailbox = new Map<string, Pending[]>();
    for (const p of pending) {
      const key = `${p.record.tenantId}:${p.record.mailboxId}`;
      byMailbox.set(key, [...(byMailbox.get(key) ?? []), p]);
    }
    const results = await Promise.all([...byMailbox.values()].map((group) => this.archiveGroup(group)));
    for (const failed of results.flat()) failures.set(rangeOf.get(failed.pending)!, failed.error);

    for (const range of ranges) {
      const error = failures.get(range);
      if (error === undefined) {
        this.backlog.messages = Math.max(0, this.backlog.messages - range.count);
        this.backlog.bytes = Math.max(0, this.backlog.bytes - range.bytes);
        await this.deps.spool.released(range);
      } else {
        await this.retryLater(
          range,
          error,
          pending.filter((p) => rangeOf.get(p) === range),
        );
      }
    }
    this.deps.metrics?.journalBacklog.set(this.backlog.messages);
  }

  /** Decrypts and unwraps one record into what the archive takes. */
  private async unwrap(file: string, index: number, record: SpoolRecord): Promise<Pending> {
    const keyring = await this.deps.tenants.keyringFor(record.tenantId);
    const raw = decodeObject(
      record.data,
      (keyId) => keyring.dataKeys.get(keyId)!,
      spoolAad(record.tenantId, record.ref),
    ).plain;
    const log: ProcessLogEntry[] = [];
    const entry = (
      severity: ProcessLogEntry['severity'],
      message: string,
      details: Record<string, unknown>,
    ) =>
      log.push({
        tenantId: record.tenantId,
        process: INTAKE_PROCESS,
        subjectId: record.endpointIds[0] ?? null,
        subjectName: '',
        severity,
        message,
        details: {
          peer: record.peer,
          mailFrom: record.mailFrom,
          size: record.size,
          receivedAt: record.receivedAt,
          ...details,
        },
        at: this.clock(),
      });
    const unwrapped = unwrapJournalReport(raw);
    let item: ArchiveItem;
    if (unwrapped.kind === 'report') {
      const { envelope } = unwrapped;
      item = {
        raw: unwrapped.original,
        folderPath: '',
        sourceRef: `journal report ${envelope.messageId ?? '(no Message-Id)'}`,
        envelope,
      };
      if (unwrapped.isNdr)
        entry('info', 'Non-delivery report: archived the message it returned, not the report around it', {
          messageId: envelope.messageId,
        });
    } else {
      item = { raw, folderPath: '', sourceRef: 'journal endpoint message' };
      entry('warning', `Not a journal report, archived as received: ${unwrapped.reason}`, {});
    }
    return { file, index, record, item, log };
  }

  /**
   * Archives one mailbox's records; in the same transaction marks them done in their spool files,
   * counts them for their endpoints and writes their process-log entries. Returns the failures.
   */
  private async archiveGroup(group: Pending[]): Promise<Array<{ pending: Pending; error: string }>> {
    const { tenantId, mailboxId } = group[0]!.record;
    const names = new Map(
      (await this.deps.endpoints.namesOf([...new Set(group.flatMap((p) => p.record.endpointIds))])).map(
        (n) => [n.id, n.name],
      ),
    );
    for (const p of group) for (const e of p.log) e.subjectName = names.get(e.subjectId ?? -1) ?? '';
    const now = this.clock();
    const hour = Math.floor(now / HOUR_MS);
    const prune = this.lastPruneHour !== hour;
    let outcomes;
    try {
      outcomes = await this.deps.archive.archiveBatch(
        { tenantId },
        mailboxId,
        group.map((p) => p.item),
        {
          inCommit: async (trx: Transaction<Database>, stored: number[]) => {
            const done = stored.map((i) => group[i]!);
            await this.deps.spool.markDoneIn(
              trx,
              done.map((p) => ({ file: p.file, record: p.index })),
            );
            await this.deps.endpoints.recordReceivedIn(
              trx,
              done.flatMap((p) =>
                p.record.endpointIds.map((endpointId) => ({ endpointId, at: p.record.receivedAt, count: 1 })),
              ),
              prune ? hour - (30 * 24 - 1) : undefined,
            );
            await this.deps.processLog.appendIn(
              trx,
              done.flatMap((p) => p.log),
            );
          },
        },
      );
    } catch (error) {
      return group.map((p) => ({ pending: p, error: errorText(error) }));
    }
    if (prune) this.lastPruneHour = hour;
    return outcomes.flatMap((o, i) =>
      o.status === 'failed' ? [{ pending: group[i]!, error: o.error }] : [],
    );
  }

  /** Leaves a file spooled, to be tried again with back-off, and tells the process log why. */
  private async retryLater(queued: QueuedRange, reason: string, pending: Pending[]): Promise<void> {
    const now = this.clock();
    const delay = Math.min(RETRY_MAX_MS, this.limits.retryBaseMs * 2 ** queued.attempts);
    this.queue.push({ ...queued, attempts: queued.attempts + 1, nextAttemptAt: now + delay });
    this.deps.logger.error(
      { segment: queued.segment, reason },
      'journal intake could not archive messages yet',
    );
    try {
      const first = pending[0]?.record;
      const name = first
        ? ((await this.deps.endpoints.namesOf(first.endpointIds.slice(0, 1)))[0]?.name ?? '')
        : '';
      await this.deps.processLog.append([
        {
          // A file that cannot be read at all names no tenant: the installation's log gets it.
          tenantId: first?.tenantId ?? null,
          process: INTAKE_PROCESS,
          subjectId: first?.endpointIds[0] ?? null,
          subjectName: name,
          severity: 'error',
          message: `Could not archive received messages yet (attempt ${queued.attempts + 1}); they stay queued and are retried: ${reason}`,
          details: { spoolSegment: queued.segment, messages: queued.count, retryAt: now + delay },
          at: now,
        },
      ]);
    } catch (logError) {
      this.deps.logger.error({ err: logError }, 'journal intake could not record a failure');
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
