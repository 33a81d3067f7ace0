import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { ConflictError, invalidField, NotFoundError } from '../core/errors.js';
import { openForTenant, sealForTenant } from '../core/sealed.js';
import { requireRole, type AuthContext } from './access.js';
import type { SecretRow, SecretsRepository, SecretSummaryRow } from './secrets.repository.js';
import type { TenantService } from './tenant.service.js';

export type SecretKind = SecretRow['kind'];
export const SECRET_KINDS: readonly SecretKind[] = ['password', 'certificate'];

/** Admin Access's `Secret`: never the material itself. */
export interface SecretView {
  id: number;
  name: string;
  kind: SecretKind;
  username: string | null;
  isSet: true;
  inUse: boolean;
  /** Names of what uses the secret ("Directory: Entra ID", "Profile: Exchange Online"). */
  usedBy: string[];
  createdAt: number;
  updatedAt: number;
}

export interface CreateSecretInput {
  name: string;
  kind: SecretKind;
  username?: string | null;
  /** Required for kind 'password'. */
  password?: string;
  /** Required for kind 'certificate': a base64 PKCS#12 (PFX) file or PEM text. */
  certificate?: string;
  certificatePassword?: string | null;
}

/** Material fields left out are kept (unless the kind changes: then the new kind's are required). */
export type UpdateSecretInput = Partial<CreateSecretInput>;

/** The material, for internal callers (directory sync, archiving profiles); never sent to a browser. */
export type OpenedSecret = { id: number; name: string; username: string | null } & (
  | { kind: 'password'; password: string }
  | {
      kind: 'certificate';
      certificate: string;
      certificateFormat: 'pem' | 'pfx';
      certificatePassword: string | null;
    }
);

/**
 * Something that refers to secrets (directory services, archiving profiles…): each registers one, so
 * a secret in use is shown as such and cannot be deleted.
 */
export interface SecretUsage {
  /** Names of what uses the secret; empty when nothing does. */
  usersOf(tenantId: number, secretId: number): Promise<string[]>;
}

export interface SecretsServiceDeps {
  secrets: Pick<SecretsRepository, 'findAll' | 'findById' | 'findByName' | 'insert' | 'update' | 'delete'>;
  keys: Pick<TenantService, 'keyringFor'>;
  usages: readonly SecretUsage[];
  audit: AuditRecorder;
  clock?: () => number;
}

type Material = { password: string } | { certificate: string; certificatePassword: string | null };

const MAX_NAME = 200;
const MAX_FIELD = 4096;
const MAX_CERTIFICATE = 1024 * 1024;

function normalizeName(input: string): string {
  const name = input.trim();
  if (!name) invalidField('name', 'a secret name is required');
  if (name.length > MAX_NAME) invalidField('name', `a secret name has at most ${MAX_NAME} characters`);
  return name;
}

function checkKind(kind: string): SecretKind {
  if (!(SECRET_KINDS as readonly string[]).includes(kind)) {
    invalidField('kind', `"${kind}" is not a secret kind; kinds are ${SECRET_KINDS.join(', ')}`);
  }
  return kind as SecretKind;
}

function normalizeUsername(input: string | null | undefined): string | null | undefined {
  if (input === undefined || input === null) return input;
  const username = input.trim();
  if (username.length > MAX_FIELD)
    invalidField('username', `a user name has at most ${MAX_FIELD} characters`);
  return username || null;
}

/** PEM text, or base64 of a DER PKCS#12 file (which starts with an ASN.1 SEQUENCE). */
export function certificateFormat(certificate: string): 'pem' | 'pfx' | null {
  if (/-----BEGIN [A-Z0-9 ]+-----/.test(certificate)) return 'pem';
  const base64 = certificate.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return null;
  return Buffer.from(base64, 'base64')[0] === 0x30 ? 'pfx' : null;
}

function checkPassword(password: string): string {
  if (!password) invalidField('password', 'the password cannot be empty');
  if (password.length > MAX_FIELD) invalidField('password', `a password has at most ${MAX_FIELD} characters`);
  return password;
}

function checkCertificate(certificate: string): string {
  if (certificate.length > MAX_CERTIFICATE)
    invalidField('certificate', 'the certificate is larger than 1 MiB');
  if (!certificateFormat(certificate)) {
    invalidField('certificate', 'the certificate must be PEM text or a base64-encoded PFX (PKCS#12) file');
  }
  return certificate.trim();
}

/** The material for `kind`, from the input over what is stored (`current`, when the kind is unchanged). */
function materialFor(kind: SecretKind, input: UpdateSecretInput, current: Material | undefined): Material {
  if (kind === 'password') {
    if (input.certificate !== undefined || input.certificatePassword !== undefined) {
      invalidField('certificate', 'a password secret has no certificate');
    }
    const password = input.password ?? (current && 'password' in current ? current.password : undefined);
    if (password === undefined) invalidField('password', 'a password secret needs a password');
    return { password: checkPassword(password) };
  }
  if (input.password !== undefined)
    invalidField('password', 'a certificate secret has no password; use certificatePassword');
  const stored = current && 'certificate' in current ? current : undefined;
  const certificate = input.certificate ?? stored?.certificate;
  if (certificate === undefined) invalidField('certificate', 'a certificate secret needs a certificate');
  const certificatePassword =
    input.certificatePassword === undefined
      ? (stored?.certificatePassword ?? null)
      : input.certificatePassword || null;
  if (certificatePassword && certificatePassword.length > MAX_FIELD) {
    invalidField('certificatePassword', `a password has at most ${MAX_FIELD} characters`);
  }
  return { certificate: checkCertificate(certificate), certificatePassword };
}

const sealContext = (id: number) => `secret:${id}`;

/**
 * Reusable credentials (Admin Access): write-only. The material is sealed under the tenant's data key
 * with the row's id bound as context; the API only ever says that it is set.
 */
export class SecretsService {
  private readonly clock: () => number;

  constructor(private readonly deps: SecretsServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async list(ctx: AuthContext): Promise<SecretView[]> {
    requireRole(ctx, 'admin', 'listing secrets');
    const rows = await this.deps.secrets.findAll(ctx.tenantId);
    return Promise.all(rows.map(async (row) => toView(row, await this.usersOf(ctx.tenantId, row.id))));
  }

  async get(ctx: AuthContext, id: number): Promise<SecretView> {
    requireRole(ctx, 'admin', 'reading a secret');
    return this.view(ctx.tenantId, await this.row(ctx.tenantId, id));
  }

  async create(ctx: AuthContext, input: CreateSecretInput): Promise<SecretView> {
    requireRole(ctx, 'admin', 'creating a secret');
    const name = normalizeName(input.name);
    const kind = checkKind(input.kind);
    const username = normalizeUsername(input.username) ?? null;
    const material = materialFor(kind, input, undefined);
    await this.checkNameFree(ctx.tenantId, name, undefined);
    const keyring = await this.deps.keys.keyringFor(ctx.tenantId);
    const id = await this.deps.secrets.insert(
      ctx.tenantId,
      { name, kind, username, now: this.clock() },
      (id) => sealForTenant(keyring, Buffer.from(JSON.stringify(material)), sealContext(id)),
    );
    const secret = await this.view(ctx.tenantId, await this.row(ctx.tenantId, id));
    await this.audited(ctx, 'secret.create', secret, { kind, username });
    return secret;
  }

  async update(ctx: AuthContext, id: number, input: UpdateSecretInput): Promise<SecretView> {
    requireRole(ctx, 'admin', 'changing a secret');
    const before = await this.row(ctx.tenantId, id);
    const name = input.name === undefined ? undefined : normalizeName(input.name);
    const kind = input.kind === undefined ? before.kind : checkKind(input.kind);
    const username = normalizeUsername(input.username);
    const touchesMaterial =
      kind !== before.kind ||
      input.password !== undefined ||
      input.certificate !== undefined ||
      input.certificatePassword !== undefined;
    let sealed: Buffer | undefined;
    if (touchesMaterial) {
      const keyring = await this.deps.keys.keyringFor(ctx.tenantId);
      const current = kind === before.kind ? this.material(keyring, before) : undefined;
      const material = materialFor(kind, input, current);
      sealed = sealForTenant(keyring, Buffer.from(JSON.stringify(material)), sealContext(id));
    }
    if (name !== undefined && name !== before.name) await this.checkNameFree(ctx.tenantId, name, id);
    await this.deps.secrets.update(ctx.tenantId, id, { name, kind, username, sealed, now: this.clock() });
    const secret = await this.view(ctx.tenantId, await this.row(ctx.tenantId, id));
    const changes: Record<string, unknown> = {};
    if (secret.name !== before.name) changes.name = secret.name;
    if (secret.kind !== before.kind) changes.kind = secret.kind;
    if (secret.username !== before.username) changes.username = secret.username;
    await this.audited(ctx, 'secret.update', secret, { changes, materialChanged: touchesMaterial });
    return secret;
  }

  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a secret');
    const secret = await this.view(ctx.tenantId, await this.row(ctx.tenantId, id));
    if (secret.inUse) {
      throw new ConflictError(`the secret ${secret.name} is in use by ${secret.usedBy.join(', ')}`, {
        usedBy: secret.usedBy,
      });
    }
    await this.deps.secrets.delete(ctx.tenantId, id);
    await this.audited(ctx, 'secret.delete', secret, { kind: secret.kind });
  }

  /** The material, for internal callers (not an HTTP route). */
  async openSecret(ctx: AuthContext, id: number): Promise<OpenedSecret> {
    requireRole(ctx, 'admin', 'using a secret');
    const row = await this.row(ctx.tenantId, id);
    const material = this.material(await this.deps.keys.keyringFor(ctx.tenantId), row);
    const base = { id: row.id, name: row.name, username: row.username };
    if (row.kind === 'password' && 'password' in material) {
      return { ...base, kind: 'password', password: material.password };
    }
    if (row.kind === 'certificate' && 'certificate' in material) {
      return {
        ...base,
        kind: 'certificate',
        certificate: material.certificate,
        certificateFormat: certificateFormat(material.certificate) ?? 'pem',
        certificatePassword: material.certificatePassword,
      };
    }
    throw new ConflictError(`the secret ${row.name} does not hold ${row.kind} material; set it again`);
  }

  private material(keyring: Parameters<typeof openForTenant>[0], row: SecretRow): Material {
    return JSON.parse(openForTenant(keyring, row.sealed, sealContext(row.id)).toString('utf8')) as Material;
  }

  private async row(tenantId: number, id: number): Promise<SecretRow> {
    const row = await this.deps.secrets.findById(tenantId, id);
    if (!row) throw new NotFoundError(`secret ${id} does not exist`);
    return row;
  }

  private async view(tenantId: number, row: SecretSummaryRow): Promise<SecretView> {
    return toView(row, await this.usersOf(tenantId, row.id));
  }

  private async usersOf(tenantId: number, secretId: number): Promise<string[]> {
    const lists = await Promise.all(this.deps.usages.map((usage) => usage.usersOf(tenantId, secretId)));
    return lists.flat();
  }

  private async checkNameFree(tenantId: number, name: string, secretId: number | undefined) {
    const existing = await this.deps.secrets.findByName(tenantId, name);
    if (existing && existing.id !== secretId) {
      throw new ConflictError(`a secret named ${name} already exists`, { name });
    }
  }

  private audited(ctx: AuthContext, action: string, secret: SecretView, details: Record<string, unknown>) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'secret', id: secret.id, label: secret.name },
      outcome: 'success',
      details,
    });
  }
}

function toView(row: SecretSummaryRow, usedBy: string[]): SecretView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    username: row.username,
    isSet: true,
    inUse: usedBy.length > 0,
    usedBy,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
