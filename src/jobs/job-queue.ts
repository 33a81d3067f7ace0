import { randomUUID } from 'node:crypto';
import { TemporaryError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { JobRun, JobRunsTable } from '../db/schema.js';
import { parseCounters, type JobRunsRepository } from './job-runs.repository.js';
import type { ProcessLogRepository, ProcessLogSeverity } from './process-log.repository.js';

/** What a job gets to work with. */
export interface JobContext {
  runId: number;
  requestId: string;
  tenantId: number | null;
  configId: number | null;
  configName: string;
  /** Aborted when someone cancels the run (or the process shuts down). */
  signal: AbortSignal;
  /** Throws when the run was cancelled; call it between units of work. */
  throwIfCancelled(): void;
  /** Progress shown while the run goes on; written at most every PROGRESS_INTERVAL_MS. */
  progress(done: number, total?: number | null, note?: string): void;
  /** Adds to a counter (messages archived, skipped, failed, …) shown with the run. */
  count(counter: string, by?: number): void;
  /** A process-log message of this run. A warning makes the run end "succeeded with warnings". */
  log(severity: ProcessLogSeverity, message: string, details?: Record<string, unknown>): Promise<void>;
}

/** One kind of job: how to run it and how many may run at once. */
export interface JobHandler {
  type: string;
  /** Runs of this type at the same time (different configurations); default 1. */
  concurrency?: number;
  /** Attempts for transient failures (TemporaryError, TransientJobError); default 3. */
  maxAttempts?: number;
  run(ctx: JobContext): Promise<void>;
}

/** A failure worth trying again later (a peer that is down, a full disk). */
export class TransientJobError extends Error {
  override readonly name = 'TransientJobError';
}

export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  constructor() {
    super('the run was cancelled');
  }
}

export interface EnqueueRequest {
  tenantId: number | null;
  jobType: string;
  configId: number | null;
  configName: string;
  trigger: JobRunsTable['trigger'];
  scheduleId?: number | null;
  retriedFrom?: number | null;
}

export interface JobQueueDeps {
  runs: JobRunsRepository;
  processLog: Pick<ProcessLogRepository, 'append'>;
  logger: Logger;
  metrics?: Pick<Metrics, 'jobs' | 'jobsRunning'>;
  clock?: () => number;
  /** Back-off of the n-th retry: retryBaseMs × 4^(n-1). */
  retryBaseMs?: number;
  pollMs?: number;
}

const PROGRESS_INTERVAL_MS = 500;
const CANCEL_POLL_MS = 500;

/**
 * The job queue and its runner, in one process. Runs are rows (job_runs); a run is claimed with a
 * conditional update, at most one run per configuration is queued or running at a time (a second
 * trigger is recorded as skipped), and each type has a concurrency limit. A run that was running when
 * the process died is marked interrupted at the next start and re-queued once.
 */
export class JobQueue {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<number, { type: string; controller: AbortController }>();
  private readonly clock: () => number;
  private readonly retryBaseMs: number;
  private readonly pollMs: number;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly deps: JobQueueDeps) {
    this.clock = deps.clock ?? Date.now;
    this.retryBaseMs = deps.retryBaseMs ?? 30_000;
    this.pollMs = deps.pollMs ?? 1_000;
  }

  register(handler: JobHandler): void {
    this.handlers.set(handler.type, handler);
  }

  hasHandler(type: string): boolean {
    return this.handlers.has(type);
  }

  /**
   * Queues a run, or records a skipped one when the configuration already has a run queued or
   * running (schedules must not pile up behind a long run).
   */
  async enqueue(request: EnqueueRequest): Promise<JobRun> {
    const now = this.clock();
    const run = await this.deps.runs.insertQueuedOrSkipped({
      tenant_id: request.tenantId,
      request_id: randomUUID(),
      job_type: request.jobType,
      config_id: request.configId,
      config_name: request.configName,
      trigger: request.trigger,
      schedule_id: request.scheduleId ?? null,
      status: 'queued',
      not_before: now,
      queued_at: now,
      finished_at: null,
      retried_from: request.retriedFrom ?? null,
      error: null,
    });
    if (run.status === 'queued') this.wake?.();
    return run;
  }

  /** Cancels a queued run at once, or asks a running one to stop; scoped by tenant (null = system). */
  async cancel(tenantId: number | null, runId: number): Promise<JobRun | undefined> {
    const run = await this.deps.runs.requestCancel(tenantId, runId, this.clock());
    this.running.get(runId)?.controller.abort();
    return run;
  }

  /** Marks runs a dead process left running as interrupted, re-queues each once, starts the runner. */
  async start(): Promise<void> {
    if (this.loop) return;
    await this.recoverInterrupted();
    this.stopping = false;
    this.loop = this.runLoop().catch((error: unknown) =>
      this.deps.logger.fatal({ err: error }, 'job runner stopped'),
    );
  }

  /** Asks running jobs to stop and waits for them; queued runs stay queued for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    for (const { controller } of this.running.values()) controller.abort();
    await this.loop;
    // The loop may have started a run after the first round of aborts.
    for (const { controller } of this.running.values()) controller.abort();
    await Promise.allSettled([...this.tasks]);
    this.loop = null;
  }

  /** Resolves when nothing is running and nothing queued is due (tests). */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.running.size === 0 && (await this.deps.runs.findDue(this.clock(), 1)).length === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Runs still 'running' belong to a process that died (one runner per database: see decision
   * 0008). Each is marked interrupted and queued once more, unless it was itself such a re-queue, or
   * an admin had asked to cancel it.
   */
  private async recoverInterrupted(): Promise<void> {
    const now = this.clock();
    for (const run of await this.deps.runs.findRunning()) {
      if (this.running.has(run.id)) continue;
      if (run.cancel_requested === 1) {
        await this.deps.runs.finish(run.id, 'cancelled', now, parseCounters(run.counters_json), null);
        await this.logFor(
          run,
          'warning',
          'Cancelled (the process stopped before the run noticed the cancel)',
        );
        continue;
      }
      const requeue =
        run.trigger === 'restart'
          ? undefined
          : {
              tenant_id: run.tenant_id,
              request_id: randomUUID(),
              job_type: run.job_type,
              config_id: run.config_id,
              config_name: run.config_name,
              trigger: 'restart' as const,
              schedule_id: run.schedule_id,
              status: 'queued' as const,
              not_before: now,
              queued_at: now,
              finished_at: null,
              retried_from: run.id,
              error: null,
            };
      await this.deps.runs.interrupt(run, now, 'the process stopped while this run was running', requeue);
      await this.logFor(
        run,
        'warning',
        requeue
          ? 'Interrupted: the process stopped while this run was running; queued once more'
          : 'Interrupted: the process stopped while this run was running (a re-run already, so not queued again)',
      );
    }
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      const started = await this.startDue();
      if (started > 0) continue;
      const next = await this.deps.runs.nextDueAt();
      const wait = next === null ? this.pollMs : Math.max(0, Math.min(this.pollMs, next - this.clock()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait || this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Starts what is due and allowed; returns how many it started. */
  private async startDue(): Promise<number> {
    let started = 0;
    const runningOf = (type: string) => [...this.running.values()].filter((r) => r.type === type).length;
    const free = [...this.handlers.values()]
      .filter((h) => runningOf(h.type) < (h.concurrency ?? 1))
      .map((h) => h.type);
    for (const run of await this.deps.runs.findDue(this.clock(), 50, free)) {
      if (this.stopping) break;
      const handler = this.handlers.get(run.job_type)!;
      if (runningOf(run.job_type) >= (handler.concurrency ?? 1)) continue;
      if (!(await this.deps.runs.claim(run.id, this.clock()))) continue;
      started += 1;
      const controller = new AbortController();
      this.running.set(run.id, { type: run.job_type, controller });
      this.deps.metrics?.jobsRunning.inc();
      const task = this.execute(handler, run, controller)
        .catch((error: unknown) =>
          // The database failed while recording the outcome; the next start finds the run 'running'.
          this.deps.logger.error({ err: error, run: run.id }, 'could not record the outcome of a job run'),
        )
        .finally(() => {
          this.running.delete(run.id);
          this.deps.metrics?.jobsRunning.dec();
          this.tasks.delete(task);
          this.wake?.();
        });
      this.tasks.add(task);
    }
    return started;
  }

  private async execute(handler: JobHandler, run: JobRun, controller: AbortController): Promise<void> {
    // Each attempt counts from zero (claim cleared the stored counters too).
    const counters: Record<string, number> = {};
    let warnings = 0;
    let lastProgressWrite = 0;
    let progress: { done: number; total: number | null; note?: string } | null = null;
    const saveProgress = () =>
      this.deps.runs
        .saveProgress(run.id, progress, counters)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: error, run: run.id }, 'could not save job progress'),
        );
    // Cancel requests arrive through the database (the UI talks to any process).
    const cancelPoll = setInterval(() => {
      this.deps.runs.cancelRequested(run.id).then(
        (requested) => {
          if (requested) controller.abort();
        },
        (error: unknown) => this.deps.logger.warn({ err: error, run: run.id }, 'could not look for a cancel'),
      );
    }, CANCEL_POLL_MS);
    const ctx: JobContext = {
      runId: run.id,
      requestId: run.request_id,
      tenantId: run.tenant_id,
      configId: run.config_id,
      configName: run.config_name,
      signal: controller.signal,
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new JobCancelledError();
      },
      progress: (done, total = null, note) => {
        progress = { done, total, ...(note ? { note } : {}) };
        const now = this.clock();
        if (now - lastProgressWrite >= PROGRESS_INTERVAL_MS) {
          lastProgressWrite = now;
          void saveProgress();
        }
      },
      count: (counter, by = 1) => {
        counters[counter] = (counters[counter] ?? 0) + by;
      },
      log: async (severity, message, details) => {
        if (severity !== 'info') warnings += 1;
        await this.logFor(run, severity, message, details);
      },
    };
    try {
      await this.logFor(run, 'info', run.attempt > 1 ? `Started (attempt ${run.attempt})` : 'Started');
      // A job that returns has done its work, even if a cancel or a shutdown arrived at the end.
      await handler.run(ctx);
      await saveProgress();
      const status = warnings > 0 ? 'warnings' : 'succeeded';
      await this.deps.runs.finish(run.id, status, this.clock(), counters, null);
      await this.logFor(run, 'info', status === 'warnings' ? 'Finished with warnings' : 'Finished', {
        counters,
      });
      this.deps.metrics?.jobs.inc({ kind: run.job_type, status });
    } catch (error) {
      await this.settleFailure(handler, run, controller, counters, error);
    } finally {
      clearInterval(cancelPoll);
    }
  }

  private async settleFailure(
    handler: JobHandler,
    run: JobRun,
    controller: AbortController,
    counters: Record<string, number>,
    error: unknown,
  ): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const now = this.clock();
    if (controller.signal.aborted || error instanceof JobCancelledError) {
      // Shutting down is not cancelling: the run goes back to the queue for the next start.
      if (
        this.stopping &&
        (await this.deps.runs.requeue(run.id, run.attempt, now, 'stopped with the process'))
      ) {
        await this.logFor(run, 'info', 'Stopped with the process; queued again for the next start');
        return;
      }
      await this.deps.runs.finish(run.id, 'cancelled', now, counters, null);
      await this.logFor(run, 'warning', 'Cancelled', { counters });
      this.deps.metrics?.jobs.inc({ kind: run.job_type, status: 'cancelled' });
      return;
    }
    const transient = error instanceof TransientJobError || error instanceof TemporaryError;
    // A cancel that arrived while the attempt failed wins over a retry.
    if (transient && (await this.deps.runs.cancelRequested(run.id))) {
      await this.deps.runs.finish(run.id, 'cancelled', now, counters, message);
      await this.logFor(run, 'warning', `Cancelled (the attempt had failed: ${message})`, { counters });
      this.deps.metrics?.jobs.inc({ kind: run.job_type, status: 'cancelled' });
      return;
    }
    if (transient && run.attempt < (handler.maxAttempts ?? 3)) {
      const delay = this.retryBaseMs * 4 ** (run.attempt - 1);
      if (!(await this.deps.runs.requeue(run.id, run.attempt + 1, now + delay, message))) {
        // A cancel came in between: end it rather than leave a queued run nobody may claim.
        await this.deps.runs.finish(run.id, 'cancelled', now, counters, message);
        await this.logFor(run, 'warning', `Cancelled (the attempt had failed: ${message})`, { counters });
        return;
      }
      await this.logFor(
        run,
        'warning',
        `Attempt ${run.attempt} failed, retrying in ${Math.round(delay / 1000)} s: ${message}`,
      );
      return;
    }
    await this.deps.runs.finish(run.id, 'failed', now, counters, message);
    await this.logFor(run, 'error', `Failed: ${message}`, { counters });
    this.deps.metrics?.jobs.inc({ kind: run.job_type, status: 'failed' });
  }

  private async logFor(
    run: JobRun,
    severity: ProcessLogSeverity,
    message: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.deps.runs
      .raiseSeverity(run.id, severity)
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error, run: run.id }, 'could not record the severity of a run'),
      );
    await this.deps.processLog
      .append([
        {
          tenantId: run.tenant_id,
          process: run.job_type,
          subjectId: run.config_id,
          subjectName: run.config_name,
          severity,
          message,
          details: { requestId: run.request_id, ...details },
          at: this.clock(),
          runId: run.id,
        },
      ])
      .catch((error: unknown) =>
        this.deps.logger.error({ err: error, run: run.id }, 'could not write the process log'),
      );
  }
}
