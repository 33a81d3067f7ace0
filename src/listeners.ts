import { hostname } from 'node:os';
import type { App } from './app.js';
import { loadOrCreateTlsKeyPair } from './core/tls-certificate.js';
import { startJournalSmtpServer, type RunningJournalSmtp } from './ingest/journal/journal-smtp.server.js';

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
