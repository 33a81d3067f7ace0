import { sql, type Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ArchiveMailbox, Database, JournalEndpoint } from '../../db/schema.js';

export const HOUR_MS = 3_600_000;

/** An endpoint with its mailbox's name and what it received (JournalEndpointsRepository.findDetails). */
export interface JournalEndpointDetails {
  endpoint: JournalEndpoint;
  mailboxName: string;
  messages24h: number;
  messages30d: number;
}

/**
 * Journal endpoints and their hourly counters. Each query is scoped by the tenant id passed first,
 * except the intake's: `findByToken` and `recordReceived`, which the SMTP intake calls before it
 * knows the tenant (the token is unique across the installation).
 */
export class JournalEndpointsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Every endpoint of the tenant, or the one with `endpointId`, sorted by name, with the messages
   * counted in the hours from `since.hour24` and from `since.hour30d` (hours since the epoch) on.
   */
  async findDetails(
    tenantId: number,
    since: { hour24: number; hour30d: number },
    endpointId?: number,
  ): Promise<JournalEndpointDetails[]> {
    let endpoints = this.db
      .selectFrom('journal_endpoints as e')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'e.mailbox_id')
      .selectAll('e')
      .select('mb.name as mailboxName')
      .where('e.tenant_id', '=', tenantId);
    let counts = this.db
      .selectFrom('journal_endpoint_hourly as h')
      .innerJoin('journal_endpoints as e', 'e.id', 'h.endpoint_id')
      .select([
        'h.endpoint_id as endpointId',
        sql<number>`coalesce(sum(case when h.hour >= ${since.hour24} then h.messages else 0 end), 0)`.as(
          'messages24h',
        ),
        sql<number>`coalesce(sum(h.messages), 0)`.as('messages30d'),
      ])
      .where('e.tenant_id', '=', tenantId)
      .where('h.hour', '>=', since.hour30d)
      .groupBy('h.endpoint_id');
    if (endpointId !== undefined) {
      endpoints = endpoints.where('e.id', '=', endpointId);
      counts = counts.where('h.endpoint_id', '=', endpointId);
    }
    const [rows, countRows] = await Promise.all([endpoints.orderBy('e.name').execute(), counts.execute()]);
    const byEndpoint = new Map(countRows.map((row) => [row.endpointId, row]));
    return rows.map(({ mailboxName, ...endpoint }) => ({
      endpoint,
      mailboxName,
      messages24h: Number(byEndpoint.get(endpoint.id)?.messages24h ?? 0),
      messages30d: Number(byEndpoint.get(endpoint.id)?.messages30d ?? 0),
    }));
  }

  findById(tenantId: number, id: number): Promise<JournalEndpoint | undefined> {
    return this.db
      .selectFrom('journal_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findByName(tenantId: number, name: string): Promise<JournalEndpoint | undefined> {
    return this.db
      .selectFrom('journal_endpoints')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** The names of the tenant's endpoints that deliver into the mailbox. */
  async findNamesByMailbox(tenantId: number, mailboxId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('journal_endpoints')
      .select('name')
      .where('tenant_id', '=', tenantId)
      .where('mailbox_id', '=', mailboxId)
      .orderBy('name')
      .execute();
    return rows.map((row) => row.name);
  }

  /** The tenant's archive mailbox an endpoint may deliver into. */
  findMailbox(
    tenantId: number,
    mailboxId: number,
  ): Promise<Pick<ArchiveMailbox, 'id' | 'name' | 'kind'> | undefined> {
    return this.db
      .selectFrom('archive_mailboxes')
      .select(['id', 'name', 'kind'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', mailboxId)
      .executeTakeFirst();
  }

  /** Any tenant's endpoint with this token, and whether its tenant is active: the intake's lookup. */
  findByToken(token: string): Promise<(JournalEndpoint & { tenantStatus: string }) | undefined> {
    return this.db
      .selectFrom('journal_endpoints as e')
      .innerJoin('tenants as t', 't.id', 'e.tenant_id')
      .selectAll('e')
      .select('t.status as tenantStatus')
      .where('e.address_token', '=', token)
      .executeTakeFirst();
  }

  /** Enabled endpoints created before `sinceMs` that received nothing since then. */
  findSilent(tenantId: number, sinceMs: number): Promise<Array<{ id: number; name: string }>> {
    return this.db
      .selectFrom('journal_endpoints')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('enabled', '=', 1)
      .where('created_at', '<', sinceMs)
      .where((eb) => eb.or([eb('last_received_at', 'is', null), eb('last_received_at', '<', sinceMs)]))
      .orderBy('name')
      .execute();
  }

  insert(
    tenantId: number,
    endpoint: { name: string; mailboxId: number; token: string; now: number },
  ): Promise<JournalEndpoint> {
    return this.db
      .insertInto('journal_endpoints')
      .values({
        tenant_id: tenantId,
        name: endpoint.name,
        mailbox_id: endpoint.mailboxId,
        address_token: endpoint.token,
        enabled: 1,
        created_at: endpoint.now,
        updated_at: endpoint.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Fields left undefined are kept. */
  async update(
    tenantId: number,
    id: number,
    patch: { name?: string; mailboxId?: number; enabled?: boolean; token?: string; now: number },
  ): Promise<void> {
    await this.db
      .updateTable('journal_endpoints')
      .set({
        name: patch.name,
        mailbox_id: patch.mailboxId,
        enabled: patch.enabled === undefined ? undefined : patch.enabled ? 1 : 0,
        address_token: patch.token,
        updated_at: patch.now,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async delete(tenantId: number, id: number): Promise<void> {
    await this.db
      .deleteFrom('journal_endpoints')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  /**
   * Counts messages received per endpoint in the hour of each `at`, and moves each endpoint's
   * last_received_at forward (never back: intake nodes may report out of order); drops hourly
   * counts older than `pruneBeforeHour` when given. One transaction.
   */
  async recordReceived(
    counts: ReadonlyArray<{ endpointId: number; at: number; count: number }>,
    pruneBeforeHour?: number,
  ): Promise<void> {
    if (counts.every((c) => c.count <= 0) && pruneBeforeHour === undefined) return;
    await this.db.transaction().execute((trx) => this.recordReceivedIn(trx, counts, pruneBeforeHour));
  }

  /** Names of endpoints by id, across tenants (the intake labels its process-log entries). */
  namesOf(ids: number[]): Promise<Array<{ id: number; name: string }>> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('journal_endpoints').select(['id', 'name']).where('id', 'in', ids).execute();
  }

  /**
   * Inside the caller's transaction: every endpoint-hour before `beforeHour` not summarised yet,
   * with its tenant and endpoint name, now marked as summarised.
   */
  async takeUnsummarizedHoursIn(trx: Transaction<Database>, beforeHour: number) {
    const rows = await trx
      .selectFrom('journal_endpoint_hourly as h')
      .innerJoin('journal_endpoints as e', 'e.id', 'h.endpoint_id')
      .select(['h.endpoint_id as endpointId', 'e.tenant_id as tenantId', 'e.name', 'h.hour', 'h.messages'])
      .where('h.summarized', '=', 0)
      .where('h.hour', '<', beforeHour)
      .orderBy('h.hour')
      .execute();
    if (rows.length > 0)
      await trx
        .updateTable('journal_endpoint_hourly')
        .set({ summarized: 1 })
        .where('summarized', '=', 0)
        .where('hour', '<', beforeHour)
        .execute();
    return rows;
  }

  /** recordReceived inside the caller's transaction (the intake's archive commit). */
  async recordReceivedIn(
    trx: Transaction<Database>,
    counts: ReadonlyArray<{ endpointId: number; at: number; count: number }>,
    pruneBeforeHour?: number,
  ): Promise<void> {
    const perHour = new Map<string, { endpointId: number; hour: number; count: number; at: number }>();
    for (const { endpointId, at, count } of counts) {
      if (count <= 0) continue;
      const hour = Math.floor(at / HOUR_MS);
      const key = `${endpointId}:${hour}`;
      const entry = perHour.get(key) ?? { endpointId, hour, count: 0, at };
      entry.count += count;
      entry.at = Math.max(entry.at, at);
      perHour.set(key, entry);
    }
    for (const { endpointId, hour, count, at } of perHour.values()) {
      await trx
        .insertInto('journal_endpoint_hourly')
        .values({ endpoint_id: endpointId, hour, messages: count })
        .onConflict((oc) =>
          oc.columns(['endpoint_id', 'hour']).doUpdateSet((eb) => ({
            messages: eb('journal_endpoint_hourly.messages', '+', eb.ref('excluded.messages')),
          })),
        )
        .execute();
      await trx
        .updateTable('journal_endpoints')
        .set({ last_received_at: at })
        .where('id', '=', endpointId)
        .where((eb) => eb.or([eb('last_received_at', 'is', null), eb('last_received_at', '<', at)]))
        .execute();
    }
    if (pruneBeforeHour !== undefined)
      await trx.deleteFrom('journal_endpoint_hourly').where('hour', '<', pruneBeforeHour).execute();
  }
}
