import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { JournalEndpointsService, JournalEndpointTarget } from './journal-endpoints.service.js';
import { IntakeBusyError, type JournalIntake } from './journal-intake.js';
import { listenSmtp, PromptSMTPServer, smtpReply as reply, type RunningSmtp } from '../smtp-listener.js';

export interface JournalSmtpOptions {
  host: string;
  port: number;
  /** Name in the greeting and EHLO reply. */
  hostname: string;
  maxMessageBytes: number;
  tls: { key: string; cert: string };
  tlsRequired: boolean;
  maxConnections: number;
  maxConnectionsPerPeer: number;
  /** 0 = no limit. */
  maxMessagesPerPeerPerMinute: number;
  idleTimeoutSeconds: number;
}

export interface JournalSmtpDeps {
  intake: Pick<JournalIntake, 'accept' | 'isBusy'>;
  endpoints: Pick<JournalEndpointsService, 'findEnabledByAddress'>;
  logger: Logger;
  metrics?: Pick<Metrics, 'smtpTransactions'>;
  clock?: () => number;
}

export type RunningJournalSmtp = RunningSmtp;

/**
 * The journal endpoints' SMTP listener: accepts mail only for enabled endpoint addresses, and
 * answers 250 only after JournalIntake has stored the message. Everything else is the sender's to
 * retry (4xx) or to bounce (5xx).
 */
export async function startJournalSmtpServer(
  deps: JournalSmtpDeps,
  options: JournalSmtpOptions,
): Promise<RunningJournalSmtp> {
  const clock = deps.clock ?? Date.now;
  const targetsBySession = new Map<string, JournalEndpointTarget[]>();
  const connectionsByPeer = new Map<string, number>();
  const messagesByPeer = new Map<string, { minute: number; count: number }>();
  const count = (outcome: string) => deps.metrics?.smtpTransactions.inc({ listener: 'journal', outcome });

  const server = new PromptSMTPServer({
    name: options.hostname,
    banner: 'Postvault journal intake',
    size: options.maxMessageBytes,
    // 552 5.3.4 from smtp-server itself, whatever onData says.
    rejectOversized: true,
    key: options.tls.key,
    cert: options.tls.cert,
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideENHANCEDSTATUSCODES: false,
    disableReverseLookup: true,
    maxClients: options.maxConnections,
    socketTimeout: options.idleTimeoutSeconds * 1000,
    // On shutdown, pooled idle connections are told 421 after this long (container grace periods are ~10 s).
    closeTimeout: 5_000,
    logger: false,

    onConnect(session, callback) {
      const peer = session.remoteAddress;
      const open = (connectionsByPeer.get(peer) ?? 0) + 1;
      connectionsByPeer.set(peer, open);
      if (open > options.maxConnectionsPerPeer) {
        count('too-many-connections');
        return callback(reply(421, 'Too many connections from your address, try again later'));
      }
      callback();
    },

    onClose(session) {
      targetsBySession.delete(session.id);
      const peer = session.remoteAddress;
      const open = (connectionsByPeer.get(peer) ?? 1) - 1;
      if (open <= 0) connectionsByPeer.delete(peer);
      else connectionsByPeer.set(peer, open);
    },

    onMailFrom(_address, session, callback) {
      targetsBySession.set(session.id, []);
      if (options.tlsRequired && !session.secure) {
        count('tls-required');
        return callback(reply(530, 'Must issue a STARTTLS command first'));
      }
      if (deps.intake.isBusy()) {
        count('busy');
        return callback(reply(451, 'Too much mail is waiting to be archived, try again later'));
      }
      if (options.maxMessagesPerPeerPerMinute > 0) {
        const minute = Math.floor(clock() / 60_000);
        const peer = session.remoteAddress;
        const window = messagesByPeer.get(peer);
        const current = window && window.minute === minute ? window : { minute, count: 0 };
        current.count += 1;
        messagesByPeer.set(peer, current);
        if (current.count > options.maxMessagesPerPeerPerMinute) {
          count('rate-limited');
          return callback(reply(451, 'Too many messages from your address this minute, try again later'));
        }
        if (messagesByPeer.size > 10_000) pruneWindows(messagesByPeer, minute);
      }
      callback();
    },

    onRcptTo(address, session, callback) {
      deps.endpoints.findEnabledByAddress(address.address).then(
        (target) => {
          if (!target) {
            count('unknown-recipient');
            return callback(reply(550, `<${address.address}>: no such journal endpoint here`));
          }
          const targets = targetsBySession.get(session.id) ?? [];
          targets.push(target);
          targetsBySession.set(session.id, targets);
          callback();
        },
        (error: unknown) => {
          deps.logger.error({ err: error }, 'journal intake could not look up a recipient');
          callback(reply(451, 'Temporary failure looking up the recipient, try again later'));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        // Past the limit smtp-server answers 552 itself; keep nothing of such a message.
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.once('error', (error) => {
        deps.logger.warn({ err: error }, 'journal SMTP: error reading a message');
        callback(reply(451, 'Error reading the message, try again later'));
      });
      stream.once('end', () => {
        if (stream.sizeExceeded) {
          count('too-large');
          return callback(reply(552, `Message exceeds the maximum size of ${options.maxMessageBytes} bytes`));
        }
        const targets = targetsBySession.get(session.id) ?? [];
        deps.intake
          .accept({
            raw: Buffer.concat(chunks),
            targets,
            peer: session.remoteAddress,
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          })
          .then(
            () => {
              count('stored');
              callback(null, 'Stored, queued for archiving');
            },
            (error: unknown) => {
              // The peer learns only that it must retry; the details are in the log and process log.
              if (error instanceof IntakeBusyError) {
                count('busy');
                callback(reply(451, 'Not accepting mail right now, try again later'));
              } else {
                count('store-failed');
                callback(reply(451, 'Message not stored, try again later'));
              }
            },
          );
      });
    },
  });

  server.on('error', (error) => deps.logger.warn({ err: error }, 'journal SMTP connection error'));
  return listenSmtp(server, options.host, options.port);
}

function pruneWindows(windows: Map<string, { minute: number }>, minute: number): void {
  for (const [peer, window] of windows) if (window.minute !== minute) windows.delete(peer);
}
