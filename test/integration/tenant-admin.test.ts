import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { MailboxAdminRepository } from '../../src/archive/mailbox-admin.repository.js';
import { MailboxAdminService } from '../../src/archive/mailbox-admin.service.js';
import { AuditLogRepository } from '../../src/compliance/audit-log.repository.js';
import { AuditLogService, type AuditEntry } from '../../src/compliance/audit-log.service.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../src/core/errors.js';
import type { Db } from '../../src/db/database.js';
import type { Role, Tenant } from '../../src/db/schema.js';
import type { AuthContext } from '../../src/tenancy/access.js';
import { JobRunsRepository } from '../../src/jobs/job-runs.repository.js';
import { DashboardRepository } from '../../src/tenancy/dashboard.repository.js';
import { DashboardService, type JournalEndpointMonitor } from '../../src/tenancy/dashboard.service.js';
import { DomainsRepository } from '../../src/tenancy/domains.repository.js';
import { DomainsService } from '../../src/tenancy/domains.service.js';
import { GroupsRepository } from '../../src/tenancy/groups.repository.js';
import { GroupsService } from '../../src/tenancy/groups.service.js';
import { verifyPassword } from '../../src/tenancy/passwords.js';
import { SecretsRepository } from '../../src/tenancy/secrets.repository.js';
import { SecretsService, type SecretUsage } from '../../src/tenancy/secrets.service.js';
import { TenantUsageRepository } from '../../src/tenancy/tenant-usage.repository.js';
import { UsersRepository } from '../../src/tenancy/users.repository.js';
import { UsersService } from '../../src/tenancy/users.service.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

const DAY = 86_400_000;
const LAST_ADMIN = 'the last administrator cannot be removed';

/** A small synthetic message (built here, not from a corpus). */
function syntheticMessage(subject: string, body = 'Hello'): Buffer {
  return Buffer.from(
    [
      'From: Sender <sender@example.test>',
      'To: alice@acme.test',
      `Subject: ${subject}`,
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

const PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUSyntheticTestCertificateOnlyAAAAAAAAAwCgYIKoZIzj0EAwIw',
  '-----END CERTIFICATE-----',
].join('\n');

describe('tenant administration', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  let db: Db;
  let now: number;
  let acme: Tenant;
  let other: Tenant;
  let audit: AuditLogService;
  let silent: Array<{ id: number; name: string }>;
  let silentSince: number[];
  let secretUsers: Map<number, string[]>;
  let repos: {
    users: UsersRepository;
    groups: GroupsRepository;
    usage: TenantUsageRepository;
  };
  let users: UsersService;
  let groups: GroupsService;
  let domains: DomainsService;
  let mailboxes: MailboxAdminService;
  let secrets: SecretsService;
  let dashboard: DashboardService;

  const system = (tenant: Tenant): AuthContext => ({
    tenantId: tenant.id,
    actor: { kind: 'system', name: 'test' },
  });
  const asUser = (tenant: Tenant, roles: Role[], id = 999_999): AuthContext => ({
    tenantId: tenant.id,
    actor: { kind: 'user', id, name: `someone@${tenant.slug}`, roles },
    ip: '192.0.2.7',
  });
  let ctx: AuthContext;

  beforeEach(async () => {
    dir = tempDir();
    app = await openTempApp(dir.path);
    db = app.database.db;
    now = Date.UTC(2026, 10, 24, 12, 0, 0);
    const clock = () => now;
    acme = await app.tenants.createTenant('acme', 'Acme Ltd');
    other = await app.tenants.createTenant('other', 'Other Inc');
    audit = new AuditLogService(new AuditLogRepository(db), clock);
    silent = [];
    silentSince = [];
    secretUsers = new Map();
    repos = {
      users: new UsersRepository(db),
      groups: new GroupsRepository(db),
      usage: new TenantUsageRepository(db),
    };
    users = new UsersService({ users: repos.users, tenants: repos.usage, audit, clock });
    groups = new GroupsService({
      groups: repos.groups,
      users: repos.users,
      tenants: repos.usage,
      audit,
      clock,
    });
    domains = new DomainsService({ domains: new DomainsRepository(db), audit, clock });
    mailboxes = new MailboxAdminService({
      mailboxes: new MailboxAdminRepository(db),
      users: repos.users,
      groups: repos.groups,
      tenants: repos.usage,
      audit,
      clock,
    });
    const usage: SecretUsage = { usersOf: async (_tenantId, secretId) => secretUsers.get(secretId) ?? [] };
    secrets = new SecretsService({
      secrets: new SecretsRepository(db),
      keys: app.tenants,
      usages: [usage],
      audit,
      clock,
    });
    const monitor: JournalEndpointMonitor = {
      silentEndpoints: async (_tenantId, sinceMs) => {
        silentSince.push(sinceMs);
        return silent;
      },
    };
    dashboard = new DashboardService({
      tenants: repos.usage,
      volume: new DashboardRepository(db),
      users: repos.users,
      groups: repos.groups,
      journalEndpoints: monitor,
      jobs: new JobRunsRepository(db),
      clock,
    });
    ctx = asUser(acme, ['admin']);
  });

  afterEach(async () => {
    await app.close();
    dir.remove();
  });

  const auditEntries = async (tenant: Tenant): Promise<AuditEntry[]> =>
    (await audit.list(system(tenant), { limit: 500 })).entries.reverse();
  const actions = async (tenant: Tenant) => (await auditEntries(tenant)).map((e) => e.action);
  const passwordHashOf = async (userId: number) =>
    (await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirstOrThrow())
      .password_hash!;
  const addSession = (tenant: Tenant, userId: number, token: string) =>
    db
      .insertInto('sessions')
      .values({
        token_hash: token,
        realm: 'tenant',
        tenant_id: tenant.id,
        subject_id: userId,
        csrf_token: 'csrf',
        created_at: now,
        last_seen_at: now,
        expires_at: now + DAY,
        ip: '127.0.0.1',
        user_agent: 'test',
      })
      .execute();
  const sessionTokens = async () =>
    (await db.selectFrom('sessions').select('token_hash').orderBy('token_hash').execute()).map(
      (r) => r.token_hash,
    );
  const provision = async (tenant = acme) => {
    const admin = await users.provisionAdmin(tenant.id, { kind: 'system-admin', id: 1, name: 'root' });
    const adminUser = (await users.list(system(tenant))).find((u) => u.name === 'admin')!;
    const administrators = (await groups.list(system(tenant))).find((g) => g.name === 'Administrators')!;
    return { ...admin, user: adminUser, group: administrators };
  };
  const archiveInto = async (tenant: Tenant, mailboxId: number, subject: string, body?: string) => {
    const [outcome] = await app.archive.archiveBatch({ tenantId: tenant.id }, mailboxId, [
      { raw: syntheticMessage(subject, body), folderPath: 'Inbox', sourceRef: subject },
    ]);
    if (outcome?.status !== 'archived') throw new Error(`not archived: ${JSON.stringify(outcome)}`);
    return outcome.messageId;
  };

  describe('provisioned admin', () => {
    it('creates admin@slug in Administrators with the admin role, and a reset gives a new password and re-enables it', async () => {
      const first = await provision();
      expect(first.login).toBe('admin@acme');
      expect(first.password).toHaveLength(20);
      expect(first.user).toMatchObject({
        name: 'admin',
        login: 'admin@acme',
        displayName: 'Administrator',
        origin: 'local',
        provisioned: true,
        disabled: false,
        roles: ['admin'],
        groups: [{ id: first.group.id, name: 'Administrators' }],
      });
      expect(first.group.roles).toEqual(['admin']);
      expect(await repos.users.rolesOfUser(acme.id, first.user.id)).toEqual(['admin']);
      expect(await verifyPassword(await passwordHashOf(first.user.id), first.password)).toBe(true);

      // A second admin lets the provisioned one be disabled; "reset admin" brings it back.
      const it2 = await groups.create(ctx, { name: 'IT', roles: ['admin'] });
      const bob = (await users.create(ctx, { name: 'bob' })).user;
      await groups.update(ctx, it2.id, { memberIds: [bob.id] });
      await users.update(ctx, first.user.id, { disabled: true });
      await addSession(acme, first.user.id, 'admin-session');

      const second = await users.provisionAdmin(acme.id, { kind: 'system', name: 'cli' });
      expect(second.password).not.toBe(first.password);
      const hash = await passwordHashOf(first.user.id);
      expect(await verifyPassword(hash, second.password)).toBe(true);
      expect(await verifyPassword(hash, first.password)).toBe(false);
      expect((await users.get(ctx, first.user.id)).disabled).toBe(false);
      expect(await sessionTokens()).toEqual([]);
      expect((await users.list(ctx)).filter((u) => u.name === 'admin')).toHaveLength(1);
      expect((await groups.list(ctx)).filter((g) => g.name === 'Administrators')).toHaveLength(1);
      expect(await actions(acme)).toContain('user.provision');
    });

    it('re-creates the admin and its group when they were deleted, and refuses tenant users', async () => {
      const { user, group } = await provision();
      const it2 = await groups.create(ctx, { name: 'IT', roles: ['admin'] });
      const bob = (await users.create(ctx, { name: 'bob' })).user;
      await groups.update(ctx, it2.id, { memberIds: [bob.id] });
      await users.delete(ctx, user.id);
      await groups.delete(ctx, group.id);

      const again = await provision();
      expect(again.user.id).not.toBe(user.id);
      expect(again.user.roles).toEqual(['admin']);
      expect(again.group.members.map((m) => m.login)).toEqual(['admin@acme']);
      await expect(users.provisionAdmin(acme.id, ctx.actor)).rejects.toBeInstanceOf(ForbiddenError);
    });
  });

  describe('users', () => {
    it('creates, lists, updates and deletes users; a generated password is returned once and only its argon2id hash is stored', async () => {
      await provision();
      const created = await users.create(ctx, {
        name: ' Alice.Smith ',
        displayName: 'Alice Smith',
        primaryAddress: 'Alice@ACME.test',
        addresses: ['alias@acme.test', 'ALICE@acme.test'],
      });
      expect(created.password).toHaveLength(20);
      expect(created.user).toMatchObject({
        name: 'alice.smith',
        login: 'alice.smith@acme',
        displayName: 'Alice Smith',
        origin: 'local',
        disabled: false,
        provisioned: false,
        primaryAddress: 'alice@acme.test',
        addresses: ['alice@acme.test', 'alias@acme.test'],
        groups: [],
        roles: [],
        totpEnabled: false,
        lastSignInAt: null,
        createdAt: now,
      });
      const hash = await passwordHashOf(created.user.id);
      expect(hash.startsWith('$argon2id$')).toBe(true);
      expect(hash).not.toContain(created.password!);
      expect(await verifyPassword(hash, created.password!)).toBe(true);

      const given = await users.create(ctx, { name: 'carol', password: 'correct horse battery' });
      expect(given.password).toBeUndefined();
      expect(given.user.displayName).toBe('carol');
      expect(await verifyPassword(await passwordHashOf(given.user.id), 'correct horse battery')).toBe(true);

      expect((await users.list(ctx)).map((u) => u.login)).toEqual([
        'admin@acme',
        'alice.smith@acme',
        'carol@acme',
      ]);
      expect(await users.get(ctx, given.user.id)).toEqual(given.user);

      const updated = await users.update(ctx, created.user.id, {
        displayName: 'Alice S.',
        addresses: ['alias@acme.test', 'new@acme.test'],
      });
      // The old primary is no longer listed: the first listed address takes over.
      expect(updated).toMatchObject({
        displayName: 'Alice S.',
        primaryAddress: 'alias@acme.test',
        addresses: ['alias@acme.test', 'new@acme.test'],
      });
      const primaryChanged = await users.update(ctx, created.user.id, { primaryAddress: 'NEW@acme.test' });
      expect(primaryChanged.primaryAddress).toBe('new@acme.test');
      expect(primaryChanged.addresses).toEqual(['new@acme.test', 'alias@acme.test']);
      const noPrimary = await users.update(ctx, created.user.id, { primaryAddress: null });
      expect(noPrimary.primaryAddress).toBeNull();
      expect(noPrimary.addresses).toEqual(['alias@acme.test', 'new@acme.test']);

      await users.delete(ctx, created.user.id);
      await expect(users.get(ctx, created.user.id)).rejects.toBeInstanceOf(NotFoundError);
      expect(
        await db
          .selectFrom('user_addresses')
          .select('address')
          .where('user_id', '=', created.user.id)
          .execute(),
      ).toEqual([]);

      const entries = await auditEntries(acme);
      expect(entries.map((e) => e.action)).toEqual([
        'user.provision',
        'user.create',
        'user.create',
        'user.update',
        'user.update',
        'user.update',
        'user.delete',
      ]);
      const create = entries[1]!;
      expect(create).toMatchObject({
        actor: { kind: 'user', name: 'someone@acme' },
        ip: '192.0.2.7',
        target: { type: 'user', id: String(created.user.id), label: 'alice.smith@acme' },
        outcome: 'success',
        details: { passwordGenerated: true },
      });
      expect(entries[3]!.details).toEqual({
        changes: {
          displayName: 'Alice S.',
          primaryAddress: 'alias@acme.test',
          addresses: ['alias@acme.test', 'new@acme.test'],
        },
      });
      const everything = JSON.stringify(entries);
      expect(everything).not.toContain(created.password!);
      expect(everything).not.toContain('correct horse battery');
    });

    it('validates names, passwords and addresses, and refuses duplicates', async () => {
      await expect(users.create(ctx, { name: 'bad name' })).rejects.toBeInstanceOf(ValidationError);
      await expect(users.create(ctx, { name: '.dot' })).rejects.toBeInstanceOf(ValidationError);
      await expect(users.create(ctx, { name: 'x'.repeat(65) })).rejects.toBeInstanceOf(ValidationError);
      await expect(users.create(ctx, { name: 'dave', password: 'short' })).rejects.toThrow(/at least 10/);
      await expect(users.create(ctx, { name: 'dave', addresses: ['not-an-address'] })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(users.create(ctx, { name: 'dave', primaryAddress: 'a@b' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(
        users.create(ctx, { name: 'dave', primaryAddress: 'a b@acme.test' }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(users.create(ctx, { name: 'dave', displayName: '  ' })).rejects.toBeInstanceOf(
        ValidationError,
      );

      const dave = (await users.create(ctx, { name: 'Dave', primaryAddress: 'dave@acme.test' })).user;
      expect(dave.name).toBe('dave');
      await expect(users.create(ctx, { name: 'DAVE' })).rejects.toThrow(ConflictError);
      await expect(users.create(ctx, { name: 'erin', addresses: ['DAVE@acme.test'] })).rejects.toThrow(
        /dave@acme\.test/,
      );
      const erin = (await users.create(ctx, { name: 'erin', addresses: ['erin@acme.test'] })).user;
      expect(erin.primaryAddress).toBe('erin@acme.test');
      const conflict = users.update(ctx, erin.id, { addresses: ['erin@acme.test', 'dave@acme.test'] });
      await expect(conflict).rejects.toBeInstanceOf(ConflictError);
      await expect(conflict).rejects.toThrow(/the address dave@acme\.test is already used by dave@acme/);
      // A user keeps its own addresses through an update, and another tenant may use the same ones.
      expect((await users.update(ctx, dave.id, { addresses: ['dave@acme.test'] })).addresses).toEqual([
        'dave@acme.test',
      ]);
      const elsewhere = await users.create(system(other), { name: 'dave', primaryAddress: 'dave@acme.test' });
      expect(elsewhere.user.login).toBe('dave@other');
    });

    it("enforces the tenant's user quota", async () => {
      await provision();
      await db.updateTable('tenants').set({ max_users: 2 }).where('id', '=', acme.id).execute();
      await users.create(ctx, { name: 'one' });
      const refused = users.create(ctx, { name: 'two' });
      await expect(refused).rejects.toBeInstanceOf(ConflictError);
      await expect(refused).rejects.toThrow("the tenant's quota of 2 users is reached");
      await db.updateTable('tenants').set({ max_users: null }).where('id', '=', acme.id).execute();
      await users.create(ctx, { name: 'two' });
    });

    it('disabling a user or resetting its password signs it out; resetting TOTP forgets the second factor', async () => {
      await provision();
      const frank = (await users.create(ctx, { name: 'frank' })).user;
      const gina = (await users.create(ctx, { name: 'gina' })).user;
      await addSession(acme, frank.id, 'frank-1');
      await addSession(acme, frank.id, 'frank-2');
      await addSession(acme, gina.id, 'gina-1');

      expect((await users.update(ctx, frank.id, { disabled: true })).disabled).toBe(true);
      expect(await sessionTokens()).toEqual(['gina-1']);
      expect((await users.update(ctx, frank.id, { disabled: false })).disabled).toBe(false);

      const oldHash = await passwordHashOf(gina.id);
      const { password } = await users.resetPassword(ctx, gina.id);
      expect(password).toHaveLength(20);
      expect(await verifyPassword(await passwordHashOf(gina.id), password)).toBe(true);
      expect(await passwordHashOf(gina.id)).not.toBe(oldHash);
      expect(await sessionTokens()).toEqual([]);

      await db
        .updateTable('users')
        .set({ totp_enabled: 1, totp_secret: Buffer.from('seed') })
        .where('id', '=', gina.id)
        .execute();
      await db
        .insertInto('recovery_codes')
        .values([
          { realm: 'tenant', subject_id: gina.id, code_hash: 'a', used_at: null },
          { realm: 'tenant', subject_id: frank.id, code_hash: 'b', used_at: null },
        ])
        .execute();
      await db
        .insertInto('trusted_devices')
        .values({ token_hash: 'device', realm: 'tenant', subject_id: gina.id, expires_at: now + DAY })
        .execute();
      expect((await users.get(ctx, gina.id)).totpEnabled).toBe(true);
      await users.resetTotp(ctx, gina.id);
      const row = await db
        .selectFrom('users')
        .select(['totp_enabled', 'totp_secret'])
        .where('id', '=', gina.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ totp_enabled: 0, totp_secret: null });
      expect(await db.selectFrom('recovery_codes').select('subject_id').execute()).toEqual([
        { subject_id: frank.id },
      ]);
      expect(await db.selectFrom('trusted_devices').selectAll().execute()).toEqual([]);

      const recorded = await actions(acme);
      expect(recorded).toContain('user.password.reset');
      expect(recorded).toContain('user.totp.reset');
      expect(JSON.stringify(await auditEntries(acme))).not.toContain(password);
    });

    it('keeps synchronized users to their directory: only "disabled" changes here', async () => {
      await provision();
      const { id } = await db
        .insertInto('users')
        .values({
          tenant_id: acme.id,
          name: 'synced',
          display_name: 'Synced',
          origin: 'entra',
          external_id: 'x',
          password_hash: null,
          totp_secret: null,
          created_at: now,
          updated_at: now,
          last_sign_in_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await expect(users.update(ctx, id, { displayName: 'Other' })).rejects.toBeInstanceOf(ConflictError);
      await expect(users.resetPassword(ctx, id)).rejects.toBeInstanceOf(ConflictError);
      expect((await users.update(ctx, id, { disabled: true })).disabled).toBe(true);
    });
  });

  describe('the last-admin rule', () => {
    it('refuses every change that would leave no enabled admin, and leaves the data as it was', async () => {
      const { user: admin, group } = await provision();
      // A disabled member of an admin group does not count.
      const bob = (await users.create(ctx, { name: 'bob' })).user;
      await groups.update(ctx, group.id, { memberIds: [admin.id, bob.id] });
      await users.update(ctx, bob.id, { disabled: true });

      const refusals = [
        () => users.delete(ctx, admin.id),
        () => users.update(ctx, admin.id, { disabled: true }),
        () => groups.setRoles(ctx, group.id, ['reader']),
        () => groups.setRoles(ctx, group.id, []),
        () => groups.update(ctx, group.id, { memberIds: [bob.id] }),
        () => groups.update(ctx, group.id, { memberIds: [] }),
        () => groups.delete(ctx, group.id),
      ];
      for (const refusal of refusals) {
        const attempt = refusal();
        await expect(attempt).rejects.toBeInstanceOf(ConflictError);
        await expect(attempt).rejects.toThrow(LAST_ADMIN);
      }
      expect(await users.get(ctx, admin.id)).toMatchObject({ disabled: false, roles: ['admin'] });
      expect(await groups.get(ctx, group.id)).toMatchObject({
        roles: ['admin'],
        members: [{ login: 'admin@acme' }, { login: 'bob@acme' }],
      });
      // Nothing refused was audited as done.
      expect((await actions(acme)).filter((a) => a !== 'user.provision' && a !== 'user.create')).toEqual([
        'group.members.set',
        'user.update',
      ]);

      // Changes that keep an admin go through.
      const renamed = await groups.update(ctx, group.id, { name: 'Admins', memberIds: [admin.id] });
      expect(renamed.members.map((m) => m.id)).toEqual([admin.id]);
      expect((await groups.setRoles(ctx, group.id, ['admin', 'reader'])).roles).toEqual(['admin', 'reader']);
    });

    it('lets the provisioned admin go once another enabled admin exists, then protects that one', async () => {
      const { user: admin, group } = await provision();
      const it2 = await groups.create(ctx, { name: 'IT', roles: ['admin', 'reader'] });
      const carl = (await users.create(ctx, { name: 'carl' })).user;
      await expect(users.delete(ctx, admin.id)).rejects.toThrow(LAST_ADMIN);
      await groups.update(ctx, it2.id, { memberIds: [carl.id] });
      expect((await users.get(ctx, carl.id)).roles).toEqual(['admin', 'reader']);

      await users.delete(ctx, admin.id);
      await expect(users.get(ctx, admin.id)).rejects.toBeInstanceOf(NotFoundError);
      // Administrators is now empty: deleting it is fine; IT holds the last admin.
      await groups.delete(ctx, group.id);
      await expect(groups.setRoles(ctx, it2.id, ['reader'])).rejects.toThrow(LAST_ADMIN);
      await expect(users.update(ctx, carl.id, { disabled: true })).rejects.toThrow(LAST_ADMIN);
      await expect(groups.update(ctx, it2.id, { memberIds: [] })).rejects.toThrow(LAST_ADMIN);
      await expect(groups.delete(ctx, it2.id)).rejects.toThrow(LAST_ADMIN);
      await expect(users.delete(ctx, carl.id)).rejects.toThrow(LAST_ADMIN);
    });

    it('does not block changes in a tenant that has no admin to lose', async () => {
      const lone = (await users.create(system(acme), { name: 'lone' })).user;
      await users.update(system(acme), lone.id, { disabled: true });
      await users.delete(system(acme), lone.id);
    });
  });

  describe('groups', () => {
    it('creates groups with members and roles; a user holds the union of its groups’ roles', async () => {
      await provision();
      const hana = (await users.create(ctx, { name: 'hana', displayName: 'Hana' })).user;
      const ivan = (await users.create(ctx, { name: 'ivan' })).user;
      const readers = await groups.create(ctx, {
        name: ' Readers ',
        description: 'Everyone who reads',
        memberIds: [hana.id, ivan.id, hana.id],
        roles: ['reader'],
      });
      expect(readers).toMatchObject({
        name: 'Readers',
        description: 'Everyone who reads',
        origin: 'local',
        members: [
          { id: hana.id, login: 'hana@acme', displayName: 'Hana' },
          { id: ivan.id, login: 'ivan@acme', displayName: 'ivan' },
        ],
        roles: ['reader'],
        createdAt: now,
      });
      const auditors = await groups.create(ctx, { name: 'Auditors', roles: ['compliance', 'auditor'] });
      expect(auditors.roles).toEqual(['auditor', 'compliance']);
      await groups.update(ctx, auditors.id, { memberIds: [hana.id] });
      expect(await repos.users.rolesOfUser(acme.id, hana.id)).toEqual(['reader', 'auditor', 'compliance']);
      expect((await users.get(ctx, hana.id)).groups.map((g) => g.name)).toEqual(['Auditors', 'Readers']);
      expect(await repos.users.rolesOfUser(acme.id, ivan.id)).toEqual(['reader']);

      const changed = await groups.update(ctx, readers.id, {
        description: 'Readers only',
        memberIds: [ivan.id],
      });
      expect(changed.members.map((m) => m.id)).toEqual([ivan.id]);
      expect(changed.description).toBe('Readers only');
      expect(await repos.users.rolesOfUser(acme.id, hana.id)).toEqual(['auditor', 'compliance']);
      expect((await groups.setRoles(ctx, readers.id, ['reader', 'auditor'])).roles).toEqual([
        'reader',
        'auditor',
      ]);
      expect((await groups.list(ctx)).map((g) => g.name)).toEqual(['Administrators', 'Auditors', 'Readers']);

      await expect(groups.create(ctx, { name: 'Readers' })).rejects.toBeInstanceOf(ConflictError);
      await expect(groups.update(ctx, auditors.id, { name: 'Readers' })).rejects.toBeInstanceOf(
        ConflictError,
      );
      await expect(groups.create(ctx, { name: ' ' })).rejects.toBeInstanceOf(ValidationError);
      await expect(groups.create(ctx, { name: 'X', roles: ['owner' as Role] })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(groups.setRoles(ctx, readers.id, ['superuser' as Role])).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(groups.create(ctx, { name: 'X', memberIds: [123_456] })).rejects.toBeInstanceOf(
        ValidationError,
      );

      await groups.delete(ctx, auditors.id);
      await expect(groups.get(ctx, auditors.id)).rejects.toBeInstanceOf(NotFoundError);
      expect(await repos.users.rolesOfUser(acme.id, hana.id)).toEqual([]);

      const recorded = await auditEntries(acme);
      expect(recorded.map((e) => e.action).filter((a) => a.startsWith('group.'))).toEqual([
        'group.create',
        'group.create',
        'group.members.set',
        'group.members.set',
        'group.update',
        'group.roles.set',
        'group.delete',
      ]);
      expect(recorded.find((e) => e.action === 'group.roles.set')!.details).toEqual({
        before: ['reader'],
        roles: ['reader', 'auditor'],
      });
    });

    it('keeps synchronized groups’ names and members to their directory but lets roles be set', async () => {
      await provision();
      const { id } = await db
        .insertInto('groups')
        .values({
          tenant_id: acme.id,
          name: 'Sales',
          origin: 'ldap',
          external_id: 'cn=sales',
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await expect(groups.update(ctx, id, { name: 'Sales 2' })).rejects.toBeInstanceOf(ConflictError);
      await expect(groups.update(ctx, id, { memberIds: [] })).rejects.toBeInstanceOf(ConflictError);
      await expect(groups.delete(ctx, id)).rejects.toBeInstanceOf(ConflictError);
      expect((await groups.setRoles(ctx, id, ['reader'])).roles).toEqual(['reader']);
    });
  });

  describe('domains', () => {
    it('adds canonical domain names, refuses invalid and duplicate ones, deletes only local ones', async () => {
      const example = await domains.create(ctx, { name: ' Example.COM ' });
      expect(example).toEqual({ id: example.id, name: 'example.com', origin: 'local', createdAt: now });
      expect((await domains.create(ctx, { name: 'münchen.de' })).name).toBe('xn--mnchen-3ya.de');
      for (const name of ['localhost', '-bad.com', 'a..b', 'under_score.com', '1.2.3.4', 'sp ace.com', '']) {
        await expect(domains.create(ctx, { name })).rejects.toBeInstanceOf(ValidationError);
      }
      await expect(domains.create(ctx, { name: 'EXAMPLE.com' })).rejects.toBeInstanceOf(ConflictError);
      const { id: syncedId } = await db
        .insertInto('domains')
        .values({ tenant_id: acme.id, name: 'synced.test', origin: 'entra', created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      expect((await domains.list(ctx)).map((d) => d.name)).toEqual([
        'example.com',
        'synced.test',
        'xn--mnchen-3ya.de',
      ]);
      await expect(domains.delete(ctx, syncedId)).rejects.toBeInstanceOf(ConflictError);
      await domains.delete(ctx, example.id);
      expect((await domains.list(ctx)).map((d) => d.name)).toEqual(['synced.test', 'xn--mnchen-3ya.de']);
      expect(await actions(acme)).toEqual(['domain.create', 'domain.create', 'domain.delete']);
    });
  });

  describe('mailboxes', () => {
    it('creates mailboxes with addresses, owners and shares, counts what they hold, and deletes only empty ones', async () => {
      await provision();
      const jo = (await users.create(ctx, { name: 'jo', displayName: 'Jo' })).user;
      const kim = (await users.create(ctx, { name: 'kim' })).user;
      const team = await groups.create(ctx, { name: 'Team', roles: ['reader'] });
      const created = await mailboxes.create(ctx, {
        name: ' Jo ',
        kind: 'user',
        primaryAddress: 'Jo@Acme.test',
        secondaryAddresses: ['jo.alias@acme.test', 'jo@acme.test'],
        ownerIds: [jo.id],
        sharedGroupIds: [team.id],
      });
      expect(created).toEqual({
        id: created.id,
        name: 'Jo',
        kind: 'user',
        primaryAddress: 'jo@acme.test',
        secondaryAddresses: ['jo.alias@acme.test'],
        owners: [{ id: jo.id, login: 'jo@acme', displayName: 'Jo' }],
        sharedWith: [{ id: team.id, name: 'Team' }],
        messages: 0,
        storageBytes: 0,
        createdAt: now,
      });
      const rows = await db
        .selectFrom('mailbox_addresses')
        .select('address')
        .where('mailbox_id', '=', created.id)
        .orderBy('address')
        .execute();
      expect(rows.map((r) => r.address)).toEqual(['jo.alias@acme.test', 'jo@acme.test']);
      // A user and a mailbox may share an address; two mailboxes may not.
      await users.update(ctx, jo.id, { primaryAddress: 'jo@acme.test' });
      const clash = mailboxes.create(ctx, {
        name: 'Other',
        kind: 'shared',
        secondaryAddresses: ['JO.alias@acme.test'],
      });
      await expect(clash).rejects.toThrow(/jo\.alias@acme\.test is already used by the mailbox Jo/);
      await expect(mailboxes.create(ctx, { name: 'jo', kind: 'user' })).resolves.toBeDefined();
      await expect(mailboxes.create(ctx, { name: 'Jo', kind: 'user' })).rejects.toBeInstanceOf(ConflictError);
      await expect(mailboxes.create(ctx, { name: 'K', kind: 'personal' as 'user' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(
        mailboxes.create(ctx, { name: 'K', kind: 'user', ownerIds: [999_999] }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        mailboxes.create(ctx, { name: 'K', kind: 'user', sharedGroupIds: [999_999] }),
      ).rejects.toBeInstanceOf(ValidationError);

      const first = await archiveInto(acme, created.id, 'first message', 'a'.repeat(500));
      await archiveInto(acme, created.id, 'second message');
      const sizes = await db
        .selectFrom('messages as m')
        .innerJoin('message_contents as c', 'c.id', 'm.content_id')
        .select('c.size')
        .where('m.mailbox_id', '=', created.id)
        .execute();
      const stored = await mailboxes.get(ctx, created.id);
      expect(stored.messages).toBe(2);
      expect(stored.storageBytes).toBe(sizes.reduce((sum, r) => sum + r.size, 0));
      expect(stored.storageBytes).toBeGreaterThan(500);
      expect(first).toBeGreaterThan(0);

      const updated = await mailboxes.update(ctx, created.id, {
        name: 'Jo Archive',
        kind: 'shared',
        secondaryAddresses: ['jo.old@acme.test'],
        ownerIds: [jo.id, kim.id],
        sharedGroupIds: [],
      });
      expect(updated).toMatchObject({
        name: 'Jo Archive',
        kind: 'shared',
        primaryAddress: 'jo@acme.test',
        secondaryAddresses: ['jo.old@acme.test'],
        owners: [{ login: 'jo@acme' }, { login: 'kim@acme' }],
        sharedWith: [],
        messages: 2,
      });
      const swapped = await mailboxes.update(ctx, created.id, { primaryAddress: null });
      expect(swapped.primaryAddress).toBeNull();
      expect(swapped.secondaryAddresses).toEqual(['jo.old@acme.test']);

      // Deleting a user or group removes it from owners and shares.
      await users.delete(ctx, kim.id);
      expect((await mailboxes.get(ctx, created.id)).owners.map((o) => o.login)).toEqual(['jo@acme']);

      const refused = mailboxes.delete(ctx, created.id);
      await expect(refused).rejects.toBeInstanceOf(ConflictError);
      await expect(refused).rejects.toThrow('the mailbox Jo Archive holds 2 messages');
      expect((await mailboxes.get(ctx, created.id)).messages).toBe(2);

      const empty = (await mailboxes.list(ctx)).find((m) => m.name === 'jo')!;
      await mailboxes.delete(ctx, empty.id);
      expect((await mailboxes.list(ctx)).map((m) => m.name)).toEqual(['Jo Archive']);
      expect((await actions(acme)).filter((a) => a.startsWith('mailbox.'))).toEqual([
        'mailbox.create',
        'mailbox.create',
        'mailbox.update',
        'mailbox.update',
        'mailbox.delete',
      ]);
    });

    it("enforces the tenant's mailbox quota, counting mailboxes the importer created", async () => {
      await app.archive.ensureMailbox({ tenantId: acme.id }, 'imported');
      await db.updateTable('tenants').set({ max_mailboxes: 2 }).where('id', '=', acme.id).execute();
      await mailboxes.create(ctx, { name: 'second', kind: 'journal' });
      await expect(mailboxes.create(ctx, { name: 'third', kind: 'journal' })).rejects.toThrow(
        "the tenant's quota of 2 mailboxes is reached",
      );
      expect((await mailboxes.list(ctx)).map((m) => [m.name, m.kind])).toEqual([
        ['imported', 'user'],
        ['second', 'journal'],
      ]);
    });
  });

  describe('secrets', () => {
    it('seals the material, never returns it, and opens it for internal callers', async () => {
      const password = 'Sup3r-Secret-Passw0rd!';
      const created = await secrets.create(ctx, {
        name: 'SMTP relay',
        kind: 'password',
        username: 'relay',
        password,
      });
      expect(created).toEqual({
        id: created.id,
        name: 'SMTP relay',
        kind: 'password',
        username: 'relay',
        isSet: true,
        inUse: false,
        usedBy: [],
        createdAt: now,
        updatedAt: now,
      });
      const row = await db
        .selectFrom('secrets')
        .selectAll()
        .where('id', '=', created.id)
        .executeTakeFirstOrThrow();
      expect(row.sealed.length).toBeGreaterThan(password.length);
      expect(row.sealed.includes(Buffer.from(password))).toBe(false);
      expect(JSON.stringify(await secrets.list(ctx))).not.toContain(password);
      expect(await secrets.openSecret(ctx, created.id)).toEqual({
        id: created.id,
        name: 'SMTP relay',
        username: 'relay',
        kind: 'password',
        password,
      });

      // Sealed under this row's id: the value copied to another row does not open.
      const copy = await secrets.create(ctx, { name: 'copy', kind: 'password', password: 'x' });
      await db.updateTable('secrets').set({ sealed: row.sealed }).where('id', '=', copy.id).execute();
      await expect(secrets.openSecret(ctx, copy.id)).rejects.toThrow(/does not open/);

      now += 1000;
      const renamed = await secrets.update(ctx, created.id, { name: 'Relay', username: null });
      expect(renamed).toMatchObject({ name: 'Relay', username: null, updatedAt: now, createdAt: now - 1000 });
      expect((await secrets.openSecret(ctx, created.id)) as { password: string }).toMatchObject({ password });
      await secrets.update(ctx, created.id, { password: 'new password' });
      expect(await secrets.openSecret(ctx, created.id)).toMatchObject({
        kind: 'password',
        password: 'new password',
      });

      const cert = await secrets.create(ctx, {
        name: 'Graph certificate',
        kind: 'certificate',
        username: 'client-id',
        certificate: PEM,
        certificatePassword: 'pfx pass',
      });
      expect(cert).toMatchObject({ kind: 'certificate', username: 'client-id', isSet: true });
      expect(await secrets.openSecret(ctx, cert.id)).toMatchObject({
        kind: 'certificate',
        certificate: PEM,
        certificateFormat: 'pem',
        certificatePassword: 'pfx pass',
      });
      const pfx = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), Buffer.alloc(64, 7)]).toString(
        'base64',
      );
      await secrets.update(ctx, cert.id, { certificate: pfx });
      expect(await secrets.openSecret(ctx, cert.id)).toMatchObject({
        certificate: pfx,
        certificateFormat: 'pfx',
        certificatePassword: 'pfx pass',
      });
      // Changing the kind needs the new kind's material.
      await expect(secrets.update(ctx, cert.id, { kind: 'password' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await secrets.update(ctx, cert.id, { kind: 'password', password: 'now a password' });
      expect(await secrets.openSecret(ctx, cert.id)).toMatchObject({
        kind: 'password',
        password: 'now a password',
      });

      await expect(
        secrets.create(ctx, { name: 'Relay', kind: 'password', password: 'x' }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(secrets.create(ctx, { name: 'p', kind: 'password' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(secrets.create(ctx, { name: 'c', kind: 'certificate' })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(
        secrets.create(ctx, { name: 'c', kind: 'certificate', certificate: 'not a certificate!' }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        secrets.create(ctx, { name: 'c', kind: 'password', password: 'x', certificate: PEM }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        secrets.create(ctx, { name: 'k', kind: 'token' as 'password', password: 'x' }),
      ).rejects.toBeInstanceOf(ValidationError);

      const entries = JSON.stringify(await auditEntries(acme));
      for (const value of [password, 'new password', 'pfx pass', 'now a password', pfx]) {
        expect(entries).not.toContain(value);
      }
      expect(await actions(acme)).toEqual([
        'secret.create',
        'secret.create',
        'secret.update',
        'secret.update',
        'secret.create',
        'secret.update',
        'secret.update',
      ]);
    });

    it('shows who uses a secret and refuses to delete it while in use', async () => {
      const secret = await secrets.create(ctx, {
        name: 'LDAP bind',
        kind: 'password',
        username: 'cn=bind',
        password: 'pw',
      });
      secretUsers.set(secret.id, ['Directory: Head office', 'Profile: Mailboxes']);
      expect(await secrets.get(ctx, secret.id)).toMatchObject({
        inUse: true,
        usedBy: ['Directory: Head office', 'Profile: Mailboxes'],
      });
      expect((await secrets.list(ctx))[0]!.inUse).toBe(true);
      const refused = secrets.delete(ctx, secret.id);
      await expect(refused).rejects.toBeInstanceOf(ConflictError);
      await expect(refused).rejects.toThrow('Directory: Head office, Profile: Mailboxes');
      secretUsers.delete(secret.id);
      await secrets.delete(ctx, secret.id);
      await expect(secrets.get(ctx, secret.id)).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('walls between tenants and roles', () => {
    it("treats another tenant's ids exactly like missing ones", async () => {
      await provision();
      const theirs = await provision(other);
      const otherCtx = system(other);
      const user = (await users.create(otherCtx, { name: 'olga' })).user;
      const group = await groups.create(otherCtx, {
        name: 'Theirs',
        roles: ['reader'],
        memberIds: [user.id],
      });
      const domain = await domains.create(otherCtx, { name: 'other.test' });
      const mailbox = await mailboxes.create(otherCtx, { name: 'theirs', kind: 'user' });
      const secret = await secrets.create(otherCtx, { name: 'theirs', kind: 'password', password: 'pw' });

      const attempts: Array<() => Promise<unknown>> = [
        () => users.get(ctx, user.id),
        () => users.update(ctx, user.id, { displayName: 'x' }),
        () => users.update(ctx, user.id, { disabled: true }),
        () => users.delete(ctx, user.id),
        () => users.delete(ctx, theirs.user.id),
        () => users.resetPassword(ctx, user.id),
        () => users.resetTotp(ctx, user.id),
        () => groups.get(ctx, group.id),
        () => groups.update(ctx, group.id, { name: 'x' }),
        () => groups.setRoles(ctx, group.id, []),
        () => groups.delete(ctx, group.id),
        () => groups.delete(ctx, theirs.group.id),
        () => domains.delete(ctx, domain.id),
        () => mailboxes.get(ctx, mailbox.id),
        () => mailboxes.update(ctx, mailbox.id, { name: 'x' }),
        () => mailboxes.delete(ctx, mailbox.id),
        () => secrets.get(ctx, secret.id),
        () => secrets.update(ctx, secret.id, { name: 'x' }),
        () => secrets.delete(ctx, secret.id),
        () => secrets.openSecret(ctx, secret.id),
        () => users.get(ctx, 987_654),
        () => groups.get(ctx, 987_654),
        () => mailboxes.get(ctx, 987_654),
        () => secrets.get(ctx, 987_654),
        () => domains.delete(ctx, 987_654),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(NotFoundError);
      // Their ids are not valid members, owners or shares here either.
      const mine = await groups.create(ctx, { name: 'Mine' });
      await expect(groups.update(ctx, mine.id, { memberIds: [user.id] })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(
        mailboxes.create(ctx, { name: 'm', kind: 'user', ownerIds: [user.id] }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        mailboxes.create(ctx, { name: 'm', kind: 'user', sharedGroupIds: [group.id] }),
      ).rejects.toBeInstanceOf(ValidationError);

      // Nothing of theirs changed, and nothing of theirs shows here.
      expect(await users.get(otherCtx, user.id)).toMatchObject({ displayName: 'olga', disabled: false });
      expect(await groups.get(otherCtx, group.id)).toMatchObject({ name: 'Theirs', roles: ['reader'] });
      expect((await domains.list(otherCtx)).map((d) => d.name)).toEqual(['other.test']);
      expect((await users.list(ctx)).map((u) => u.login)).toEqual(['admin@acme']);
      expect((await groups.list(ctx)).map((g) => g.name)).toEqual(['Administrators', 'Mine']);
      expect(await mailboxes.list(ctx)).toEqual([]);
      expect(await secrets.list(ctx)).toEqual([]);
      expect(await domains.list(ctx)).toEqual([]);
    });

    it('refuses every use case to a user without the admin role', async () => {
      const { user, group } = await provision();
      const reader = asUser(acme, ['reader', 'auditor', 'compliance']);
      const attempts: Array<() => Promise<unknown>> = [
        () => users.list(reader),
        () => users.get(reader, user.id),
        () => users.create(reader, { name: 'x' }),
        () => users.update(reader, user.id, { disabled: true }),
        () => users.delete(reader, user.id),
        () => users.resetPassword(reader, user.id),
        () => users.resetTotp(reader, user.id),
        () => groups.list(reader),
        () => groups.get(reader, group.id),
        () => groups.create(reader, { name: 'x' }),
        () => groups.update(reader, group.id, { name: 'x' }),
        () => groups.setRoles(reader, group.id, ['reader']),
        () => groups.delete(reader, group.id),
        () => domains.list(reader),
        () => domains.create(reader, { name: 'x.test' }),
        () => domains.delete(reader, 1),
        () => mailboxes.list(reader),
        () => mailboxes.get(reader, 1),
        () => mailboxes.create(reader, { name: 'x', kind: 'user' }),
        () => mailboxes.update(reader, 1, { name: 'x' }),
        () => mailboxes.delete(reader, 1),
        () => secrets.list(reader),
        () => secrets.get(reader, 1),
        () => secrets.create(reader, { name: 'x', kind: 'password', password: 'x' }),
        () => secrets.update(reader, 1, { name: 'x' }),
        () => secrets.delete(reader, 1),
        () => secrets.openSecret(reader, 1),
        () => dashboard.get(reader),
      ];
      for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(ForbiddenError);
      expect((await users.get(ctx, user.id)).disabled).toBe(false);
    });
  });

  describe('usage and dashboard', () => {
    it('counts users, mailboxes, messages and stored bytes per tenant', async () => {
      await provision();
      await users.create(ctx, { name: 'u1' });
      const box = await mailboxes.create(ctx, { name: 'box', kind: 'user' });
      await archiveInto(acme, box.id, 'usage one');
      await archiveInto(acme, box.id, 'usage two');
      const stored = await db
        .selectFrom('blobs')
        .select((eb) => eb.fn.sum<number>('stored_size').as('bytes'))
        .where('tenant_id', '=', acme.id)
        .executeTakeFirstOrThrow();
      expect(await repos.usage.usageOf(acme.id)).toEqual({
        users: 2,
        mailboxes: 1,
        messages: 2,
        storageBytes: Number(stored.bytes),
      });
      expect(Number(stored.bytes)).toBeGreaterThan(0);
      expect(await repos.usage.usageOf(other.id)).toEqual({
        users: 0,
        mailboxes: 0,
        messages: 0,
        storageBytes: 0,
      });
    });

    it('reports tenant, quotas, counts and the archived volume, with daily buckets for the last 30 UTC days', async () => {
      await provision();
      await db.updateTable('tenants').set({ max_users: 10 }).where('id', '=', acme.id).execute();
      const box = await mailboxes.create(ctx, { name: 'box', kind: 'journal' });
      const ids = [
        await archiveInto(acme, box.id, 'recent'),
        await archiveInto(acme, box.id, 'three days ago'),
        await archiveInto(acme, box.id, 'last month'),
        await archiveInto(acme, box.id, 'earlier today'),
      ];
      const archivedAt = [now - 3_600_000, now - 3 * DAY, now - 40 * DAY, Date.UTC(2026, 10, 24, 0, 0, 1)];
      for (const [i, id] of ids.entries()) {
        await db.updateTable('messages').set({ archived_at: archivedAt[i]! }).where('id', '=', id).execute();
      }
      // Back-dated rows: rebuild the hourly counters from them, as migration 0005 does.
      app.database.sqlite.exec(`delete from volume_hourly;
        insert into volume_hourly (tenant_id, hour, messages, bytes)
        select m.tenant_id, m.archived_at / 3600000, count(*), sum(c.size)
        from messages m join message_contents c on c.id = m.content_id
        group by m.tenant_id, m.archived_at / 3600000`);
      const sizes = await db
        .selectFrom('messages as m')
        .innerJoin('message_contents as c', 'c.id', 'm.content_id')
        .select(['m.id', 'c.size'])
        .execute();
      const size = (id: number) => sizes.find((s) => s.id === id)!.size;
      // Another tenant's messages count nowhere here.
      const theirs = await mailboxes.create(system(other), { name: 'theirs', kind: 'user' });
      await archiveInto(other, theirs.id, 'not ours');
      await db.updateTable('messages').set({ archived_at: now }).where('tenant_id', '=', other.id).execute();

      // Job runs: one running, one failed within 24 h, one failed before, one of the other tenant.
      const runs = new JobRunsRepository(db);
      const run = (tenantId: number, status: 'running' | 'failed', queuedAt: number) =>
        runs.insert({
          tenant_id: tenantId,
          request_id: `r-${tenantId}-${status}-${queuedAt}`,
          job_type: 'integrity-check',
          config_id: null,
          config_name: 'Archive integrity',
          trigger: 'manual',
          schedule_id: null,
          status,
          not_before: queuedAt,
          queued_at: queuedAt,
          finished_at: status === 'failed' ? queuedAt + 60_000 : null,
          retried_from: null,
          error: null,
        });
      await run(acme.id, 'running', now - 2 * DAY);
      await run(acme.id, 'failed', now - DAY / 2);
      await run(acme.id, 'failed', now - 2 * DAY);
      await run(other.id, 'failed', now - DAY / 2);

      const board = await dashboard.get(ctx);
      expect(board.tenant).toEqual({ id: acme.id, slug: 'acme', name: 'Acme Ltd', status: 'active' });
      expect(board.quotas).toEqual({ maxUsers: 10, maxMailboxes: null, maxStorageBytes: null });
      expect(board.usage).toEqual(await repos.usage.usageOf(acme.id));
      expect(board.counts).toEqual({ users: 1, groups: 1, mailboxes: 1, messages: 4 });
      expect(board.jobs).toEqual({ running: 1, failed24h: 1 });
      expect(board.volume.last24h).toEqual({ messages: 2, bytes: size(ids[0]!) + size(ids[3]!) });
      expect(board.volume.last30d).toEqual({
        messages: 3,
        bytes: size(ids[0]!) + size(ids[1]!) + size(ids[3]!),
      });
      expect(board.volume.allTime).toEqual({
        messages: 4,
        bytes: ids.reduce((sum, id) => sum + size(id), 0),
      });
      const { daily } = board.volume;
      expect(daily).toHaveLength(30);
      expect(daily[0]!.day).toBe('2026-10-26');
      expect(daily[29]).toEqual({ day: '2026-11-24', messages: 2, bytes: size(ids[0]!) + size(ids[3]!) });
      expect(daily[26]).toEqual({ day: '2026-11-21', messages: 1, bytes: size(ids[1]!) });
      expect(daily.filter((d) => d.messages === 0)).toHaveLength(28);
      expect(daily.every((d, i) => i === 0 || d.day > daily[i - 1]!.day)).toBe(true);
    });

    it('reports each inconsistency while it holds and drops it once fixed', async () => {
      const codes = async () => (await dashboard.get(ctx)).inconsistencies;
      const { user: admin, group: administrators } = await provision();

      let found = await codes();
      expect(found).toEqual([
        { code: 'ONLY_PROVISIONED_ADMIN', params: {}, link: '/adminaccess/groups' },
        {
          code: 'USER_WITHOUT_READER',
          params: { userId: admin.id, login: 'admin@acme' },
          link: `/adminaccess/users/${admin.id}`,
        },
      ]);
      expect(silentSince).toEqual([now - DAY]);

      // A group without roles.
      const empty = await groups.create(ctx, { name: 'Empty' });
      expect(await codes()).toContainEqual({
        code: 'GROUP_WITHOUT_ROLES',
        params: { groupId: empty.id, groupName: 'Empty' },
        link: `/adminaccess/groups/${empty.id}`,
      });
      await groups.setRoles(ctx, empty.id, ['reader']);
      expect((await codes()).map((i) => i.code)).not.toContain('GROUP_WITHOUT_ROLES');

      // Reader through a group makes USER_WITHOUT_READER go; a disabled user is not reported.
      await groups.update(ctx, empty.id, { memberIds: [admin.id] });
      const lee = (await users.create(ctx, { name: 'lee' })).user;
      found = await codes();
      expect(found.filter((i) => i.code === 'USER_WITHOUT_READER').map((i) => i.params.login)).toEqual([
        'lee@acme',
      ]);
      await users.update(ctx, lee.id, { disabled: true });
      expect((await codes()).map((i) => i.code)).not.toContain('USER_WITHOUT_READER');

      // A second enabled admin ends ONLY_PROVISIONED_ADMIN; disabling it brings it back.
      await users.update(ctx, lee.id, { disabled: false });
      await groups.update(ctx, administrators.id, { memberIds: [admin.id, lee.id] });
      expect((await codes()).map((i) => i.code)).not.toContain('ONLY_PROVISIONED_ADMIN');
      await users.update(ctx, lee.id, { disabled: true });
      expect((await codes()).map((i) => i.code)).toContain('ONLY_PROVISIONED_ADMIN');

      // Storage above 90 % of the quota.
      const box = await mailboxes.create(ctx, { name: 'box', kind: 'user' });
      await archiveInto(acme, box.id, 'fills the quota', 'x'.repeat(2000));
      const { storageBytes } = await repos.usage.usageOf(acme.id);
      await db
        .updateTable('tenants')
        .set({ max_storage_bytes: storageBytes })
        .where('id', '=', acme.id)
        .execute();
      expect(await codes()).toContainEqual({
        code: 'STORAGE_ABOVE_90',
        params: { percent: 100 },
        link: '/adminaccess',
      });
      await db
        .updateTable('tenants')
        .set({ max_storage_bytes: Math.ceil(storageBytes / 0.9) })
        .where('id', '=', acme.id)
        .execute();
      expect((await codes()).map((i) => i.code)).not.toContain('STORAGE_ABOVE_90');
      await db
        .updateTable('tenants')
        .set({ max_storage_bytes: Math.floor(storageBytes / 0.95) })
        .where('id', '=', acme.id)
        .execute();
      const storage = (await codes()).find((i) => i.code === 'STORAGE_ABOVE_90')!;
      expect(storage.params.percent).toBeGreaterThan(90);
      expect(storage.params.percent).toBeLessThan(100);

      // Journal endpoints that fell silent, as their capability reports them.
      silent = [{ id: 7, name: 'Exchange journal' }];
      expect(await codes()).toContainEqual({
        code: 'JOURNAL_ENDPOINT_SILENT',
        params: { endpointId: 7, name: 'Exchange journal' },
        link: '/adminaccess/journal-endpoints/7',
      });
      silent = [];
      expect((await codes()).map((i) => i.code)).not.toContain('JOURNAL_ENDPOINT_SILENT');

      // Without a monitor (journal endpoints not there yet) nothing is reported silent.
      const bare = new DashboardService({
        tenants: repos.usage,
        volume: new DashboardRepository(db),
        users: repos.users,
        groups: repos.groups,
        jobs: new JobRunsRepository(db),
      });
      silent = [{ id: 7, name: 'Exchange journal' }];
      expect((await bare.get(ctx)).inconsistencies.map((i) => i.code)).not.toContain(
        'JOURNAL_ENDPOINT_SILENT',
      );
    });
  });

  it('leaves a hash chain that verifies', async () => {
    await provision();
    await users.create(ctx, { name: 'chain' });
    await domains.create(ctx, { name: 'chain.test' });
    expect((await audit.verify({ tenantIds: [acme.id] })).ok).toBe(true);
  });
});
