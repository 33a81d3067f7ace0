import { ConflictError, ValidationError } from '../core/errors.js';
import { openForSystem, openForTenant, sealForSystem, sealForTenant } from '../core/sealed.js';
import type { Logger } from '../core/logger.js';
import type { OutgoingMailTable } from '../db/schema.js';
import type { ProcessLogRepository } from '../jobs/process-log.repository.js';
import type { TenantService } from '../tenancy/tenant.service.js';
import { GraphClient, GraphMailTransport } from './graph-mail.transport.js';
import type { MailSettingsService, ResolvedSending } from './mail-settings.service.js';
import { compose, newMessageId, type MailParts } from './compose.js';
import {
  isInternationalized,
  SendError,
  type DeliveryReport,
  type MailTransport,
} from './outgoing-message.js';
import type { OutgoingMailRepository, OutgoingMailRow } from './outgoing-mail.repository.js';
import { SmtpTransport } from './smtp.transport.js';

export const SENDING_PROCESS = 'mail-sending';
const MESSAGE_CONTEXT = 'outgoing-mail';

export type MailPurpose = OutgoingMailTable['purpose'];

/** Sending is not possible for this tenant now (switched off, not allowed, not configured). */
export class SendingUnavailableError extends ConflictError {
  override name = 'SendingUnavailableError';
  constructor(readonly reason: string) {
    super(`mail sending is unavailable (${reason})`, { reason });
  }
}

export interface OutgoingMailDeps {
  repository: OutgoingMailRepository;
  settings: Pick<MailSettingsService, 'resolve'>;
  tenants: Pick<TenantService, 'keyringFor'>;
  masterKey: Buffer;
  graph: GraphClient;
  processLog: Pick<ProcessLogRepository, 'append'>;
  logger: Logger;
  /** Extra trusted CA certificates for SMTP TLS. */
  ca?: string;
  /** sending.allowPrivateTenantHosts. */
  allowPrivateTenantHosts?: boolean;
  /** The name Postvault greets with and writes into Message-IDs. */
  hostname: string;
  clock?: () => number;
  /** Back-off of the n-th retry without Retry-After: retryBaseMs × 2^(n-1), at most 1 hour. */
  retryBaseMs?: number;
  /** Attempts before a transient failure becomes permanent. */
  maxAttempts?: number;
  pollMs?: number;
}

const MAX_RETRY_MS = 60 * 60_000;
/** While sending is unavailable, queued mail waits, looking again this often, at most MAX_HOLD_MS. */
const HOLD_RETRY_MS = 5 * 60_000;
const MAX_HOLD_MS = 3 * 86_400_000;
const SENDERS = 4;

/**
 * The one way mail leaves Postvault. Queued mail is sealed in the database until it is sent (a
 * restart loses nothing; a crash between the peer's answer and our record may send a message twice,
 * never zero times). The route is resolved when the message is sent, so a settings change applies to
 * mail already waiting, and nothing leaves while the system's switch is off. SMTP 4xx and Graph
 * 429/503/504 are retried (after Retry-After when the peer gives one); permanent failures end the
 * message and are written to the process log.
 */
export class OutgoingMail {
  private readonly clock: () => number;
  private readonly retryBaseMs: number;
  private readonly maxAttempts: number;
  private readonly pollMs: number;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly busyTenants = new Set<number>();

  constructor(private readonly deps: OutgoingMailDeps) {
    this.clock = deps.clock ?? Date.now;
    this.retryBaseMs = deps.retryBaseMs ?? 60_000;
    this.maxAttempts = deps.maxAttempts ?? 8;
    this.pollMs = deps.pollMs ?? 5_000;
  }

  /**
   * Composes and sends a message now, from the route's sender, and reports the peer's answer (test
   * mail: the admin wants to see what happened).
   */
  async sendNow(tenantId: number | null, parts: MailParts): Promise<DeliveryReport & { transport: string }> {
    // No check(): the SMTP transport refuses an address it cannot send, as a result to show.
    const sending = await this.deps.settings.resolve(tenantId);
    if (!sending.available) throw new SendingUnavailableError(sending.route.reason);
    const transport = transportName(sending);
    try {
      const raw = await compose(parts, sending.from, this.deps.hostname);
      const report = await this.transportFor(sending).send({
        from: sending.from.address,
        to: [parts.to],
        raw,
      });
      return { ...report, transport };
    } catch (error) {
      if (error instanceof SendError) error.transport = transport;
      throw error;
    }
  }

  /**
   * Refuses, before anything is queued, what the tenant's route cannot send: nothing when sending is
   * unavailable; an internationalized address over SMTP without RFC 6532.
   */
  async check(tenantId: number | null, addresses: string[]): Promise<void> {
    const sending = await this.deps.settings.resolve(tenantId);
    if (!sending.available) throw new SendingUnavailableError(sending.route.reason);
    const international = addresses.filter(isInternationalized);
    if (sending.smtp && !sending.smtp.smtputf8 && international.length > 0)
      throw new ValidationError(
        `${international.join(', ')} is an internationalized address; the mail server is not set to support UTF-8 message headers (RFC 6532)`,
        { issues: [{ path: 'to', message: 'needs SMTPUTF8 (RFC 6532)' }] },
      );
  }

  /**
   * Queues a message: exact bytes (Resend; the envelope sender is the route's when it is sent) or
   * the parts of one Postvault composes when it is sent, from the sender of the route then.
   * Refuses at once what cannot be sent now, so the user learns it now.
   */
  async enqueue(
    tenantId: number | null,
    purpose: MailPurpose,
    message: { to: string[]; raw: Buffer } | { to: string[]; parts: MailParts },
    requestedBy: string,
  ): Promise<OutgoingMailRow> {
    await this.check(tenantId, message.to);
    const content =
      'raw' in message
        ? message.raw
        : Buffer.from(
            JSON.stringify({
              ...message.parts,
              messageId: message.parts.messageId ?? newMessageId(this.deps.hostname),
              date: message.parts.date ?? new Date(this.clock()).toISOString(),
            }),
            'utf8',
          );
    const now = this.clock();
    const row = await this.deps.repository.insert({
      tenant_id: tenantId,
      purpose,
      mail_from: '',
      recipients_json: JSON.stringify(message.to),
      composed: 'raw' in message ? 0 : 1,
      message_sealed: await this.seal(tenantId, content),
      size: content.length,
      status: 'queued',
      not_before: now,
      last_error: null,
      transport: null,
      requested_by: requestedBy,
      created_at: now,
      finished_at: null,
    });
    this.wake?.();
    return row;
  }

  async start(): Promise<void> {
    if (this.loop) return;
    const requeued = await this.deps.repository.requeueInterrupted();
    if (requeued > 0)
      this.deps.logger.warn({ requeued }, 'outgoing mail left sending by a stopped process is queued again');
    this.stopping = false;
    this.loop = this.run().catch((error: unknown) =>
      this.deps.logger.fatal({ err: error }, 'outgoing mail stopped'),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.loop = null;
  }

  /** Resolves when nothing due is queued and nothing is being sent (tests). */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.inFlight.size === 0 && (await this.deps.repository.findDue(this.clock(), 1)).length === 0)
        return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let started = 0;
      try {
        // One message per tenant at a time, the oldest of each: a tenant whose server hangs, or
        // whose queue is long, cannot hold up the others.
        const free = SENDERS - this.inFlight.size;
        const ids =
          free > 0
            ? await this.deps.repository.findDueByTenant(this.clock(), [...this.busyTenants], free)
            : [];
        for (const id of ids) {
          if (this.stopping || !(await this.deps.repository.claim(id))) continue;
          const row = (await this.deps.repository.findById(id))!;
          const tenant = row.tenant_id ?? 0;
          this.busyTenants.add(tenant);
          started += 1;
          const task = this.deliver(row)
            .catch((error: unknown) =>
              this.deps.logger.error(
                { err: error, outgoingMail: row.id },
                'outgoing mail: could not record an outcome',
              ),
            )
            .finally(() => {
              this.busyTenants.delete(tenant);
              this.inFlight.delete(task);
              this.wake?.();
            });
          this.inFlight.add(task);
        }
      } catch (error) {
        this.deps.logger.error({ err: error }, 'outgoing mail: could not read the queue');
      }
      if (started > 0) continue;
      // Nothing startable now: wait for the next due message, a finished send or a new one (wake).
      const next = await this.deps.repository.nextDueAt().catch(() => null);
      const wait =
        next === null || next <= this.clock() ? this.pollMs : Math.min(this.pollMs, next - this.clock());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async deliver(row: OutgoingMailRow): Promise<void> {
    const recipients = JSON.parse(row.recipients_json) as string[];
    let sending: ResolvedSending;
    try {
      sending = await this.deps.settings.resolve(row.tenant_id);
    } catch (error) {
      // The settings could not be read (a busy database, a key that does not open): try again.
      await this.failed(row, recipients, null, undefined, error);
      return;
    }
    if (!sending.available) {
      // Held, not dropped: nothing leaves while sending is off or not allowed, and the message
      // goes out once it is back — unless that takes longer than a message should wait.
      if (this.clock() - row.created_at < MAX_HOLD_MS) {
        await this.deps.repository.defer(
          row.id,
          this.clock() + HOLD_RETRY_MS,
          null,
          sending.route.reason,
          false,
        );
        return;
      }
      await this.deps.repository.finish(row.id, 'failed', this.clock(), null, sending.route.reason);
      await this.log(
        row,
        'error',
        `Failed to send ${describe(row)} to ${recipients.join(', ')}: mail sending stayed unavailable (${sending.route.reason})`,
        { reason: sending.route.reason },
      );
      return;
    }
    const transport = transportName(sending);
    let report;
    try {
      const content = await this.open(row);
      const raw =
        row.composed === 1
          ? await compose(JSON.parse(content.toString('utf8')) as MailParts, sending.from, this.deps.hostname)
          : content;
      report = await this.transportFor(sending).send({ from: sending.from.address, to: recipients, raw });
    } catch (error) {
      await this.failed(row, recipients, transport, sending, error);
      return;
    }
    // Sent. Should recording it fail, the row stays 'sending' and goes out again after a restart:
    // twice rather than never.
    await this.deps.repository.finish(row.id, 'sent', this.clock(), transport, null);
    // A tenant does not see the system server's reply (it may name internal hosts).
    const response = row.tenant_id !== null && sending.route.via === 'system' ? 'accepted' : report.response;
    await this.log(
      row,
      'info',
      `Sent ${describe(row)} to ${recipients.join(', ')} (${transport}): ${response}`,
      {
        transport,
        response,
      },
    );
  }

  private async failed(
    row: OutgoingMailRow,
    recipients: string[],
    transport: string | null,
    sending: (ResolvedSending & { available: true }) | undefined,
    error: unknown,
  ): Promise<void> {
    // Anything but a peer's answer (a key that cannot be opened, a database hiccup) may pass: retry.
    const failure =
      error instanceof SendError
        ? error
        : new SendError((error as Error).message, true, (error as Error).message);
    // A tenant sees that the system's server failed, not that server's internals (the installation's
    // log has them).
    const shown =
      row.tenant_id !== null && sending?.route.via !== 'tenant'
        ? {
            message: "the system's mail server did not take the message",
            detail: 'details in the installation log',
          }
        : { message: failure.message, detail: failure.detail };
    if (shown.detail !== failure.detail)
      await this.log({ ...row, tenant_id: null }, 'warning', `Tenant ${row.tenant_id}: ${failure.message}`, {
        transport,
        detail: failure.detail,
      });
    const attempt = row.attempts + 1;
    if (failure.transient && attempt < this.maxAttempts) {
      const delay = failure.retryAfterMs ?? Math.min(MAX_RETRY_MS, this.retryBaseMs * 2 ** (attempt - 1));
      await this.deps.repository.defer(row.id, this.clock() + delay, transport, shown.detail, true);
      await this.log(
        row,
        'warning',
        `Could not send ${describe(row)} to ${recipients.join(', ')} yet (attempt ${attempt}), retrying in ${Math.ceil(delay / 1000)} s: ${shown.message}`,
        { transport, detail: shown.detail, retryAt: this.clock() + delay },
      );
      return;
    }
    await this.deps.repository.finish(row.id, 'failed', this.clock(), transport, shown.detail);
    await this.log(
      row,
      'error',
      `Failed to send ${describe(row)} to ${recipients.join(', ')}: ${shown.message}`,
      {
        transport,
        detail: shown.detail,
        attempts: attempt,
      },
    );
  }

  private transportFor(sending: ResolvedSending & { available: true }): MailTransport {
    if (sending.microsoft365)
      return new GraphMailTransport(this.deps.graph, sending.microsoft365, sending.microsoft365.mailbox);
    return new SmtpTransport({
      ...sending.smtp!,
      ca: this.deps.ca,
      clientName: this.deps.hostname,
      forbidPrivateAddresses: sending.route.via === 'tenant' && !this.deps.allowPrivateTenantHosts,
    });
  }

  private async seal(tenantId: number | null, raw: Buffer): Promise<Buffer> {
    return tenantId === null
      ? sealForSystem(this.deps.masterKey, raw, MESSAGE_CONTEXT)
      : sealForTenant(await this.deps.tenants.keyringFor(tenantId), raw, MESSAGE_CONTEXT);
  }

  private async open(row: OutgoingMailRow): Promise<Buffer> {
    return row.tenant_id === null
      ? openForSystem(this.deps.masterKey, row.message_sealed, MESSAGE_CONTEXT)
      : openForTenant(await this.deps.tenants.keyringFor(row.tenant_id), row.message_sealed, MESSAGE_CONTEXT);
  }

  private async log(
    row: OutgoingMailRow,
    severity: 'info' | 'warning' | 'error',
    message: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.processLog
      .append([
        {
          tenantId: row.tenant_id,
          process: SENDING_PROCESS,
          subjectId: row.id,
          subjectName: PURPOSE_NAMES[row.purpose],
          severity,
          message,
          details: {
            outgoingMailId: row.id,
            purpose: row.purpose,
            requestedBy: row.requested_by,
            size: row.size,
            ...details,
          },
          at: this.clock(),
        },
      ])
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not write the process log'));
  }
}

const PURPOSE_NAMES: Record<MailPurpose, string> = {
  test: 'Test mail',
  support: 'Support request',
  resend: 'Resend',
  credentials: 'Sign-in details',
};

function describe(row: OutgoingMailRow): string {
  return PURPOSE_NAMES[row.purpose].toLowerCase();
}

export function transportName(sending: ResolvedSending & { available: true }): string {
  return `${sending.route.via}-${sending.route.kind}`;
}
