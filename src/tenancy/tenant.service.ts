import { openForSystem, sealForSystem } from '../core/sealed.js';
import { SYSTEM_CLIENT_SECRET_CONTEXT, SYSTEM_PASSWORD_CONTEXT } from '../sending/mail-secret-contexts.js';
import { newKey, unwrapKey, wrapKey, type TenantKeyring } from '../core/keys.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Tenant } from '../db/schema.js';
import type { TenantRepository } from './tenant.repository.js';

export const DEFAULT_TENANT_SLUG = 'default';

const keyContext = (tenantId: number, purpose: string, keyId: number) =>
  `tenant:${tenantId}:${purpose}:${keyId}`;

/**
 * Tenants and their keys. The dedup key never changes (blob keys are derived from it); data keys
 * rotate, old ones stay so that existing objects remain readable until they are re-encrypted.
 */
export class TenantService {
  private readonly keyrings = new Map<number, TenantKeyring>();

  constructor(
    private readonly tenants: TenantRepository,
    private readonly masterKey: Buffer,
    private readonly clock: () => number = Date.now,
  ) {}

  async createTenant(slug: string, name: string): Promise<Tenant> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
      throw new ValidationError(`tenant slug "${slug}" must be lower-case letters, digits and dashes`);
    }
    return this.tenants.insertWithKeys({ slug, name, created_at: this.clock() }, (tenantId) => [
      {
        purpose: 'dedup',
        keyId: 1,
        wrapped: wrapKey(this.masterKey, newKey(), keyContext(tenantId, 'dedup', 1)),
      },
      {
        purpose: 'data',
        keyId: 1,
        wrapped: wrapKey(this.masterKey, newKey(), keyContext(tenantId, 'data', 1)),
      },
    ]);
  }

  /** The embedded set-up has one tenant until tenancy lands; created on first use. */
  async ensureDefaultTenant(): Promise<Tenant> {
    return (
      (await this.tenants.findBySlug(DEFAULT_TENANT_SLUG)) ??
      (await this.createTenant(DEFAULT_TENANT_SLUG, 'Default'))
    );
  }

  async findBySlug(slug: string): Promise<Tenant> {
    const tenant = await this.tenants.findBySlug(slug);
    if (!tenant) throw new NotFoundError(`tenant "${slug}" does not exist`);
    return tenant;
  }

  async findById(id: number): Promise<Tenant> {
    const tenant = await this.tenants.findById(id);
    if (!tenant) throw new NotFoundError(`tenant ${id} does not exist`);
    return tenant;
  }

  listTenants(): Promise<Tenant[]> {
    return this.tenants.findAll();
  }

  async keyringFor(tenantId: number, options: { reload?: boolean } = {}): Promise<TenantKeyring> {
    const cached = options.reload ? undefined : this.keyrings.get(tenantId);
    if (cached) return cached;
    const rows = await this.tenants.findKeys(tenantId);
    const dedupRow = rows.find((r) => r.purpose === 'dedup');
    const activeData = rows.find((r) => r.purpose === 'data' && r.active === 1);
    if (!dedupRow || !activeData) throw new NotFoundError(`tenant ${tenantId} has no keys`);
    const dataKeys = new Map<number, Buffer>();
    for (const row of rows.filter((r) => r.purpose === 'data')) {
      dataKeys.set(
        row.key_id,
        unwrapKey(this.masterKey, row.wrapped, keyContext(tenantId, 'data', row.key_id)),
      );
    }
    const keyring: TenantKeyring = {
      tenantId,
      dedupKey: unwrapKey(this.masterKey, dedupRow.wrapped, keyContext(tenantId, 'dedup', dedupRow.key_id)),
      activeDataKeyId: activeData.key_id,
      dataKeys,
    };
    this.keyrings.set(tenantId, keyring);
    return keyring;
  }

  /** Drops a deleted tenant's cached keys: SQLite may give its id to the next tenant. */
  forgetKeys(tenantId: number): void {
    this.keyrings.delete(tenantId);
  }

  /** Opens every tenant's keys, so a wrong master key fails at start rather than on first read. */
  async checkMasterKey(): Promise<void> {
    for (const tenant of await this.tenants.findAll()) await this.keyringFor(tenant.id);
  }

  /** New objects are encrypted with the new key from now on; returns its id. */
  async rotateDataKey(tenantId: number): Promise<number> {
    const keyring = await this.keyringFor(tenantId);
    const keyId = Math.max(...keyring.dataKeys.keys()) + 1;
    await this.tenants.addDataKey(
      tenantId,
      keyId,
      wrapKey(this.masterKey, newKey(), keyContext(tenantId, 'data', keyId)),
      this.clock(),
    );
    this.keyrings.delete(tenantId);
    return keyId;
  }

  /** Re-wraps every tenant key under a new master key; the caller then replaces master.key. */
  async rewrapUnder(newMaster: Buffer): Promise<number> {
    const rows = await this.tenants.findAllKeys();
    const rewrapped = rows.map((row) => {
      const context = keyContext(row.tenant_id, row.purpose, row.key_id);
      return {
        tenantId: row.tenant_id,
        purpose: row.purpose,
        keyId: row.key_id,
        wrapped: wrapKey(newMaster, unwrapKey(this.masterKey, row.wrapped, context), context),
      };
    });
    // Installation-level secrets are sealed under the master key itself: re-seal them in the same
    // transaction, so a crash leaves either everything under the old key or everything under the new.
    const resealed = (await this.tenants.findSystemSealedSecrets()).map((row) => {
      const context = `totp:system:${row.id}`;
      return {
        systemAdminId: row.id,
        totpSecret: sealForSystem(
          newMaster,
          openForSystem(this.masterKey, row.totp_secret!, context),
          context,
        ),
      };
    });
    const mail = await this.tenants.findSystemMailSecrets();
    const reseal = (sealed: Buffer | null, context: string) =>
      sealed && sealForSystem(newMaster, openForSystem(this.masterKey, sealed, context), context);
    const resealedMail = mail && {
      password_sealed: reseal(mail.password_sealed, SYSTEM_PASSWORD_CONTEXT),
      graph_client_secret_sealed: reseal(mail.graph_client_secret_sealed, SYSTEM_CLIENT_SECRET_CONTEXT),
    };
    await this.tenants.rewrapAll(rewrapped, resealed, resealedMail);
    return rewrapped.length;
  }
}
