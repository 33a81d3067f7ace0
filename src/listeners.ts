import { hostname } from 'node:os';
import type { App } from './app.js';
import { loadOrCreateTlsKeyPair } from './core/tls-certificate.js';
import { startJournalSmtpServer, type RunningJournalSmtp } from './ingest/journal/journal-smtp.server.js';
import { startPop3Server, type RunningPop3 } from './gateway/pop3/pop3.server.js';
import { startGatewaySmtpServer, type RunningGatewaySmtp } from './gateway/smtp/gateway-smtp.server.js';

/**
 * The journal endpoints' SMTP listener as the configuration describes it, or null when its port is 0.
 * Next to app.ts because, like it, it only wires: the certificate, the limits and the intake.
 */
export async function startJournalSmtp(app: App): Promise<RunningJournalSmtp | null> {
  const settings = app.config.journalSmtp;
  if (settings.port === 0) return null;
  const name = app.config.journal.domain === 'journal.localhost' ? hostname() : app.config.journal.domain;
  const tls = await loadOrCreateTlsKeyPair(app.config.dataDir, 'journal-smtp', {
    certFile: settings.tlsCertFile,
    keyFile: settings.tlsKeyFile,
    hostname: name,
  });
  // The spool is drained wherever mail is taken in; it also archives what an earlier run left.
  app.journalIntake.start();
  return startJournalSmtpServer(
    {
      intake: app.journalIntake,
      endpoints: app.admin.journalEndpoints,
      logger: app.logger,
      metrics: app.metrics,
    },
    {
      host: settings.host,
      port: settings.port,
      hostname: name,
      maxMessageBytes: settings.maxMessageBytes,
      tls,
      tlsRequired: settings.tlsRequired,
      maxConnections: settings.maxConnections,
      maxConnectionsPerPeer: settings.maxConnectionsPerPeer,
      maxMessagesPerPeerPerMinute: settings.maxMessagesPerPeerPerMinute,
      idleTimeoutSeconds: settings.idleTimeoutSeconds,
    },
  );
}

export interface RunningGateway {
  smtp: RunningGatewaySmtp | null;
  pop3: RunningPop3 | null;
  /** POP3 with TLS from the first byte (off unless configured). */
  pop3s: RunningPop3 | null;
  close(): Promise<void>;
}

/**
 * The gateway's SMTP intake and POP3 listener as configured (each off with port 0). They share one
 * certificate: the configured gatewaySmtp PEM files, or a self-signed pair in <dataDir>/tls. Files
 * an earlier run left half-written, or without a row, are removed first.
 */
export async function startGateway(app: App): Promise<RunningGateway> {
  const { gatewaySmtp, gatewayPop3, gatewayPop3s, gateway } = app.config;
  if (gatewaySmtp.port === 0 && gatewayPop3.port === 0 && gatewayPop3s.port === 0)
    return { smtp: null, pop3: null, pop3s: null, close: async () => {} };
  const { problems, goneSegments, recovered, ...cleaned } = await app.gateway.cleanup();
  if (recovered.length > 0)
    app.logger.info(
      { messages: recovered.length },
      'gateway: recorded messages an interrupted run had stored but not yet recorded',
    );
  if (cleaned.removedFiles + cleaned.removedFolders + cleaned.truncatedSegments + goneSegments.length > 0)
    app.logger.info(
      { ...cleaned, goneSegments: goneSegments.length },
      'gateway: removed what an interrupted run left (never acknowledged, or deleted)',
    );
  for (const problem of problems) app.logger.warn(`gateway: ${problem}`);
  const name = gateway.domain === 'gateway.localhost' ? hostname() : gateway.domain;
  const tls = await loadOrCreateTlsKeyPair(app.config.dataDir, 'gateway', {
    certFile: gatewaySmtp.tlsCertFile,
    keyFile: gatewaySmtp.tlsKeyFile,
    hostname: name,
  });
  const smtp =
    gatewaySmtp.port === 0
      ? null
      : await startGatewaySmtpServer(
          { gateway: app.gateway.service, logger: app.logger, metrics: app.metrics },
          {
            host: gatewaySmtp.host,
            port: gatewaySmtp.port,
            hostname: name,
            maxMessageBytes: gatewaySmtp.maxMessageBytes,
            tls,
          },
        );
  const pop3 =
    gatewayPop3.port === 0
      ? null
      : await startPop3Server(
          app.gateway.service,
          { host: gatewayPop3.host, port: gatewayPop3.port, hostname: name, tls },
          app.logger,
        ).catch(async (error: unknown) => {
          await smtp?.close();
          throw error;
        });
  const pop3s =
    gatewayPop3s.port === 0
      ? null
      : await startPop3Server(
          app.gateway.service,
          { host: gatewayPop3s.host, port: gatewayPop3s.port, hostname: name, tls, implicitTls: true },
          app.logger,
        ).catch(async (error: unknown) => {
          await Promise.all([smtp?.close(), pop3?.close()]);
          throw error;
        });
  return {
    smtp,
    pop3,
    pop3s,
    async close() {
      await Promise.all([smtp?.close(), pop3?.close(), pop3s?.close()]);
    },
  };
}
