import { ValidationError } from '../core/errors.js';
import type { AuditLogRow } from '../db/schema.js';
import { requireRole, requireSystemAdmin, type AuthContext } from '../tenancy/access.js';
import { verifyChain, type AuditProblem } from './audit-log.fns.js';
import { MAX_AUDIT_PAGE, type AuditLogRepository } from './audit-log.repository.js';
import {
  SYSTEM_AUDIT_CHAIN,
  type AuditEvent,
  type AuditOutcome,
  type AuditRecorder,
} from './audit-log.types.js';
import { parseStoredObject } from '../core/json-object.js';

export type AuditLogStore = Pick<
  AuditLogRepository,
  'append' | 'findPage' | 'findChain' | 'findHead' | 'findChainIds'
>;

/** The query of `GET /api/v1/audit` (docs/api-contract.md, "Audit log"). */
export interface AuditLogFilters {
  /** `user` matches `user` and every `user.…` action. */
  action?: string;
  /** Case-insensitive part of the actor's name. */
  actor?: string;
  outcome?: AuditOutcome;
  /** Inclusive bounds, milliseconds since the epoch. */
  from?: number;
  to?: number;
  /** The `nextBefore` of the previous page. */
  before?: number;
  /** 1 to 500, default 100. */
  limit?: number;
}

export interface AuditEntry {
  id: number;
  seq: number;
  at: number;
  actor: { kind: AuditLogRow['actor_kind']; id: number | null; name: string };
  ip: string | null;
  action: string;
  target: { type: string; id: string | null; label: string | null } | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Pass as `before` for the next page; null on the last page. */
  nextBefore: number | null;
}

export interface AuditChainReport {
  /** The tenant id, or SYSTEM_AUDIT_CHAIN. */
  tenantId: number;
  entries: number;
  ok: boolean;
  problems: AuditProblem[];
}

export interface AuditVerifyReport {
  chains: AuditChainReport[];
  ok: boolean;
}

export const DEFAULT_AUDIT_PAGE = 100;

/** Detail keys whose values are never stored; booleans and nulls (`totpEnabled: false`) say no secret. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|totp|recovery|credential|private.?key|api.?key/i;
const REDACTED = '[redacted]';

/**
 * The tamper-evident audit log: one hash chain per tenant and one for the installation. Recording
 * is open to every capability (the AuditRecorder port); reading needs the Auditor role and is
 * deliberately not recorded itself, or every look at the log would grow it.
 */
export class AuditLogService implements AuditRecorder {
  constructor(
    private readonly repository: AuditLogStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    if (!Number.isInteger(event.tenantId) || event.tenantId < 0) {
      throw new ValidationError(`audit chain ${event.tenantId} is not a tenant id`);
    }
    if (!event.action.trim()) throw new ValidationError('an audit event needs an action');
    const actor = event.actor;
    await this.repository.append({
      tenant_id: event.tenantId,
      at: this.clock(),
      actor_kind: actor.kind,
      actor_id: 'id' in actor ? actor.id : null,
      actor_name: actor.name,
      ip: event.ip ?? null,
      action: event.action,
      target_type: event.target?.type ?? null,
      target_id: event.target?.id === undefined ? null : String(event.target.id),
      target_label: event.target?.label ?? null,
      outcome: event.outcome,
      details: JSON.stringify(redactSecrets(event.details ?? {})),
    });
  }

  /** The caller's tenant chain, newest first. */
  async list(ctx: AuthContext, filters: AuditLogFilters = {}): Promise<AuditPage> {
    requireRole(ctx, 'auditor', 'reading the audit log');
    return this.page(ctx.tenantId, filters);
  }

  /** The installation's chain, for system administrators (and the operator). */
  async listSystem(ctx: Pick<AuthContext, 'actor'>, filters: AuditLogFilters = {}): Promise<AuditPage> {
    requireSystemAdmin(ctx, "reading the installation's audit log");
    return this.page(SYSTEM_AUDIT_CHAIN, filters);
  }

  /**
   * Checks the given chains, or else every chain present and the system chain. Each chain is read
   * whole: finding gaps and swaps needs all of its seqs at once.
   */
  async verify(options: { tenantIds?: number[] } = {}): Promise<AuditVerifyReport> {
    const tenantIds = options.tenantIds ?? [
      ...new Set([SYSTEM_AUDIT_CHAIN, ...(await this.repository.findChainIds())]),
    ];
    const chains: AuditChainReport[] = [];
    for (const tenantId of [...tenantIds].sort((a, b) => a - b)) {
      const rows = await this.repository.findChain(tenantId);
      const problems = verifyChain(rows, await this.repository.findHead(tenantId));
      chains.push({ tenantId, entries: rows.length, ok: problems.length === 0, problems });
    }
    return { chains, ok: chains.every((c) => c.ok) };
  }

  private async page(tenantId: number, filters: AuditLogFilters): Promise<AuditPage> {
    const limit = filters.limit ?? DEFAULT_AUDIT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
      throw new ValidationError(`limit must be a whole number from 1 to ${MAX_AUDIT_PAGE}`);
    }
    if (filters.from !== undefined && filters.to !== undefined && filters.from > filters.to) {
      throw new ValidationError('"from" must not be later than "to"');
    }
    // One row more than asked tells whether another page follows.
    const rows = await this.repository.findPage(tenantId, {
      actionPrefix: filters.action?.trim() || undefined,
      actorContains: filters.actor?.trim() || undefined,
      outcome: filters.outcome,
      from: filters.from,
      to: filters.to,
      before: filters.before,
      limit: limit + 1,
    });
    const entries = rows.slice(0, limit).map(toAuditEntry);
    return { entries, nextBefore: rows.length > limit ? entries.at(-1)!.id : null };
  }
}

export function toAuditEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    seq: row.seq,
    at: row.at,
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
    ip: row.ip,
    action: row.action,
    target:
      row.target_type === null ? null : { type: row.target_type, id: row.target_id, label: row.target_label },
    outcome: row.outcome,
    details: parseStoredObject(row.details),
  };
}

/** Copies details with every secret-looking value replaced, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      SECRET_KEY.test(key) && inner !== null && typeof inner !== 'boolean' ? REDACTED : redactSecrets(inner),
    ]),
  );
}
