import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { SYSTEM_AUDIT_CHAIN } from '../compliance/audit-log.types.js';
import { ConflictError, ValidationError } from '../core/errors.js';
import type { Tenant } from '../db/schema.js';
import { type AuthContext, requireSystemAdmin } from './access.js';
import type { TenantRepository } from './tenant.repository.js';
import type { TenantService } from './tenant.service.js';
import type { TenantUsage } from './tenant-usage.repository.js';

export interface TenantQuotas {
  maxUsers: number | null;
  maxMailboxes: number | null;
  maxStorageBytes: number | null;
}

export interface TenantSummary {
  id: number;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  createdAt: number;
  quotas: TenantQuotas;
  usage: TenantUsage;
}

/** The admin provisioned with every tenant; the users capability owns how. */
export interface AdminProvisioner {
  provisionAdmin(tenantId: number, actor: AuthContext['actor']): Promise<{ login: string; password: string }>;
}

export interface UsageSource {
  usageOf(tenantId: number): Promise<TenantUsage>;
}

/**
 * The System console's tenants: create (with the provisioned admin), quotas, suspend, delete.
 * Only system administrators (and the operator's CLI) act here; everything lands in the system chain
 * of the audit log.
 */
export class TenantManagementService {
  constructor(
    private readonly deps: {
      tenants: Pick<TenantService, 'createTenant' | 'findById' | 'forgetKeys'>;
      repository: Pick<TenantRepository, 'findAll' | 'findBySlug' | 'update' | 'deleteWithEverything'>;
      provisioner: AdminProvisioner;
      usage: UsageSource;
      audit: AuditRecorder;
      /** Removes the tenant's blob folder once its rows and keys are gone. */
      deleteTenantBlobs: (tenantId: number) => Promise<void>;
      /** Told after a tenant is suspended, resumed or deleted (caches of what it may do). */
      tenantChanged?: (tenantId: number) => void;
      /** Mails a new admin's sign-in details (the sending capability); absent: never mailed. */
      mailCredentials?: (
        ctx: AuthContext,
        tenantId: number,
        to: string,
        credentials: { login: string; password: string },
      ) => Promise<void>;
    },
  ) {}

  async list(ctx: AuthContext): Promise<TenantSummary[]> {
    requireSystemAdmin(ctx, 'listing tenants');
    const tenants = await this.deps.repository.findAll();
    return Promise.all(tenants.map((tenant) => this.summarise(tenant)));
  }

  async get(ctx: AuthContext, tenantId: number): Promise<TenantSummary> {
    requireSystemAdmin(ctx, 'reading a tenant');
    return this.summarise(await this.deps.tenants.findById(tenantId));
  }

  async create(
    ctx: AuthContext,
    input: { slug: string; name: string; quotas?: Partial<TenantQuotas>; adminEmail?: string },
  ) {
    requireSystemAdmin(ctx, 'creating a tenant');
    const slug = input.slug.trim().toLowerCase();
    const name = input.name.trim();
    if (!name)
      throw new ValidationError('a tenant needs a name', { issues: [{ path: 'name', message: 'required' }] });
    if (await this.deps.repository.findBySlug(slug)) {
      throw new ConflictError(`a tenant with the slug "${slug}" exists`);
    }
    const tenant = await this.deps.tenants.createTenant(slug, name);
    if (input.quotas) await this.deps.repository.update(tenant.id, quotaColumns(input.quotas));
    const admin = await this.deps.provisioner.provisionAdmin(tenant.id, ctx.actor);
    await this.record(ctx, 'tenant.create', tenant, { quotas: input.quotas ?? {} });
    const credentialsMail = await this.mailCredentials(ctx, tenant.id, input.adminEmail, admin);
    return { tenant: await this.get(ctx, tenant.id), admin, ...(credentialsMail && { credentialsMail }) };
  }

  /**
   * The tenant exists whatever happens here: a mail that cannot be queued (sending unavailable, a
   * bad address) is reported next to the credentials, which the console shows once anyway.
   */
  private async mailCredentials(
    ctx: AuthContext,
    tenantId: number,
    to: string | undefined,
    admin: { login: string; password: string },
  ): Promise<{ to: string; queued: boolean; error: string | null } | undefined> {
    const address = to?.trim();
    if (!address || !this.deps.mailCredentials) return undefined;
    try {
      await this.deps.mailCredentials(ctx, tenantId, address, admin);
      return { to: address, queued: true, error: null };
    } catch (error) {
      return { to: address, queued: false, error: (error as Error).message };
    }
  }

  async update(ctx: AuthContext, tenantId: number, input: { name?: string; quotas?: Partial<TenantQuotas> }) {
    requireSystemAdmin(ctx, 'changing a tenant');
    const tenant = await this.deps.tenants.findById(tenantId);
    const name = input.name?.trim();
    if (name === '')
      throw new ValidationError('a tenant needs a name', { issues: [{ path: 'name', message: 'required' }] });
    await this.deps.repository.update(tenantId, {
      ...(name !== undefined && { name }),
      ...(input.quotas && quotaColumns(input.quotas)),
    });
    await this.record(ctx, 'tenant.update', tenant, { name, quotas: input.quotas });
    return this.get(ctx, tenantId);
  }

  /** A suspended tenant's users cannot sign in and their sessions stop working; data stays. */
  async setStatus(ctx: AuthContext, tenantId: number, status: 'active' | 'suspended') {
    requireSystemAdmin(ctx, 'suspending or resuming a tenant');
    const tenant = await this.deps.tenants.findById(tenantId);
    await this.deps.repository.update(tenantId, { status });
    this.deps.tenantChanged?.(tenantId);
    await this.record(ctx, status === 'suspended' ? 'tenant.suspend' : 'tenant.resume', tenant);
    return this.get(ctx, tenantId);
  }

  async resetAdmin(ctx: AuthContext, tenantId: number) {
    requireSystemAdmin(ctx, "resetting a tenant's admin");
    const tenant = await this.deps.tenants.findById(tenantId);
    const admin = await this.deps.provisioner.provisionAdmin(tenantId, ctx.actor);
    await this.record(ctx, 'tenant.admin.reset', tenant, { login: admin.login });
    return admin;
  }

  /** Deletes the tenant and everything it owns. The slug must be typed again, as a guard. */
  async delete(ctx: AuthContext, tenantId: number, confirmSlug: string): Promise<void> {
    requireSystemAdmin(ctx, 'deleting a tenant');
    const tenant = await this.deps.tenants.findById(tenantId);
    if (confirmSlug.trim().toLowerCase() !== tenant.slug) {
      throw new ValidationError(`type the slug "${tenant.slug}" to confirm the deletion`, {
        issues: [{ path: 'confirmSlug', message: `must be ${tenant.slug}` }],
      });
    }
    await this.deps.repository.deleteWithEverything(tenantId);
    this.deps.tenants.forgetKeys(tenantId);
    this.deps.tenantChanged?.(tenantId);
    await this.deps.deleteTenantBlobs(tenantId);
    await this.record(ctx, 'tenant.delete', tenant);
  }

  private async summarise(tenant: Tenant): Promise<TenantSummary> {
    return {
      id: tenant.id,
      slug: tenant.slug,
      name: tenant.name,
      status: tenant.status,
      createdAt: tenant.created_at,
      quotas: {
        maxUsers: tenant.max_users,
        maxMailboxes: tenant.max_mailboxes,
        maxStorageBytes: tenant.max_storage_bytes,
      },
      usage: await this.deps.usage.usageOf(tenant.id),
    };
  }

  private record(ctx: AuthContext, action: string, tenant: Tenant, details?: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: SYSTEM_AUDIT_CHAIN,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'tenant', id: tenant.id, label: tenant.slug },
      outcome: 'success',
      details,
    });
  }
}

function quotaColumns(quotas: Partial<TenantQuotas>) {
  return {
    ...(quotas.maxUsers !== undefined && { max_users: quotas.maxUsers }),
    ...(quotas.maxMailboxes !== undefined && { max_mailboxes: quotas.maxMailboxes }),
    ...(quotas.maxStorageBytes !== undefined && { max_storage_bytes: quotas.maxStorageBytes }),
  };
}
