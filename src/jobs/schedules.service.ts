import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { NotFoundError, ValidationError, invalidField } from '../core/errors.js';
import type { JobRun } from '../db/schema.js';
import { requireRole, type AuthContext } from '../tenancy/access.js';
import type { JobQueue } from './job-queue.js';
import type { JobRunsRepository } from './job-runs.repository.js';
import { describeRecurrence, nextOccurrence, validateRecurrence, type Recurrence } from './recurrence.js';
import { parseRecurrence, type JobConfigurations } from './scheduler.js';
import type { Schedule, SchedulesRepository } from './schedules.repository.js';

export interface ScheduleView {
  id: number;
  jobType: string;
  configId: number | null;
  /** The configuration's name; null when it no longer exists (the schedule stops). */
  configName: string | null;
  recurrence: Recurrence;
  /** "Daily at 09:30" and the like. */
  description: string;
  timeZone: string;
  enabled: boolean;
  nextRunAt: number | null;
  lastRun: { id: number; requestId: string; status: JobRun['status']; finishedAt: number | null } | null;
  createdAt: number;
  updatedAt: number;
}

export interface CreateScheduleInput {
  jobType: string;
  configId: number | null;
  recurrence: Recurrence;
  timeZone: string;
  enabled?: boolean;
}

export interface UpdateScheduleInput {
  recurrence?: Recurrence;
  timeZone?: string;
  enabled?: boolean;
}

export interface SchedulesServiceDeps {
  schedules: SchedulesRepository;
  runs: Pick<JobRunsRepository, 'findById'>;
  queue: Pick<JobQueue, 'enqueue' | 'hasHandler'>;
  /** Tells the scheduler to look again (a schedule was added or changed). */
  poke: () => void;
  configurations: (type: string) => JobConfigurations | undefined;
  audit: AuditRecorder;
  clock?: () => number;
}

/**
 * Admin Access → Archiving → Schedules (and the clock icon on configuration rows). A schedule only
 * enqueues runs; disabling it stops future runs, not one that is running.
 */
export class SchedulesService {
  private readonly clock: () => number;

  constructor(private readonly deps: SchedulesServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async list(ctx: AuthContext): Promise<ScheduleView[]> {
    requireRole(ctx, 'admin', 'listing schedules');
    return Promise.all((await this.deps.schedules.list(ctx.tenantId)).map((s) => this.view(s)));
  }

  async get(ctx: AuthContext, id: number): Promise<ScheduleView> {
    requireRole(ctx, 'admin', 'reading a schedule');
    return this.view(await this.find(ctx, id));
  }

  async create(ctx: AuthContext, input: CreateScheduleInput): Promise<ScheduleView> {
    requireRole(ctx, 'admin', 'creating a schedule');
    const configurations = this.deps.configurations(input.jobType);
    if (!configurations || !this.deps.queue.hasHandler(input.jobType))
      throw invalidField('jobType', `"${input.jobType}" is not a job type that can be scheduled`);
    const name = await configurations.nameOf(ctx.tenantId, input.configId);
    if (name === undefined) throw invalidField('configId', `there is no such ${input.jobType} configuration`);
    const now = this.clock();
    validateRecurrence(input.recurrence, input.timeZone, new Date(now));
    const enabled = input.enabled ?? true;
    const schedule = await this.deps.schedules.insert({
      tenant_id: ctx.tenantId,
      job_type: input.jobType,
      config_id: input.configId,
      recurrence_json: JSON.stringify(input.recurrence),
      time_zone: input.timeZone,
      enabled: enabled ? 1 : 0,
      next_run_at: nextOccurrence(input.recurrence, input.timeZone, new Date(now))?.getTime() ?? null,
      last_run_id: null,
      created_at: now,
      updated_at: now,
    });
    this.deps.poke();
    const view = await this.view(schedule);
    await this.audited(ctx, 'schedule.create', view, {
      jobType: input.jobType,
      configuration: name,
      recurrence: view.description,
      timeZone: input.timeZone,
      enabled,
    });
    return view;
  }

  /** Recurrence, time zone and enabled may change; what the schedule runs may not. */
  async update(ctx: AuthContext, id: number, input: UpdateScheduleInput): Promise<ScheduleView> {
    requireRole(ctx, 'admin', 'changing a schedule');
    const before = await this.find(ctx, id);
    const now = this.clock();
    const recurrence = input.recurrence ?? parseRecurrence(before);
    const timeZone = input.timeZone ?? before.time_zone;
    const enabled = input.enabled ?? before.enabled === 1;
    const rescheduled =
      input.recurrence !== undefined || input.timeZone !== undefined || (enabled && before.enabled !== 1);
    // Also when only re-enabled: a once schedule whose time has passed must get a new time.
    if (rescheduled) validateRecurrence(recurrence, timeZone, new Date(now));
    await this.deps.schedules.update(ctx.tenantId, id, {
      recurrence_json: JSON.stringify(recurrence),
      time_zone: timeZone,
      enabled: enabled ? 1 : 0,
      ...(rescheduled
        ? { next_run_at: nextOccurrence(recurrence, timeZone, new Date(now))?.getTime() ?? null }
        : {}),
      updated_at: now,
    });
    this.deps.poke();
    const view = await this.view(await this.find(ctx, id));
    await this.audited(ctx, 'schedule.update', view, {
      recurrence: view.description,
      timeZone,
      enabled,
    });
    return view;
  }

  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a schedule');
    const view = await this.view(await this.find(ctx, id));
    await this.deps.schedules.delete(ctx.tenantId, id);
    await this.audited(ctx, 'schedule.delete', view, { recurrence: view.description });
  }

  /** Queues a run now (or records it as skipped when one is already queued or running). */
  async runNow(ctx: AuthContext, id: number): Promise<JobRun> {
    requireRole(ctx, 'admin', 'running a schedule');
    const schedule = await this.find(ctx, id);
    const name = await this.deps.configurations(schedule.job_type)?.nameOf(ctx.tenantId, schedule.config_id);
    if (name === undefined) throw new ValidationError('the configuration of this schedule no longer exists');
    const run = await this.deps.queue.enqueue({
      tenantId: ctx.tenantId,
      jobType: schedule.job_type,
      configId: schedule.config_id,
      configName: name,
      trigger: 'manual',
      scheduleId: schedule.id,
    });
    await this.deps.schedules.setLastRun(id, run.id);
    const view = await this.view(schedule);
    await this.audited(ctx, 'schedule.run', view, { requestId: run.request_id, status: run.status });
    return run;
  }

  private async find(ctx: AuthContext, id: number): Promise<Schedule> {
    const schedule = await this.deps.schedules.find(ctx.tenantId, id);
    if (!schedule) throw new NotFoundError(`schedule ${id} does not exist`);
    return schedule;
  }

  private async view(schedule: Schedule): Promise<ScheduleView> {
    const recurrence = parseRecurrence(schedule);
    const lastRun =
      schedule.last_run_id === null ? undefined : await this.deps.runs.findById(schedule.last_run_id);
    const configName =
      (await this.deps.configurations(schedule.job_type)?.nameOf(schedule.tenant_id, schedule.config_id)) ??
      null;
    return {
      id: schedule.id,
      jobType: schedule.job_type,
      configId: schedule.config_id,
      configName,
      recurrence,
      description: describeRecurrence(recurrence),
      timeZone: schedule.time_zone,
      enabled: schedule.enabled === 1,
      nextRunAt: schedule.enabled === 1 ? schedule.next_run_at : null,
      lastRun: lastRun
        ? {
            id: lastRun.id,
            requestId: lastRun.request_id,
            status: lastRun.status,
            finishedAt: lastRun.finished_at,
          }
        : null,
      createdAt: schedule.created_at,
      updatedAt: schedule.updated_at,
    };
  }

  private audited(
    ctx: AuthContext,
    action: string,
    schedule: ScheduleView,
    details: Record<string, unknown>,
  ) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: {
        type: 'schedule',
        id: schedule.id,
        label: `${schedule.jobType}: ${schedule.configName ?? '(deleted)'}`,
      },
      outcome: 'success',
      details,
    });
  }
}
