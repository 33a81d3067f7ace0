import type { Logger } from '../core/logger.js';
import type { JobQueue } from './job-queue.js';
import type { JobRunsRepository } from './job-runs.repository.js';
import { nextOccurrence, type Recurrence } from './recurrence.js';
import type { Schedule, SchedulesRepository } from './schedules.repository.js';

/** What can be scheduled: a job type's configurations, owned by the capability that runs them. */
export interface JobConfigurations {
  type: string;
  /** The configurations of a tenant that runs of this type can be started for. */
  list(tenantId: number | null): Promise<Array<{ id: number | null; name: string }>>;
  /** A configuration's name, or undefined when it no longer exists. */
  nameOf(tenantId: number | null, configId: number | null): Promise<string | undefined>;
}

export interface SchedulerDeps {
  schedules: SchedulesRepository;
  queue: Pick<JobQueue, 'enqueue'>;
  runs: Pick<JobRunsRepository, 'prune'>;
  configurations: (type: string) => JobConfigurations | undefined;
  logger: Logger;
  clock?: () => number;
  /** Finished runs and process-log entries are kept this long. */
  retentionDays: number;
  /** The longest the scheduler sleeps between looks at the table (changes from other processes). */
  pollMs?: number;
}

const DAY_MS = 86_400_000;
const RETRY_BROKEN_MS = 60_000;

export function parseRecurrence(schedule: Pick<Schedule, 'recurrence_json'>): Recurrence {
  return JSON.parse(schedule.recurrence_json) as Recurrence;
}

/**
 * Turns due schedules into queued runs. A schedule's next run is computed from the moment it fired,
 * so occurrences missed while the server was down run once at start-up, not once per missed slot.
 * Also prunes old runs and process-log entries once a day.
 */
export class Scheduler {
  private readonly clock: () => number;
  private readonly pollMs: number;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private lastPrune = 0;

  constructor(private readonly deps: SchedulerDeps) {
    this.clock = deps.clock ?? Date.now;
    this.pollMs = deps.pollMs ?? 30_000;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run().catch((error: unknown) =>
      this.deps.logger.fatal({ err: error }, 'scheduler stopped'),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** A schedule changed: look again now. */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'scheduler tick failed');
      }
      const next = await this.deps.schedules.nextDueAt().catch(() => null);
      const wait = next === null ? this.pollMs : Math.max(10, Math.min(this.pollMs, next - this.clock()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Enqueues every due schedule once and moves it to its next occurrence. */
  async tick(): Promise<void> {
    const now = this.clock();
    for (const schedule of await this.deps.schedules.findDue(now)) {
      try {
        await this.fire(schedule, now);
      } catch (error) {
        // One broken schedule must not hold up the others, nor be retried in a tight loop.
        this.deps.logger.error(
          { err: error, schedule: schedule.id },
          'a schedule could not fire; trying again in a minute',
        );
        await this.deps.schedules
          .updateIfUnchanged(schedule, { next_run_at: now + RETRY_BROKEN_MS, updated_at: now })
          .catch(() => undefined);
      }
    }
    if (now - this.lastPrune >= DAY_MS) {
      this.lastPrune = now;
      await this.deps.runs.prune(now - this.deps.retentionDays * DAY_MS);
    }
  }

  private async fire(schedule: Schedule, now: number): Promise<void> {
    const name = await this.deps
      .configurations(schedule.job_type)
      ?.nameOf(schedule.tenant_id, schedule.config_id);
    if (name === undefined) {
      // The configuration is gone: the schedule stops rather than failing every time.
      await this.deps.schedules.updateIfUnchanged(schedule, {
        enabled: 0,
        next_run_at: null,
        updated_at: now,
      });
      return;
    }
    const next = nextOccurrence(parseRecurrence(schedule), schedule.time_zone, new Date(now));
    const run = await this.deps.queue.enqueue({
      tenantId: schedule.tenant_id,
      jobType: schedule.job_type,
      configId: schedule.config_id,
      configName: name,
      trigger: 'schedule',
      scheduleId: schedule.id,
    });
    await this.deps.schedules.setLastRun(schedule.id, run.id);
    // From now, not from the missed slot: occurrences missed while down run once. A once schedule
    // that ran has nothing left and is switched off.
    await this.deps.schedules.updateIfUnchanged(schedule, {
      next_run_at: next ? next.getTime() : null,
      ...(next ? {} : { enabled: 0 }),
      updated_at: now,
    });
  }
}
