import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { ConflictError, invalidField, NotFoundError } from '../core/errors.js';
import type { ArchiveMailbox, Tenant } from '../db/schema.js';
import { requireRole, type AuthContext } from '../tenancy/access.js';
import { normalizeAddress, normalizeAddresses } from '../tenancy/domains.service.js';
import type { GroupsRepository } from '../tenancy/groups.repository.js';
import type { TenantUsageRepository } from '../tenancy/tenant-usage.repository.js';
import type { UsersRepository } from '../tenancy/users.repository.js';
import type { MailboxAdminRepository, MailboxDetails } from './mailbox-admin.repository.js';

export type MailboxKind = ArchiveMailbox['kind'];
export const MAILBOX_KINDS: readonly MailboxKind[] = ['user', 'journal', 'shared'];

/** Admin Access's `Mailbox`. */
export interface MailboxView {
  id: number;
  name: string;
  kind: MailboxKind;
  primaryAddress: string | null;
  secondaryAddresses: string[];
  owners: Array<{ id: number; login: string; displayName: string }>;
  sharedWith: Array<{ id: number; name: string }>;
  messages: number;
  storageBytes: number;
  createdAt: number;
}

export interface CreateMailboxInput {
  name: string;
  kind: MailboxKind;
  primaryAddress?: string | null;
  secondaryAddresses?: string[];
  ownerIds?: number[];
  sharedGroupIds?: number[];
}

/** Each list given replaces the whole list. */
export type UpdateMailboxInput = Partial<CreateMailboxInput>;

/** Something that delivers into archive mailboxes (journal endpoints, archiving profiles…). */
export interface MailboxUsage {
  /** What uses the mailbox, as words for a message ("the journal endpoint M365"); empty when nothing does. */
  usersOf(tenantId: number, mailboxId: number): Promise<string[]>;
}

export interface MailboxAdminServiceDeps {
  mailboxes: Pick<
    MailboxAdminRepository,
    'findDetails' | 'findByName' | 'count' | 'findAddressHolders' | 'insert' | 'update' | 'deleteIfEmpty'
  >;
  users: Pick<UsersRepository, 'findExistingIds'>;
  groups: Pick<GroupsRepository, 'findExistingIds'>;
  tenants: Pick<TenantUsageRepository, 'findTenant'>;
  /** A mailbox something delivers into cannot be deleted. */
  usages?: readonly MailboxUsage[];
  audit: AuditRecorder;
  clock?: () => number;
}

const MAX_NAME = 200;

function normalizeMailboxName(input: string): string {
  const name = input.trim();
  if (!name) invalidField('name', 'a mailbox name is required');
  if (name.length > MAX_NAME) invalidField('name', `a mailbox name has at most ${MAX_NAME} characters`);
  return name;
}

function checkKind(kind: string): MailboxKind {
  if (!(MAILBOX_KINDS as readonly string[]).includes(kind)) {
    invalidField('kind', `"${kind}" is not a mailbox kind; kinds are ${MAILBOX_KINDS.join(', ')}`);
  }
  return kind as MailboxKind;
}

/**
 * Archive mailboxes as Admin Access manages them: kind, addresses (what journal reports and
 * archiving profiles match recipients against), owners and the groups they are shared with.
 */
export class MailboxAdminService {
  private readonly clock: () => number;

  constructor(private readonly deps: MailboxAdminServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async list(ctx: AuthContext): Promise<MailboxView[]> {
    requireRole(ctx, 'admin', 'listing mailboxes');
    const { slug } = await this.tenant(ctx.tenantId);
    return (await this.deps.mailboxes.findDetails(ctx.tenantId)).map((d) => toView(d, slug));
  }

  async get(ctx: AuthContext, id: number): Promise<MailboxView> {
    requireRole(ctx, 'admin', 'reading a mailbox');
    return this.view(ctx.tenantId, id);
  }

  async create(ctx: AuthContext, input: CreateMailboxInput): Promise<MailboxView> {
    requireRole(ctx, 'admin', 'creating a mailbox');
    const name = normalizeMailboxName(input.name);
    const kind = checkKind(input.kind);
    const primary = input.primaryAddress ? normalizeAddress(input.primaryAddress, 'primaryAddress') : null;
    const secondary = normalizeAddresses(input.secondaryAddresses ?? [], 'secondaryAddresses').filter(
      (a) => a !== primary,
    );
    const ownerIds = await this.checkOwners(ctx.tenantId, input.ownerIds ?? []);
    const sharedGroupIds = await this.checkGroups(ctx.tenantId, input.sharedGroupIds ?? []);
    const tenant = await this.tenant(ctx.tenantId);
    if (
      tenant.max_mailboxes !== null &&
      (await this.deps.mailboxes.count(ctx.tenantId)) >= tenant.max_mailboxes
    ) {
      throw new ConflictError(`the tenant's quota of ${tenant.max_mailboxes} mailboxes is reached`, {
        maxMailboxes: tenant.max_mailboxes,
      });
    }
    await this.checkNameFree(ctx.tenantId, name, undefined);
    const addresses = primary ? [primary, ...secondary] : secondary;
    await this.checkAddressesFree(ctx.tenantId, addresses, undefined);
    const id = await this.deps.mailboxes.insert(ctx.tenantId, {
      name,
      kind,
      primary_address: primary,
      addresses,
      ownerIds,
      sharedGroupIds,
      now: this.clock(),
    });
    const mailbox = await this.view(ctx.tenantId, id);
    await this.audited(ctx, 'mailbox.create', mailbox, {
      kind,
      primaryAddress: primary,
      secondaryAddresses: mailbox.secondaryAddresses,
      ownerIds,
      sharedGroupIds,
    });
    return mailbox;
  }

  async update(ctx: AuthContext, id: number, input: UpdateMailboxInput): Promise<MailboxView> {
    requireRole(ctx, 'admin', 'changing a mailbox');
    const before = await this.view(ctx.tenantId, id);
    const name = input.name === undefined ? undefined : normalizeMailboxName(input.name);
    const kind = input.kind === undefined ? undefined : checkKind(input.kind);
    let addresses: string[] | undefined;
    let primary: string | null | undefined;
    if (input.primaryAddress !== undefined || input.secondaryAddresses !== undefined) {
      primary =
        input.primaryAddress === undefined
          ? before.primaryAddress
          : input.primaryAddress
            ? normalizeAddress(input.primaryAddress, 'primaryAddress')
            : null;
      const secondary = (
        input.secondaryAddresses === undefined
          ? before.secondaryAddresses
          : normalizeAddresses(input.secondaryAddresses, 'secondaryAddresses')
      ).filter((a) => a !== primary);
      addresses = primary ? [primary, ...secondary] : secondary;
    }
    const ownerIds =
      input.ownerIds === undefined ? undefined : await this.checkOwners(ctx.tenantId, input.ownerIds);
    const sharedGroupIds =
      input.sharedGroupIds === undefined
        ? undefined
        : await this.checkGroups(ctx.tenantId, input.sharedGroupIds);
    if (name !== undefined && name !== before.name) await this.checkNameFree(ctx.tenantId, name, id);
    if (addresses) await this.checkAddressesFree(ctx.tenantId, addresses, id);
    // A journal mailbox holds everyone's mail: while an endpoint delivers into it, it stays one.
    if (kind !== undefined && kind !== 'journal' && before.kind === 'journal') {
      const usedBy = await this.usersOf(ctx.tenantId, id);
      if (usedBy.length > 0) {
        throw new ConflictError(
          `the mailbox ${before.name} receives journal reports from ${usedBy.join(', ')}; it stays a journal mailbox while they do`,
          { usedBy },
        );
      }
    }
    await this.deps.mailboxes.update(ctx.tenantId, id, {
      name,
      kind,
      primary_address: primary,
      addresses,
      ownerIds,
      sharedGroupIds,
    });
    const mailbox = await this.view(ctx.tenantId, id);
    const changes: Record<string, unknown> = {};
    if (mailbox.name !== before.name) changes.name = mailbox.name;
    if (mailbox.kind !== before.kind) changes.kind = mailbox.kind;
    if (mailbox.primaryAddress !== before.primaryAddress) changes.primaryAddress = mailbox.primaryAddress;
    if (mailbox.secondaryAddresses.join() !== before.secondaryAddresses.join()) {
      changes.secondaryAddresses = mailbox.secondaryAddresses;
    }
    const ids = (list: Array<{ id: number }>) => list.map((x) => x.id).join();
    if (ids(mailbox.owners) !== ids(before.owners)) changes.ownerIds = mailbox.owners.map((o) => o.id);
    if (ids(mailbox.sharedWith) !== ids(before.sharedWith)) {
      changes.sharedGroupIds = mailbox.sharedWith.map((g) => g.id);
    }
    await this.audited(ctx, 'mailbox.update', mailbox, { changes });
    return mailbox;
  }

  /**
   * Only an empty mailbox that nothing delivers into can go: messages leave the archive through
   * retention, not here.
   */
  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a mailbox');
    const mailbox = await this.view(ctx.tenantId, id);
    const usedBy = await this.usersOf(ctx.tenantId, id);
    if (usedBy.length > 0) {
      throw new ConflictError(
        `the mailbox ${mailbox.name} is used by ${usedBy.join(', ')}; change or delete ${usedBy.length === 1 ? 'it' : 'them'} first`,
        { usedBy },
      );
    }
    const { deleted, messages } = await this.deps.mailboxes.deleteIfEmpty(ctx.tenantId, id);
    if (!deleted) {
      throw new ConflictError(
        `the mailbox ${mailbox.name} holds ${messages} message${messages === 1 ? '' : 's'}; only an empty mailbox can be deleted`,
        { messages },
      );
    }
    await this.audited(ctx, 'mailbox.delete', mailbox, { kind: mailbox.kind });
  }

  private async tenant(tenantId: number): Promise<Tenant> {
    const tenant = await this.deps.tenants.findTenant(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    return tenant;
  }

  /** What delivers into the mailbox (journal endpoints today), by name. */
  private async usersOf(tenantId: number, id: number): Promise<string[]> {
    return (await Promise.all((this.deps.usages ?? []).map((usage) => usage.usersOf(tenantId, id)))).flat();
  }

  private async view(tenantId: number, id: number): Promise<MailboxView> {
    const [details] = await this.deps.mailboxes.findDetails(tenantId, id);
    if (!details) throw new NotFoundError(`mailbox ${id} does not exist`);
    return toView(details, (await this.tenant(tenantId)).slug);
  }

  private async checkNameFree(tenantId: number, name: string, mailboxId: number | undefined) {
    const existing = await this.deps.mailboxes.findByName(tenantId, name);
    if (existing && existing.id !== mailboxId) {
      throw new ConflictError(`a mailbox named ${name} already exists`, { name });
    }
  }

  /** Addresses are unique among the tenant's mailboxes (a user and its mailbox may share one). */
  private async checkAddressesFree(tenantId: number, addresses: string[], mailboxId: number | undefined) {
    const taken = (await this.deps.mailboxes.findAddressHolders(tenantId, addresses)).find(
      (h) => h.mailboxId !== mailboxId,
    );
    if (taken) {
      throw new ConflictError(`the address ${taken.address} is already used by the mailbox ${taken.name}`, {
        address: taken.address,
      });
    }
  }

  private async checkOwners(tenantId: number, ids: readonly number[]): Promise<number[]> {
    const known = await this.deps.users.findExistingIds(tenantId, [...new Set(ids)]);
    const index = ids.findIndex((id) => !known.has(id));
    if (index >= 0) invalidField(`ownerIds.${index}`, `user ${ids[index]} does not exist`);
    return [...new Set(ids)];
  }

  private async checkGroups(tenantId: number, ids: readonly number[]): Promise<number[]> {
    const known = await this.deps.groups.findExistingIds(tenantId, [...new Set(ids)]);
    const index = ids.findIndex((id) => !known.has(id));
    if (index >= 0) invalidField(`sharedGroupIds.${index}`, `group ${ids[index]} does not exist`);
    return [...new Set(ids)];
  }

  private audited(ctx: AuthContext, action: string, mailbox: MailboxView, details: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'mailbox', id: mailbox.id, label: mailbox.name },
      outcome: 'success',
      details,
    });
  }
}

function toView(details: MailboxDetails, slug: string): MailboxView {
  const { mailbox } = details;
  return {
    id: mailbox.id,
    name: mailbox.name,
    kind: mailbox.kind,
    primaryAddress: mailbox.primary_address,
    secondaryAddresses: details.addresses.filter((a) => a !== mailbox.primary_address),
    owners: details.owners.map((o) => ({ id: o.id, login: `${o.name}@${slug}`, displayName: o.displayName })),
    sharedWith: details.sharedWith,
    messages: details.messages,
    storageBytes: details.storageBytes,
    createdAt: mailbox.created_at,
  };
}
