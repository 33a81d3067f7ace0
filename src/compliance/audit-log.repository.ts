import { sql } from 'kysely';
import { IntegrityError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { AuditLogRow } from '../db/schema.js';
import type { AuditOutcome } from './audit-log.types.js';
import { chainEntry, GENESIS_HASH, type AuditChainHead, type UnchainedAuditEntry } from './audit-log.fns.js';

/** The most rows one page of the audit log returns. */
export const MAX_AUDIT_PAGE = 500;

export interface AuditLogQuery {
  /** `user` matches `user` and every `user.…` action. */
  actionPrefix?: string;
  /** Case-insensitive part of the actor's name. */
  actorContains?: string;
  outcome?: AuditOutcome;
  /** Inclusive bounds on `at`, milliseconds since the epoch. */
  from?: number;
  to?: number;
  /** Only entries older than this id (the previous page's last id). */
  before?: number;
  limit: number;
}

/** Every audit log query, each scoped by the chain (tenant id, 0 for the system) passed first. */
export class AuditLogRepository {
  constructor(private readonly db: Db) {}

  /**
   * Appends an entry to the end of its chain and moves the chain's head, in one transaction.
   * The first statement writes the head row (a no-op update when it exists): that takes SQLite's
   * write lock, or PostgreSQL's row lock, before the head is read, so appenders in this and other
   * processes queue up behind each other instead of both extending the same head.
   */
  append(entry: UnchainedAuditEntry): Promise<AuditLogRow> {
    return this.db.transaction().execute(async (trx) => {
      const head = await trx
        .insertInto('audit_heads')
        .values({ tenant_id: entry.tenant_id, seq: 0, hash: GENESIS_HASH })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ seq: sql<number>`audit_heads.seq` }))
        .returning(['seq', 'hash'])
        .executeTakeFirstOrThrow();
      if (head.seq === 0) {
        // A new chain, or one whose head row was deleted: continuing the latter would collide with its seqs.
        const existing = await trx
          .selectFrom('audit_log')
          .select('id')
          .where('tenant_id', '=', entry.tenant_id)
          .limit(1)
          .executeTakeFirst();
        if (existing) {
          throw new IntegrityError(
            `the audit chain ${entry.tenant_id} has entries but its head record was deleted; run "postvault audit verify"`,
            { tenantId: entry.tenant_id },
          );
        }
      }
      const chained = chainEntry(entry, head.seq === 0 ? undefined : head);
      const row = await trx.insertInto('audit_log').values(chained).returningAll().executeTakeFirstOrThrow();
      await trx
        .updateTable('audit_heads')
        .set({ seq: row.seq, hash: row.hash })
        .where('tenant_id', '=', entry.tenant_id)
        .execute();
      return row;
    });
  }

  /** One page of a chain, newest first. */
  findPage(tenantId: number, query: AuditLogQuery): Promise<AuditLogRow[]> {
    let select = this.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (query.actionPrefix) {
      const prefix = query.actionPrefix.replace(/\.+$/, '');
      const below = `${prefix}.`;
      select = select.where((eb) =>
        eb.or([
          eb('action', '=', prefix),
          eb(eb.fn('substr', ['action', eb.lit(1), eb.val(below.length)]), '=', below),
        ]),
      );
    }
    if (query.actorContains) {
      const pattern = `%${escapeLike(query.actorContains.toLowerCase())}%`;
      select = select.where(sql<boolean>`lower(actor_name) like ${pattern} escape '\\'`);
    }
    if (query.outcome) select = select.where('outcome', '=', query.outcome);
    if (query.from !== undefined) select = select.where('at', '>=', query.from);
    if (query.to !== undefined) select = select.where('at', '<=', query.to);
    if (query.before !== undefined) select = select.where('id', '<', query.before);
    return select
      .orderBy('id', 'desc')
      .limit(Math.min(query.limit, MAX_AUDIT_PAGE + 1))
      .execute();
  }

  /** Every entry of a chain in insertion order, for verification. */
  findChain(tenantId: number): Promise<AuditLogRow[]> {
    return this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute();
  }

  findHead(tenantId: number): Promise<AuditChainHead | undefined> {
    return this.db
      .selectFrom('audit_heads')
      .select(['seq', 'hash'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
  }

  /** The chains that have entries or a head: a chain whose entries were all deleted still has its head. */
  async findChainIds(): Promise<number[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .select('tenant_id')
      .union(this.db.selectFrom('audit_heads').select('tenant_id'))
      .execute();
    return rows.map((r) => r.tenant_id).sort((a, b) => a - b);
  }
}

/** `%`, `_` and the escape character itself match literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
