import { sql, type Insertable, type Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, JobRun, JobRunsTable, JobStatus } from '../db/schema.js';
import { parseStoredObject } from '../core/json-object.js';
import { severitiesFrom, type ProcessLogSeverity } from './process-log.repository.js';

export interface JobRunsQuery {
  /** undefined: every tenant's runs and the installation's (System console). */
  tenantId?: number | null;
  jobType?: string;
  requestId?: string;
  status?: JobStatus;
  minSeverity?: ProcessLogSeverity;
  /** Queued from `since` (inclusive) to `until` (exclusive). */
  since?: number;
  until?: number;
  /** Runs with a smaller id (the previous page's last), newest first. */
  beforeId?: number;
  limit: number;
}

export const FINISHED: readonly JobStatus[] = [
  'succeeded',
  'warnings',
  'failed',
  'cancelled',
  'interrupted',
  'skipped',
];

/** The job queue's rows. Claims are conditional updates, so two runners never take one run. */
export class JobRunsRepository {
  constructor(private readonly db: Db) {}

  insert(row: Insertable<JobRunsTable>): Promise<JobRun> {
    return this.insertIn(this.db, row);
  }

  /** insert inside the caller's transaction (a process that records a finished run with its effects). */
  insertIn(db: Db | Transaction<Database>, row: Insertable<JobRunsTable>): Promise<JobRun> {
    return db.insertInto('job_runs').values(row).returningAll().executeTakeFirstOrThrow();
  }

  findById(id: number): Promise<JobRun | undefined> {
    return this.db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** One run of a tenant (null: the installation's); undefined for another tenant's. */
  find(tenantId: number | null | undefined, id: number): Promise<JobRun | undefined> {
    let q = this.db.selectFrom('job_runs').selectAll().where('id', '=', id);
    if (tenantId !== undefined) q = q.where('tenant_id', tenantId === null ? 'is' : '=', tenantId);
    return q.executeTakeFirst();
  }

  /** Newest first. */
  list(query: JobRunsQuery): Promise<JobRun[]> {
    let q = this.db.selectFrom('job_runs').selectAll().orderBy('id', 'desc').limit(query.limit);
    if (query.tenantId !== undefined)
      q = q.where('tenant_id', query.tenantId === null ? 'is' : '=', query.tenantId);
    if (query.jobType) q = q.where('job_type', '=', query.jobType);
    if (query.requestId) q = q.where('request_id', '=', query.requestId);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.minSeverity) q = q.where('severity', 'in', severitiesFrom(query.minSeverity));
    if (query.since !== undefined) q = q.where('queued_at', '>=', query.since);
    if (query.until !== undefined) q = q.where('queued_at', '<', query.until);
    if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
    return q.execute();
  }

  /** Raises the run's severity to `severity` (never lowers it). */
  async raiseSeverity(id: number, severity: ProcessLogSeverity): Promise<void> {
    if (severity === 'info') return;
    await this.db
      .updateTable('job_runs')
      .set({ severity })
      .where('id', '=', id)
      .where('severity', 'in', severity === 'error' ? ['info', 'warning'] : ['info'])
      .execute();
  }

  /**
   * Inserts `row` as queued, or, when the configuration already has a run queued or running, as
   * skipped naming that run. One transaction, so two triggers at once cannot both queue (the unique
   * index job_runs_one_active would refuse the second anyway).
   */
  insertQueuedOrSkipped(row: Insertable<JobRunsTable> & { status: 'queued' }): Promise<JobRun> {
    return this.db.transaction().execute(async (trx) => {
      const active = await this.findActiveIn(trx, row.tenant_id ?? null, row.job_type, row.config_id ?? null);
      if (!active) return this.insertIn(trx, row);
      return this.insertIn(trx, {
        ...row,
        status: 'skipped',
        finished_at: row.queued_at,
        error: `run ${active.request_id} of this configuration was still ${active.status}`,
      });
    });
  }

  /** A queued or running run of the same configuration, if any. */
  private findActiveIn(
    db: Db | Transaction<Database>,
    tenantId: number | null,
    jobType: string,
    configId: number | null,
  ): Promise<JobRun | undefined> {
    return db
      .selectFrom('job_runs')
      .selectAll()
      .where('job_type', '=', jobType)
      .where('config_id', configId === null ? 'is' : '=', configId)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
  }

  /**
   * Queued runs due by `now`, oldest first, of the given types only (those with a free slot): runs
   * of a type at its limit must not hide the runs of other types behind them.
   */
  findDue(now: number, limit: number, types?: readonly string[]): Promise<JobRun[]> {
    if (types && types.length === 0) return Promise.resolve([]);
    let q = this.db
      .selectFrom('job_runs')
      .selectAll()
      .where('status', '=', 'queued')
      .where('not_before', '<=', now)
      .where('cancel_requested', '=', 0);
    if (types) q = q.where('job_type', 'in', [...types]);
    return q.orderBy('id').limit(limit).execute();
  }

  /** When the next queued run comes due, or null. */
  async nextDueAt(): Promise<number | null> {
    const row = await this.db
      .selectFrom('job_runs')
      .select((eb) => eb.fn.min<number>('not_before').as('at'))
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return row?.at ?? null;
  }

  /** queued → running; false when another runner (or a cancel) got there first. */
  async claim(id: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('job_runs')
      // Every attempt starts over: counters and progress of an earlier attempt do not carry over.
      .set({ status: 'running', started_at: now, progress_json: null, counters_json: '{}' })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .where('cancel_requested', '=', 0)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async saveProgress(id: number, progress: unknown, counters: Record<string, number>): Promise<void> {
    await this.db
      .updateTable('job_runs')
      .set({ progress_json: JSON.stringify(progress), counters_json: JSON.stringify(counters) })
      .where('id', '=', id)
      .execute();
  }

  async cancelRequested(id: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('job_runs')
      .select('cancel_requested')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.cancel_requested === 1;
  }

  async finish(
    id: number,
    status: JobStatus,
    now: number,
    counters: Record<string, number>,
    error: string | null,
  ): Promise<void> {
    await this.db
      .updateTable('job_runs')
      .set({ status, finished_at: now, counters_json: JSON.stringify(counters), error })
      .where('id', '=', id)
      .execute();
  }

  /** running → queued again, unless a cancel arrived meanwhile (then false: end it cancelled). */
  async requeue(id: number, attempt: number, notBefore: number, error: string): Promise<boolean> {
    const result = await this.db
      .updateTable('job_runs')
      .set({ status: 'queued', attempt, not_before: notBefore, error, started_at: null })
      .where('id', '=', id)
      .where('cancel_requested', '=', 0)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** A queued run is cancelled at once; a running one is asked to stop. Returns the new status. */
  async requestCancel(tenantId: number | null, id: number, now: number): Promise<JobRun | undefined> {
    await this.db
      .updateTable('job_runs')
      .set({ status: 'cancelled', finished_at: now, cancel_requested: 1 })
      .where('id', '=', id)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .where('status', '=', 'queued')
      .execute();
    await this.db
      .updateTable('job_runs')
      .set({ cancel_requested: 1 })
      .where('id', '=', id)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .where('status', '=', 'running')
      .execute();
    return this.db
      .selectFrom('job_runs')
      .selectAll()
      .where('id', '=', id)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .executeTakeFirst();
  }

  /**
   * A run a dead process left running: interrupted, and (unless `requeue` is undefined) queued once
   * more, in one transaction so a crash in between cannot lose the re-queue.
   */
  async interrupt(
    run: JobRun,
    now: number,
    error: string,
    requeue?: Insertable<JobRunsTable>,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('job_runs')
        .set({ status: 'interrupted', finished_at: now, error })
        .where('id', '=', run.id)
        .where('status', '=', 'running')
        .execute();
      if (requeue) await this.insertIn(trx, requeue);
    });
  }

  /** Runs left 'running' by a process that died. */
  findRunning(): Promise<JobRun[]> {
    return this.db.selectFrom('job_runs').selectAll().where('status', '=', 'running').execute();
  }

  /** Finished runs, process-log entries and ended outgoing mail older than `before` go. */
  async prune(before: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('process_log').where('created_at', '<', before).execute();
      // What the outgoing queue keeps of ended messages (their content went when they ended).
      await trx
        .deleteFrom('outgoing_mail')
        .where('status', 'in', ['sent', 'failed'])
        .where('finished_at', '<', before)
        .execute();
      await trx
        .deleteFrom('job_runs')
        .where('queued_at', '<', before)
        .where('status', 'in', [...FINISHED])
        .execute();
    });
  }

  /** Running runs, and runs queued since `since` that failed, for the dashboard. */
  async dashboardCounts(tenantId: number, since: number): Promise<{ running: number; failed: number }> {
    const row = await this.db
      .selectFrom('job_runs')
      .select([
        sql<number>`sum(case when status = 'running' then 1 else 0 end)`.as('running'),
        // By queue time, like the Process Log's time filter the dashboard links to.
        sql<number>`sum(case when status = 'failed' and queued_at >= ${since} then 1 else 0 end)`.as(
          'failed',
        ),
      ])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return { running: Number(row.running ?? 0), failed: Number(row.failed ?? 0) };
  }
}

/** A run's counters_json; anything that is not a number is dropped. */
export function parseCounters(text: string): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const [key, value] of Object.entries(parseStoredObject(text)))
    if (typeof value === 'number') counters[key] = value;
  return counters;
}
