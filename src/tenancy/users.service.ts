import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { ConflictError, invalidField, NotFoundError } from '../core/errors.js';
import type { IdentityOrigin, Role, Tenant } from '../db/schema.js';
import { requireRole, requireSystemAdmin, type Actor, type AuthContext } from './access.js';
import { normalizeAddress, normalizeAddresses } from './domains.service.js';
import { checkPasswordRule, generatePassword, hashPassword } from './passwords.js';
import type { TenantUsageRepository } from './tenant-usage.repository.js';
import {
  PROVISIONED_ADMIN_NAME,
  type UserAddress,
  type UserDetails,
  type UsersRepository,
} from './users.repository.js';

/** Admin Access's `User`. */
export interface UserView {
  id: number;
  name: string;
  /** `name@slug`, what the user types to sign in. */
  login: string;
  displayName: string;
  origin: IdentityOrigin;
  disabled: boolean;
  provisioned: boolean;
  primaryAddress: string | null;
  /** Every address of the user, the primary one first. */
  addresses: string[];
  groups: Array<{ id: number; name: string }>;
  roles: Role[];
  totpEnabled: boolean;
  lastSignInAt: number | null;
  createdAt: number;
}

export interface CreateUserInput {
  name: string;
  displayName?: string;
  /** Defaults to the first of `addresses`; null (or '') for none. */
  primaryAddress?: string | null;
  addresses?: string[];
  /** At least MIN_PASSWORD_LENGTH characters; generated (and returned once) when absent. */
  password?: string;
}

export interface UpdateUserInput {
  displayName?: string;
  /** null (or '') removes the primary address (it stays among `addresses` unless those are replaced too). */
  primaryAddress?: string | null;
  /** Replaces every address; the primary one is added when missing. */
  addresses?: string[];
  disabled?: boolean;
}

export interface UsersServiceDeps {
  users: Pick<
    UsersRepository,
    | 'findDetails'
    | 'findByName'
    | 'findAddressHolders'
    | 'count'
    | 'insert'
    | 'update'
    | 'delete'
    | 'setPassword'
    | 'clearTotp'
    | 'provisionAdmin'
  >;
  tenants: Pick<TenantUsageRepository, 'findTenant'>;
  audit: AuditRecorder;
  clock?: () => number;
}

const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_DISPLAY_NAME = 200;

export const LAST_ADMIN_MESSAGE = 'the last administrator cannot be removed';

export function normalizeUserName(input: string): string {
  const name = input.trim().toLowerCase();
  if (!USER_NAME.test(name)) {
    invalidField(
      'name',
      `user name "${input}" must be 1 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit`,
    );
  }
  return name;
}

function normalizeDisplayName(input: string): string {
  const displayName = input.trim();
  if (!displayName) invalidField('displayName', 'the display name cannot be empty');
  if (displayName.length > MAX_DISPLAY_NAME) {
    invalidField('displayName', `the display name is longer than ${MAX_DISPLAY_NAME} characters`);
  }
  return displayName;
}

/**
 * The address set after a change: `list` (or the current addresses) with the primary first. Without
 * an explicit primary, the current one stays if still listed, else the first listed address takes over.
 */
function resolveAddresses(
  primaryInput: string | null | undefined,
  listInput: string[] | undefined,
  current: UserAddress[],
): UserAddress[] {
  const list = listInput ? normalizeAddresses(listInput) : current.map((a) => a.address);
  const currentPrimary = current.find((a) => a.isPrimary)?.address;
  const primary =
    primaryInput === null || primaryInput?.trim() === ''
      ? null
      : primaryInput !== undefined
        ? normalizeAddress(primaryInput, 'primaryAddress')
        : currentPrimary && list.includes(currentPrimary)
          ? currentPrimary
          : (list[0] ?? null);
  const others = list.filter((a) => a !== primary).map((address) => ({ address, isPrimary: false }));
  return primary ? [{ address: primary, isPrimary: true }, ...others] : others;
}

/**
 * Tenant users (Admin Access): local accounts with passwords, and the switches Admin Access has over
 * synchronized ones. Roles are not set on users: they come from groups (see GroupsService).
 */
export class UsersService {
  private readonly clock: () => number;

  constructor(private readonly deps: UsersServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async list(ctx: AuthContext): Promise<UserView[]> {
    requireRole(ctx, 'admin', 'listing users');
    const tenant = await this.tenant(ctx.tenantId);
    return (await this.deps.users.findDetails(ctx.tenantId)).map((d) => toView(d, tenant.slug));
  }

  async get(ctx: AuthContext, id: number): Promise<UserView> {
    requireRole(ctx, 'admin', 'reading a user');
    return this.view(ctx.tenantId, id);
  }

  async create(ctx: AuthContext, input: CreateUserInput): Promise<{ user: UserView; password?: string }> {
    requireRole(ctx, 'admin', 'creating a user');
    const name = normalizeUserName(input.name);
    const displayName = input.displayName === undefined ? name : normalizeDisplayName(input.displayName);
    if (input.password !== undefined) checkPasswordRule(input.password, 'password');
    const addresses = resolveAddresses(input.primaryAddress, input.addresses ?? [], []);
    const tenant = await this.tenant(ctx.tenantId);
    if (tenant.max_users !== null && (await this.deps.users.count(ctx.tenantId)) >= tenant.max_users) {
      throw new ConflictError(`the tenant's quota of ${tenant.max_users} users is reached`, {
        maxUsers: tenant.max_users,
      });
    }
    if (await this.deps.users.findByName(ctx.tenantId, name)) {
      throw new ConflictError(`a user named ${name} already exists`, { name });
    }
    await this.checkAddressesFree(ctx.tenantId, tenant.slug, addresses, undefined);
    const generated = input.password === undefined ? generatePassword() : undefined;
    const id = await this.deps.users.insert(ctx.tenantId, {
      name,
      displayName,
      origin: 'local',
      passwordHash: await hashPassword(input.password ?? generated!),
      addresses,
      now: this.clock(),
    });
    const user = await this.view(ctx.tenantId, id);
    await this.audited(ctx, 'user.create', user, {
      displayName,
      addresses: user.addresses,
      passwordGenerated: generated !== undefined,
    });
    return generated === undefined ? { user } : { user, password: generated };
  }

  async update(ctx: AuthContext, id: number, input: UpdateUserInput): Promise<UserView> {
    requireRole(ctx, 'admin', 'changing a user');
    const before = await this.view(ctx.tenantId, id);
    const touchesProfile =
      input.displayName !== undefined || input.primaryAddress !== undefined || input.addresses !== undefined;
    if (touchesProfile && before.origin !== 'local') {
      throw new ConflictError(
        `${before.login} is synchronized from ${before.origin}: change its name and addresses there`,
        { origin: before.origin },
      );
    }
    const displayName = input.displayName === undefined ? undefined : normalizeDisplayName(input.displayName);
    const addresses =
      input.primaryAddress === undefined && input.addresses === undefined
        ? undefined
        : resolveAddresses(
            input.primaryAddress,
            input.addresses,
            before.addresses.map((address) => ({ address, isPrimary: address === before.primaryAddress })),
          );
    if (addresses) {
      const { slug } = await this.tenant(ctx.tenantId);
      await this.checkAddressesFree(ctx.tenantId, slug, addresses, id);
    }
    const outcome = await this.deps.users.update(ctx.tenantId, id, {
      displayName,
      disabled: input.disabled,
      addresses,
      now: this.clock(),
    });
    if (outcome === 'last-admin') throw new ConflictError(LAST_ADMIN_MESSAGE);
    const user = await this.view(ctx.tenantId, id);
    const changes: Record<string, unknown> = {};
    if (displayName !== undefined && displayName !== before.displayName) changes.displayName = displayName;
    if (user.primaryAddress !== before.primaryAddress) changes.primaryAddress = user.primaryAddress;
    if (user.addresses.join() !== before.addresses.join()) changes.addresses = user.addresses;
    if (user.disabled !== before.disabled) changes.disabled = user.disabled;
    await this.audited(ctx, 'user.update', user, { changes });
    return user;
  }

  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a user');
    const user = await this.view(ctx.tenantId, id);
    if ((await this.deps.users.delete(ctx.tenantId, id)) === 'last-admin') {
      throw new ConflictError(LAST_ADMIN_MESSAGE);
    }
    await this.audited(ctx, 'user.delete', user, {});
  }

  /** A new generated password, returned once; the user's sessions end. */
  async resetPassword(ctx: AuthContext, id: number): Promise<{ password: string }> {
    requireRole(ctx, 'admin', 'resetting a password');
    const user = await this.view(ctx.tenantId, id);
    if (user.origin !== 'local') {
      throw new ConflictError(`${user.login} signs in through ${user.origin}: reset the password there`, {
        origin: user.origin,
      });
    }
    const password = generatePassword();
    await this.deps.users.setPassword(ctx.tenantId, id, await hashPassword(password), this.clock());
    await this.audited(ctx, 'user.password.reset', user, {});
    return { password };
  }

  /** Turns the user's second factor off (seed, recovery codes, trusted devices): they enrol again. */
  async resetTotp(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'resetting a second factor');
    const user = await this.view(ctx.tenantId, id);
    await this.deps.users.clearTotp(ctx.tenantId, id, this.clock());
    await this.audited(ctx, 'user.totp.reset', user, { wasEnabled: user.totpEnabled });
  }

  /**
   * Creates the tenant's `admin` user (or gives it a new password and enables it again), in the
   * Administrators group with the admin role. Called when a tenant is created and by the system
   * console's "reset admin"; tenant users cannot call it. The password is returned once.
   */
  async provisionAdmin(tenantId: number, actor: Actor): Promise<{ login: string; password: string }> {
    const ctx: AuthContext = { tenantId, actor };
    requireSystemAdmin(ctx, 'provisioning the tenant administrator');
    const tenant = await this.tenant(tenantId);
    const password = generatePassword();
    const { userId, created } = await this.deps.users.provisionAdmin(tenantId, {
      passwordHash: await hashPassword(password),
      now: this.clock(),
    });
    const login = `${PROVISIONED_ADMIN_NAME}@${tenant.slug}`;
    await this.deps.audit.record({
      tenantId,
      actor,
      action: 'user.provision',
      target: { type: 'user', id: userId, label: login },
      outcome: 'success',
      details: { created },
    });
    return { login, password };
  }

  private async tenant(tenantId: number): Promise<Tenant> {
    const tenant = await this.deps.tenants.findTenant(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    return tenant;
  }

  private async view(tenantId: number, id: number): Promise<UserView> {
    const [details] = await this.deps.users.findDetails(tenantId, id);
    if (!details) throw new NotFoundError(`user ${id} does not exist`);
    return toView(details, (await this.tenant(tenantId)).slug);
  }

  /** Addresses are unique among the tenant's users. */
  private async checkAddressesFree(
    tenantId: number,
    slug: string,
    addresses: UserAddress[],
    userId: number | undefined,
  ): Promise<void> {
    const holders = await this.deps.users.findAddressHolders(
      tenantId,
      addresses.map((a) => a.address),
    );
    const taken = holders.find((h) => h.userId !== userId);
    if (taken) {
      throw new ConflictError(`the address ${taken.address} is already used by ${taken.name}@${slug}`, {
        address: taken.address,
      });
    }
  }

  private audited(ctx: AuthContext, action: string, user: UserView, details: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'user', id: user.id, label: user.login },
      outcome: 'success',
      details,
    });
  }
}

function toView(details: UserDetails, slug: string): UserView {
  const { user } = details;
  return {
    id: user.id,
    name: user.name,
    login: `${user.name}@${slug}`,
    displayName: user.display_name,
    origin: user.origin,
    disabled: user.disabled === 1,
    provisioned: user.provisioned === 1,
    primaryAddress: details.addresses.find((a) => a.isPrimary)?.address ?? null,
    addresses: details.addresses.map((a) => a.address),
    groups: details.groups,
    roles: details.roles,
    totpEnabled: user.totp_enabled === 1,
    lastSignInAt: user.last_sign_in_at,
    createdAt: user.created_at,
  };
}
