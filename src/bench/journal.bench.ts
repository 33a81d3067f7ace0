import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { openApp } from '../app.js';
import { loadConfig } from '../core/config.js';
import { loadOrCreateTlsKeyPair } from '../core/tls-certificate.js';
import { startJournalSmtpServer } from '../ingest/journal/journal-smtp.server.js';
import { packMessages, percentile } from './bench-util.js';
import { varyMessage } from './message-generator.js';
import { buildJournalReport } from './synthetic-journal-report.js';

const CLIENT = fileURLToPath(new URL('./smtp-client.js', import.meta.url));
export const SMTP_SOURCE = '/usr/sbin/smtp-source';
export const SMTP_SINK = '/usr/sbin/smtp-sink';
const OPERATOR = { kind: 'system' as const, name: 'bench' };

export interface JournalFigures {
  reports: number;
  reportBytes: number;
  connections: number;
  bareMsgPerSec: number;
  intakeMsgPerSec: number;
  ratio: number;
  /** Server side, end of DATA to the moment the intake lets the 250 go (spooled durably). */
  dataToStoredP50Ms: number;
  dataToStoredP99Ms: number;
  archived: number;
  /** Archived (parsed, stored, indexed) over the time from the first message to an empty spool. */
  archivedMsgPerSec: number;
  /** smtp-source one message per connection (null when Postfix's tools are not installed). */
  perConnection: null | {
    messages: number;
    sinkMsgPerSec: number;
    /** smtp-server as shipped, accept and discard (its 100 ms greeting delay caps each connection). */
    stockSmtpServerMsgPerSec: number;
    /** The intake's listener greeting at once, with an intake that does nothing: its ceiling. */
    promptNoopMsgPerSec: number;
    intakeMsgPerSec: number;
    ratio: number;
  };
}

export interface ClientRun {
  seconds: number;
  sent: number;
  failed: number;
  firstError: string | null;
}

export function runClient(port: number, rcpt: string, file: string, connections: number): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, String(port), rcpt, file, String(connections)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`smtp-client exited with ${code}: ${out}`));
      resolve(JSON.parse(out) as ClientRun);
    });
  });
}

/** smtp-source's summary is its exit; the rate is messages over wall time. */
export async function runSmtpSource(port: number, rcpt: string, messages: number): Promise<number> {
  const t0 = performance.now();
  await promisify(execFile)(SMTP_SOURCE, [
    '-s',
    '10',
    '-m',
    String(messages),
    '-l',
    '4096',
    '-f',
    'journal@contoso.test',
    '-t',
    rcpt,
    `127.0.0.1:${port}`,
  ]);
  return messages / ((performance.now() - t0) / 1000);
}

export async function withSmtpSink<T>(run: (port: number) => Promise<T>): Promise<T> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  // smtp-sink refuses to run as root without a user to switch to.
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const sink = spawn(SMTP_SINK, [...user, '-c', `127.0.0.1:${port}`, '256'], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    return await run(port);
  } finally {
    sink.kill('SIGTERM');
  }
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** A stock smtp-server that reads each message to its end and discards it: the ceiling to compare with. */
export async function startBareServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    size: 100 * 1024 * 1024,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.once('end', () => callback(null, 'discarded'));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Journal intake throughput: synthetic reports around real corpus messages, sent over 10 pooled
 * connections by a separate process, first to a bare smtp-server that discards them, then to the
 * intake (250 only once stored), in the same run; plus smtp-source's one-message-per-connection load
 * against Postfix's smtp-sink and the intake.
 */
export async function measureJournalIntake(
  root: string,
  corpus: Buffer[],
  vocabulary: string[],
  reports = 5000,
  connections = 10,
): Promise<JournalFigures> {
  const dataDir = join(root, 'data-journal');
  mkdirSync(dataDir, { recursive: true });
  const messages: Buffer[] = [];
  let reportBytes = 0;
  for (let i = 0; i < reports; i++) {
    // SMTP carries CRLF lines: a bare LF would be changed in transit, so originals are sent as CRLF.
    const original = Buffer.from(
      varyMessage(corpus[i % corpus.length]!, 1_000_000 + i, vocabulary)
        .toString('latin1')
        .replace(/\r?\n/g, '\r\n'),
      'latin1',
    );
    const report = buildJournalReport({
      original,
      sender: `sender${i % 50}@contoso.test`,
      recipients: [
        { kind: 'to', address: `user${i % 200}@contoso.test` },
        { kind: 'bcc', address: `auditor${i % 7}@contoso.test` },
      ],
    });
    reportBytes += report.length;
    messages.push(report);
  }
  const file = join(root, 'journal-reports.bin');
  writeFileSync(file, packMessages(messages));

  const bare = await startBareServer();
  let bareRun: ClientRun;
  try {
    bareRun = await runClient(bare.port, 'x@journal.localhost', file, connections);
  } finally {
    await bare.close();
  }
  if (bareRun.failed > 0)
    throw new Error(`bare smtp-server: ${bareRun.failed} failed (${bareRun.firstError})`);

  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
  );
  try {
    const tenant = await app.tenants.createTenant('bench', 'Bench');
    const ctx = { tenantId: tenant.id, actor: OPERATOR };
    const endpoint = await app.admin.journalEndpoints.create(ctx, {
      name: 'M365',
      newMailbox: { name: 'Journal' },
    });
    const timings: number[] = [];
    const accept = app.journalIntake.accept.bind(app.journalIntake);
    const intake = {
      isBusy: () => app.journalIntake.isBusy(),
      async accept(delivery: Parameters<typeof accept>[0]) {
        const t0 = performance.now();
        await accept(delivery);
        timings.push(performance.now() - t0);
      },
    };
    app.journalIntake.start();
    const listenerOptions = {
      host: '127.0.0.1',
      port: 0,
      hostname: 'journal.localhost',
      maxMessageBytes: 100 * 1024 * 1024,
      tls: await loadOrCreateTlsKeyPair(dataDir, 'journal-smtp', { hostname: 'journal.localhost' }),
      tlsRequired: false,
      maxConnections: 200,
      maxConnectionsPerPeer: 200,
      maxMessagesPerPeerPerMinute: 0,
      idleTimeoutSeconds: 300,
    };
    const smtp = await startJournalSmtpServer(
      { intake, endpoints: app.admin.journalEndpoints, logger: app.logger },
      listenerOptions,
    );
    const countMessages = async () =>
      Number(
        (
          await app.database.db
            .selectFrom('messages')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('tenant_id', '=', tenant.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    let intakeRun: ClientRun;
    let archived = 0;
    let archivedSeconds = 0;
    let perConnection: JournalFigures['perConnection'] = null;
    try {
      const t0 = performance.now();
      intakeRun = await runClient(smtp.port, endpoint.address, file, connections);
      await app.journalIntake.whenDrained();
      archivedSeconds = (performance.now() - t0) / 1000;
      archived = await countMessages();
      if (existsSync(SMTP_SOURCE) && existsSync(SMTP_SINK)) {
        const count = Math.min(reports, 2000);
        const sinkRate = await withSmtpSink((port) => runSmtpSource(port, 'x@journal.localhost', count));
        // What smtp-server itself allows on this load: stock (100 ms before each greeting), and
        // greeting at once with a handler that does nothing (the intake's ceiling).
        const stock = await startBareServer();
        const stockRate = await runSmtpSource(stock.port, 'x@journal.localhost', 500).finally(() =>
          stock.close(),
        );
        const noop = await startJournalSmtpServer(
          {
            intake: { accept: async () => undefined, isBusy: () => false },
            endpoints: {
              findEnabledByAddress: () => app.admin.journalEndpoints.findEnabledByAddress(endpoint.address),
            },
            logger: app.logger,
          },
          listenerOptions,
        );
        const noopRate = await runSmtpSource(noop.port, endpoint.address, count).finally(() => noop.close());
        const intakeRate = await runSmtpSource(smtp.port, endpoint.address, count);
        await app.journalIntake.whenDrained();
        perConnection = {
          messages: count,
          sinkMsgPerSec: sinkRate,
          stockSmtpServerMsgPerSec: stockRate,
          promptNoopMsgPerSec: noopRate,
          intakeMsgPerSec: intakeRate,
          ratio: intakeRate / sinkRate,
        };
      }
    } finally {
      await smtp.close();
    }
    if (intakeRun.failed > 0) throw new Error(`intake: ${intakeRun.failed} failed (${intakeRun.firstError})`);
    const journalTimings = timings.slice(0, reports);
    return {
      reports,
      reportBytes,
      connections,
      bareMsgPerSec: bareRun.sent / bareRun.seconds,
      intakeMsgPerSec: intakeRun.sent / intakeRun.seconds,
      ratio: intakeRun.sent / intakeRun.seconds / (bareRun.sent / bareRun.seconds),
      dataToStoredP50Ms: percentile(journalTimings, 50),
      dataToStoredP99Ms: percentile(journalTimings, 99),
      archived,
      archivedMsgPerSec: archived / archivedSeconds,
      perConnection,
    };
  } finally {
    await app.close();
  }
}
