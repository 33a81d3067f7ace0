import nodemailer from 'nodemailer';
import type { SmtpEncryption } from '../db/schema.js';
import {
  isInternationalized,
  SendError,
  type DeliveryReport,
  type MailTransport,
  type OutgoingMessage,
} from './outgoing-message.js';

export interface SmtpSettings {
  host: string;
  port: number;
  encryption: SmtpEncryption;
  /** null: no authentication. */
  auth: { username: string; password: string } | null;
  /** The server takes UTF-8 headers and internationalized addresses (RFC 6531/6532). */
  smtputf8: boolean;
  /** Extra trusted CA certificates (PEM), from sending.caFile. */
  ca?: string;
  /** The name we greet with (EHLO). */
  clientName?: string;
}

const CONNECTION_TIMEOUT_MS = 30_000;

/**
 * One message over SMTP with nodemailer's SMTP client: DATA is the message's bytes as given
 * (nodemailer only dot-stuffs), so a resent archived message arrives unchanged. SMTPUTF8 is used
 * when an address needs it and the server offers it; with the RFC 6532 setting off such an address
 * is refused before anything is sent.
 */
export class SmtpTransport implements MailTransport {
  constructor(private readonly settings: SmtpSettings) {}

  async send(message: OutgoingMessage): Promise<DeliveryReport> {
    const international = [message.from, ...message.to].filter(isInternationalized);
    if (international.length > 0 && !this.settings.smtputf8)
      throw new SendError(
        `${international.join(', ')} is an internationalized address; the mail server is not set to support UTF-8 message headers (RFC 6532)`,
        false,
        'not sent: SMTPUTF8 is off in the mail server settings',
      );
    const { host, port, encryption, auth } = this.settings;
    const transport = nodemailer.createTransport({
      host,
      port,
      secure: encryption === 'tls',
      requireTLS: encryption === 'starttls',
      ignoreTLS: encryption === 'none',
      ...(auth ? { auth: { user: auth.username, pass: auth.password } } : {}),
      ...(this.settings.clientName ? { name: this.settings.clientName } : {}),
      tls: this.settings.ca ? { ca: this.settings.ca } : {},
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: CONNECTION_TIMEOUT_MS,
      socketTimeout: CONNECTION_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    try {
      const info = await transport.sendMail({
        envelope: { from: message.from, to: message.to },
        raw: message.raw,
      });
      return { kind: 'smtp', response: info.response };
    } catch (error) {
      throw smtpFailure(error);
    } finally {
      transport.close();
    }
  }
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** SMTP 4xx and connection trouble are worth another try; 5xx and refused credentials are not. */
function smtpFailure(error: unknown): SendError {
  const e = error as NodemailerError;
  const reply = e.response?.trim();
  if (typeof e.responseCode === 'number') {
    const transient = e.responseCode >= 400 && e.responseCode < 500;
    return new SendError(
      `the mail server refused${e.command ? ` ${e.command.split(' ')[0]}` : ''}: ${reply ?? e.message}`,
      transient,
      reply ?? `${e.responseCode}`,
    );
  }
  if (e.code === 'EAUTH') return new SendError(`authentication failed: ${e.message}`, false, e.message);
  if (e.code === 'EENVELOPE') return new SendError(e.message, false, e.message);
  // ECONNREFUSED, ETIMEDOUT, ESOCKET, a TLS handshake that failed…
  return new SendError(
    `could not talk to the mail server: ${e.message}`,
    true,
    `${e.code ?? 'ERROR'}: ${e.message}`,
  );
}
