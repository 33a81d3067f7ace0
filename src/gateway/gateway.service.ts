import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream';
import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { SYSTEM_AUDIT_CHAIN } from '../compliance/audit-log.types.js';
import {
  ConflictError,
  invalidField,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
} from '../core/errors.js';
import type { GatewayMailbox, GatewayMailboxStatus } from '../db/schema.js';
import { requireGatewayAdmin, type AuthContext } from '../tenancy/access.js';
import {
  decryptFromMailbox,
  generateGatewayPassword,
  readLockedKeyParams,
  wipeKey,
  WrongPasswordError,
  type UnlockedMailboxKey,
} from './gateway-crypto.js';
import { GatewayCommitQueue } from './gateway-commit-queue.js';
import type { GatewayKeys } from './gateway-keys.js';
import type { EncryptedMessageWriter, GatewayMessageStore } from './gateway-message-store.js';
import type { GatewayMailboxSummary, GatewayRepository } from './gateway.repository.js';
import type { PasswordThrottle } from './password-throttle.js';

/** What the consoles and the CLI show of a gateway mailbox. Never anything secret. */
export interface GatewayMailboxView {
  id: number;
  name: string;
  description: string;
  /** SMTP address and POP3 user name: `<random>@<gateway domain>`. */
  address: string;
  status: GatewayMailboxStatus;
  messages: number;
  /** Octets of the messages as received. */
  bytes: number;
  /** Messages from before a reset without the password: nobody can read them; purgeUnreadable. */
  unreadableMessages: number;
  lastReceivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Who acts on gateway mailboxes: the operator (CLI) or a Gateway console account. */
export type GatewayContext = Pick<AuthContext, 'actor' | 'ip'>;

export interface CreateGatewayMailboxInput {
  name: string;
  description?: string;
}

/** The password is shown once and kept nowhere: the caller must hand it to a person now. */
export interface MailboxWithPassword {
  mailbox: GatewayMailboxView;
  password: string;
}

/** A recipient the SMTP intake may deliver to. */
export interface GatewayRecipient {
  mailboxId: number;
  name: string;
  status: GatewayMailboxStatus;
}

/** Another POP3 session holds this mailbox (RFC 2449 `[IN-USE]`). */
export class MaildropInUseError extends ConflictError {
  override name = 'MaildropInUseError';
}

/** One message of an open maildrop, numbered from 1 by its position. */
export interface MaildropMessage {
  uid: string;
  /** Octets as received: what RETR sends before dot-stuffing. */
  size: number;
}

/** A mailbox opened with its password for one POP3 session, locked against other sessions. */
export interface Maildrop {
  readonly mailboxId: number;
  readonly messages: readonly MaildropMessage[];
  /** The plaintext of message `index` (0-based), decrypted as it is read. */
  read(index: number): AsyncIterable<Buffer>;
  /** POP3 UPDATE: removes the messages at `indexes` (rows first, then files). */
  deleteMessages(indexes: readonly number[]): Promise<void>;
  /** Ends the session: the lock goes, the private key is wiped. Idempotent. */
  release(): void;
}

export interface GatewayServiceDeps {
  repository: GatewayRepository;
  store: Pick<
    GatewayMessageStore,
    | 'createWriter'
    | 'openRead'
    | 'removeFiles'
    | 'deleteMailbox'
    | 'place'
    | 'retire'
    | 'retireFull'
    | 'takeRetired'
  >;
  keys: Pick<GatewayKeys, 'create' | 'unlock' | 'relock'>;
  audit: AuditRecorder;
  /** The installation's gateway domain (config `gateway.domain`), lower-case. */
  domain: string;
  /** Failed passwords per peer address and per mailbox (POP3 logins, resets). */
  throttle: Pick<PasswordThrottle, 'check' | 'fail'>;
  /** A failed login is answered no sooner than this after it started (timing does not tell why). */
  failedLoginDelayMs?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** How long intake trusts what it read of a mailbox (status, public key); changes here clear it. */
const MAILBOX_CACHE_MS = 5_000;
const MAILBOX_CACHE_ENTRIES = 10_000;

const MAX_NAME = 200;
const MAX_DESCRIPTION = 1000;
const LOCAL_PART_LENGTH = 20;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** 20 characters of lower-case base32 (100 random bits), safe in any SMTP local part. */
function newLocalPart(): string {
  let part = '';
  for (const b of randomBytes(LOCAL_PART_LENGTH)) part += BASE32[b & 31]!;
  return part;
}

function normalizeName(input: string): string {
  const name = input.trim();
  if (!name) invalidField('name', 'a gateway mailbox name is required');
  if (name.length > MAX_NAME)
    invalidField('name', `a gateway mailbox name has at most ${MAX_NAME} characters`);
  return name;
}

function normalizeDescription(input: string | undefined): string {
  const description = (input ?? '').trim();
  if (description.length > MAX_DESCRIPTION)
    invalidField('description', `a description has at most ${MAX_DESCRIPTION} characters`);
  return description;
}

/**
 * Gateway mailboxes (issue 9): addresses that take mail over SMTP while nobody holds their key,
 * and give it out over POP3 only to whoever has the password. The SMTP and POP3 adapters and the
 * CLI (and later the gateway console) all call this service.
 */
export class GatewayService {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly failedLoginDelayMs: number;
  /** Mailboxes with an open POP3 session (RFC 1939's exclusive-access lock), in this process. */
  private readonly locked = new Set<number>();
  private readonly commits: GatewayCommitQueue;
  /**
   * Intake's view of mailboxes by local part and by id, for MAILBOX_CACHE_MS: a recipient lookup
   * per RCPT and per DATA would otherwise be two queries per message. Cleared by every change made
   * in this process; a change made by another (the CLI) reaches intake within MAILBOX_CACHE_MS,
   * except a new key or a deletion, which the commit checks for itself.
   */
  private readonly byLocalPart = new Map<string, { mailbox: GatewayMailbox; until: number }>();
  private readonly byId = new Map<number, { mailbox: GatewayMailbox; until: number }>();

  constructor(private readonly deps: GatewayServiceDeps) {
    this.clock = deps.clock ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.failedLoginDelayMs = deps.failedLoginDelayMs ?? 1500;
    this.commits = new GatewayCommitQueue(deps.repository, deps.store, () => this.forgetMailboxes());
  }

  /** Intake reads mailboxes afresh from now on (call after any change to one). */
  forgetMailboxes(): void {
    this.byLocalPart.clear();
    this.byId.clear();
  }

  private remember(mailbox: GatewayMailbox): void {
    if (this.byId.size >= MAILBOX_CACHE_ENTRIES) this.forgetMailboxes();
    const entry = { mailbox, until: Date.now() + MAILBOX_CACHE_MS };
    this.byLocalPart.set(mailbox.local_part, entry);
    this.byId.set(mailbox.id, entry);
  }

  private async intakeMailbox(id: number): Promise<GatewayMailbox> {
    const cached = this.byId.get(id);
    if (cached && cached.until > Date.now()) return cached.mailbox;
    const mailbox = await this.mailboxOrThrow(id);
    this.remember(mailbox);
    return mailbox;
  }

  addressOf(mailbox: Pick<GatewayMailbox, 'local_part'>): string {
    return `${mailbox.local_part}@${this.deps.domain}`;
  }

  private view(summary: GatewayMailboxSummary): GatewayMailboxView {
    const { mailbox } = summary;
    return {
      id: mailbox.id,
      name: mailbox.name,
      description: mailbox.description,
      address: this.addressOf(mailbox),
      status: mailbox.status,
      messages: summary.messages,
      bytes: summary.bytes,
      unreadableMessages: summary.unreadableMessages,
      lastReceivedAt: mailbox.last_received_at,
      createdAt: mailbox.created_at,
      updatedAt: mailbox.updated_at,
    };
  }

  /** Records what intake has acknowledged and not recorded yet (views, POP3, shutdown need it). */
  flushIntake(): Promise<void> {
    return this.commits.flush();
  }

  async list(ctx: GatewayContext): Promise<GatewayMailboxView[]> {
    requireGatewayAdmin(ctx, 'Listing gateway mailboxes');
    await this.flushIntake();
    return (await this.deps.repository.findSummaries()).map((s) => this.view(s));
  }

  async get(ctx: GatewayContext, id: number): Promise<GatewayMailboxView> {
    requireGatewayAdmin(ctx, 'Reading a gateway mailbox');
    await this.flushIntake();
    const [summary] = await this.deps.repository.findSummaries(id);
    if (!summary) throw new NotFoundError(`gateway mailbox ${id} does not exist`);
    return this.view(summary);
  }

  /** A mailbox by its name or address (what an operator types). */
  async find(ctx: GatewayContext, nameOrAddress: string): Promise<GatewayMailboxView> {
    // Checked before the lookup, so that no one else learns which mailboxes exist.
    requireGatewayAdmin(ctx, 'Looking up a gateway mailbox');
    const wanted = nameOrAddress.trim();
    const mailbox =
      (await this.deps.repository.findByName(wanted)) ??
      (await this.findByAddress(wanted.toLowerCase())) ??
      (/^\d+$/.test(wanted) ? await this.deps.repository.findById(Number(wanted)) : undefined);
    if (!mailbox) throw new NotFoundError(`there is no gateway mailbox ${wanted}`);
    return this.get(ctx, mailbox.id);
  }

  private async findByAddress(address: string): Promise<GatewayMailbox | undefined> {
    const at = address.lastIndexOf('@');
    if (at <= 0 || address.slice(at + 1).toLowerCase() !== this.deps.domain) return undefined;
    return this.deps.repository.findByLocalPart(address.slice(0, at).toLowerCase());
  }

  private async mailboxOrThrow(id: number): Promise<GatewayMailbox> {
    const mailbox = await this.deps.repository.findById(id);
    if (!mailbox) throw new NotFoundError(`gateway mailbox ${id} does not exist`);
    return mailbox;
  }

  /** A new mailbox with a new key pair; the password exists only in the result. */
  async create(ctx: GatewayContext, input: CreateGatewayMailboxInput): Promise<MailboxWithPassword> {
    requireGatewayAdmin(ctx, 'Creating a gateway mailbox');
    const name = normalizeName(input.name);
    const description = normalizeDescription(input.description);
    if (await this.deps.repository.findByName(name))
      throw new ConflictError(`a gateway mailbox named ${name} exists already`);
    const password = generateGatewayPassword();
    const keys = await this.deps.keys.create(password);
    const params = readLockedKeyParams(keys.lockedPrivateKey);
    const now = this.clock();
    const mailbox = await this.deps.repository
      .insert({
        name,
        description,
        local_part: newLocalPart(),
        public_key: Buffer.from(keys.publicKey),
        locked_private_key: Buffer.from(keys.lockedPrivateKey),
        kdf_opslimit: params.opslimit,
        kdf_memlimit: params.memlimit,
        created_at: now,
        updated_at: now,
      })
      .catch((error: unknown) => {
        // The name was free a second ago (before the key derivation); another create took it.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw new ConflictError(`a gateway mailbox named ${name} exists already`);
        throw error;
      });
    await this.record(ctx, 'gateway.mailbox.create', mailbox, { description });
    return { mailbox: await this.get(ctx, mailbox.id), password };
  }

  async update(
    ctx: GatewayContext,
    id: number,
    input: { name?: string; description?: string },
  ): Promise<GatewayMailboxView> {
    requireGatewayAdmin(ctx, 'Changing a gateway mailbox');
    const mailbox = await this.mailboxOrThrow(id);
    const changes: { name?: string; description?: string } = {};
    if (input.name !== undefined) {
      changes.name = normalizeName(input.name);
      const other = await this.deps.repository.findByName(changes.name);
      if (other && other.id !== id)
        throw new ConflictError(`a gateway mailbox named ${changes.name} exists already`);
    }
    if (input.description !== undefined) changes.description = normalizeDescription(input.description);
    await this.deps.repository.update(id, { ...changes, updated_at: this.clock() });
    this.forgetMailboxes();
    await this.record(ctx, 'gateway.mailbox.update', mailbox, changes);
    return this.get(ctx, id);
  }

  /** Suspended: intake answers 450 (senders retry later); POP3 still gives out what is there. */
  async suspend(ctx: GatewayContext, id: number): Promise<GatewayMailboxView> {
    return this.setStatus(ctx, id, 'suspended');
  }

  async resume(ctx: GatewayContext, id: number): Promise<GatewayMailboxView> {
    return this.setStatus(ctx, id, 'active');
  }

  private async setStatus(ctx: GatewayContext, id: number, status: GatewayMailboxStatus) {
    requireGatewayAdmin(ctx, 'Suspending or resuming a gateway mailbox');
    const mailbox = await this.mailboxOrThrow(id);
    if (mailbox.status !== status) {
      await this.deps.repository.setStatus(id, status, this.clock());
      this.forgetMailboxes();
      await this.record(
        ctx,
        status === 'active' ? 'gateway.mailbox.resume' : 'gateway.mailbox.suspend',
        mailbox,
      );
    }
    return this.get(ctx, id);
  }

  /** The mailbox, its rows and its files: the content is destroyed. */
  async delete(ctx: GatewayContext, id: number): Promise<void> {
    requireGatewayAdmin(ctx, 'Deleting a gateway mailbox');
    const [summary] = await this.deps.repository.findSummaries(id);
    if (!summary) throw new NotFoundError(`gateway mailbox ${id} does not exist`);
    // Rows first: a crash before the folder is gone leaves files no row refers to (removed at start).
    await this.deps.repository.delete(id);
    this.forgetMailboxes();
    await this.commits.between(() => this.deps.store.deleteMailbox(id));
    await this.record(ctx, 'gateway.mailbox.delete', summary.mailbox, {
      messages: summary.messages,
      bytes: summary.bytes,
    });
  }

  /**
   * A new password. With the current one the same key pair is locked under the new password and
   * the content stays readable. Without it a new key pair is made: what the mailbox holds can then
   * never be read again (see `unreadableMessages` and `purgeUnreadable`).
   */
  async resetPassword(
    ctx: GatewayContext,
    id: number,
    input: { currentPassword?: string },
  ): Promise<MailboxWithPassword & { contentKept: boolean }> {
    requireGatewayAdmin(ctx, 'Resetting a gateway mailbox password');
    const mailbox = await this.mailboxOrThrow(id);
    const password = generateGatewayPassword();
    const now = this.clock();
    if (input.currentPassword !== undefined) {
      const keys = [`mailbox:${mailbox.id}`, ...(ctx.ip ? [`peer:${ctx.ip}`] : [])];
      const locked = await this.withPasswordAttempt(keys, () =>
        this.deps.keys.relock(mailbox.locked_private_key, input.currentPassword!, password),
      );
      const params = readLockedKeyParams(locked);
      await this.replaceKeyOrConflict(mailbox, {
        locked_private_key: Buffer.from(locked),
        kdf_opslimit: params.opslimit,
        kdf_memlimit: params.memlimit,
        updated_at: now,
      });
      this.forgetMailboxes();
      await this.record(ctx, 'gateway.mailbox.password.reset', mailbox, { contentKept: true });
      return { mailbox: await this.get(ctx, id), password, contentKept: true };
    }
    const keys = await this.deps.keys.create(password);
    const params = readLockedKeyParams(keys.lockedPrivateKey);
    await this.replaceKeyOrConflict(mailbox, {
      public_key: Buffer.from(keys.publicKey),
      locked_private_key: Buffer.from(keys.lockedPrivateKey),
      kdf_opslimit: params.opslimit,
      kdf_memlimit: params.memlimit,
      key_generation: mailbox.key_generation + 1,
      updated_at: now,
    });
    this.forgetMailboxes();
    await this.record(ctx, 'gateway.mailbox.password.reset', mailbox, { contentKept: false });
    return { mailbox: await this.get(ctx, id), password, contentKept: false };
  }

  /** Removes the messages nobody can read any more (from before a reset without the password). */
  private async replaceKeyOrConflict(
    mailbox: GatewayMailbox,
    changes: Parameters<GatewayRepository['replaceKey']>[2],
  ): Promise<void> {
    if (!(await this.deps.repository.replaceKey(mailbox.id, mailbox.locked_private_key, changes)))
      throw new ConflictError(
        'the mailbox password was reset by someone else at the same time; the password shown to them is the valid one',
      );
  }

  async purgeUnreadable(ctx: GatewayContext, id: number): Promise<{ messages: number; bytes: number }> {
    requireGatewayAdmin(ctx, 'Purging unreadable gateway messages');
    const mailbox = await this.mailboxOrThrow(id);
    await this.flushIntake();
    const rows = await this.deps.repository.findUnreadableMessages(id, mailbox.key_generation);
    await this.removeMessages(
      id,
      rows.map((r) => r.id),
    );
    const bytes = rows.reduce((sum, r) => sum + r.size, 0);
    if (rows.length > 0)
      await this.record(ctx, 'gateway.mailbox.purge-unreadable', mailbox, { messages: rows.length, bytes });
    return { messages: rows.length, bytes };
  }

  /**
   * Rows first, then the files that nothing is left in: a crash in between leaves files without
   * rows, which start-up removes. This process's segment of the mailbox is retired too, so that it
   * goes once empty instead of taking appends until full.
   */
  private async removeMessages(mailboxId: number, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const files = await this.deps.repository.deleteMessages(mailboxId, ids);
    await this.deps.store.removeFiles(mailboxId, files.segments, files.legacyUids);
    await this.deps.repository.forgetSegments(mailboxId, files.segments);
    await this.commits.retire(mailboxId);
  }

  // -------------------------------------------------------------------------------------------------
  // SMTP intake

  /** The mailbox an SMTP recipient names, or null (unknown address or another domain). */
  async findRecipient(address: string): Promise<GatewayRecipient | null> {
    const lower = address.toLowerCase();
    const at = lower.lastIndexOf('@');
    const cached = at > 0 ? this.byLocalPart.get(lower.slice(0, at)) : undefined;
    let mailbox: GatewayMailbox | undefined;
    if (cached && cached.until > Date.now() && lower.slice(at + 1) === this.deps.domain)
      mailbox = cached.mailbox;
    else {
      mailbox = await this.findByAddress(lower);
      if (mailbox) this.remember(mailbox);
    }
    return mailbox ? { mailboxId: mailbox.id, name: mailbox.name, status: mailbox.status } : null;
  }

  /**
   * Stores one message for each mailbox, each its own copy encrypted for that mailbox's current
   * public key, as it streams in. Resolves once every copy is durable (appended to its mailbox's
   * segment and fdatasync'ed, shared with concurrent deliveries): only then may the sender be told
   * 250. The rows follow within GatewayCommitQueue's record delay (start-up recovers them from the
   * segments after a crash). On any failure nothing is kept.
   */
  async deliver(
    mailboxIds: readonly number[],
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<{ size: number }> {
    const writers: EncryptedMessageWriter[] = [];
    try {
      for (const id of new Set(mailboxIds)) {
        const mailbox = await this.intakeMailbox(id);
        writers.push(this.deps.store.createWriter(id, mailbox.public_key));
      }
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        for (const writer of writers) await writer.write(chunk);
      }
      const receivedAt = this.clock();
      const messages = await Promise.all(writers.map((writer) => writer.finish(receivedAt)));
      await this.commits.commit({ messages });
      return { size };
    } catch (error) {
      await Promise.all(writers.map((writer) => writer.abort()));
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // POP3

  /**
   * Opens a mailbox with its password for one POP3 session. A failure (unknown address, wrong
   * password, too many failures) is answered no sooner than `failedLoginDelayMs` after the attempt
   * began, whatever the reason, and counts against the peer and the mailbox; over their limits
   * nothing is derived at all. Throws UnauthenticatedError, RateLimitedError or MaildropInUseError.
   */
  async openMaildrop(address: string, password: string, peer: string): Promise<Maildrop> {
    const started = this.clock();
    try {
      const mailbox = await this.findByAddress(address.trim().toLowerCase());
      const throttleKeys = [`peer:${peer}`, `mailbox:${mailbox?.id ?? address.toLowerCase()}`];
      const key = await this.withPasswordAttempt(throttleKeys, async () => {
        if (!mailbox) throw new WrongPasswordError();
        return this.deps.keys.unlock(mailbox.locked_private_key, password);
      });
      // The mailbox row may have changed while the key was derived (a reset): read it again.
      const current = await this.deps.repository.findById(mailbox!.id);
      if (!current || !Buffer.from(current.public_key).equals(Buffer.from(key.publicKey))) {
        wipeKey(key.privateKey);
        throw new WrongPasswordError();
      }
      if (this.locked.has(current.id)) {
        wipeKey(key.privateKey);
        throw new MaildropInUseError('the mailbox is open in another POP3 session');
      }
      this.locked.add(current.id);
      try {
        return await this.maildrop(current, key);
      } catch (error) {
        this.locked.delete(current.id);
        wipeKey(key.privateKey);
        throw error;
      }
    } catch (error) {
      if (error instanceof UnauthenticatedError || error instanceof RateLimitedError) {
        const wait = this.failedLoginDelayMs - (this.clock() - started);
        if (wait > 0) await this.sleep(wait);
      }
      throw error;
    }
  }

  private async withPasswordAttempt<T>(throttleKeys: string[], attempt: () => Promise<T>): Promise<T> {
    this.deps.throttle.check(throttleKeys);
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof WrongPasswordError) this.deps.throttle.fail(throttleKeys);
      throw error;
    }
  }

  private async maildrop(mailbox: GatewayMailbox, key: UnlockedMailboxKey): Promise<Maildrop> {
    // Everything acknowledged so far is listed.
    await this.flushIntake();
    const rows = await this.deps.repository.findReadableMessages(mailbox.id, mailbox.key_generation);
    const { store } = this.deps;
    let released = false;
    const live = () => {
      if (released) throw new ConflictError('the POP3 session has ended');
    };
    return {
      mailboxId: mailbox.id,
      messages: rows.map((r) => ({ uid: r.uid, size: r.size })),
      read(index) {
        live();
        const row = rows[index];
        if (!row) throw new NotFoundError(`no message ${index + 1}`);
        // pipeline destroys the file stream when the reader stops early (TOP) or fails.
        return pipeline(store.openRead(mailbox.id, row), decryptFromMailbox(key), () => undefined);
      },
      deleteMessages: async (indexes) => {
        live();
        const doomed = indexes.map((i) => rows[i]).filter((r) => r !== undefined);
        await this.removeMessages(
          mailbox.id,
          doomed.map((r) => r.id),
        );
      },
      release: () => {
        if (released) return;
        released = true;
        this.locked.delete(mailbox.id);
        wipeKey(key.privateKey);
      },
    };
  }

  private record(
    ctx: GatewayContext,
    action: string,
    mailbox: GatewayMailbox,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return this.deps.audit.record({
      tenantId: SYSTEM_AUDIT_CHAIN,
      actor: ctx.actor,
      ip: ctx.ip,
      action,
      target: { type: 'gateway-mailbox', id: mailbox.id, label: mailbox.name },
      outcome: 'success',
      details,
    });
  }
}
