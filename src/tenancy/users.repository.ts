import type { Selectable, Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import { ROLES, type Database, type IdentityOrigin, type Role, type UsersTable } from '../db/schema.js';
import { writeKeepingAnAdmin, type GuardedOutcome } from './groups.repository.js';
import { deleteSecondFactorRows } from './identity.repository.js';

export type UserRow = Selectable<UsersTable>;

/** A user without credentials, with what Admin Access shows next to it. */
export interface UserDetails {
  user: Omit<UserRow, 'password_hash' | 'totp_secret' | 'totp_last_step'>;
  /** Primary first, then alphabetical. */
  addresses: Array<{ address: string; isPrimary: boolean }>;
  /** Sorted by name. */
  groups: Array<{ id: number; name: string }>;
  /** The union of the groups' roles, in ROLES order. */
  roles: Role[];
}

export interface UserAddress {
  address: string;
  isPrimary: boolean;
}

/** The local administrator every tenant is provisioned with, and the group that makes it one. */
export const PROVISIONED_ADMIN_NAME = 'admin';
export const ADMINISTRATORS_GROUP = 'Administrators';

const USER_COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'display_name',
  'origin',
  'external_id',
  'disabled',
  'provisioned',
  'language',
  'totp_enabled',
  'created_at',
  'updated_at',
  'last_sign_in_at',
] as const;

const byRoleOrder = (a: Role, b: Role) => ROLES.indexOf(a) - ROLES.indexOf(b);

async function replaceAddresses(
  trx: Transaction<Database>,
  tenantId: number,
  userId: number,
  list: UserAddress[],
) {
  await trx
    .deleteFrom('user_addresses')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .execute();
  if (list.length > 0) {
    await trx
      .insertInto('user_addresses')
      .values(
        list.map((a) => ({
          tenant_id: tenantId,
          user_id: userId,
          address: a.address,
          is_primary: a.isPrimary ? 1 : 0,
        })),
      )
      .execute();
  }
}

/** Signs the user out everywhere: sessions are server-side rows. */
async function deleteSessions(trx: Transaction<Database>, tenantId: number, userId: number) {
  await trx
    .deleteFrom('sessions')
    .where('realm', '=', 'tenant')
    .where('tenant_id', '=', tenantId)
    .where('subject_id', '=', userId)
    .execute();
}

/** Recovery codes and trusted devices carry no tenant: callers have checked the user is the tenant's. */
const deleteSecondFactorState = (trx: Transaction<Database>, userId: number) =>
  deleteSecondFactorRows(trx, 'tenant', [userId]);

/** Tenant users, their addresses and roles; each query scoped by the tenant id passed first. */
export class UsersRepository {
  constructor(private readonly db: Db) {}

  /** Every user of the tenant, or the one with `userId`, sorted by name. */
  async findDetails(tenantId: number, userId?: number): Promise<UserDetails[]> {
    let users = this.db.selectFrom('users').select(USER_COLUMNS).where('tenant_id', '=', tenantId);
    let addresses = this.db
      .selectFrom('user_addresses')
      .select(['user_id', 'address', 'is_primary'])
      .where('tenant_id', '=', tenantId);
    let groups = this.db
      .selectFrom('group_members as gm')
      .innerJoin('groups as g', 'g.id', 'gm.group_id')
      .select(['gm.user_id as userId', 'g.id as id', 'g.name as name'])
      .where('gm.tenant_id', '=', tenantId);
    let roles = this.db
      .selectFrom('group_members as gm')
      .innerJoin('group_roles as gr', 'gr.group_id', 'gm.group_id')
      .select(['gm.user_id as userId', 'gr.role as role'])
      .distinct()
      .where('gm.tenant_id', '=', tenantId);
    if (userId !== undefined) {
      users = users.where('id', '=', userId);
      addresses = addresses.where('user_id', '=', userId);
      groups = groups.where('gm.user_id', '=', userId);
      roles = roles.where('gm.user_id', '=', userId);
    }
    const [userRows, addressRows, groupRows, roleRows] = await Promise.all([
      users.orderBy('name').execute(),
      addresses.orderBy('is_primary', 'desc').orderBy('address').execute(),
      groups.orderBy('g.name').execute(),
      roles.execute(),
    ]);
    const details = new Map<number, UserDetails>(
      userRows.map((user) => [user.id, { user, addresses: [], groups: [], roles: [] }]),
    );
    for (const row of addressRows) {
      details.get(row.user_id)?.addresses.push({ address: row.address, isPrimary: row.is_primary === 1 });
    }
    for (const { userId: id, ...group } of groupRows) details.get(id)?.groups.push(group);
    for (const row of roleRows) details.get(row.userId)?.roles.push(row.role);
    for (const detail of details.values()) detail.roles.sort(byRoleOrder);
    return [...details.values()];
  }

  findByName(tenantId: number, name: string): Promise<UserRow | undefined> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  /** Which of these ids are users of the tenant. */
  async findExistingIds(tenantId: number, ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', [...ids])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** The users already holding any of these addresses. */
  findAddressHolders(
    tenantId: number,
    addresses: readonly string[],
  ): Promise<Array<{ address: string; userId: number; name: string }>> {
    if (addresses.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('user_addresses as a')
      .innerJoin('users as u', 'u.id', 'a.user_id')
      .select(['a.address as address', 'u.id as userId', 'u.name as name'])
      .where('a.tenant_id', '=', tenantId)
      .where('a.address', 'in', [...addresses])
      .execute();
  }

  async count(tenantId: number): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The roles a user holds through its groups (sign-in puts them in the session). */
  async rolesOfUser(tenantId: number, userId: number): Promise<Role[]> {
    const rows = await this.db
      .selectFrom('group_members as gm')
      .innerJoin('group_roles as gr', 'gr.group_id', 'gm.group_id')
      .select('gr.role as role')
      .distinct()
      .where('gm.tenant_id', '=', tenantId)
      .where('gm.user_id', '=', userId)
      .execute();
    return rows.map((r) => r.role).sort(byRoleOrder);
  }

  insert(
    tenantId: number,
    user: {
      name: string;
      displayName: string;
      origin: IdentityOrigin;
      passwordHash: string | null;
      addresses: UserAddress[];
      now: number;
    },
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('users')
        .values({
          tenant_id: tenantId,
          name: user.name,
          display_name: user.displayName,
          origin: user.origin,
          external_id: null,
          password_hash: user.passwordHash,
          totp_secret: null,
          created_at: user.now,
          updated_at: user.now,
          last_sign_in_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await replaceAddresses(trx, tenantId, id, user.addresses);
      return id;
    });
  }

  /**
   * Fields left undefined are kept; `addresses` replaces every address. Disabling a user also ends
   * its sessions. Refused (rolled back) when it would leave the tenant without an enabled admin.
   */
  update(
    tenantId: number,
    id: number,
    patch: { displayName?: string; disabled?: boolean; addresses?: UserAddress[]; now: number },
  ): Promise<GuardedOutcome> {
    return writeKeepingAnAdmin(this.db, tenantId, async (trx) => {
      await trx
        .updateTable('users')
        .set({
          display_name: patch.displayName,
          disabled: patch.disabled === undefined ? undefined : patch.disabled ? 1 : 0,
          updated_at: patch.now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      if (patch.addresses) await replaceAddresses(trx, tenantId, id, patch.addresses);
      if (patch.disabled) await deleteSessions(trx, tenantId, id);
    });
  }

  /** Addresses, memberships and mailbox ownerships cascade; sessions and second-factor state go too. */
  delete(tenantId: number, id: number): Promise<GuardedOutcome> {
    return writeKeepingAnAdmin(this.db, tenantId, async (trx) => {
      const deleted = await trx
        .deleteFrom('users')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return;
      await deleteSessions(trx, tenantId, id);
      await deleteSecondFactorState(trx, id);
    });
  }

  /** Sets a new password hash and signs the user out everywhere. */
  async setPassword(tenantId: number, id: number, passwordHash: string, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      await deleteSessions(trx, tenantId, id);
    });
  }

  /** Turns the second factor off: seed, recovery codes and trusted devices are forgotten. */
  async clearTotp(tenantId: number, id: number, now: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('users')
        .set({ totp_enabled: 0, totp_secret: null, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) await deleteSecondFactorState(trx, id);
    });
  }

  /**
   * Creates the provisioned admin, or gives it a new password and enables it again; makes sure the
   * Administrators group exists, holds the admin role and has it as a member. One transaction, so a
   * tenant is never left half-provisioned.
   */
  provisionAdmin(
    tenantId: number,
    admin: { passwordHash: string; now: number },
  ): Promise<{ userId: number; created: boolean }> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('users')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', PROVISIONED_ADMIN_NAME)
        .executeTakeFirst();
      let userId: number;
      if (existing) {
        userId = existing.id;
        await trx
          .updateTable('users')
          // A reset is how a locked-out admin gets back in: the lost phone's second factor goes too.
          .set({
            password_hash: admin.passwordHash,
            disabled: 0,
            provisioned: 1,
            totp_enabled: 0,
            totp_secret: null,
            updated_at: admin.now,
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', userId)
          .execute();
        await deleteSessions(trx, tenantId, userId);
        await deleteSecondFactorState(trx, userId);
      } else {
        ({ id: userId } = await trx
          .insertInto('users')
          .values({
            tenant_id: tenantId,
            name: PROVISIONED_ADMIN_NAME,
            display_name: 'Administrator',
            origin: 'local',
            external_id: null,
            password_hash: admin.passwordHash,
            provisioned: 1,
            totp_secret: null,
            created_at: admin.now,
            updated_at: admin.now,
            last_sign_in_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow());
      }
      let group = await trx
        .selectFrom('groups')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', ADMINISTRATORS_GROUP)
        .executeTakeFirst();
      group ??= await trx
        .insertInto('groups')
        .values({
          tenant_id: tenantId,
          name: ADMINISTRATORS_GROUP,
          description: 'Administer the tenant',
          origin: 'local',
          external_id: null,
          created_at: admin.now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('group_roles')
        .values({ tenant_id: tenantId, group_id: group.id, role: 'admin' })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .insertInto('group_members')
        .values({ tenant_id: tenantId, group_id: group.id, user_id: userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return { userId, created: !existing };
    });
  }
}
