import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, GroupsTable, IdentityOrigin, Role } from '../db/schema.js';

export type GroupRow = Selectable<GroupsTable>;

export interface GroupDetails {
  group: GroupRow;
  /** Sorted by name. */
  members: Array<{ id: number; name: string; displayName: string }>;
  roles: Role[];
}

/** How a write that could remove the last administrator ended. */
export type GuardedOutcome = 'done' | 'last-admin';

/** Thrown inside a transaction to roll it back; never leaves this module's callers. */
class LastAdminRollback extends Error {}

/** Enabled users of the tenant that hold the admin role through at least one group. */
export async function countEnabledAdmins(db: Kysely<Database>, tenantId: number): Promise<number> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('group_members as gm', 'gm.user_id', 'u.id')
    .innerJoin('group_roles as gr', 'gr.group_id', 'gm.group_id')
    .select((eb) => eb.fn.count<number>('u.id').distinct().as('n'))
    .where('u.tenant_id', '=', tenantId)
    .where('gm.tenant_id', '=', tenantId)
    .where('gr.tenant_id', '=', tenantId)
    .where('u.disabled', '=', 0)
    .where('gr.role', '=', 'admin')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Runs `work` in a transaction and keeps it only if the tenant, which had at least one enabled
 * administrator before, still has one after. Checking the state the write produced (rather than
 * predicting it) covers every way of losing the last admin — a role removed, a member removed, a
 * group or user deleted or disabled — and, the check being inside the transaction, two concurrent
 * changes cannot each remove "the other" admin.
 */
export async function writeKeepingAnAdmin(
  db: Db,
  tenantId: number,
  work: (trx: Transaction<Database>) => Promise<void>,
): Promise<GuardedOutcome> {
  try {
    await db.transaction().execute(async (trx) => {
      const before = await countEnabledAdmins(trx, tenantId);
      await work(trx);
      if (before > 0 && (await countEnabledAdmins(trx, tenantId)) === 0) throw new LastAdminRollback();
    });
    return 'done';
  } catch (error) {
    if (error instanceof LastAdminRollback) return 'last-admin';
    throw error;
  }
}

async function replaceMembers(trx: Transaction<Database>, tenantId: number, groupId: number, ids: number[]) {
  await trx
    .deleteFrom('group_members')
    .where('tenant_id', '=', tenantId)
    .where('group_id', '=', groupId)
    .execute();
  if (ids.length > 0) {
    await trx
      .insertInto('group_members')
      .values(ids.map((userId) => ({ tenant_id: tenantId, group_id: groupId, user_id: userId })))
      .execute();
  }
}

async function replaceRoles(trx: Transaction<Database>, tenantId: number, groupId: number, roles: Role[]) {
  await trx
    .deleteFrom('group_roles')
    .where('tenant_id', '=', tenantId)
    .where('group_id', '=', groupId)
    .execute();
  if (roles.length > 0) {
    await trx
      .insertInto('group_roles')
      .values(roles.map((role) => ({ tenant_id: tenantId, group_id: groupId, role })))
      .execute();
  }
}

/** Groups, their members and roles; each query scoped by the tenant id passed first. */
export class GroupsRepository {
  constructor(private readonly db: Db) {}

  /** Every group of the tenant, or the one with `groupId`, with members and roles; sorted by name. */
  async findDetails(tenantId: number, groupId?: number): Promise<GroupDetails[]> {
    let groups = this.db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId);
    let members = this.db
      .selectFrom('group_members as gm')
      .innerJoin('users as u', 'u.id', 'gm.user_id')
      .select(['gm.group_id as groupId', 'u.id as id', 'u.name as name', 'u.display_name as displayName'])
      .where('gm.tenant_id', '=', tenantId);
    let roles = this.db
      .selectFrom('group_roles')
      .select(['group_id', 'role'])
      .where('tenant_id', '=', tenantId);
    if (groupId !== undefined) {
      groups = groups.where('id', '=', groupId);
      members = members.where('gm.group_id', '=', groupId);
      roles = roles.where('group_id', '=', groupId);
    }
    const [groupRows, memberRows, roleRows] = await Promise.all([
      groups.orderBy('name').execute(),
      members.orderBy('u.name').execute(),
      roles.execute(),
    ]);
    const details = new Map<number, GroupDetails>(
      groupRows.map((group) => [group.id, { group, members: [], roles: [] }]),
    );
    for (const { groupId: id, ...member } of memberRows) details.get(id)?.members.push(member);
    for (const row of roleRows) details.get(row.group_id)?.roles.push(row.role);
    return [...details.values()];
  }

  findByName(tenantId: number, name: string): Promise<GroupRow | undefined> {
    return this.db
      .selectFrom('groups')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** Which of these ids are groups of the tenant. */
  async findExistingIds(tenantId: number, ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('groups')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  insert(
    tenantId: number,
    group: {
      name: string;
      description: string;
      origin: IdentityOrigin;
      memberIds: number[];
      roles: Role[];
      now: number;
    },
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('groups')
        .values({
          tenant_id: tenantId,
          name: group.name,
          description: group.description,
          origin: group.origin,
          external_id: null,
          created_at: group.now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await replaceMembers(trx, tenantId, id, group.memberIds);
      await replaceRoles(trx, tenantId, id, group.roles);
      return id;
    });
  }

  /** Fields left undefined are kept; `memberIds` replaces the whole membership. */
  update(
    tenantId: number,
    id: number,
    patch: { name?: string; description?: string; memberIds?: number[] },
  ): Promise<GuardedOutcome> {
    return writeKeepingAnAdmin(this.db, tenantId, async (trx) => {
      const set = { name: patch.name, description: patch.description };
      if (set.name !== undefined || set.description !== undefined) {
        await trx
          .updateTable('groups')
          .set(set)
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .execute();
      }
      if (patch.memberIds) await replaceMembers(trx, tenantId, id, patch.memberIds);
    });
  }

  setRoles(tenantId: number, id: number, roles: Role[]): Promise<GuardedOutcome> {
    return writeKeepingAnAdmin(this.db, tenantId, (trx) => replaceRoles(trx, tenantId, id, roles));
  }

  /** Members, roles and mailbox shares go with the group (foreign keys cascade). */
  delete(tenantId: number, id: number): Promise<GuardedOutcome> {
    return writeKeepingAnAdmin(this.db, tenantId, async (trx) => {
      await trx.deleteFrom('groups').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    });
  }
}
