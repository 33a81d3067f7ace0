import { SYSTEM_AUDIT_CHAIN, type AuditRecorder } from '../compliance/audit-log.types.js';
import { parseStoredObject } from '../core/json-object.js';
import { ForbiddenError, NotFoundError, ValidationError, invalidField } from '../core/errors.js';
import type { JobRun, JobStatus, Role, Tenant } from '../db/schema.js';
import { hasRole, requireRole, requireSystemAdmin, type AuthContext } from '../tenancy/access.js';
import type { JobQueue } from './job-queue.js';
import { parseCounters, type JobRunsRepository } from './job-runs.repository.js';
import type { ProcessLogRepository, ProcessLogSeverity } from './process-log.repository.js';
import { toProcessLogItem, type ProcessLogItem } from './process-log.service.js';
import { describeRecurrence, type Recurrence } from './recurrence.js';
import { parseRecurrence, type JobConfigurations } from './scheduler.js';
import type { SchedulesRepository } from './schedules.repository.js';

/** A run as the consoles show it, ids resolved to names. */
export interface JobRunView {
  id: number;
  requestId: string;
  /** Only in the System console's answers. */
  tenant?: { id: number; slug: string; name: string } | null;
  jobType: string;
  configId: number | null;
  configName: string;
  trigger: JobRun['trigger'];
  /** The schedule that started it; `description` is English, UIs word `recurrence` themselves. */
  schedule: { id: number; description: string; recurrence: Recurrence; timeZone: string } | null;
  status: JobStatus;
  /** The worst severity among the run's messages. */
  severity: ProcessLogSeverity;
  attempt: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: { done: number; total: number | null; note?: string } | null;
  counters: Record<string, number>;
  error: string | null;
  cancelRequested: boolean;
  retriedFrom: { id: number; requestId: string } | null;
}

export interface JobRunDetail {
  run: JobRunView;
  /** The run's process-log messages, oldest first. */
  entries: ProcessLogItem[];
}

export interface JobRunFilters {
  jobType?: string;
  requestId?: string;
  status?: JobStatus;
  minSeverity?: ProcessLogSeverity;
  since?: number;
  until?: number;
  /** The `nextCursor` of the previous page. */
  before?: number;
  limit?: number;
}

export interface JobRunsPage {
  runs: JobRunView[];
  nextCursor: number | null;
}

export const DEFAULT_JOB_RUNS_PAGE = 50;
export const MAX_JOB_RUNS_PAGE = 200;
/** A run that logs more than this shows its first messages; the rest stay in the process log. */
const MAX_ENTRIES_PER_RUN = 1_000;

const READER_ROLES: readonly Role[] = ['admin', 'auditor'];

export interface JobRunsServiceDeps {
  runs: JobRunsRepository;
  processLog: Pick<ProcessLogRepository, 'listForRun'>;
  schedules: Pick<SchedulesRepository, 'find'>;
  queue: Pick<JobQueue, 'enqueue' | 'cancel' | 'hasHandler'>;
  configurations: (type: string) => JobConfigurations | undefined;
  /** Every registered type's configurations, for "what can be scheduled". */
  configurationTypes: () => JobConfigurations[];
  tenants: { findById(id: number): Promise<Tenant | undefined> };
  audit: AuditRecorder;
}

/**
 * Job runs in the consoles: a tenant's admins and auditors read their tenant's runs (Admin Access →
 * Process Log), admins start and cancel them; the System console reads and cancels everyone's.
 * Scoping by tenant happens here, in the repository calls, and nowhere else.
 */
export class JobRunsService {
  constructor(private readonly deps: JobRunsServiceDeps) {}

  /** What the tenant can run and schedule: each registered type's configurations. */
  async configurations(
    ctx: AuthContext,
  ): Promise<Array<{ jobType: string; configId: number | null; name: string }>> {
    requireRole(ctx, 'admin', 'listing runnable configurations');
    const all = [];
    for (const type of this.deps.configurationTypes()) {
      if (!this.deps.queue.hasHandler(type.type)) continue;
      for (const config of await type.list(ctx.tenantId))
        all.push({ jobType: type.type, configId: config.id, name: config.name });
    }
    return all;
  }

  async list(ctx: AuthContext, filters: JobRunFilters = {}): Promise<JobRunsPage> {
    requireReader(ctx);
    return this.page(ctx.tenantId, filters, false);
  }

  async get(ctx: AuthContext, id: number): Promise<JobRunDetail> {
    requireReader(ctx);
    return this.detail(await this.find(ctx.tenantId, id), false);
  }

  /** "Run now" of a configuration without a schedule. */
  async runConfiguration(
    ctx: AuthContext,
    input: { jobType: string; configId: number | null },
  ): Promise<JobRunView> {
    requireRole(ctx, 'admin', 'starting a job');
    const configurations = this.deps.configurations(input.jobType);
    if (!configurations || !this.deps.queue.hasHandler(input.jobType))
      throw invalidField('jobType', `"${input.jobType}" is not a job type that can be run`);
    const name = await configurations.nameOf(ctx.tenantId, input.configId);
    if (name === undefined) throw invalidField('configId', `there is no such ${input.jobType} configuration`);
    const run = await this.deps.queue.enqueue({
      tenantId: ctx.tenantId,
      jobType: input.jobType,
      configId: input.configId,
      configName: name,
      trigger: 'manual',
    });
    await this.audited(ctx, 'job.run', run, { status: run.status });
    return this.view(run, false);
  }

  async cancel(ctx: AuthContext, id: number): Promise<JobRunView> {
    requireRole(ctx, 'admin', 'cancelling a job');
    return this.cancelRun(ctx, await this.find(ctx.tenantId, id), false);
  }

  /** The System console: every tenant's runs and the installation's, optionally one tenant's. */
  async listAll(ctx: AuthContext, filters: JobRunFilters & { tenantId?: number } = {}): Promise<JobRunsPage> {
    requireSystemAdmin(ctx, 'reading all job runs');
    return this.page(filters.tenantId, filters, true);
  }

  async getAny(ctx: AuthContext, id: number): Promise<JobRunDetail> {
    requireSystemAdmin(ctx, 'reading a job run');
    return this.detail(await this.find(undefined, id), true);
  }

  async cancelAny(ctx: AuthContext, id: number): Promise<JobRunView> {
    requireSystemAdmin(ctx, 'cancelling a job run');
    return this.cancelRun(ctx, await this.find(undefined, id), true);
  }

  private async cancelRun(ctx: AuthContext, run: JobRun, withTenant: boolean): Promise<JobRunView> {
    if (run.status !== 'queued' && run.status !== 'running')
      throw new ValidationError(`run ${run.request_id} has already ended (${run.status})`);
    const after = (await this.deps.queue.cancel(run.tenant_id, run.id)) ?? run;
    // A system administrator's action belongs to the installation's chain.
    const chain = withTenant ? SYSTEM_AUDIT_CHAIN : ctx.tenantId;
    await this.audited({ ...ctx, tenantId: chain }, 'job.cancel', run, { status: after.status });
    return this.view(after, withTenant);
  }

  private async page(
    tenantId: number | null | undefined,
    filters: JobRunFilters,
    withTenant: boolean,
  ): Promise<JobRunsPage> {
    const limit = filters.limit ?? DEFAULT_JOB_RUNS_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_RUNS_PAGE)
      throw new ValidationError(`limit must be a whole number from 1 to ${MAX_JOB_RUNS_PAGE}`);
    if (filters.since !== undefined && filters.until !== undefined && filters.since > filters.until)
      throw new ValidationError('"since" must not be later than "until"');
    // One row more than asked tells whether another page follows.
    const rows = await this.deps.runs.list({
      tenantId,
      jobType: filters.jobType?.trim() || undefined,
      requestId: filters.requestId?.trim() || undefined,
      status: filters.status,
      minSeverity: filters.minSeverity,
      since: filters.since,
      until: filters.until,
      beforeId: filters.before,
      limit: limit + 1,
    });
    const runs = await this.views(rows.slice(0, limit), withTenant);
    return { runs, nextCursor: rows.length > limit ? runs.at(-1)!.id : null };
  }

  private async detail(run: JobRun, withTenant: boolean): Promise<JobRunDetail> {
    const entries = await this.deps.processLog.listForRun(run.id, MAX_ENTRIES_PER_RUN);
    return { run: await this.view(run, withTenant), entries: entries.map(toProcessLogItem) };
  }

  private async find(tenantId: number | null | undefined, id: number): Promise<JobRun> {
    const run = await this.deps.runs.find(tenantId, id);
    if (!run) throw new NotFoundError(`job run ${id} does not exist`);
    return run;
  }

  private async views(runs: JobRun[], withTenant: boolean): Promise<JobRunView[]> {
    // A page names few schedules, tenants and retried runs: look each up once.
    const cache = new Map<string, Promise<unknown>>();
    const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
      if (!cache.has(key)) cache.set(key, load());
      return cache.get(key) as Promise<T>;
    };
    return Promise.all(runs.map((run) => this.view(run, withTenant, once)));
  }

  private async view(
    run: JobRun,
    withTenant: boolean,
    once: <T>(key: string, load: () => Promise<T>) => Promise<T> = (_key, load) => load(),
  ): Promise<JobRunView> {
    const schedule =
      run.schedule_id === null
        ? undefined
        : await once(`s${run.schedule_id}`, () => this.deps.schedules.find(run.tenant_id, run.schedule_id!));
    const retried =
      run.retried_from === null
        ? undefined
        : await once(`r${run.retried_from}`, () => this.deps.runs.findById(run.retried_from!));
    const view: JobRunView = {
      id: run.id,
      requestId: run.request_id,
      jobType: run.job_type,
      configId: run.config_id,
      configName: run.config_name,
      trigger: run.trigger,
      schedule: schedule
        ? {
            id: schedule.id,
            description: describeRecurrence(parseRecurrence(schedule)),
            recurrence: parseRecurrence(schedule),
            timeZone: schedule.time_zone,
          }
        : null,
      status: run.status,
      severity: run.severity,
      attempt: run.attempt,
      queuedAt: run.queued_at,
      startedAt: run.started_at,
      finishedAt: run.finished_at,
      progress: run.status === 'running' && run.progress_json ? parseProgress(run.progress_json) : null,
      counters: parseCounters(run.counters_json),
      error: run.error,
      cancelRequested: run.cancel_requested === 1,
      retriedFrom: retried ? { id: retried.id, requestId: retried.request_id } : null,
    };
    if (withTenant) {
      const tenant =
        run.tenant_id === null
          ? undefined
          : await once(`t${run.tenant_id}`, () => this.deps.tenants.findById(run.tenant_id!));
      view.tenant = tenant ? { id: tenant.id, slug: tenant.slug, name: tenant.name } : null;
    }
    return view;
  }

  private audited(ctx: AuthContext, action: string, run: JobRun, details: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'job-run', id: run.id, label: `${run.job_type}: ${run.config_name}` },
      outcome: 'success',
      details: { requestId: run.request_id, ...details },
    });
  }
}

function requireReader(ctx: AuthContext): void {
  if (!READER_ROLES.some((role) => hasRole(ctx, role)))
    throw new ForbiddenError('reading job runs needs the admin or auditor role', { roles: READER_ROLES });
}

function parseProgress(text: string): JobRunView['progress'] {
  const value = parseStoredObject(text);
  if (typeof value.done !== 'number') return null;
  return {
    done: value.done,
    total: typeof value.total === 'number' ? value.total : null,
    ...(typeof value.note === 'string' ? { note: value.note } : {}),
  };
}
