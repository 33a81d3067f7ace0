import { domainToASCII } from 'node:url';
import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { ConflictError, invalidField, NotFoundError } from '../core/errors.js';
import type { IdentityOrigin } from '../db/schema.js';
import { requireRole, type AuthContext } from './access.js';
import type { DomainRow, DomainsRepository } from './domains.repository.js';

/** Admin Access's `Domain`. */
export interface DomainView {
  id: number;
  name: string;
  origin: IdentityOrigin;
  createdAt: number;
}

export interface DomainsServiceDeps {
  domains: Pick<DomainsRepository, 'findAll' | 'findById' | 'findByName' | 'insert' | 'delete'>;
  audit: AuditRecorder;
  clock?: () => number;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * A domain name in its canonical form: lower-case, internationalized names in their `xn--` form
 * (what SMTP envelopes and directories carry), at least two labels, a top-level label that is not
 * all digits (so an IP address is not taken for a domain). Returns null when it is not one.
 */
export function canonicalDomainName(input: string): string | null {
  const trimmed = input.trim().replace(/\.$/, '');
  if (!trimmed) return null;
  const ascii = domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  return /^\d+$/.test(labels[labels.length - 1]!) ? null : ascii;
}

export function normalizeDomainName(input: string, path = 'name'): string {
  const name = canonicalDomainName(input);
  if (!name) {
    invalidField(path, `"${input}" is not a valid domain name`);
  }
  return name;
}

/**
 * An email address as stored: trimmed, lower-case, domain canonical. Addresses are compared in this
 * form everywhere (uniqueness per tenant, matching journal recipients to mailboxes).
 */
export function normalizeAddress(input: string, path = 'address'): string {
  const trimmed = input.trim().toLowerCase();
  const at = trimmed.lastIndexOf('@');
  const local = at > 0 ? trimmed.slice(0, at) : '';
  const domain = at > 0 ? canonicalDomainName(trimmed.slice(at + 1)) : null;
  const address = `${local}@${domain}`;
  if (!domain || local.length > 64 || !LOCAL_PART.test(local) || address.length > 254) {
    invalidField(path, `"${input}" is not a valid email address`);
  }
  return address;
}

/** Normalizes a list of addresses and drops repeats, keeping the first spelling's position. */
export function normalizeAddresses(inputs: readonly string[], path = 'addresses'): string[] {
  return [...new Set(inputs.map((input, i) => normalizeAddress(input, `${path}.${i}`)))];
}

const toView = (row: DomainRow): DomainView => ({
  id: row.id,
  name: row.name,
  origin: row.origin,
  createdAt: row.created_at,
});

/** The tenant's mail domains (Admin Access). Synchronized domains belong to their directory. */
export class DomainsService {
  private readonly clock: () => number;

  constructor(private readonly deps: DomainsServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async list(ctx: AuthContext): Promise<DomainView[]> {
    requireRole(ctx, 'admin', 'listing domains');
    return (await this.deps.domains.findAll(ctx.tenantId)).map(toView);
  }

  async create(ctx: AuthContext, input: { name: string }): Promise<DomainView> {
    requireRole(ctx, 'admin', 'adding a domain');
    const name = normalizeDomainName(input.name);
    if (await this.deps.domains.findByName(ctx.tenantId, name)) {
      throw new ConflictError(`the domain ${name} already exists`, { name });
    }
    const row = await this.deps.domains.insert(ctx.tenantId, { name, origin: 'local', now: this.clock() });
    await this.audited(ctx, 'domain.create', row, { name });
    return toView(row);
  }

  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a domain');
    const row = await this.deps.domains.findById(ctx.tenantId, id);
    if (!row) throw new NotFoundError(`domain ${id} does not exist`);
    if (row.origin !== 'local') {
      throw new ConflictError(
        `the domain ${row.name} is synchronized from ${row.origin}; remove it there instead`,
        { origin: row.origin },
      );
    }
    await this.deps.domains.delete(ctx.tenantId, id);
    await this.audited(ctx, 'domain.delete', row, {});
  }

  private audited(ctx: AuthContext, action: string, row: DomainRow, details: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'domain', id: row.id, label: row.name },
      outcome: 'success',
      details,
    });
  }
}
