import { randomBytes } from 'node:crypto';
import type { MailboxAdminService, MailboxUsage } from '../../archive/mailbox-admin.service.js';
import type { AuditRecorder } from '../../compliance/audit-log.types.js';
import { ConflictError, invalidField, NotFoundError, ValidationError } from '../../core/errors.js';
import { requireRole, type AuthContext } from '../../tenancy/access.js';
import type { JournalEndpointMonitor } from '../../tenancy/dashboard.service.js';
import {
  HOUR_MS,
  type JournalEndpointDetails,
  type JournalEndpointsRepository,
} from './journal-endpoints.repository.js';

/** Admin Access's `JournalEndpoint`. */
export interface JournalEndpointView {
  id: number;
  name: string;
  /** Where the mail system sends its journal reports: `<token>@<journal domain>`. */
  address: string;
  mailbox: { id: number; name: string };
  enabled: boolean;
  /** Messages received in the current hour and the 23 before it. */
  messages24h: number;
  /** Messages received in the current hour and the 719 before it (30 days). */
  messages30d: number;
  lastReceivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Exactly one of: an existing journal mailbox, or a new one created with the endpoint. */
export interface CreateJournalEndpointInput {
  name: string;
  mailboxId?: number;
  newMailbox?: { name: string };
}

export interface UpdateJournalEndpointInput {
  name?: string;
  mailboxId?: number;
  enabled?: boolean;
}

/** What the SMTP intake needs to archive a report sent to an endpoint's address. */
export interface JournalEndpointTarget {
  endpointId: number;
  tenantId: number;
  mailboxId: number;
  /** For the process log. */
  name: string;
}

export interface JournalEndpointsServiceDeps {
  endpoints: Pick<
    JournalEndpointsRepository,
    | 'findDetails'
    | 'findById'
    | 'findByName'
    | 'findMailbox'
    | 'findByToken'
    | 'findSilent'
    | 'insert'
    | 'update'
    | 'delete'
    | 'recordReceived'
  >;
  /** Creates the journal mailbox of `newMailbox` (quota, name and audit rules of mailboxes apply). */
  mailboxes: Pick<MailboxAdminService, 'create' | 'delete'>;
  audit: AuditRecorder;
  /** The installation's journal domain (config `journal.domain`), lower-case. */
  journalDomain: string;
  clock?: () => number;
  /** The random part of a new address; tests pin it. */
  newToken?: () => string;
}

const MAX_NAME = 200;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN_LENGTH = 20;
const TOKEN = /^[a-z2-7]{20}$/;

/** 20 characters of lower-case base32: 100 random bits, safe in any SMTP local part. */
export function newAddressToken(): string {
  const bytes = randomBytes(Math.ceil((TOKEN_LENGTH * 5) / 8));
  let bits = 0;
  let value = 0;
  let token = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && token.length < TOKEN_LENGTH) {
      token += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return token;
}

function normalizeName(input: string, path = 'name'): string {
  const name = input.trim();
  if (!name) invalidField(path, 'a journal endpoint name is required');
  if (name.length > MAX_NAME)
    invalidField(path, `a journal endpoint name has at most ${MAX_NAME} characters`);
  return name;
}

/** How long a looked-up address is trusted (see forgetCachedAddresses), and how many are kept. */
const ADDRESS_CACHE_MS = 5_000;
const ADDRESS_CACHE_ENTRIES = 10_000;

/**
 * Journal endpoints (Admin Access → Archiving): SMTP addresses the tenant's mail system sends journal
 * reports to, each delivering into one journal archive mailbox. The intake finds an endpoint by its
 * address alone (findEnabledByAddress) and counts what it received (recordReceived).
 */
export class JournalEndpointsService implements JournalEndpointMonitor {
  private readonly clock: () => number;
  private readonly newToken: () => string;
  private readonly domain: string;
  /** The intake looks up every RCPT TO; a journaling mail system sends to the same few addresses. */
  private cacheGeneration = 0;
  private readonly addressCache = new Map<
    string,
    { target: JournalEndpointTarget | undefined; until: number }
  >();

  constructor(private readonly deps: JournalEndpointsServiceDeps) {
    this.clock = deps.clock ?? Date.now;
    this.newToken = deps.newToken ?? newAddressToken;
    this.domain = deps.journalDomain.toLowerCase();
  }

  async list(ctx: AuthContext): Promise<JournalEndpointView[]> {
    requireRole(ctx, 'admin', 'listing journal endpoints');
    return (await this.deps.endpoints.findDetails(ctx.tenantId, this.windows())).map((d) => this.toView(d));
  }

  async get(ctx: AuthContext, id: number): Promise<JournalEndpointView> {
    requireRole(ctx, 'admin', 'reading a journal endpoint');
    return this.view(ctx.tenantId, id);
  }

  async create(ctx: AuthContext, input: CreateJournalEndpointInput): Promise<JournalEndpointView> {
    requireRole(ctx, 'admin', 'creating a journal endpoint');
    const name = normalizeName(input.name);
    if (input.mailboxId === undefined && input.newMailbox === undefined) {
      invalidField('mailboxId', 'choose a journal mailbox, or give newMailbox to create one');
    }
    if (input.mailboxId !== undefined && input.newMailbox !== undefined) {
      invalidField('newMailbox', 'give either mailboxId or newMailbox, not both');
    }
    await this.checkNameFree(ctx.tenantId, name, undefined);
    const mailboxId =
      input.mailboxId !== undefined
        ? (await this.checkMailbox(ctx.tenantId, input.mailboxId)).id
        : await this.createMailbox(ctx, input.newMailbox!.name);
    let row: { id: number };
    try {
      row = await this.deps.endpoints.insert(ctx.tenantId, {
        name,
        mailboxId,
        token: this.newToken(),
        now: this.clock(),
      });
    } catch (error) {
      // Do not leave the just-created, still empty journal mailbox behind.
      if (input.newMailbox !== undefined) {
        await this.deps.mailboxes.delete(ctx, mailboxId).catch(() => undefined);
      }
      throw error;
    }
    const endpoint = await this.view(ctx.tenantId, row.id);
    await this.audited(ctx, 'journal-endpoint.create', endpoint, {
      mailbox: endpoint.mailbox,
      newMailbox: input.newMailbox !== undefined,
    });
    return endpoint;
  }

  async update(
    ctx: AuthContext,
    id: number,
    input: UpdateJournalEndpointInput,
  ): Promise<JournalEndpointView> {
    requireRole(ctx, 'admin', 'changing a journal endpoint');
    const before = await this.view(ctx.tenantId, id);
    const name = input.name === undefined ? undefined : normalizeName(input.name);
    if (name !== undefined && name !== before.name) await this.checkNameFree(ctx.tenantId, name, id);
    const mailboxId =
      input.mailboxId === undefined || input.mailboxId === before.mailbox.id
        ? undefined
        : (await this.checkMailbox(ctx.tenantId, input.mailboxId)).id;
    await this.deps.endpoints.update(ctx.tenantId, id, {
      name,
      mailboxId,
      enabled: input.enabled,
      now: this.clock(),
    });
    this.forgetCachedAddresses();
    const endpoint = await this.view(ctx.tenantId, id);
    const changes: Record<string, unknown> = {};
    if (endpoint.name !== before.name) changes.name = endpoint.name;
    if (endpoint.mailbox.id !== before.mailbox.id) changes.mailbox = endpoint.mailbox;
    if (endpoint.enabled !== before.enabled) changes.enabled = endpoint.enabled;
    await this.audited(ctx, 'journal-endpoint.update', endpoint, { changes });
    return endpoint;
  }

  /** A new address; the old one stops matching at once (the intake will refuse it with 550). */
  async regenerateAddress(ctx: AuthContext, id: number): Promise<JournalEndpointView> {
    requireRole(ctx, 'admin', 'regenerating a journal endpoint address');
    await this.view(ctx.tenantId, id);
    await this.deps.endpoints.update(ctx.tenantId, id, { token: this.newToken(), now: this.clock() });
    this.forgetCachedAddresses();
    const endpoint = await this.view(ctx.tenantId, id);
    // The address itself is not logged: knowing it is enough to put mail into the archive.
    await this.audited(ctx, 'journal-endpoint.address.regenerate', endpoint, {});
    return endpoint;
  }

  /** The endpoint goes; its mailbox and what it archived stay. */
  async delete(ctx: AuthContext, id: number): Promise<void> {
    requireRole(ctx, 'admin', 'deleting a journal endpoint');
    const endpoint = await this.view(ctx.tenantId, id);
    await this.deps.endpoints.delete(ctx.tenantId, id);
    this.forgetCachedAddresses();
    await this.audited(ctx, 'journal-endpoint.delete', endpoint, { mailbox: endpoint.mailbox });
  }

  /**
   * The intake's lookup of an envelope recipient, across tenants (the address is all it knows):
   * the enabled endpoint whose address it is, or undefined. The local part is compared without
   * regard to case; the domain must be the installation's journal domain.
   */
  async findEnabledByAddress(address: string): Promise<JournalEndpointTarget | undefined> {
    const trimmed = address
      .trim()
      .replace(/^<(.*)>$/, '$1')
      .toLowerCase();
    const at = trimmed.lastIndexOf('@');
    if (at <= 0) return undefined;
    const token = trimmed.slice(0, at);
    const domain = trimmed.slice(at + 1).replace(/\.$/, '');
    if (domain !== this.domain || !TOKEN.test(token)) return undefined;
    const now = this.clock();
    const cached = this.addressCache.get(token);
    if (cached && cached.until > now) return cached.target;
    const generation = this.cacheGeneration;
    const endpoint = await this.deps.endpoints.findByToken(token);
    // A suspended tenant takes no mail, like a disabled endpoint.
    const target =
      !endpoint || endpoint.enabled !== 1 || endpoint.tenantStatus !== 'active'
        ? undefined
        : {
            endpointId: endpoint.id,
            tenantId: endpoint.tenant_id,
            mailboxId: endpoint.mailbox_id,
            name: endpoint.name,
          };
    // A change that happened while this lookup ran may have read-before-write: do not keep it.
    if (generation !== this.cacheGeneration) return target;
    if (this.addressCache.size >= ADDRESS_CACHE_ENTRIES) this.addressCache.clear();
    this.addressCache.set(token, { target, until: now + ADDRESS_CACHE_MS });
    return target;
  }

  /**
   * Forgets cached address lookups; called by every change here and by tenant suspension and
   * deletion. A change made by another process (the CLI) reaches the intake within ADDRESS_CACHE_MS.
   */
  forgetCachedAddresses(): void {
    this.cacheGeneration += 1;
    this.addressCache.clear();
  }

  /** The intake counts what an endpoint received: `count` messages at `at` (ms). */
  recordReceived(endpointId: number, at: number, count = 1): Promise<void> {
    return this.deps.endpoints.recordReceived([{ endpointId, at, count }]);
  }

  /** The dashboard's JournalEndpointMonitor. */
  silentEndpoints(tenantId: number, sinceMs: number): Promise<Array<{ id: number; name: string }>> {
    return this.deps.endpoints.findSilent(tenantId, sinceMs);
  }

  addressOf(token: string): string {
    return `${token}@${this.domain}`;
  }

  private windows() {
    const hour = Math.floor(this.clock() / HOUR_MS);
    return { hour24: hour - 23, hour30d: hour - (30 * 24 - 1) };
  }

  private async view(tenantId: number, id: number): Promise<JournalEndpointView> {
    const [details] = await this.deps.endpoints.findDetails(tenantId, this.windows(), id);
    if (!details) throw new NotFoundError(`journal endpoint ${id} does not exist`);
    return this.toView(details);
  }

  private toView({ endpoint, mailboxName, messages24h, messages30d }: JournalEndpointDetails) {
    return {
      id: endpoint.id,
      name: endpoint.name,
      address: this.addressOf(endpoint.address_token),
      mailbox: { id: endpoint.mailbox_id, name: mailboxName },
      enabled: endpoint.enabled === 1,
      messages24h,
      messages30d,
      lastReceivedAt: endpoint.last_received_at,
      createdAt: endpoint.created_at,
      updatedAt: endpoint.updated_at,
    };
  }

  private async checkNameFree(tenantId: number, name: string, endpointId: number | undefined) {
    const existing = await this.deps.endpoints.findByName(tenantId, name);
    if (existing && existing.id !== endpointId) {
      throw new ConflictError(`a journal endpoint named ${name} already exists`, { name });
    }
  }

  /**
   * Only journal mailboxes: a report carries other people's mail, which the owners of a user
   * mailbox would otherwise read.
   */
  private async checkMailbox(tenantId: number, mailboxId: number) {
    const mailbox = await this.deps.endpoints.findMailbox(tenantId, mailboxId);
    if (!mailbox) invalidField('mailboxId', `archive mailbox ${mailboxId} does not exist`);
    if (mailbox.kind !== 'journal') {
      invalidField(
        'mailboxId',
        `the archive mailbox ${mailbox.name} is a ${mailbox.kind} mailbox; journal endpoints deliver into journal mailboxes only`,
      );
    }
    return mailbox;
  }

  private async createMailbox(ctx: AuthContext, name: string): Promise<number> {
    try {
      return (await this.deps.mailboxes.create(ctx, { name, kind: 'journal' })).id;
    } catch (error) {
      // The mailbox service names its own fields; here they sit under newMailbox.
      if (error instanceof ValidationError && Array.isArray(error.details?.issues)) {
        const issues = (error.details.issues as Array<{ path: string; message: string }>).map((issue) => ({
          ...issue,
          path: `newMailbox.${issue.path}`,
        }));
        throw new ValidationError(error.message, { issues });
      }
      throw error;
    }
  }

  private audited(
    ctx: AuthContext,
    action: string,
    endpoint: Pick<JournalEndpointView, 'id' | 'name'>,
    details: Record<string, unknown>,
  ) {
    return this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'journal-endpoint', id: endpoint.id, label: endpoint.name },
      outcome: 'success',
      details,
    });
  }
}

/** Tells the mailbox service which mailboxes endpoints deliver into (those cannot be deleted). */
export function journalEndpointMailboxUsage(
  endpoints: Pick<JournalEndpointsRepository, 'findNamesByMailbox'>,
): MailboxUsage {
  return {
    async usersOf(tenantId, mailboxId) {
      return (await endpoints.findNamesByMailbox(tenantId, mailboxId)).map(
        (name) => `the journal endpoint ${name}`,
      );
    },
  };
}
