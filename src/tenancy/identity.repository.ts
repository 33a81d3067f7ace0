import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, Realm, Role, Session } from '../db/schema.js';

/**
 * Forgets the second factor's leftovers (recovery codes, trusted devices) of some subjects. These
 * rows name a subject by id only, so every path that resets or removes a subject calls this.
 */
export async function deleteSecondFactorRows(
  trx: Transaction<Database>,
  realm: Realm,
  subjectIds: readonly number[] | SelectQueryBuilder<Database, 'users', { id: number }>,
): Promise<void> {
  if (Array.isArray(subjectIds) && subjectIds.length === 0) return;
  const ids = subjectIds as number[];
  await trx.deleteFrom('recovery_codes').where('realm', '=', realm).where('subject_id', 'in', ids).execute();
  await trx.deleteFrom('trusted_devices').where('realm', '=', realm).where('subject_id', 'in', ids).execute();
}

/** The realms whose accounts are the installation's own (no tenant): System and Gateway console. */
export type ConsoleRealm = Exclude<Realm, 'tenant'>;

const ADMIN_TABLE = { system: 'system_admins', gateway: 'gateway_admins' } as const satisfies Record<
  ConsoleRealm,
  keyof Database
>;

/**
 * Whoever signs in: a system administrator (realm 'system'), a gateway administrator (realm
 * 'gateway') or a tenant's user (realm 'tenant').
 */
export interface Subject {
  realm: Realm;
  id: number;
  tenantId: number | null;
  /** `username` for system and gateway administrators, `name@slug` for users. */
  login: string;
  displayName: string;
  passwordHash: string | null;
  language: string;
  totpSecret: Buffer | null;
  totpEnabled: boolean;
  /** The last accepted TOTP time step (30-s periods since the epoch). */
  totpLastStep: number | null;
  disabled: boolean;
}

/**
 * The queries of sign-in and sessions. Users are looked up by tenant id and name; a session row
 * carries the tenant id so that resolving it never crosses into another tenant.
 */
export class IdentityRepository {
  constructor(private readonly db: Db) {}

  findSystemAdmin(username: string): Promise<Subject | undefined> {
    return this.findConsoleAdmin('system', username);
  }

  findSystemAdminById(id: number): Promise<Subject | undefined> {
    return this.findConsoleAdminById('system', id);
  }

  countSystemAdmins(): Promise<number> {
    return this.countConsoleAdmins('system');
  }

  insertSystemAdmin(username: string, passwordHash: string, now: number): Promise<number> {
    return this.insertConsoleAdmin('system', username, passwordHash, now);
  }

  /** A system or gateway administrator by name. */
  async findConsoleAdmin(realm: ConsoleRealm, username: string): Promise<Subject | undefined> {
    const row = await this.db
      .selectFrom(ADMIN_TABLE[realm])
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row && this.adminSubject(realm, row);
  }

  async findConsoleAdminById(realm: ConsoleRealm, id: number): Promise<Subject | undefined> {
    const row = await this.db
      .selectFrom(ADMIN_TABLE[realm])
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && this.adminSubject(realm, row);
  }

  private adminSubject(
    realm: ConsoleRealm,
    row: {
      id: number;
      username: string;
      password_hash: string;
      language: string;
      totp_secret: Buffer | null;
      totp_enabled: number;
      totp_last_step: number | null;
    },
  ): Subject {
    return {
      realm,
      id: row.id,
      tenantId: null,
      login: row.username,
      displayName: row.username,
      passwordHash: row.password_hash,
      language: row.language,
      totpSecret: row.totp_secret,
      totpEnabled: row.totp_enabled === 1,
      totpLastStep: row.totp_last_step,
      disabled: false,
    };
  }

  countConsoleAdmins(realm: ConsoleRealm): Promise<number> {
    return this.db
      .selectFrom(ADMIN_TABLE[realm])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  }

  async insertConsoleAdmin(
    realm: ConsoleRealm,
    username: string,
    passwordHash: string,
    now: number,
  ): Promise<number> {
    const row = await this.db
      .insertInto(ADMIN_TABLE[realm])
      .values({ username, password_hash: passwordHash, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async findUser(tenantId: number, name: string): Promise<Subject | undefined> {
    const row = await this.userRows(tenantId).where('u.name', '=', name).executeTakeFirst();
    return row && this.userSubject(row);
  }

  async findUserById(tenantId: number, id: number): Promise<Subject | undefined> {
    const row = await this.userRows(tenantId).where('u.id', '=', id).executeTakeFirst();
    return row && this.userSubject(row);
  }

  private userRows(tenantId: number) {
    return this.db
      .selectFrom('users as u')
      .innerJoin('tenants as t', 't.id', 'u.tenant_id')
      .where('u.tenant_id', '=', tenantId)
      .selectAll('u')
      .select('t.slug');
  }

  private userSubject(row: {
    id: number;
    tenant_id: number;
    name: string;
    slug: string;
    display_name: string;
    password_hash: string | null;
    language: string;
    totp_secret: Buffer | null;
    totp_enabled: number;
    totp_last_step: number | null;
    disabled: number;
  }): Subject {
    return {
      realm: 'tenant',
      id: row.id,
      tenantId: row.tenant_id,
      login: `${row.name}@${row.slug}`,
      displayName: row.display_name,
      passwordHash: row.password_hash,
      language: row.language,
      totpSecret: row.totp_secret,
      totpEnabled: row.totp_enabled === 1,
      totpLastStep: row.totp_last_step,
      disabled: row.disabled === 1,
    };
  }

  async rolesOfUser(tenantId: number, userId: number): Promise<Role[]> {
    const rows = await this.db
      .selectFrom('group_members as gm')
      .innerJoin('group_roles as gr', 'gr.group_id', 'gm.group_id')
      .where('gm.tenant_id', '=', tenantId)
      .where('gr.tenant_id', '=', tenantId)
      .where('gm.user_id', '=', userId)
      .select('gr.role')
      .distinct()
      .orderBy('gr.role')
      .execute();
    return rows.map((r) => r.role);
  }

  async updateSubject(
    subject: Pick<Subject, 'realm' | 'id' | 'tenantId'>,
    changes: {
      passwordHash?: string;
      language?: string;
      totpSecret?: Buffer | null;
      totpEnabled?: boolean;
      totpLastStep?: number | null;
      lastSignInAt?: number;
    },
  ): Promise<void> {
    const values = {
      ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
      ...(changes.language !== undefined && { language: changes.language }),
      ...(changes.totpSecret !== undefined && { totp_secret: changes.totpSecret }),
      ...(changes.totpEnabled !== undefined && { totp_enabled: changes.totpEnabled ? 1 : 0 }),
      ...(changes.totpLastStep !== undefined && { totp_last_step: changes.totpLastStep }),
      ...(changes.lastSignInAt !== undefined && { last_sign_in_at: changes.lastSignInAt }),
    };
    if (Object.keys(values).length === 0) return;
    if (subject.realm !== 'tenant') {
      await this.db
        .updateTable(ADMIN_TABLE[subject.realm])
        .set(values)
        .where('id', '=', subject.id)
        .execute();
    } else {
      await this.db
        .updateTable('users')
        .set(values)
        .where('tenant_id', '=', subject.tenantId!)
        .where('id', '=', subject.id)
        .execute();
    }
  }

  async insertSession(session: Session): Promise<void> {
    await this.db.insertInto('sessions').values(session).execute();
  }

  findSession(tokenHash: string, realm: Realm): Promise<Session | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('realm', '=', realm)
      .executeTakeFirst();
  }

  async touchSession(tokenHash: string, now: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('token_hash', '=', tokenHash)
      .execute();
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  /** Ends every session of one subject, except `keep` (the one that changed the password). */
  async deleteSessionsOf(subject: Pick<Subject, 'realm' | 'id'>, keep?: string): Promise<void> {
    let query = this.db
      .deleteFrom('sessions')
      .where('realm', '=', subject.realm)
      .where('subject_id', '=', subject.id);
    if (keep) query = query.where('token_hash', '!=', keep);
    await query.execute();
  }

  async deleteExpiredSessions(now: number, idleMs: number): Promise<void> {
    await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - idleMs)]))
      .execute();
    await this.db.deleteFrom('trusted_devices').where('expires_at', '<=', now).execute();
  }

  async insertTrustedDevice(row: {
    token_hash: string;
    realm: Realm;
    subject_id: number;
    expires_at: number;
  }): Promise<void> {
    await this.db.insertInto('trusted_devices').values(row).execute();
  }

  async isTrustedDevice(tokenHash: string, subject: Pick<Subject, 'realm' | 'id'>, now: number) {
    const row = await this.db
      .selectFrom('trusted_devices')
      .select('token_hash')
      .where('token_hash', '=', tokenHash)
      .where('realm', '=', subject.realm)
      .where('subject_id', '=', subject.id)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Replaces the recovery codes and forgets trusted devices: a new second factor starts clean. */
  async replaceRecoveryCodes(subject: Pick<Subject, 'realm' | 'id'>, codeHashes: string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await deleteSecondFactorRows(trx, subject.realm, [subject.id]);
      if (codeHashes.length > 0) {
        await trx
          .insertInto('recovery_codes')
          .values(
            codeHashes.map((code_hash) => ({
              realm: subject.realm,
              subject_id: subject.id,
              code_hash,
              used_at: null,
            })),
          )
          .execute();
      }
    });
  }

  /** Marks an unused recovery code used; false when there is none (so each code works once). */
  async useRecoveryCode(subject: Pick<Subject, 'realm' | 'id'>, codeHash: string, now: number) {
    const result = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('realm', '=', subject.realm)
      .where('subject_id', '=', subject.id)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  findThrottle(keys: string[]) {
    return this.db.selectFrom('sign_in_throttle').selectAll().where('key', 'in', keys).execute();
  }

  /**
   * Counts one more failure for a key in one statement (concurrent failures all count), starting
   * over when the last one is older than `forgetBefore`; returns the new count.
   */
  async addThrottleFailure(key: string, now: number, forgetBefore: number): Promise<number> {
    const row = await this.db
      .insertInto('sign_in_throttle')
      .values({ key, failures: 1, last_failure_at: now, blocked_until: 0 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          failures: eb
            .case()
            .when('sign_in_throttle.last_failure_at', '<', forgetBefore)
            .then(1)
            .else(eb('sign_in_throttle.failures', '+', 1))
            .end(),
          last_failure_at: now,
        })),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    return row.failures;
  }

  async setThrottleBlock(key: string, blockedUntil: number): Promise<void> {
    await this.db
      .updateTable('sign_in_throttle')
      .set({ blocked_until: blockedUntil })
      .where('key', '=', key)
      .execute();
  }

  async clearThrottle(key: string): Promise<void> {
    await this.db.deleteFrom('sign_in_throttle').where('key', '=', key).execute();
  }
}
