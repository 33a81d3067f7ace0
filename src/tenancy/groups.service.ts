import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { ConflictError, invalidField, NotFoundError } from '../core/errors.js';
import { ROLES, type IdentityOrigin, type Role } from '../db/schema.js';
import { requireRole, type AuthContext } from './access.js';
import type { GroupDetails, GroupsRepository } from './groups.repository.js';
import type { TenantUsageRepository } from './tenant-usage.repository.js';
import type { UsersRepository } from './users.repository.js';
import { LAST_ADMIN_MESSAGE } from './users.service.js';

/** Admin Access's `Group`. */
export interface GroupView {
  id: number;
  name: string;
  description: string;
  origin: IdentityOrigin;
  members: Array<{ id: number; login: string; displayName: string }>;
  roles: Role[];
  createdAt: number;
}

export interface CreateGroupInput {
  name: string;
  description?: string;
  memberIds?: number[];
  roles?: Role[];
}

export interface UpdateGroupInput {
  name?: string;
  description?: string;
  /** Replaces the whole membership. */
  memberIds?: number[];
}

export interface GroupsServiceDeps {
  groups: Pick<GroupsRepository, 'findDetails' | 'findByName' | 'insert' | 'update' | 'setRoles' | 'delete'>;
  users: Pick<UsersRepository, 'findExistingIds'>;
  tenants: Pick<TenantUsageRepository, 'findTenant'>;
  audit: AuditRecorder;
  clock?: () => number;
}

const MAX_NAME = 200;
const MAX_DESCRIPTION = 1000;

function normalizeGroupName(input: string): string {
  const name = input.trim();
  if (!name) invalidField('name', 'a group name is required');
  if (name.length > MAX_NAME) invalidField('name', `a group name has at most ${MAX_NAME} characters`);
  return name;
}

function normalizeDescription(input: string): string {
  const description = input.trim();
  if (description.length > MAX_DESCRIPTION) {
    invalidField('description', `a description has at most ${MAX_DESCRIPTION} characters`);
  }
  return description;
}

/** Known roles, each once, in ROLES order. */
export function normalizeRoles(input: readonly string[]): Role[] {
  input.forEach((role, i) => {
    if (!(ROLES as readonly string[]).includes(role)) {
      invalidField(`roles.${i}`, `"${role}" is not a role; roles are ${ROLES.join(', ')}`);
    }
  });
  return ROLES.filter((role) => input.includes(role));
}

/**
 * Groups and the roles attached to them (Admin Access). A user's roles are the union of its groups'
 * roles, so every membership or role change is checked against the last-admin rule: the tenant
 * always keeps at least one enabled user holding the admin role.
 */
export class GroupsService {
  private readonly clock: () => number;

  constructor(private readonly deps: GroupsServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async list(ctx: AuthContext): Promise<GroupView[]> {
    requireRole(ctx, 'admin', 'listing groups');
    const slug = await this.slug(ctx.tenantId);
    return (await this.deps.groups.findDetails(ctx.tenantId)).map((d) => toView(d, slug));
  }

  async get(ctx: AuthContext, id: number): Promise<GroupView> {
    requireRole(ctx, 'admin', 'reading a group');
    return this.view(ctx.tenantId, id);
  }

  async create(ctx: AuthContext, input: CreateGroupInput): Promise<GroupView> {
    requireRole(ctx, 'admin', 'creating a group');
    const name = normalizeGroupName(input.name);
    const description = normalizeDescription(input.description ?? '');
    const roles = normalizeRoles(input.roles ?? []);
    const memberIds = await this.checkMembers(ctx.tenantId, input.memberIds ?? []);
    await this.checkNameFree(ctx.tenantId, name, undefined);
    const id = await this.deps.groups.insert(ctx.tenantId, {
      name,
      description,
      origin: 'local',
      memberIds,
      roles,
      now: this.clock(),
    });
    const group = await this.view(ctx.tenantId, id);
    await this.audited(ctx, 'group.create', group, { description, memberIds, roles });
    return group;
  }

  async update(ctx: AuthContext, id: number, input: UpdateGroupInput): Promise<GroupView> {
    requireRole(ctx, 'admin', 'changing a group');
    const before = await this.view(ctx.tenantId, id);
    if (before.origin !== 'local' && (input.name !== undefined || input.memberIds !== undefined)) {
      throw new ConflictError(
        `the group ${before.name} is synchronized from ${before.origin}: change its name and members there`,
        { origin: before.origin },
      );
    }
    const name = input.name === undefined ? undefined : normalizeGroupName(input.name);
    const description = input.description === undefined ? undefined : normalizeDescription(input.description);
    const memberIds =
      input.memberIds === undefined ? undefined : await this.checkMembers(ctx.tenantId, input.memberIds);
    if (name !== undefined && name !== before.name) await this.checkNameFree(ctx.tenantId, name, id);
    if (
      (await this.deps.groups.update(ctx.tenantId, id, { name, description, memberIds })) === 'last-admin'
    ) {
      throw new ConflictError(LAST_ADMIN_MESSAGE);
    }
    const group = await this.view(ctx.tenantId, id);
    const changes: Record<string, unknown> = {};
    if (group.name !== before.name) changes.name = group.name;
    if (group.description !== before.description) changes.description = group.description;
    const beforeIds = before.members.map((m) => m.id);
    const afterIds = group.members.map((m) => m.id);
    const added = afterIds.filter((m) => !beforeIds.includes(m));
    const removed = beforeIds.filter((m) => !afterIds.includes(m));
    if (added.length > 0 || removed.length > 0) {
      await this.audited(ctx, 'group.members.set', group, { added, removed, memberIds: afterIds });
    }
    if (Object.keys(changes).length > 0) await this.audited(ctx, 'group.update', group, { changes });
    return group;
  }

  /** Replaces the group's roles. Roles apply to synchronized groups too: that is how they get any. */
  async setRoles(ctx: AuthContext, id: number, rolesInput: readonly string[]): Promise<GroupView> {
    requireRole(ctx, 'admin', 'setting the roles of a group');
    const roles = normalizeRoles(rolesInput);
    const before = await this.view(ctx.tenantId, id);
    if ((await this.deps.groups.setRoles(ctx.tenantId, id, roles)) === 'last-admin') {
      throw new ConflictError(LAST_ADMIN_MESSAGE);
    }
    const group = await this.view(ctx.tenantId, id);
    await this.audited(ctx, 'group.roles.set', group, { before: before.roles, roles });
    return group;
  }

  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a group');
    const group = await this.view(ctx.tenantId, id);
    if (group.origin !== 'local') {
      throw new ConflictError(
        `the group ${group.name} is synchronized from ${group.origin}; remove it there instead`,
        { origin: group.origin },
      );
    }
    if ((await this.deps.groups.delete(ctx.tenantId, id)) === 'last-admin') {
      throw new ConflictError(LAST_ADMIN_MESSAGE);
    }
    await this.audited(ctx, 'group.delete', group, { roles: group.roles });
  }

  private async slug(tenantId: number): Promise<string> {
    const tenant = await this.deps.tenants.findTenant(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    return tenant.slug;
  }

  private async view(tenantId: number, id: number): Promise<GroupView> {
    const [details] = await this.deps.groups.findDetails(tenantId, id);
    if (!details) throw new NotFoundError(`group ${id} does not exist`);
    return toView(details, await this.slug(tenantId));
  }

  private async checkNameFree(tenantId: number, name: string, groupId: number | undefined) {
    const existing = await this.deps.groups.findByName(tenantId, name);
    if (existing && existing.id !== groupId) {
      throw new ConflictError(`a group named ${name} already exists`, { name });
    }
  }

  /** Member ids, each once; an id that is not a user of this tenant is refused like a missing one. */
  private async checkMembers(tenantId: number, ids: readonly number[]): Promise<number[]> {
    const unique = [...new Set(ids)];
    const known = await this.deps.users.findExistingIds(tenantId, unique);
    const index = ids.findIndex((id) => !known.has(id));
    if (index >= 0) invalidField(`memberIds.${index}`, `user ${ids[index]} does not exist`);
    return unique;
  }

  private audited(ctx: AuthContext, action: string, group: GroupView, details: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'group', id: group.id, label: group.name },
      outcome: 'success',
      details,
    });
  }
}

function toView(details: GroupDetails, slug: string): GroupView {
  const { group } = details;
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    origin: group.origin,
    members: details.members.map((m) => ({
      id: m.id,
      login: `${m.name}@${slug}`,
      displayName: m.displayName,
    })),
    roles: [...details.roles].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b)),
    createdAt: group.created_at,
  };
}
