import { ConflictError } from '../core/errors.js';
import { openForSystem, openForTenant, sealForSystem, sealForTenant } from '../core/sealed.js';
import type { Logger } from '../core/logger.js';
import type { OutgoingMailTable } from '../db/schema.js';
import type { ProcessLogRepository } from '../jobs/process-log.repository.js';
import type { TenantService } from '../tenancy/tenant.service.js';
import { GraphClient, GraphMailTransport } from './graph-mail.transport.js';
import type { MailSettingsService, ResolvedSending } from './mail-settings.service.js';
import {
  SendError,
  type DeliveryReport,
  type MailTransport,
  type OutgoingMessage,
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
  clock?: () => number;
  /** Back-off of the n-th retry without Retry-After: retryBaseMs × 2^(n-1), at most 1 hour. */
  retryBaseMs?: number;
  /** Attempts before a transient failure becomes permanent. */
  maxAttempts?: number;
  pollMs?: number;
}

const MAX_RETRY_MS = 60 * 60_000;
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

  constructor(private readonly deps: OutgoingMailDeps) {
    this.clock = deps.clock ?? Date.now;
    this.retryBaseMs = deps.retryBaseMs ?? 60_000;
    this.maxAttempts = deps.maxAttempts ?? 8;
    this.pollMs = deps.pollMs ?? 5_000;
  }

  /** Sends now and reports the peer's answer (test mail: the admin wants to see what happened). */
  async sendNow(
    tenantId: number | null,
    message: OutgoingMessage,
  ): Promise<DeliveryReport & { transport: string }> {
    const sending = await this.deps.settings.resolve(tenantId);
    if (!sending.available) throw new SendingUnavailableError(sending.route.reason);
    const transport = transportName(sending);
    try {
      const report = await this.transportFor(sending).send({
        ...message,
        from: message.from || sending.from.address,
      });
      return { ...report, transport };
    } catch (error) {
      if (error instanceof SendError) error.transport = transport;
      throw error;
    }
  }

  /** The sender address and name mail of this tenant goes out with, or why there is none. */
  async sender(tenantId: number | null): Promise<{ address: string; name: string }> {
    const sending = await this.deps.settings.resolve(tenantId);
    if (!sending.available) throw new SendingUnavailableError(sending.route.reason);
    return sending.from;
  }

  /** Queues a message; refuses at once when sending is unavailable, so the user learns it now. */
  async enqueue(
    tenantId: number | null,
    purpose: MailPurpose,
    message: OutgoingMessage,
    requestedBy: string,
  ): Promise<OutgoingMailRow> {
    const sending = await this.deps.settings.resolve(tenantId);
    if (!sending.available) throw new SendingUnavailableError(sending.route.reason);
    const now = this.clock();
    const row = await this.deps.repository.insert({
      tenant_id: tenantId,
      purpose,
      mail_from: message.from,
      recipients_json: JSON.stringify(message.to),
      message_sealed: await this.seal(tenantId, message.raw),
      size: message.raw.length,
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
      try {
        for (const row of await this.deps.repository.findDue(this.clock(), SENDERS - this.inFlight.size)) {
          if (!(await this.deps.repository.claim(row.id))) continue;
          const task = this.deliver(row).finally(() => {
            this.inFlight.delete(task);
            this.wake?.();
          });
          this.inFlight.add(task);
        }
      } catch (error) {
        this.deps.logger.error({ err: error }, 'outgoing mail: could not read the queue');
      }
      const next = await this.deps.repository.nextDueAt().catch(() => null);
      const wait =
        this.inFlight.size >= SENDERS || next === null
          ? this.pollMs
          : Math.max(10, Math.min(this.pollMs, next - this.clock()));
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
    let transport: string | null = null;
    try {
      const sending = await this.deps.settings.resolve(row.tenant_id);
      if (!sending.available)
        throw new SendError(
          `mail sending is unavailable (${sending.route.reason})`,
          false,
          sending.route.reason,
        );
      transport = transportName(sending);
      const raw = await this.open(row);
      const report = await this.transportFor(sending).send({ from: row.mail_from, to: recipients, raw });
      await this.deps.repository.finish(row.id, 'sent', this.clock(), transport, null);
      await this.log(
        row,
        'info',
        `Sent ${describe(row)} to ${recipients.join(', ')} (${transport}): ${report.response}`,
        {
          transport,
          response: report.response,
        },
      );
    } catch (error) {
      const failure =
        error instanceof SendError
          ? error
          : new SendError((error as Error).message, false, (error as Error).message);
      const attempt = row.attempts + 1;
      if (failure.transient && attempt < this.maxAttempts) {
        const delay = failure.retryAfterMs ?? Math.min(MAX_RETRY_MS, this.retryBaseMs * 2 ** (attempt - 1));
        await this.deps.repository.defer(row.id, this.clock() + delay, transport, failure.detail);
        await this.log(
          row,
          'warning',
          `Could not send ${describe(row)} to ${recipients.join(', ')} yet (attempt ${attempt}), retrying in ${Math.ceil(delay / 1000)} s: ${failure.message}`,
          { transport, detail: failure.detail, retryAt: this.clock() + delay },
        );
        return;
      }
      await this.deps.repository.finish(row.id, 'failed', this.clock(), transport, failure.detail);
      await this.log(
        row,
        'error',
        `Failed to send ${describe(row)} to ${recipients.join(', ')}: ${failure.message}`,
        {
          transport,
          detail: failure.detail,
          attempts: attempt,
        },
      );
    }
  }

  private transportFor(sending: ResolvedSending & { available: true }): MailTransport {
    if (sending.microsoft365)
      return new GraphMailTransport(this.deps.graph, sending.microsoft365, sending.microsoft365.mailbox);
    return new SmtpTransport({ ...sending.smtp!, ca: this.deps.ca });
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
