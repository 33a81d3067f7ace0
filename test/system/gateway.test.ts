import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { startGateway, type RunningGateway } from '../../src/listeners.js';
import { curlPop3, fetchmail } from '../support/pop3-clients.js';
import { freePort } from '../support/server-process.js';
import { swaks, type SwaksResult } from '../support/swaks.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));
/**
 * A corpus file as it goes over SMTP: CRLF lines, ending with CRLF (SMTP carries nothing else).
 */
const asSent = (b: Buffer) =>
  Buffer.from(
    b
      .toString('latin1')
      .replace(/\r?\n/g, '\r\n')
      .replace(/(?<!\r\n)$/, '\r\n'),
    'latin1',
  );
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const OPERATOR = { actor: { kind: 'system' as const, name: 'test' } };
const FAST = { opslimit: 1, memlimit: 8 * 1024 * 1024 };
const FAILED_LOGIN_DELAY_MS = 1000;
const MAX_BYTES = 2 * 1024 * 1024;

/** Corpus messages with 8-bit text, lines starting with dots, and one over 1 MB (many chunks). */
const MESSAGES = [
  'mime4j/basic-plain.msg',
  'tika/testRFC822_date_utf8',
  'postal-mime/calendar-event.eml',
  'mime4j/intermediate-boundaries.msg',
  'mailparser/large_text.eml',
].map((name) => ({ name, bytes: asSent(corpus(name)) }));

/**
 * The DATA section for swaks --no-data-fixup, which sends it as given (without it swaks rewrites
 * "\\n" in the text, drops a leading "From " line and more): dot-stuffed, ending with the "." line
 * but its last CRLF, which swaks adds.
 */
const swaksData = (message: Buffer) =>
  Buffer.from(
    `${message
      .subarray(0, -2)
      .toString('latin1')
      .replace(/(^|\n)\./g, '$1..')}\r\n.`,
    'latin1',
  );

const lastReply = (r: SwaksResult) => r.replies.at(-2) ?? '';

describe('gateway mailboxes with swaks, curl and fetchmail as peers', () => {
  let dir: ReturnType<typeof tempDir>;
  /** swaks's data files and fetchmail's output: outside the data folder, which is scanned. */
  let scratch: ReturnType<typeof tempDir>;
  let app: App;
  let gateway: RunningGateway;
  let smtpPort: number;
  let pop3Port: number;

  const create = (name: string) => app.gateway.service.create(OPERATOR, { name });
  const send = (to: string[], message: Buffer, extra: string[] = []) =>
    swaks(
      smtpPort,
      ['--no-data-fixup', '--to', to.join(','), '--from', 'journal@contoso.test', ...extra],
      swaksData(message),
      scratch.path,
    );

  beforeAll(async () => {
    dir = tempDir('postvault-gateway-system-');
    scratch = tempDir('postvault-gateway-scratch-');
    app = await openTempApp(
      dir.path,
      {
        POSTVAULT_GATEWAY_DOMAIN: 'gateway.example.test',
        POSTVAULT_GATEWAY_SMTP_PORT: String(await freePort()),
        POSTVAULT_GATEWAY_POP3_PORT: String(await freePort()),
        POSTVAULT_GATEWAY_SMTP_MAX_MESSAGE_BYTES: String(MAX_BYTES),
      },
      { gatewayKdfParams: FAST, gatewayFailedLoginDelayMs: FAILED_LOGIN_DELAY_MS },
    );
    gateway = await startGateway(app);
    smtpPort = gateway.smtp!.port;
    pop3Port = gateway.pop3!.port;
  });

  afterAll(async () => {
    await gateway?.close();
    await app?.close();
    dir?.remove();
    scratch?.remove();
  });

  it('takes corpus messages over SMTP and STARTTLS; curl gets them back byte for byte, with and without STLS', async () => {
    const { mailbox, password } = await create('Office 365 Journal');
    for (const [i, { name, bytes }] of MESSAGES.entries()) {
      const result = await send([mailbox.address], bytes, i % 2 === 1 ? ['-tls'] : []);
      expect(lastReply(result), `${name}\n${result.transcript}`).toMatch(/^250 2\.\d\.\d /);
      if (i % 2 === 1) expect(result.transcript).toMatch(/TLS started with cipher/);
    }
    const list = await curlPop3(pop3Port, mailbox.address, password, '');
    expect(list.stderr).toBe('');
    expect(list.stdout.toString()).toBe(MESSAGES.map((m, i) => `${i + 1} ${m.bytes.length}\r\n`).join(''));
    for (const [i, { name, bytes }] of MESSAGES.entries()) {
      const plain = await curlPop3(pop3Port, mailbox.address, password, `/${i + 1}`);
      expect(plain.status, plain.stderr).toBe(0);
      expect(sha256(plain.stdout), name).toBe(sha256(bytes));
      const tls = await curlPop3(pop3Port, mailbox.address, password, `/${i + 1}`, { stls: true });
      expect(tls.status, tls.stderr).toBe(0);
      expect(sha256(tls.stdout), name).toBe(sha256(bytes));
    }
    // UIDL is stable across sessions.
    const uidl = async () =>
      (await curlPop3(pop3Port, mailbox.address, password, '', { extra: ['-X', 'UIDL'] })).stdout.toString();
    expect(await uidl()).toMatch(/^1 [a-z2-7]{24}\r\n/);
    expect(await uidl()).toBe(await uidl());
  });

  it('gives each of several recipients its own copy', async () => {
    const a = await create('Copy A');
    const b = await create('Copy B');
    const message = MESSAGES[1]!.bytes;
    expect(lastReply(await send([a.mailbox.address, b.mailbox.address], message))).toMatch(/^250 /);
    for (const { mailbox, password } of [a, b]) {
      const got = await curlPop3(pop3Port, mailbox.address, password, '/1');
      expect(sha256(got.stdout)).toBe(sha256(message));
    }
    const files = (id: number) => readdirSync(join(dir.path, 'gateway', String(id)));
    expect(files(a.mailbox.id)).toHaveLength(1);
    expect(files(b.mailbox.id)).toHaveLength(1);
    expect(files(a.mailbox.id)[0]).not.toBe(files(b.mailbox.id)[0]);
  });

  it('answers 550 for unknown addresses, 450 while suspended, 552 over the size limit', async () => {
    const { mailbox } = await create('Refusals');
    const unknown = await send(['nobody@gateway.example.test'], MESSAGES[0]!.bytes);
    expect(unknown.replies).toContainEqual(expect.stringMatching(/^550 5\.1\.1 /));
    const elsewhere = await send(['someone@other.example.test'], MESSAGES[0]!.bytes);
    expect(elsewhere.replies).toContainEqual(expect.stringMatching(/^550 5\.1\.1 /));

    await app.gateway.service.suspend(OPERATOR, mailbox.id);
    const suspended = await send([mailbox.address], MESSAGES[0]!.bytes);
    expect(suspended.replies).toContainEqual(expect.stringMatching(/^450 4\.2\.1 .*suspended/));
    await app.gateway.service.resume(OPERATOR, mailbox.id);

    const ehlo = await send([mailbox.address], MESSAGES[0]!.bytes);
    expect(ehlo.replies).toContain(`250 SIZE ${MAX_BYTES}`);
    const huge = Buffer.concat([
      Buffer.from('Subject: big\r\n\r\n'),
      Buffer.alloc(MAX_BYTES + 1000, 'x\r\n'),
    ]);
    const tooLarge = await send([mailbox.address], huge);
    expect(lastReply(tooLarge)).toMatch(/^552 /);
    // Nothing of the refused message stays, not even a temp file.
    expect(await app.gateway.service.get(OPERATOR, mailbox.id)).toMatchObject({ messages: 1 });
    expect(readdirSync(join(dir.path, 'gateway', String(mailbox.id)))).toHaveLength(1);
  });

  it('fetchmail retrieves every message unchanged (after its own Received header) and deletes them', async () => {
    const { mailbox, password } = await create('Fetched');
    for (const { bytes } of MESSAGES.slice(0, 4))
      expect(lastReply(await send([mailbox.address], bytes))).toMatch(/^250 /);
    const plain = await fetchmail(scratch.path, pop3Port, mailbox.address, password);
    expect(plain.result.status, plain.result.stderr).toBe(0);
    expect(plain.messages.map(sha256)).toEqual(MESSAGES.slice(0, 4).map((m) => sha256(m.bytes)));
    expect(await app.gateway.service.get(OPERATOR, mailbox.id)).toMatchObject({ messages: 0, bytes: 0 });
    expect(readdirSync(join(dir.path, 'gateway', String(mailbox.id)))).toEqual([]);

    // Over STLS too.
    expect(lastReply(await send([mailbox.address], MESSAGES[4]!.bytes))).toMatch(/^250 /);
    const tls = await fetchmail(scratch.path, pop3Port, mailbox.address, password, { tls: true });
    expect(tls.result.status, tls.result.stderr).toBe(0);
    expect(tls.result.stdout.toString()).toMatch(/POP3> STLS/);
    // This message starts with an mbox "From " line, which fetchmail drops from a header as an
    // envelope line (it is not a header field); the rest must be unchanged.
    const withoutFromLine = MESSAGES[4]!.bytes.subarray(MESSAGES[4]!.bytes.indexOf('\n') + 1);
    expect(MESSAGES[4]!.bytes.subarray(0, 5).toString()).toBe('From ');
    expect(tls.messages.map(sha256)).toEqual([sha256(withoutFromLine)]);
    const again = await fetchmail(scratch.path, pop3Port, mailbox.address, password);
    // fetchmail exits 1 when there was no mail.
    expect(again.result.status).toBe(1);
    expect(again.messages).toEqual([]);
  });

  it('refuses a wrong password after a delay, with curl and fetchmail', async () => {
    const { mailbox } = await create('Wrong password');
    expect(lastReply(await send([mailbox.address], MESSAGES[0]!.bytes))).toMatch(/^250 /);
    const wrong = 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ';
    const curl = await curlPop3(pop3Port, mailbox.address, wrong, '/1');
    expect(curl.status).toBe(67); // CURLE_LOGIN_DENIED
    expect(curl.stdout.length).toBe(0);
    expect(curl.ms).toBeGreaterThanOrEqual(FAILED_LOGIN_DELAY_MS);
    const fm = await fetchmail(scratch.path, pop3Port, mailbox.address, wrong);
    expect(fm.result.status).toBe(3); // authentication failed
    expect(fm.result.stderr).toContain('[AUTH]');
    expect(fm.messages).toEqual([]);
  });

  it('after a reset without the password, the old content cannot be read by any means', async () => {
    const { mailbox, password } = await create('Reset');
    const old = MESSAGES[2]!.bytes;
    expect(lastReply(await send([mailbox.address], old))).toMatch(/^250 /);
    const reset = await app.gateway.service.resetPassword(OPERATOR, mailbox.id, {});
    expect(reset.mailbox.unreadableMessages).toBe(1);
    const fresh = MESSAGES[0]!.bytes;
    expect(lastReply(await send([mailbox.address], fresh))).toMatch(/^250 /);

    expect((await curlPop3(pop3Port, mailbox.address, password, '')).status).toBe(67);
    const list = await curlPop3(pop3Port, mailbox.address, reset.password, '');
    expect(list.stdout.toString()).toBe(`1 ${fresh.length}\r\n`);
    expect(sha256((await curlPop3(pop3Port, mailbox.address, reset.password, '/1')).stdout)).toBe(
      sha256(fresh),
    );
    expect((await curlPop3(pop3Port, mailbox.address, reset.password, '/2')).status).not.toBe(0);

    expect(await app.gateway.service.purgeUnreadable(OPERATOR, mailbox.id)).toMatchObject({ messages: 1 });
    expect(readdirSync(join(dir.path, 'gateway', String(mailbox.id)))).toHaveLength(1);
  });

  it('keeps no plaintext of a message anywhere in the data folder: database, WAL, message and temp files', async () => {
    const { mailbox, password } = await create('Marker');
    const marker = `PLAINTEXT-MARKER-${Math.random().toString(36).slice(2)}`;
    const message = Buffer.from(
      `From: a@contoso.test\r\nTo: b@contoso.test\r\nSubject: ${marker}\r\n\r\n${marker} in the body\r\n`,
    );
    expect(lastReply(await send([mailbox.address], message))).toMatch(/^250 /);
    // And one whose intake is refused halfway (over the size limit): its temp file is gone too.
    const huge = Buffer.concat([message, Buffer.alloc(MAX_BYTES + 1000, `${marker}\r\n`)]);
    expect(lastReply(await send([mailbox.address], huge))).toMatch(/^552 /);
    expect(sha256((await curlPop3(pop3Port, mailbox.address, password, '/1')).stdout)).toBe(sha256(message));

    const files: string[] = [];
    const walk = (folder: string) => {
      for (const name of readdirSync(folder)) {
        const path = join(folder, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(dir.path);
    expect(files.some((f) => f.endsWith('postvault.sqlite-wal'))).toBe(true);
    expect(files.some((f) => f.includes(`${join('gateway', String(mailbox.id))}`))).toBe(true);
    const needles = [marker, Buffer.from(marker, 'utf16le').toString('latin1')];
    const found = files.filter((f) => {
      const content = readFileSync(f).toString('latin1');
      return needles.some((n) => content.includes(n));
    });
    expect(found).toEqual([]);
  });
});
