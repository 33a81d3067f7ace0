import { SYSTEM_AUDIT_CHAIN, type AuditRecorder } from '../compliance/audit-log.types.js';
import { invalidField, NotFoundError } from '../core/errors.js';
import { openForSystem, openForTenant, sealForSystem, sealForTenant } from '../core/sealed.js';
import type { SmtpEncryption } from '../db/schema.js';
import { requireRole, requireSystemAdmin, type AuthContext } from '../tenancy/access.js';
import type { TenantService } from '../tenancy/tenant.service.js';
import { SYSTEM_CLIENT_SECRET_CONTEXT, SYSTEM_PASSWORD_CONTEXT } from './mail-secret-contexts.js';
import { isInternationalized } from './outgoing-message.js';
import { isPrivateAddress } from '../core/network.js';
import { isIP } from 'node:net';
import type {
  MailSettingsRepository,
  SystemMailSettingsRow,
  TenantMailSettingsRow,
} from './mail-settings.repository.js';
import {
  resolveSendingRoute,
  type SendingRoute,
  type SystemAuthentication,
  type TenantSendingPolicy,
  type TenantSendingType,
} from './transport-resolution.js';

const TENANT_PASSWORD_CONTEXT = 'mail:smtp-password';

/** System console → Email server. Secrets appear only as "set". */
export interface SystemMailSettingsView {
  enabled: boolean;
  authentication: SystemAuthentication;
  host: string;
  port: number;
  encryption: SmtpEncryption;
  username: string;
  passwordSet: boolean;
  graph: { tenantId: string; clientId: string; clientSecretSet: boolean };
  senderAddress: string;
  senderName: string;
  smtputf8: boolean;
  support: { address: string; allowTenantAddress: boolean; attachSystemInfo: boolean };
  /** Has what sending needs for its authentication type. */
  complete: boolean;
  updatedAt: number;
}

export interface UpdateSystemMailSettingsInput {
  enabled?: boolean;
  authentication?: SystemAuthentication;
  host?: string;
  port?: number;
  encryption?: SmtpEncryption;
  username?: string;
  /** A new password; null removes it; left out keeps it. */
  password?: string | null;
  graph?: { tenantId?: string; clientId?: string; clientSecret?: string | null };
  senderAddress?: string;
  senderName?: string;
  smtputf8?: boolean;
  support?: { address?: string; allowTenantAddress?: boolean; attachSystemInfo?: boolean };
}

/** Admin Access → Sending Mails. */
export interface TenantSendingView {
  type: TenantSendingType;
  smtp: { host: string; port: number; encryption: SmtpEncryption; username: string; passwordSet: boolean };
  senderAddress: string;
  senderName: string;
  smtputf8: boolean;
  microsoft365: {
    /** Postvault has an app registration, so "Connect Tenant" can be offered. */
    available: boolean;
    tenantId: string;
    senderId: string;
    senderAddress: string;
    connectedBy: string;
  };
  /** What the system administrator allows this tenant. */
  policy: TenantSendingPolicy;
  /** How mail leaves right now, or why it cannot. */
  route: SendingRoute;
  support: { address: string; tenantAddressAllowed: boolean };
  updatedAt: number;
}

export interface UpdateTenantSendingInput {
  type?: TenantSendingType;
  smtp?: {
    host?: string;
    port?: number;
    encryption?: SmtpEncryption;
    username?: string;
    password?: string | null;
  };
  senderAddress?: string;
  senderName?: string;
  smtputf8?: boolean;
  /** The sending mailbox, picked from the connected tenant's users. */
  microsoft365Sender?: { id: string; address: string };
  supportAddress?: string;
}

/** Everything a sender needs, secrets opened: for the sending service only, never for the API. */
export type ResolvedSending =
  | { available: false; route: SendingRoute & { available: false } }
  | {
      available: true;
      route: SendingRoute & { available: true };
      from: { address: string; name: string };
      smtp?: {
        host: string;
        port: number;
        encryption: SmtpEncryption;
        auth: { username: string; password: string } | null;
        smtputf8: boolean;
      };
      microsoft365?: { tenantId: string; clientId: string; clientSecret: string; mailbox: string };
    };

export interface MailSettingsServiceDeps {
  settings: MailSettingsRepository;
  tenants: Pick<TenantService, 'keyringFor' | 'findById'>;
  masterKey: Buffer;
  /** Postvault's own app registration for "Connect Tenant"; undefined when not configured. */
  app: { clientId: string; clientSecret: string } | undefined;
  /** sending.allowPrivateTenantHosts: tenants' own servers may be in private networks. */
  allowPrivateTenantHosts?: boolean;
  audit: AuditRecorder;
  clock?: () => number;
}

// Loose on purpose: the mail server decides; this catches typing mistakes, and allows UTF-8 (RFC 6531).
const ADDRESS = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/u;
/** A host name, an IPv4 address, or an IPv6 address with or without brackets (balanced). */
const HOST = /^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$|^[0-9a-fA-F]*:[0-9a-fA-F:.]*$/;

export class MailSettingsService {
  private readonly clock: () => number;

  constructor(private readonly deps: MailSettingsServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  // ---- System console ----

  async getSystem(ctx: AuthContext): Promise<SystemMailSettingsView> {
    requireSystemAdmin(ctx, 'reading the mail server settings');
    return systemView(await this.deps.settings.system());
  }

  async updateSystem(
    ctx: AuthContext,
    input: UpdateSystemMailSettingsInput,
  ): Promise<SystemMailSettingsView> {
    requireSystemAdmin(ctx, 'changing the mail server settings');
    const before = await this.deps.settings.system();
    const seal = (value: string | null | undefined, current: Buffer | null, context: string) =>
      value === undefined
        ? current
        : value === null || value === ''
          ? null
          : sealForSystem(this.deps.masterKey, Buffer.from(value, 'utf8'), context);
    const row: SystemMailSettingsRow = {
      ...before,
      enabled: input.enabled === undefined ? before.enabled : input.enabled ? 1 : 0,
      authentication: input.authentication ?? before.authentication,
      host: input.host?.trim() ?? before.host,
      port: input.port ?? before.port,
      encryption: input.encryption ?? before.encryption,
      username: input.username?.trim() ?? before.username,
      password_sealed: seal(input.password, before.password_sealed, SYSTEM_PASSWORD_CONTEXT),
      graph_tenant_id: input.graph?.tenantId?.trim() ?? before.graph_tenant_id,
      graph_client_id: input.graph?.clientId?.trim() ?? before.graph_client_id,
      graph_client_secret_sealed: seal(
        input.graph?.clientSecret,
        before.graph_client_secret_sealed,
        SYSTEM_CLIENT_SECRET_CONTEXT,
      ),
      sender_address: input.senderAddress?.trim() ?? before.sender_address,
      sender_name: input.senderName?.trim() ?? before.sender_name,
      smtputf8: input.smtputf8 === undefined ? before.smtputf8 : input.smtputf8 ? 1 : 0,
      support_address: input.support?.address?.trim() ?? before.support_address,
      allow_tenant_support_address:
        input.support?.allowTenantAddress === undefined
          ? before.allow_tenant_support_address
          : input.support.allowTenantAddress
            ? 1
            : 0,
      attach_system_info:
        input.support?.attachSystemInfo === undefined
          ? before.attach_system_info
          : input.support.attachSystemInfo
            ? 1
            : 0,
      updated_at: this.clock(),
    };
    checkHost('host', row.host);
    checkPort('port', row.port);
    checkAddress('senderAddress', row.sender_address, row.smtputf8 === 1);
    checkAddress('support.address', row.support_address, row.smtputf8 === 1);
    await this.deps.settings.saveSystem(row);
    const view = systemView(row);
    await this.deps.audit.record({
      tenantId: SYSTEM_AUDIT_CHAIN,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'mail-server.update',
      target: { type: 'mail-server', label: 'Email server' },
      outcome: 'success',
      details: {
        ...auditedSystemFields(view),
        passwordChanged: input.password !== undefined,
        clientSecretChanged: input.graph?.clientSecret !== undefined,
      },
    });
    return view;
  }

  async setPolicy(
    ctx: AuthContext,
    tenantId: number,
    input: Partial<TenantSendingPolicy>,
  ): Promise<TenantSendingPolicy> {
    requireSystemAdmin(ctx, "changing a tenant's mail sending permissions");
    const before = await this.deps.settings.policy(tenantId);
    if (!before) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    const after = { ...before, ...input };
    await this.deps.settings.savePolicy(tenantId, {
      may_use_system_mail: after.mayUseSystemServer ? 1 : 0,
      may_configure_own_mail: after.mayConfigureOwn ? 1 : 0,
    });
    const tenant = await this.deps.tenants.findById(tenantId);
    await this.deps.audit.record({
      tenantId: SYSTEM_AUDIT_CHAIN,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'tenant.mail-policy',
      target: { type: 'tenant', id: tenantId, label: tenant.slug },
      outcome: 'success',
      details: { ...after },
    });
    return after;
  }

  async policyOf(ctx: AuthContext, tenantId: number): Promise<TenantSendingPolicy> {
    requireSystemAdmin(ctx, "reading a tenant's mail sending permissions");
    const policy = await this.deps.settings.policy(tenantId);
    if (!policy) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    return policy;
  }

  // ---- Admin Access ----

  async getTenant(ctx: AuthContext): Promise<TenantSendingView> {
    requireRole(ctx, 'admin', 'reading the mail sending settings');
    return this.tenantView(ctx.tenantId);
  }

  async updateTenant(ctx: AuthContext, input: UpdateTenantSendingInput): Promise<TenantSendingView> {
    requireRole(ctx, 'admin', 'changing the mail sending settings');
    const [before, policy, system] = await Promise.all([
      this.deps.settings.tenant(ctx.tenantId),
      this.requirePolicy(ctx.tenantId),
      this.deps.settings.system(),
    ]);
    const type = input.type ?? before.type;
    if (type !== 'none' && !policy.mayConfigureOwn)
      invalidField(
        'type',
        'the system administrator does not let this tenant configure its own mail sending',
      );
    if (type === 'microsoft365' && !this.deps.app)
      invalidField(
        'type',
        'Microsoft 365 sending is not available: Postvault has no Microsoft app registration',
      );
    if (
      input.supportAddress !== undefined &&
      input.supportAddress.trim() !== before.support_address &&
      system.allow_tenant_support_address !== 1
    )
      invalidField(
        'supportAddress',
        'the system administrator does not allow a tenant-specific support address',
      );
    let password = before.smtp_password_sealed;
    if (input.smtp?.password !== undefined) {
      password =
        input.smtp.password === null || input.smtp.password === ''
          ? null
          : sealForTenant(
              await this.deps.tenants.keyringFor(ctx.tenantId),
              Buffer.from(input.smtp.password, 'utf8'),
              TENANT_PASSWORD_CONTEXT,
            );
    }
    const row: TenantMailSettingsRow = {
      ...before,
      type,
      smtp_host: input.smtp?.host?.trim() ?? before.smtp_host,
      smtp_port: input.smtp?.port ?? before.smtp_port,
      smtp_encryption: input.smtp?.encryption ?? before.smtp_encryption,
      smtp_username: input.smtp?.username?.trim() ?? before.smtp_username,
      smtp_password_sealed: password,
      sender_address: input.senderAddress?.trim() ?? before.sender_address,
      sender_name: input.senderName?.trim() ?? before.sender_name,
      smtputf8: input.smtputf8 === undefined ? before.smtputf8 : input.smtputf8 ? 1 : 0,
      m365_sender_id: input.microsoft365Sender?.id ?? before.m365_sender_id,
      m365_sender_address: input.microsoft365Sender?.address ?? before.m365_sender_address,
      support_address: input.supportAddress?.trim() ?? before.support_address,
      updated_at: this.clock(),
    };
    checkHost('smtp.host', row.smtp_host);
    const literal = row.smtp_host.replace(/^\[(.*)\]$/, '$1');
    if (isIP(literal) && isPrivateAddress(literal) && !this.deps.allowPrivateTenantHosts)
      invalidField(
        'smtp.host',
        `${row.smtp_host} is in a private network; use your mail server's public name or address`,
      );
    checkPort('smtp.port', row.smtp_port);
    checkAddress('senderAddress', row.sender_address, row.smtputf8 === 1);
    checkAddress('supportAddress', row.support_address, true);
    if (input.microsoft365Sender && !row.m365_tenant_id)
      invalidField('microsoft365Sender', 'connect the Microsoft 365 tenant first');
    await this.deps.settings.saveTenant(row);
    const view = await this.tenantView(ctx.tenantId);
    await this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'mail-sending.update',
      target: { type: 'mail-sending', label: 'Sending mails' },
      outcome: 'success',
      details: {
        type: view.type,
        host: view.smtp.host,
        port: view.smtp.port,
        encryption: view.smtp.encryption,
        username: view.smtp.username,
        passwordChanged: input.smtp?.password !== undefined,
        senderAddress: view.senderAddress,
        microsoft365Sender: view.microsoft365.senderAddress,
        supportAddress: view.support.address,
      },
    });
    return view;
  }

  /** "Connect Tenant" finished: the tenant's Microsoft 365 tenant id and who confirmed it. */
  async recordMicrosoft365Connection(
    tenantId: number,
    m365TenantId: string,
    connectedBy: string,
  ): Promise<void> {
    const before = await this.deps.settings.tenant(tenantId);
    const changed = before.m365_tenant_id !== m365TenantId;
    await this.deps.settings.saveTenant({
      ...before,
      m365_tenant_id: m365TenantId,
      m365_connected_by: connectedBy,
      // Another Microsoft tenant: the old sending mailbox does not belong to it.
      ...(changed ? { m365_sender_id: '', m365_sender_address: '' } : {}),
      updated_at: this.clock(),
    });
  }

  /** How a tenant's mail (tenantId) or the system's own (null) leaves now, secrets opened. */
  async resolve(tenantId: number | null): Promise<ResolvedSending> {
    const system = await this.deps.settings.system();
    if (tenantId === null) {
      const route = resolveSendingRoute(
        systemState(system),
        { mayUseSystemServer: true, mayConfigureOwn: false },
        { type: 'none', complete: false },
      );
      return route.available ? this.systemSending(system, route) : { available: false, route };
    }
    const [tenant, policy] = await Promise.all([
      this.deps.settings.tenant(tenantId),
      this.requirePolicy(tenantId),
    ]);
    const route = resolveSendingRoute(systemState(system), policy, this.tenantState(tenant));
    if (!route.available) return { available: false, route };
    if (route.via === 'system') return this.systemSending(system, route);
    const from = {
      address: route.kind === 'microsoft365' ? tenant.m365_sender_address : tenant.sender_address,
      name: tenant.sender_name,
    };
    if (route.kind === 'microsoft365')
      return {
        available: true,
        route,
        from,
        microsoft365: { tenantId: tenant.m365_tenant_id, ...this.deps.app!, mailbox: tenant.m365_sender_id },
      };
    const keyring = tenant.smtp_password_sealed ? await this.deps.tenants.keyringFor(tenantId) : undefined;
    return {
      available: true,
      route,
      from,
      smtp: {
        host: tenant.smtp_host,
        port: tenant.smtp_port,
        encryption: tenant.smtp_encryption,
        auth: tenant.smtp_username
          ? {
              username: tenant.smtp_username,
              password: tenant.smtp_password_sealed
                ? openForTenant(keyring!, tenant.smtp_password_sealed, TENANT_PASSWORD_CONTEXT).toString(
                    'utf8',
                  )
                : '',
            }
          : null,
        smtputf8: tenant.smtputf8 === 1,
      },
    };
  }

  /** Where support requests of a tenant go: its own address when allowed and set, else the system's. */
  async supportAddress(tenantId: number): Promise<{ address: string; attachSystemInfo: boolean }> {
    const [system, tenant] = await Promise.all([
      this.deps.settings.system(),
      this.deps.settings.tenant(tenantId),
    ]);
    const own =
      system.allow_tenant_support_address === 1 && tenant.support_address ? tenant.support_address : '';
    return { address: own || system.support_address, attachSystemInfo: system.attach_system_info === 1 };
  }

  private systemSending(
    system: SystemMailSettingsRow,
    route: SendingRoute & { available: true },
  ): ResolvedSending {
    const from = { address: system.sender_address, name: system.sender_name };
    if (route.kind === 'microsoft365')
      return {
        available: true,
        route,
        from,
        microsoft365: {
          tenantId: system.graph_tenant_id,
          clientId: system.graph_client_id,
          clientSecret: openForSystem(
            this.deps.masterKey,
            system.graph_client_secret_sealed!,
            SYSTEM_CLIENT_SECRET_CONTEXT,
          ).toString('utf8'),
          mailbox: system.sender_address,
        },
      };
    return {
      available: true,
      route,
      from,
      smtp: {
        host: system.host,
        port: system.port,
        encryption: system.encryption,
        auth:
          system.authentication === 'password'
            ? {
                username: system.username,
                password: openForSystem(
                  this.deps.masterKey,
                  system.password_sealed!,
                  SYSTEM_PASSWORD_CONTEXT,
                ).toString('utf8'),
              }
            : null,
        smtputf8: system.smtputf8 === 1,
      },
    };
  }

  private async tenantView(tenantId: number): Promise<TenantSendingView> {
    const [tenant, policy, system] = await Promise.all([
      this.deps.settings.tenant(tenantId),
      this.requirePolicy(tenantId),
      this.deps.settings.system(),
    ]);
    return {
      type: tenant.type,
      smtp: {
        host: tenant.smtp_host,
        port: tenant.smtp_port,
        encryption: tenant.smtp_encryption,
        username: tenant.smtp_username,
        passwordSet: tenant.smtp_password_sealed !== null,
      },
      senderAddress: tenant.sender_address,
      senderName: tenant.sender_name,
      smtputf8: tenant.smtputf8 === 1,
      microsoft365: {
        available: this.deps.app !== undefined,
        tenantId: tenant.m365_tenant_id,
        senderId: tenant.m365_sender_id,
        senderAddress: tenant.m365_sender_address,
        connectedBy: tenant.m365_connected_by,
      },
      policy,
      route: resolveSendingRoute(systemState(system), policy, this.tenantState(tenant)),
      support: {
        address: tenant.support_address,
        tenantAddressAllowed: system.allow_tenant_support_address === 1,
      },
      updatedAt: tenant.updated_at,
    };
  }

  private tenantState(tenant: TenantMailSettingsRow) {
    const complete =
      tenant.type === 'smtp'
        ? tenant.smtp_host !== '' &&
          tenant.sender_address !== '' &&
          (tenant.smtp_username === '' || tenant.smtp_password_sealed !== null)
        : tenant.type === 'microsoft365'
          ? this.deps.app !== undefined &&
            tenant.m365_tenant_id !== '' &&
            tenant.m365_sender_id !== '' &&
            tenant.m365_sender_address !== ''
          : false;
    return { type: tenant.type, complete };
  }

  private async requirePolicy(tenantId: number): Promise<TenantSendingPolicy> {
    const policy = await this.deps.settings.policy(tenantId);
    if (!policy) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    return policy;
  }
}

function systemComplete(row: SystemMailSettingsRow): boolean {
  if (row.sender_address === '') return false;
  if (row.authentication === 'microsoft365')
    return (
      row.graph_tenant_id !== '' && row.graph_client_id !== '' && row.graph_client_secret_sealed !== null
    );
  if (row.host === '') return false;
  return row.authentication === 'none' || (row.username !== '' && row.password_sealed !== null);
}

function systemState(row: SystemMailSettingsRow) {
  return { enabled: row.enabled === 1, complete: systemComplete(row), authentication: row.authentication };
}

function systemView(row: SystemMailSettingsRow): SystemMailSettingsView {
  return {
    enabled: row.enabled === 1,
    authentication: row.authentication,
    host: row.host,
    port: row.port,
    encryption: row.encryption,
    username: row.username,
    passwordSet: row.password_sealed !== null,
    graph: {
      tenantId: row.graph_tenant_id,
      clientId: row.graph_client_id,
      clientSecretSet: row.graph_client_secret_sealed !== null,
    },
    senderAddress: row.sender_address,
    senderName: row.sender_name,
    smtputf8: row.smtputf8 === 1,
    support: {
      address: row.support_address,
      allowTenantAddress: row.allow_tenant_support_address === 1,
      attachSystemInfo: row.attach_system_info === 1,
    },
    complete: systemComplete(row),
    updatedAt: row.updated_at,
  };
}

function auditedSystemFields(view: SystemMailSettingsView) {
  const { passwordSet: _p, graph, updatedAt: _u, ...rest } = view;
  return { ...rest, graph: { tenantId: graph.tenantId, clientId: graph.clientId } };
}

function checkAddress(field: string, value: string, utf8Allowed: boolean): void {
  if (value === '') return;
  if (!ADDRESS.test(value)) invalidField(field, `"${value}" is not an email address`);
  if (!utf8Allowed && isInternationalized(value))
    invalidField(
      field,
      `"${value}" is an internationalized address; it needs "Server supports UTF-8 message headers (RFC 6532)"`,
    );
}

function checkHost(field: string, value: string): void {
  if (value !== '' && !HOST.test(value)) invalidField(field, `"${value}" is not a host name or address`);
}

function checkPort(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    invalidField(field, 'the port must be a number from 1 to 65535');
}
