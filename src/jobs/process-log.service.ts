import { ForbiddenError, ValidationError } from '../core/errors.js';
import type { ProcessLogRow, Role } from '../db/schema.js';
import { hasRole, type AuthContext } from '../tenancy/access.js';
import type { ProcessLogRepository, ProcessLogSeverity } from './process-log.repository.js';
import { parseStoredObject } from '../core/json-object.js';

/** The query of `GET /api/v1/admin/process-log` (docs/api-contract.md, "Process log"). */
export interface ProcessLogFilters {
  /** A process type, e.g. `journal-intake`. */
  process?: string;
  /** This severity and the more severe ones. */
  minSeverity?: ProcessLogSeverity;
  /** From `since` (inclusive) to `until` (exclusive), milliseconds since the epoch. */
  since?: number;
  until?: number;
  /** The `nextCursor` of the previous page. */
  before?: number;
  /** 1 to MAX_PROCESS_LOG_PAGE, default DEFAULT_PROCESS_LOG_PAGE. */
  limit?: number;
}

export interface ProcessLogItem {
  id: number;
  at: number;
  process: string;
  /** The configuration the entry is about (a journal endpoint for the intake). */
  subjectId: number | null;
  subjectName: string;
  severity: ProcessLogSeverity;
  message: string;
  details: Record<string, unknown>;
  /** The job run that wrote it, or null (intake events, the installation's own entries). */
  runId: number | null;
}

export interface ProcessLogPage {
  /** Newest first. */
  entries: ProcessLogItem[];
  /** Pass as `before` for the next page; null on the last page. */
  nextCursor: number | null;
}

export const DEFAULT_PROCESS_LOG_PAGE = 50;
export const MAX_PROCESS_LOG_PAGE = 200;

/** Admins watch what their configurations do; auditors may look too. */
const READER_ROLES: readonly Role[] = ['admin', 'auditor'];

/**
 * Reading the process log in Admin Access. Writing stays with the processes themselves
 * (ProcessLogRepository.append); this is the one place that scopes reads by the caller's tenant.
 */
export class ProcessLogService {
  constructor(private readonly repository: Pick<ProcessLogRepository, 'list'>) {}

  async list(ctx: AuthContext, filters: ProcessLogFilters = {}): Promise<ProcessLogPage> {
    if (!READER_ROLES.some((role) => hasRole(ctx, role))) {
      throw new ForbiddenError('reading the process log needs the admin or auditor role', {
        roles: READER_ROLES,
      });
    }
    const limit = filters.limit ?? DEFAULT_PROCESS_LOG_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PROCESS_LOG_PAGE) {
      throw new ValidationError(`limit must be a whole number from 1 to ${MAX_PROCESS_LOG_PAGE}`);
    }
    if (filters.since !== undefined && filters.until !== undefined && filters.since > filters.until) {
      throw new ValidationError('"since" must not be later than "until"');
    }
    // One row more than asked tells whether another page follows.
    const rows = await this.repository.list(ctx.tenantId, {
      process: filters.process?.trim() || undefined,
      minSeverity: filters.minSeverity,
      since: filters.since,
      until: filters.until,
      beforeId: filters.before,
      limit: limit + 1,
    });
    const entries = rows.slice(0, limit).map(toProcessLogItem);
    return { entries, nextCursor: rows.length > limit ? entries.at(-1)!.id : null };
  }
}

export function toProcessLogItem(row: ProcessLogRow): ProcessLogItem {
  return {
    id: row.id,
    at: row.created_at,
    process: row.process,
    subjectId: row.subject_id,
    subjectName: row.subject_name,
    severity: row.severity,
    message: row.message,
    details: parseStoredObject(row.details_json),
    runId: row.run_id,
  };
}
