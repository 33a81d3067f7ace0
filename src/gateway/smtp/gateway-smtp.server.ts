import { PassThrough } from 'node:stream';
import type { SMTPServerDataStream } from 'smtp-server';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { listenSmtp, PromptSMTPServer, smtpReply, type RunningSmtp } from '../../ingest/smtp-listener.js';
import type { GatewayService } from '../gateway.service.js';

export interface GatewaySmtpOptions {
  host: string;
  port: number;
  /** Name in the greeting and EHLO reply. */
  hostname: string;
  maxMessageBytes: number;
  tls: { key: string; cert: string };
  maxConnections?: number;
  idleTimeoutSeconds?: number;
}

export interface GatewaySmtpDeps {
  gateway: Pick<GatewayService, 'findRecipient' | 'deliver'>;
  logger: Logger;
  metrics?: Pick<Metrics, 'smtpTransactions'>;
}

export type RunningGatewaySmtp = RunningSmtp;

class SizeExceededError extends Error {}

/**
 * The gateway mailboxes' SMTP listener: recipients must be active gateway mailboxes (550 for
 * unknown addresses, 450 while suspended, so senders retry), and 250 comes only once every
 * recipient's encrypted copy is durable. The message is encrypted as it streams in; its plaintext is
 * never written anywhere.
 */
export async function startGatewaySmtpServer(
  deps: GatewaySmtpDeps,
  options: GatewaySmtpOptions,
): Promise<RunningGatewaySmtp> {
  const mailboxesBySession = new Map<string, number[]>();
  const count = (outcome: string) => deps.metrics?.smtpTransactions.inc({ listener: 'gateway', outcome });

  const server = new PromptSMTPServer({
    name: options.hostname,
    banner: 'Postvault gateway intake',
    size: options.maxMessageBytes,
    rejectOversized: true,
    key: options.tls.key,
    cert: options.tls.cert,
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideENHANCEDSTATUSCODES: false,
    disableReverseLookup: true,
    maxClients: options.maxConnections ?? 200,
    socketTimeout: (options.idleTimeoutSeconds ?? 300) * 1000,
    closeTimeout: 5_000,
    logger: false,

    onMailFrom(_address, session, callback) {
      mailboxesBySession.set(session.id, []);
      callback();
    },

    onClose(session) {
      mailboxesBySession.delete(session.id);
    },

    onRcptTo(address, session, callback) {
      deps.gateway.findRecipient(address.address).then(
        (recipient) => {
          if (!recipient) {
            count('unknown-recipient');
            return callback(smtpReply(550, `<${address.address}>: no such gateway mailbox here`));
          }
          if (recipient.status !== 'active') {
            count('suspended');
            return callback(smtpReply(450, `<${address.address}>: mailbox suspended, try again later`));
          }
          const mailboxes = mailboxesBySession.get(session.id) ?? [];
          mailboxes.push(recipient.mailboxId);
          mailboxesBySession.set(session.id, mailboxes);
          callback();
        },
        (error: unknown) => {
          deps.logger.error({ err: error }, 'gateway SMTP could not look up a recipient');
          callback(smtpReply(451, 'Temporary failure looking up the recipient, try again later'));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      const mailboxes = mailboxesBySession.get(session.id) ?? [];
      // The SMTP stream is read to its end whatever happens (smtp-server needs that to go on);
      // `body` carries it to the encryptors with backpressure and fails once the size is exceeded.
      const body = new PassThrough({ highWaterMark: 256 * 1024 });
      let readError: Error | null = null;
      stream.on('data', (chunk: Buffer) => {
        if (body.destroyed) return;
        if (stream.sizeExceeded) return void body.destroy(new SizeExceededError());
        if (!body.write(chunk)) {
          stream.pause();
          body.once('drain', () => stream.resume());
        }
      });
      stream.once('error', (error) => {
        readError = error;
        body.destroy(error);
      });
      stream.once('end', () => {
        if (stream.sizeExceeded) body.destroy(new SizeExceededError());
        else body.end();
      });
      // A destroyed body must not hold the SMTP stream paused.
      body.once('close', () => stream.resume());
      deps.gateway.deliver(mailboxes, body).then(
        () => {
          count('stored');
          callback(null, 'Stored encrypted');
        },
        (error: unknown) => {
          // Whatever is still coming is read and dropped.
          body.destroy();
          stream.resume();
          const answer = () => {
            if (error instanceof SizeExceededError || stream.sizeExceeded) {
              count('too-large');
              return callback(
                smtpReply(552, `Message exceeds the maximum size of ${options.maxMessageBytes} bytes`),
              );
            }
            if (readError) {
              deps.logger.warn({ err: readError }, 'gateway SMTP: error reading a message');
              return callback(smtpReply(451, 'Error reading the message, try again later'));
            }
            count('store-failed');
            deps.logger.error({ err: error }, 'gateway SMTP: a message could not be stored');
            callback(smtpReply(451, 'Message not stored, try again later'));
          };
          // Answer only once the peer has sent the whole message.
          if (stream.readableEnded || stream.destroyed) answer();
          else stream.once('end', answer);
        },
      );
    },
  });

  server.on('error', (error) => deps.logger.warn({ err: error }, 'gateway SMTP connection error'));
  return listenSmtp(server, options.host, options.port);
}
