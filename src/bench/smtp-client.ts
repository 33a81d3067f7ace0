/**
 * The benchmark's SMTP sender, run as its own process so that it does not share an event loop with
 * the server it measures: `node dist/bench/smtp-client.js PORT RCPT FILE CONNECTIONS`. FILE holds the
 * messages, each as a 4-byte big-endian length and the bytes. Prints one JSON line:
 * { seconds, sent, failed, firstError }.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { unpackMessages } from './bench-util.js';

async function main(): Promise<void> {
  const [port, rcpt, file, connections] = process.argv.slice(2);
  if (!port || !rcpt || !file) throw new Error('usage: smtp-client.js PORT RCPT FILE [CONNECTIONS]');
  const messages = unpackMessages(readFileSync(file));
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: Number(port),
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: Number(connections ?? 10),
    maxMessages: Infinity,
  });
  let failed = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  await Promise.all(
    messages.map((raw) =>
      transport
        .sendMail({ envelope: { from: 'journal@contoso.test', to: [rcpt] }, raw })
        .catch((error: unknown) => {
          failed += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  transport.close();
  process.stdout.write(
    `${JSON.stringify({ seconds, sent: messages.length - failed, failed, firstError })}\n`,
  );
}

await main();
