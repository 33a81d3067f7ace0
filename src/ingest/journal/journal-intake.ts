import { randomBytes, randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { ArchiveService } from '../../archive/archive.service.js';
import { NotFoundError } from '../../core/errors.js';
import type { ArchiveItem } from '../../archive/archive.types.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { Database } from '../../db/schema.js';
import type { JobRunsRepository } from '../../jobs/job-runs.repository.js';
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
  archive: Pick<ArchiveService, 'archiveBatch' | 'ensureMailbox'>;
  tenants: Pick<TenantService, 'keyringFor'>;
  spool: JournalSpool;
  endpoints: Pick<JournalEndpointsRepository, 'recordReceivedIn' | 'namesOf' | 'takeUnsummarizedHoursIn'>;
  processLog: Pick<ProcessLogRepository, 'append' | 'appendIn'>;
  /** Each endpoint's finished hour is recorded as a run (trigger "intake") for the Process Log. */
  runs: Pick<JobRunsRepository, 'insertIn'>;
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
  range: QueuedRange;
  index: number;
  record: SpoolRecord;
  item: ArchiveItem;
  log: ProcessLogEntry[];
}

/** Why a record of a range could not be archived this time; tenantId null: not known. */
interface RecordFailure {
  tenantId: number | null;
  endpointId: number | null;
  error: string;
}

const spoolAad = (tenantId: number, ref: string) => `journal-spool/${tenantId}/${ref}`;
const RETRY_MAX_MS = 10 * 60_000;
const IDLE_POLL_MS = 1_000;
/** One spool append takes at most this much of what is waiting (a bigger message goes alone). */
const APPEND_GROUP_BYTES = 32 * 1024 * 1024;
/** Where mail for a journal mailbox that was deleted meanwhile goes, rather than nowhere. */
export const RECOVERED_MAILBOX = 'Journal (recovered)';

/**
 * The journal intake's core, free of SMTP, in two halves:
 *
 * - accept: a delivered message is encrypted under each addressed tenant's data key and appended to
 *   the spool, messages arriving together sharing one append. When accept resolves the message is
 *   durable and recorded for archiving, and the sender may be told 250. The expensive work (parsing,
 *   compressing, indexing) is not on that path, so a burst is taken at the speed of a disk write.
 * - drain: in the background, spooled messages are unwrapped (journal report → original and its
 *   envelope), archived into their endpoint's journal mailbox, counted, logged, and marked done in
 *   the spool — all in the archive's own transaction, so a crash at any point neither loses nor
 *   duplicates anything. A record that fails stays spooled and is retried with back-off, without
 *   holding up the others.
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
  private writing = false;
  private readonly queue: QueuedRange[] = [];
  private readonly inFlightRanges = new Set<QueuedRange>();
  private draining: Promise<void> | null = null;
  private recovered: Promise<void> = Promise.resolve();
  private stopping = false;
  private closed = false;
  /** The drain died: take no more mail than can be archived (see isBusy). */
  private broken = false;
  private wake: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private lastPruneHour: number | null = null;
  /** Finished hours before this one have their process-log summary (see hourSummariesIn). */
  private summarizedBefore = -1;
  /** Times of the last RATE_WINDOW acceptances (a ring), for the arrival rate. */
  private readonly recentAccepts: number[] = [];
  private recentIndex = 0;

  constructor(private readonly deps: JournalIntakeDeps) {
    this.clock = deps.clock ?? Date.now;
    this.limits = { ...DEFAULT_INTAKE_LIMITS, ...deps.limits };
  }

  /** Whether new mail should be refused for now: the backlog is over its limits, or archiving stopped. */
  isBusy(): boolean {
    return (
      this.broken ||
      this.closed ||
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

  /** Deferring stops well before new mail would be refused, whatever the configured limits. */
  private deferWhileBelow(): number {
    return Math.min(this.limits.deferBelowBacklog, Math.floor(this.limits.maxBacklogMessages / 2));
  }

  /** Resolves when the message is durably spooled for every target; see the class comment. */
  async accept(delivery: JournalDelivery): Promise<void> {
    if (this.closed) throw new IntakeBusyError('the journal intake is shutting down');
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
      // Best effort (whatever broke the spool may break this too); each tenant hears of its own
      // endpoint only, and of the failure's kind, not of the installation's paths.
      await this.deps.processLog
        .append(
          [...byMailbox.values()].map((targets) => ({
            tenantId: targets[0]!.tenantId,
            process: INTAKE_PROCESS,
            subjectId: targets[0]!.endpointId,
            subjectName: targets[0]!.name,
            severity: 'error' as const,
            message: `Could not store a message, the sender was asked to retry (451): ${publicReason(error)}`,
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

  /**
   * Group commit: what arrives while one append is on its way to the disk goes in the next one (up
   * to APPEND_GROUP_BYTES, so a crowd of large messages does not become one huge buffer).
   */
  private async writePending(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pendingWrites.length > 0) {
        let bytes = 0;
        let take = 0;
        while (take < this.pendingWrites.length) {
          const size = this.pendingWrites[take]!.records.reduce((sum, r) => sum + r.data.length, 0);
          if (take > 0 && bytes + size > APPEND_GROUP_BYTES) break;
          bytes += size;
          take += 1;
        }
        const group = this.pendingWrites.splice(0, take);
        try {
          this.enqueue(await this.deps.spool.append(group.flatMap((g) => g.records)));
          for (const g of group) g.resolve();
        } catch (error) {
          for (const g of group) g.reject(error);
        }
      }
    } finally {
      this.writing = false;
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
   * (also after kill -9: every record there was acknowledged, every one not marked done is owed).
   */
  start(): void {
    if (this.draining) return;
    this.stopping = false;
    this.recovered = this.recover();
    this.draining = this.recovered
      .then(() => this.drainLoop())
      .catch((error: unknown) => {
        this.broken = true;
        this.deps.logger.fatal(
          { err: error },
          'journal intake drain stopped; new journal mail is refused (451)',
        );
      });
  }

  private async recover(): Promise<void> {
    const { ranges, problems } = await this.deps.spool.recover();
    for (const range of ranges) this.enqueue(range);
    if (problems.length > 0) {
      this.deps.logger.warn({ problems }, 'journal spool segments set aside');
      await this.deps.processLog.append(
        problems.map((message) => ({
          tenantId: null,
          process: INTAKE_PROCESS,
          subjectId: null,
          subjectName: 'journal spool',
          severity: 'warning' as const,
          message,
          at: this.clock(),
        })),
      );
    }
  }

  /**
   * Refuses new mail, finishes the groups under way and stops; what is left stays spooled for the
   * next start.
   */
  async stop(): Promise<void> {
    this.closed = true;
    this.stopping = true;
    this.wake?.();
    await this.draining;
    this.draining = null;
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    await this.deps.spool.close();
  }

  /** Resolves once nothing accepted is waiting, except records waiting for a retry (tests, benchmarks). */
  async whenDrained(): Promise<void> {
    await this.recovered.catch(() => undefined);
    while (
      this.inFlight.size > 0 ||
      this.writing ||
      this.pendingWrites.length > 0 ||
      this.queue.some((q) => q.nextAttemptAt <= this.clock())
    )
      await new Promise((r) => setTimeout(r, 10));
  }

  private async drainLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.inBurst() && this.backlog.messages < this.deferWhileBelow()) {
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
      for (const range of batch) this.inFlightRanges.add(range);
      const task = this.archiveRanges(batch)
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'journal intake group failed'))
        .finally(() => {
          for (const range of batch) this.inFlightRanges.delete(range);
          this.inFlight.delete(task);
        });
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
    let next = Infinity;
    for (const range of this.queue) next = Math.min(next, range.nextAttemptAt);
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
    const failures = new Map<QueuedRange, RecordFailure[]>();
    const fail = (range: QueuedRange, failure: RecordFailure) =>
      failures.set(range, [...(failures.get(range) ?? []), failure]);
    const pending: Pending[] = [];
    const givenUp: Array<{ file: string; record: number; tenantId: number }> = [];
    for (const range of ranges) {
      let entries: Awaited<ReturnType<JournalSpool['read']>>;
      let done: Set<number>;
      try {
        done = await this.deps.spool.doneRecords(range.segment, range.firstIndex, range.count);
        entries = await this.deps.spool.read(range);
      } catch (error) {
        fail(range, {
          tenantId: null,
          endpointId: null,
          error: `cannot read it from the spool: ${errorText(error)}`,
        });
        continue;
      }
      for (const { index, record } of entries) {
        if (done.has(index)) continue;
        try {
          pending.push(await this.unwrap(range, index, record));
        } catch (error) {
          // A deleted tenant's keys are gone with everything else it had: nothing left to archive into.
          if (error instanceof NotFoundError && (await this.tenantIsGone(record.tenantId)))
            givenUp.push({ file: range.segment, record: index, tenantId: record.tenantId });
          else
            fail(range, {
              tenantId: record.tenantId,
              endpointId: record.endpointIds[0] ?? null,
              error: `cannot decrypt it: ${errorText(error)}`,
            });
        }
      }
    }
    if (givenUp.length > 0) await this.giveUp(givenUp);

    const byMailbox = new Map<string, Pending[]>();
    for (const p of pending) {
      const key = `${p.record.tenantId}:${p.record.mailboxId}`;
      byMailbox.set(key, [...(byMailbox.get(key) ?? []), p]);
    }
    const results = await Promise.all([...byMailbox.values()].map((group) => this.archiveGroup(group)));
    for (const { pending: p, error } of results.flat())
      fail(p.range, { tenantId: p.record.tenantId, endpointId: p.record.endpointIds[0] ?? null, error });

    for (const range of ranges) {
      const failed = failures.get(range);
      if (!failed) {
        this.backlog.messages = Math.max(0, this.backlog.messages - range.count);
        this.backlog.bytes = Math.max(0, this.backlog.bytes - range.bytes);
        await this.deps.spool.released(range);
      } else {
        await this.retryLater(range, failed);
      }
    }
    this.deps.metrics?.journalBacklog.set(this.backlog.messages);
  }

  private async tenantIsGone(tenantId: number): Promise<boolean> {
    try {
      await this.deps.tenants.keyringFor(tenantId, { reload: true });
      return false;
    } catch (error) {
      return error instanceof NotFoundError;
    }
  }

  /** Records of deleted tenants: marked done, so they stop coming back, and reported to the installation. */
  private async giveUp(records: Array<{ file: string; record: number; tenantId: number }>): Promise<void> {
    await this.deps.spool.markDone(records.map(({ file, record }) => ({ file, record })));
    const tenants = [...new Set(records.map((r) => r.tenantId))];
    await this.deps.processLog.append([
      {
        tenantId: null,
        process: INTAKE_PROCESS,
        subjectId: null,
        subjectName: 'journal spool',
        severity: 'warning',
        message: `Discarded ${records.length} spooled message${records.length === 1 ? '' : 's'} of deleted tenant${tenants.length === 1 ? '' : 's'} ${tenants.join(', ')}`,
        at: this.clock(),
      },
    ]);
  }

  /** Decrypts and unwraps one record into what the archive takes. */
  private async unwrap(range: QueuedRange, index: number, record: SpoolRecord): Promise<Pending> {
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
        envelope: { ...envelope, receivedAt: record.receivedAt },
      };
      if (unwrapped.isNdr)
        entry('info', 'Non-delivery report: archived the message it returned, not the report around it', {
          messageId: envelope.messageId,
        });
    } else {
      item = { raw, folderPath: '', sourceRef: 'journal endpoint message' };
      entry('warning', `Not a journal report, archived as received: ${unwrapped.reason}`, {});
    }
    return { range, index, record, item, log };
  }

  /**
   * Archives one mailbox's records; in the same transaction marks them done in the spool, counts
   * them for their endpoints (those that still exist) and writes their process-log entries. A journal
   * mailbox deleted since the mail was accepted is replaced by RECOVERED_MAILBOX, so that nothing
   * acknowledged is dropped. Returns the records that failed.
   */
  private async archiveGroup(group: Pending[]): Promise<Array<{ pending: Pending; error: string }>> {
    const { tenantId } = group[0]!.record;
    let { mailboxId } = group[0]!.record;
    const names = new Map(
      (await this.deps.endpoints.namesOf([...new Set(group.flatMap((p) => p.record.endpointIds))])).map(
        (n) => [n.id, n.name],
      ),
    );
    for (const p of group)
      for (const e of p.log) e.subjectName = names.get(e.subjectId ?? -1) ?? '(deleted endpoint)';
    const now = this.clock();
    const hour = Math.floor(now / HOUR_MS);
    const prune = this.lastPruneHour !== hour;
    const summarizeBefore = this.summaryHorizon(hour);
    const archive = (targetMailbox: number) =>
      this.deps.archive.archiveBatch(
        { tenantId },
        targetMailbox,
        group.map((p) => p.item),
        {
          inCommit: async (trx: Transaction<Database>, stored: number[]) => {
            const done = stored.map((i) => group[i]!);
            await this.deps.spool.markDoneIn(
              trx,
              done.map((p) => ({ file: p.range.segment, record: p.index })),
            );
            await this.deps.endpoints.recordReceivedIn(
              trx,
              done.flatMap((p) =>
                p.record.endpointIds
                  .filter((endpointId) => names.has(endpointId))
                  .map((endpointId) => ({ endpointId, at: p.record.receivedAt, count: 1 })),
              ),
              prune ? hour - (30 * 24 - 1) : undefined,
            );
            const summaries =
              summarizeBefore > this.summarizedBefore
                ? await this.hourSummariesIn(trx, summarizeBefore, now)
                : [];
            await this.deps.processLog.appendIn(trx, [...done.flatMap((p) => p.log), ...summaries]);
          },
        },
      );
    let outcomes;
    try {
      try {
        outcomes = await archive(mailboxId);
      } catch (error) {
        if (!(error instanceof NotFoundError) || !/archive mailbox/.test(error.message)) throw error;
        mailboxId = (await this.deps.archive.ensureMailbox({ tenantId }, RECOVERED_MAILBOX, 'journal')).id;
        for (const p of group)
          p.log.push({
            tenantId,
            process: INTAKE_PROCESS,
            subjectId: p.record.endpointIds[0] ?? null,
            subjectName: names.get(p.record.endpointIds[0] ?? -1) ?? '(deleted endpoint)',
            severity: 'warning',
            message: `The journal mailbox this message was accepted for no longer exists; archived in "${RECOVERED_MAILBOX}"`,
            details: { receivedAt: p.record.receivedAt },
            at: now,
          });
        outcomes = await archive(mailboxId);
      }
    } catch (error) {
      return group.map((p) => ({ pending: p, error: errorText(error) }));
    }
    if (prune) this.lastPruneHour = hour;
    if (summarizeBefore > this.summarizedBefore) this.summarizedBefore = summarizeBefore;
    return outcomes.flatMap((o, i) =>
      o.status === 'failed' ? [{ pending: group[i]!, error: o.error }] : [],
    );
  }

  /**
   * Hours before this one are finished: no record received in them is still waiting (queued or in
   * another group), so their counts will not grow any more.
   */
  private summaryHorizon(currentHour: number): number {
    let oldest = Infinity;
    for (const range of this.queue) oldest = Math.min(oldest, range.firstReceivedAt);
    for (const range of this.inFlightRanges) oldest = Math.min(oldest, range.firstReceivedAt);
    return Math.min(currentHour, Number.isFinite(oldest) ? Math.floor(oldest / HOUR_MS) : currentHour);
  }

  /**
   * One info entry per endpoint and finished hour with what it received, written once (the hour is
   * marked in the same transaction).
   */
  private async hourSummariesIn(trx: Transaction<Database>, beforeHour: number, now: number) {
    const hours = await this.deps.endpoints.takeUnsummarizedHoursIn(trx, beforeHour);
    const entries: ProcessLogEntry[] = [];
    for (const h of hours) {
      const from = new Date(h.hour * HOUR_MS).toISOString().slice(0, 16).replace('T', ' ');
      // The intake runs all the time; its runs are the finished hours, so the Process Log lists
      // the journal intake beside the scheduled jobs.
      const run = await this.deps.runs.insertIn(trx, {
        tenant_id: h.tenantId,
        request_id: randomUUID(),
        job_type: INTAKE_PROCESS,
        config_id: h.endpointId,
        config_name: h.name,
        trigger: 'intake',
        schedule_id: null,
        status: 'succeeded',
        not_before: h.hour * HOUR_MS,
        queued_at: h.hour * HOUR_MS,
        started_at: h.hour * HOUR_MS,
        finished_at: (h.hour + 1) * HOUR_MS,
        counters_json: JSON.stringify({ received: h.messages }),
        retried_from: null,
        error: null,
      });
      entries.push({
        tenantId: h.tenantId,
        process: INTAKE_PROCESS,
        subjectId: h.endpointId,
        subjectName: h.name,
        severity: 'info',
        message: `Received ${h.messages} message${h.messages === 1 ? '' : 's'} in the hour from ${from} UTC`,
        details: { hourStart: h.hour * HOUR_MS, messages: h.messages },
        at: now,
        runId: run.id,
      });
    }
    return entries;
  }

  /**
   * Leaves a range spooled, to be tried again with back-off (its archived records are marked done
   * and skipped then), and tells each tenant about its own records only; what belongs to no known
   * tenant goes to the installation's log.
   */
  private async retryLater(range: QueuedRange, failures: RecordFailure[]): Promise<void> {
    const now = this.clock();
    const delay = Math.min(RETRY_MAX_MS, this.limits.retryBaseMs * 2 ** range.attempts);
    this.queue.push({ ...range, attempts: range.attempts + 1, nextAttemptAt: now + delay });
    this.deps.logger.error(
      { segment: range.segment, failures: failures.map((f) => f.error) },
      'journal intake could not archive messages yet',
    );
    const byTenant = new Map<number | null, RecordFailure[]>();
    for (const f of failures) byTenant.set(f.tenantId, [...(byTenant.get(f.tenantId) ?? []), f]);
    try {
      const endpointIds = failures.flatMap((f) => (f.endpointId === null ? [] : [f.endpointId]));
      const names = new Map(
        (await this.deps.endpoints.namesOf([...new Set(endpointIds)])).map((n) => [n.id, n.name]),
      );
      await this.deps.processLog.append(
        [...byTenant].map(([tenantId, own]) => ({
          tenantId,
          process: INTAKE_PROCESS,
          subjectId: own[0]!.endpointId,
          subjectName: names.get(own[0]!.endpointId ?? -1) ?? (tenantId === null ? 'journal spool' : ''),
          severity: 'error' as const,
          message: `Could not archive ${own.length} received message${own.length === 1 ? '' : 's'} yet (attempt ${range.attempts + 1}); kept and retried: ${own[0]!.error}`,
          details: { retryAt: now + delay, ...(tenantId === null ? { spoolSegment: range.segment } : {}) },
          at: now,
        })),
      );
    } catch (logError) {
      this.deps.logger.error({ err: logError }, 'journal intake could not record a failure');
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What a tenant (or an SMTP peer) may be told of a storage failure: its kind, not our paths. */
export function publicReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the server is out of disk space';
  if (code) return `storage error ${code}`;
  return 'storage error';
}
