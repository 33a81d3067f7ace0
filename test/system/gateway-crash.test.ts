import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { run } from '../support/pop3-clients.js';
import { freePort, startServe } from '../support/server-process.js';
import { tempDir } from '../support/temp-app.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));
const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

const MESSAGES = 400;
const KILL_AFTER_ACKS = 120;

/** Message n: a corpus message with a header that names it, a few tens of kB. */
function message(n: number): Buffer {
  const bases = [
    'mime4j/simple-attachment.msg',
    'postal-mime/calendar-event.eml',
    'tika/testRFC822_date_utf8',
  ];
  const base = crlf(corpus(bases[n % bases.length]!));
  return Buffer.concat([
    Buffer.from(`X-Sequence: ${n}\r\n`),
    base,
    base.subarray(-2).equals(Buffer.from('\r\n')) ? Buffer.alloc(0) : Buffer.from('\r\n'),
  ]);
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Retrieves every message of the mailbox in one POP3 session (curl reuses the connection). */
async function retrieveAll(port: number, user: string, password: string, outDir: string) {
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  const list = await run('curl', ['--silent', '--show-error', `pop3://${auth}@127.0.0.1:${port}/`]);
  expect(list.status, list.stderr).toBe(0);
  const sizes = list.stdout
    .toString()
    .trim()
    .split('\r\n')
    .filter((l) => l)
    .map((l) => Number(l.split(' ')[1]));
  if (sizes.length === 0) return [];
  const got = await run('curl', [
    '--silent',
    '--show-error',
    `pop3://${auth}@127.0.0.1:${port}/[1-${sizes.length}]`,
    '-o',
    join(outDir, 'message-#1.eml'),
  ]);
  expect(got.status, got.stderr).toBe(0);
  return sizes.map((size, i) => {
    const bytes = readFileSync(join(outDir, `message-${i + 1}.eml`));
    expect(bytes.length).toBe(size);
    return bytes;
  });
}

/**
 * kill -9 of `postvault serve` while many messages arrive concurrently: every message that was
 * answered 250 is there after the restart, byte for byte, and nothing partial is ever listed.
 */
describe('gateway intake killed mid-way', () => {
  const data = tempDir('postvault-gateway-crash-');
  const scratch = tempDir('postvault-gateway-crash-out-');
  let address: string;
  let password: string;

  beforeAll(() => {
    const created = runCli(data.path, ['gateway', 'mailbox', 'create', '--name', 'Journal', '--json']);
    expect(created.status, created.stderr).toBe(0);
    ({ address, password } = JSON.parse(created.stdout) as { address: string; password: string });
  });
  afterAll(() => {
    data.remove();
    scratch.remove();
  });

  it('loses nothing acknowledged and lists nothing torn', async () => {
    const smtpPort = await freePort();
    const gatewayEnv = () => ({
      POSTVAULT_GATEWAY_SMTP_PORT: String(smtpPort),
      POSTVAULT_GATEWAY_POP3_PORT: '0',
    });
    const serve = await startServe(gatewayEnv(), { dataDir: data.path });
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtpPort,
      ignoreTLS: true,
      pool: true,
      maxConnections: 8,
      maxMessages: Infinity,
    });
    const sent = new Map<number, Buffer>();
    const acknowledged = new Set<number>();
    let killed: Promise<void> | null = null;
    await Promise.all(
      Array.from({ length: MESSAGES }, async (_, n) => {
        const raw = message(n);
        sent.set(n, raw);
        try {
          const info = await transport.sendMail({ envelope: { from: 'j@contoso.test', to: [address] }, raw });
          expect(info.response).toMatch(/^250 /);
          acknowledged.add(n);
          if (acknowledged.size === KILL_AFTER_ACKS) killed = serve.kill();
        } catch {
          // Refused or cut off by the kill: the sender would retry; nothing is promised.
        }
      }),
    );
    transport.close();
    await killed;
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(acknowledged.size).toBeLessThan(MESSAGES);

    // A torn append on top of whatever the kill left: the start of a frame that never became whole.
    const folder = join(data.path, 'gateway', readdirSync(join(data.path, 'gateway'))[0]!);
    const newest = readdirSync(folder)
      .filter((f) => f.endsWith('.pvgs'))
      .sort()
      .at(-1)!;
    appendFileSync(join(folder, newest), Buffer.concat([Buffer.from('PVGF'), Buffer.alloc(500, 7)]));

    const pop3Port = await freePort();
    const restarted = await startServe(
      { POSTVAULT_GATEWAY_SMTP_PORT: '0', POSTVAULT_GATEWAY_POP3_PORT: String(pop3Port) },
      { dataDir: data.path },
    );
    try {
      // serve answers /healthz before the gateway's start-up recovery is done and POP3 listens.
      await waitForPort(pop3Port);
      const stored = await retrieveAll(pop3Port, address, password, scratch.path);
      const byHash = new Map([...sent].map(([n, raw]) => [sha256(raw), n]));
      const storedNumbers = stored.map((bytes) => byHash.get(sha256(bytes)));
      // Every listed message is one that was sent, whole.
      expect(storedNumbers.filter((n) => n === undefined)).toEqual([]);
      // Every acknowledged message is there.
      const missing = [...acknowledged].filter((n) => !storedNumbers.includes(n));
      expect(missing).toEqual([]);
      // At most the few in flight at the kill were stored without their 250 reaching the client.
      expect(stored.length - acknowledged.size).toBeLessThanOrEqual(16);
      // Start-up removed temp files and cut every segment back to its last whole frame.
      const files = readdirSync(folder);
      expect(files.filter((f) => !/^\d{15}-[a-z2-7]{10}\.pvgs$/.test(f))).toEqual([]);
      const storedBytes = files.reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);
      const db = new Database(join(data.path, 'postvault.sqlite'), { readonly: true });
      try {
        // Each message is a 60-byte frame header and its encrypted bytes; nothing else is left.
        const recorded = db
          .prepare('select sum(stored_size) as bytes, count(*) as n from gateway_messages')
          .get() as { bytes: number; n: number };
        expect(storedBytes).toBe(recorded.bytes + 60 * recorded.n);
      } finally {
        db.close();
      }
    } finally {
      await restarted.stop();
    }
  });
});
