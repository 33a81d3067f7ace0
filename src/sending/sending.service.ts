import { KeyedSerializer } from '../core/keyed-serializer.js';
import type { ArchiveService } from '../archive/archive.service.js';
import type { MessageAccess } from '../archive/message-access.js';
import { SYSTEM_AUDIT_CHAIN, type AuditRecorder } from '../compliance/audit-log.types.js';
import { invalidField, NotFoundError, RateLimitedError, ValidationError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import { requireRole, requireSystemAdmin, type AuthContext } from '../tenancy/access.js';
import type { TenantService } from '../tenancy/tenant.service.js';
import type { TenantUsageRepository } from '../tenancy/tenant-usage.repository.js';
import type { MailParts } from './compose.js';
import type { MailSettingsService } from './mail-settings.service.js';
import { SendError } from './outgoing-message.js';
import { SendingUnavailableError, type OutgoingMail } from './outgoing-mail.queue.js';

/** What "Send test mail" shows: the peer's answer, or the failure in detail. */
export type TestMailResult =
  | { sent: true; transport: string; response: string }
  | { sent: false; transport: string | null; error: string; detail: string };

export interface SendingServiceDeps {
  outgoing: OutgoingMail;
  settings: MailSettingsService;
  archive: Pick<ArchiveService, 'readMessage' | 'findMessage'>;
  access: Pick<MessageAccess, 'mayRead'>;
  tenants: Pick<TenantService, 'findById'>;
  usage: Pick<TenantUsageRepository, 'usageOf'>;
  db: Db;
  audit: AuditRecorder;
  version: string;
  clock?: () => number;
}

/**
 * Resend sends archived mail to any address a user types: a stolen session must not turn it into a
 * mass mailer. Generous for real use (a user restoring a day's mail), low enough to stop a flood.
 */
export const RESENDS_PER_USER_PER_HOUR = 200;

const ADDRESS = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/u;

/**
 * What Postvault sends: test mail (System console and Admin Access), support requests, Resend of an
 * archived message, and new admins' sign-in details. Everything goes through OutgoingMail, which
 * picks the route (tenant's own, the system's, or none).
 */
export class SendingService {
  constructor(private readonly deps: SendingServiceDeps) {}

  async systemTestMail(ctx: AuthContext, to: string): Promise<TestMailResult> {
    requireSystemAdmin(ctx, 'sending a test mail');
    const result = await this.testMail(null, to);
    await this.deps.audit.record({
      tenantId: SYSTEM_AUDIT_CHAIN,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'mail-server.test',
      target: { type: 'mail-server', label: 'Email server' },
      outcome: result.sent ? 'success' : 'failure',
      details: { to, ...result },
    });
    return result;
  }

  async tenantTestMail(ctx: AuthContext, to: string): Promise<TestMailResult> {
    requireRole(ctx, 'admin', 'sending a test mail');
    const result = await this.testMail(ctx.tenantId, to);
    await this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'mail-sending.test',
      target: { type: 'mail-sending', label: 'Sending mails' },
      outcome: result.sent ? 'success' : 'failure',
      details: { to, ...result },
    });
    return result;
  }

  /** Admin Access → Contact support: queued to the support address, with system information when set. */
  async contactSupport(
    ctx: AuthContext,
    input: { subject: string; message: string; replyTo?: string },
  ): Promise<{ id: number; to: string }> {
    requireRole(ctx, 'admin', 'contacting support');
    const subject = input.subject.trim();
    const text = input.message.trim();
    if (!subject) invalidField('subject', 'a support request needs a subject');
    if (!text) invalidField('message', 'a support request needs a message');
    const replyTo = input.replyTo?.trim() || (await this.ownAddress(ctx));
    if (replyTo && !ADDRESS.test(replyTo)) invalidField('replyTo', `"${replyTo}" is not an email address`);
    const support = await this.deps.settings.supportAddress(ctx.tenantId);
    if (!support.address)
      throw new ValidationError(
        'no address for support requests is configured; ask the system administrator',
      );
    const tenant = await this.deps.tenants.findById(ctx.tenantId);
    const parts: MailParts = {
      to: support.address,
      ...(replyTo ? { replyTo } : {}),
      subject: `[${tenant.slug}] ${subject}`,
      text: `${text}\n\n-- \nSent from Postvault Admin Access by ${ctx.actor.name} (tenant ${tenant.name}, ${tenant.slug}).\n`,
      attachments: support.attachSystemInfo
        ? [
            {
              filename: 'system-information.json',
              contentType: 'application/json',
              content: JSON.stringify(await this.systemInformation(ctx.tenantId), null, 2),
            },
          ]
        : [],
    };
    const row = await this.deps.outgoing.enqueue(
      ctx.tenantId,
      'support',
      { to: [support.address], parts },
      ctx.actor.name,
    );
    await this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'support.request',
      target: { type: 'outgoing-mail', id: row.id, label: subject },
      outcome: 'success',
      details: { to: support.address, systemInformation: support.attachSystemInfo },
    });
    return { id: row.id, to: support.address };
  }

  /**
   * Resend: the archived message, byte for byte, to the user's own address or one they enter. Only
   * for users who may read the message (its mailbox's owners, shares, the Compliance role).
   */
  /** One user's resends one after another, so that parallel requests cannot all pass the hourly limit. */
  private readonly resendsInFlight = new KeyedSerializer();

  async resend(ctx: AuthContext, messageId: number, to?: string): Promise<{ id: number; to: string }> {
    return this.resendsInFlight.run(`${ctx.tenantId}:${ctx.actor.name}`, () =>
      this.resendNow(ctx, messageId, to),
    );
  }

  private async resendNow(
    ctx: AuthContext,
    messageId: number,
    to?: string,
  ): Promise<{ id: number; to: string }> {
    if (!(await this.deps.access.mayRead(ctx, messageId)))
      throw new NotFoundError(`message ${messageId} does not exist`);
    const recipient = to?.trim() || (await this.ownAddress(ctx));
    if (!recipient) invalidField('to', 'you have no email address of your own; enter the address to send to');
    if (!ADDRESS.test(recipient)) invalidField('to', `"${recipient}" is not an email address`);
    await this.limitResends(ctx);
    const raw = await this.deps.archive.readMessage({ tenantId: ctx.tenantId }, messageId);
    const row = await this.deps.outgoing.enqueue(
      ctx.tenantId,
      'resend',
      { to: [recipient], raw },
      ctx.actor.name,
    );
    const summary = await this.deps.archive.findMessage({ tenantId: ctx.tenantId }, messageId);
    await this.deps.audit.record({
      tenantId: ctx.tenantId,
      actor: ctx.actor,
      ip: ctx.ip,
      action: 'message.resend',
      target: { type: 'message', id: messageId, label: summary.subject },
      outcome: 'success',
      details: { to: recipient, mailbox: summary.mailbox, outgoingMailId: row.id },
    });
    return { id: row.id, to: recipient };
  }

  /** Whether the tenant's users can use Resend now, and why not (Web Access asks every minute). */
  async availability(ctx: AuthContext): Promise<{ available: boolean; reason: string | null }> {
    const sending = await this.deps.settings.resolve(ctx.tenantId);
    return sending.available
      ? { available: true, reason: null }
      : { available: false, reason: sending.route.reason };
  }

  /** A new tenant admin's sign-in details, to the address the system administrator gave. */
  async sendCredentials(
    ctx: AuthContext,
    tenantId: number,
    to: string,
    credentials: { login: string; password: string; url: string },
  ): Promise<{ id: number }> {
    requireSystemAdmin(ctx, 'sending sign-in details');
    if (!ADDRESS.test(to)) invalidField('adminEmail', `"${to}" is not an email address`);
    const tenant = await this.deps.tenants.findById(tenantId);
    const parts: MailParts = {
      to,
      subject: `Your Postvault sign-in for ${tenant.name}`,
      text:
        `An administrator account was created for you in Postvault (${tenant.name}).\n\n` +
        `Sign in at: ${credentials.url}\nLogin: ${credentials.login}\nPassword: ${credentials.password}\n\n` +
        `Change the password after your first sign-in (user menu → Change password).\n`,
    };
    const row = await this.deps.outgoing.enqueue(
      tenantId,
      'credentials',
      { to: [to], parts },
      ctx.actor.name,
    );
    return { id: row.id };
  }

  private async testMail(tenantId: number | null, to: string): Promise<TestMailResult> {
    const recipient = to.trim();
    if (!ADDRESS.test(recipient)) invalidField('to', `"${recipient}" is not an email address`);
    try {
      const tenant = tenantId === null ? null : await this.deps.tenants.findById(tenantId);
      const report = await this.deps.outgoing.sendNow(tenantId, {
        to: recipient,
        subject: 'Postvault test mail',
        text:
          `This is a test mail from Postvault ${this.deps.version}${tenant ? ` for tenant ${tenant.slug}` : ''}.\n` +
          `If you can read it, sending mail works.\n`,
      });
      // A tenant does not see the system server's reply (it may name internal hosts).
      const response =
        tenantId !== null && report.transport.startsWith('system-')
          ? "accepted by the system's mail server"
          : report.response;
      return { sent: true, transport: report.transport, response };
    } catch (error) {
      if (error instanceof SendingUnavailableError)
        return { sent: false, transport: null, error: error.message, detail: error.reason };
      if (error instanceof SendError) {
        // A tenant learns that the system's server failed, not that server's internals.
        if (tenantId !== null && error.transport?.startsWith('system-'))
          return {
            sent: false,
            transport: error.transport,
            error: "the system's mail server did not take the message; the system administrator can test it",
            detail: 'details are not shown to tenants',
          };
        return { sent: false, transport: error.transport, error: error.message, detail: error.detail };
      }
      throw error;
    }
  }

  private async limitResends(ctx: AuthContext): Promise<void> {
    if (ctx.actor.kind !== 'user') return;
    const hourAgo = (this.deps.clock ?? Date.now)() - 3_600_000;
    const recent = await this.deps.db
      .selectFrom('outgoing_mail')
      .select(['created_at'])
      .where('tenant_id', '=', ctx.tenantId)
      .where('purpose', '=', 'resend')
      .where('requested_by', '=', ctx.actor.name)
      .where('created_at', '>', hourAgo)
      .orderBy('created_at')
      .limit(RESENDS_PER_USER_PER_HOUR)
      .execute();
    if (recent.length < RESENDS_PER_USER_PER_HOUR) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]!.created_at - hourAgo) / 1000));
    throw new RateLimitedError(
      `you resent ${RESENDS_PER_USER_PER_HOUR} messages in the last hour; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`,
      retryAfterSeconds,
    );
  }

  /** The user's primary address ('' when they have none): where Resend goes by default. */
  async ownAddress(ctx: AuthContext): Promise<string> {
    if (ctx.actor.kind !== 'user') return '';
    const row = await this.deps.db
      .selectFrom('user_addresses')
      .select('address')
      .where('tenant_id', '=', ctx.tenantId)
      .where('user_id', '=', ctx.actor.id)
      .orderBy('is_primary', 'desc')
      .executeTakeFirst();
    return row?.address ?? '';
  }

  /** Version, tenant, usage and a configuration summary; never a secret. */
  private async systemInformation(tenantId: number) {
    const [tenant, usage, tenantView] = await Promise.all([
      this.deps.tenants.findById(tenantId),
      this.deps.usage.usageOf(tenantId),
      this.deps.settings.resolve(tenantId),
    ]);
    const count = async (table: 'journal_endpoints' | 'schedules' | 'archive_mailboxes') =>
      Number(
        (
          await this.deps.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('tenant_id', '=', tenantId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      product: 'Postvault',
      version: this.deps.version,
      node: process.version,
      generatedAt: new Date().toISOString(),
      tenant: {
        id: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        status: tenant.status,
        createdAt: tenant.created_at,
      },
      usage,
      configuration: {
        mailboxes: await count('archive_mailboxes'),
        journalEndpoints: await count('journal_endpoints'),
        schedules: await count('schedules'),
        sending: tenantView.available
          ? `${tenantView.route.via}-${tenantView.route.kind}`
          : `unavailable (${tenantView.route.reason})`,
      },
    };
  }
}
