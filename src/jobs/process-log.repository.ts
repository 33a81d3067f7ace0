import type { Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, ProcessLogRow } from '../db/schema.js';

export type ProcessLogSeverity = ProcessLogRow['severity'];

export interface ProcessLogEntry {
  tenantId: number | null;
  process: string;
  subjectId: number | null;
  subjectName: string;
  severity: ProcessLogSeverity;
  message: string;
  details?: Record<string, unknown>;
  at: number;
  /** The job run that wrote it. */
  runId?: number;
}

export interface ProcessLogQuery {
  process?: string;
  minSeverity?: ProcessLogSeverity;
  since?: number;
  until?: number;
  /** Entries with a smaller id than this (the previous page's last), newest first. */
  beforeId?: number;
  limit: number;
}

const SEVERITY_RANK: Record<ProcessLogSeverity, number> = { info: 0, warning: 1, error: 2 };

export function severitiesFrom(min: ProcessLogSeverity): ProcessLogSeverity[] {
  return (Object.keys(SEVERITY_RANK) as ProcessLogSeverity[]).filter(
    (s) => SEVERITY_RANK[s] >= SEVERITY_RANK[min],
  );
}

/** What background processes tell admins: one row per event, scoped by tenant (null = installation). */
export class ProcessLogRepository {
  constructor(private readonly db: Db) {}

  append(entries: readonly ProcessLogEntry[]): Promise<void> {
    return this.appendIn(this.db, entries);
  }

  /** append inside the caller's transaction (an intake commit that must record both or neither). */
  async appendIn(db: Db | Transaction<Database>, entries: readonly ProcessLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await db
      .insertInto('process_log')
      .values(
        entries.map((e) => ({
          tenant_id: e.tenantId,
          process: e.process,
          subject_id: e.subjectId,
          subject_name: e.subjectName,
          severity: e.severity,
          message: e.message,
          details_json: JSON.stringify(e.details ?? {}),
          created_at: e.at,
          run_id: e.runId ?? null,
        })),
      )
      .execute();
  }

  /** One tenant's entries (tenantId null: the installation's own), newest first. */
  list(tenantId: number | null, query: ProcessLogQuery): Promise<ProcessLogRow[]> {
    let q = this.db
      .selectFrom('process_log')
      .selectAll()
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .orderBy('id', 'desc')
      .limit(query.limit);
    if (query.process) q = q.where('process', '=', query.process);
    if (query.minSeverity) q = q.where('severity', 'in', severitiesFrom(query.minSeverity));
    if (query.since !== undefined) q = q.where('created_at', '>=', query.since);
    if (query.until !== undefined) q = q.where('created_at', '<', query.until);
    if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
    return q.execute();
  }

  /** A job run's messages, oldest first. */
  listForRun(runId: number, limit: number): Promise<ProcessLogRow[]> {
    return this.db
      .selectFrom('process_log')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }
}
