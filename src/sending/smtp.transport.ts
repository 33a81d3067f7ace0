import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import { isPrivateAddress } from '../core/network.js';
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
  /**
   * Refuse servers whose address is in a private network (a tenant's own server, unless the
   * operator allows it): the address is resolved once and connected to directly, so a name cannot
   * resolve to a public address for the check and to an internal one for the connection.
   */
  forbidPrivateAddresses?: boolean;
}

/** One unreachable tenant server must not hold a sender for long. */
const CONNECTION_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 30_000;

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
    const name = this.settings.host.replace(/^\[(.*)\]$/, '$1');
    // With the private-network rule the name is resolved here and each public address is tried in
    // turn (as the client would itself), connecting by address so DNS cannot change it in between.
    const addresses = this.settings.forbidPrivateAddresses ? await publicAddressesOf(name) : [name];
    let failure: SendError | undefined;
    for (const address of addresses) {
      try {
        return await this.sendTo(address, name, message);
      } catch (error) {
        failure = smtpFailure(error);
        if (!isConnectionFailure(error)) throw failure;
      }
    }
    throw failure!;
  }

  private async sendTo(address: string, name: string, message: OutgoingMessage): Promise<DeliveryReport> {
    const { port, encryption, auth } = this.settings;
    const transport = nodemailer.createTransport({
      host: address,
      port,
      secure: encryption === 'tls',
      requireTLS: encryption === 'starttls',
      ignoreTLS: encryption === 'none',
      ...(auth ? { auth: { user: auth.username, pass: auth.password } } : {}),
      ...(this.settings.clientName ? { name: this.settings.clientName } : {}),
      // The certificate is checked against the configured name, also when connecting by address.
      tls: {
        ...(this.settings.ca ? { ca: this.settings.ca } : {}),
        ...(isIP(name) ? {} : { servername: name }),
      },
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: CONNECTION_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    try {
      const info = await transport.sendMail({
        envelope: { from: message.from, to: message.to },
        raw: message.raw,
      });
      return { kind: 'smtp', response: info.response };
    } finally {
      transport.close();
    }
  }
}

async function publicAddressesOf(name: string): Promise<string[]> {
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(name, { all: true });
  } catch (error) {
    throw new SendError(
      `could not resolve ${name}: ${(error as Error).message}`,
      true,
      `DNS: ${(error as Error).message}`,
    );
  }
  // Said without the address: a tenant must not learn how the provider's names resolve inside.
  if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address)))
    throw new SendError(
      `${name} is in a private network; tenants may only use mail servers with public addresses`,
      false,
      'private address refused',
    );
  return addresses.map((a) => a.address);
}

/** No SMTP conversation happened: another address of the server may work. */
function isConnectionFailure(error: unknown): boolean {
  const e = error as NodemailerError;
  return (
    typeof e.responseCode !== 'number' &&
    ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED'].includes(e.code ?? '')
  );
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
