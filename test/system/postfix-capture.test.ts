import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  postfixCaptureAvailable,
  startPostfixCapture,
  type PostfixCapture,
} from '../support/postfix-capture.js';
import { tempDir } from '../support/temp-app.js';

/*
 * The SMTP peer for the mail-sending tests (test/support/postfix-capture.ts, scripts/postfix-capture.sh):
 * a real Postfix with STARTTLS, implicit TLS, SASL through Dovecot and SMTPUTF8 that captures each
 * accepted message. Proven here with real clients: swaks (Debian's), nodemailer (what Postvault
 * sends with) and a raw socket where the exact bytes on the wire matter.
 */

interface SwaksResult {
  status: number | null;
  transcript: string;
  /** Server replies, in order ("250 2.0.0 Ok: queued as ..."). */
  replies: string[];
}

/**
 * swaks against 127.0.0.1:port. `message` is the whole DATA section, which must end in CRLF: swaks
 * sends its --data file, then CRLF "." CRLF, so the file is written without the final CRLF.
 */
async function swaks(port: number, args: string[], message?: Buffer, dir?: string): Promise<SwaksResult> {
  const extra: string[] = [];
  if (message) {
    if (!message.subarray(-2).equals(Buffer.from('\r\n'))) throw new Error('the message must end in CRLF');
    const file = join(dir!, `data-${Math.random().toString(36).slice(2)}.eml`);
    writeFileSync(file, message.subarray(0, -2));
    extra.push('--data', `@${file}`);
  }
  const child = spawn('swaks', ['--server', `127.0.0.1:${port}`, '--timeout', '30', ...args, ...extra]);
  let transcript = '';
  child.stdout.on('data', (chunk: Buffer) => (transcript += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (transcript += chunk.toString('utf8')));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const replies = transcript
    .split('\n')
    .filter((l) => /^<(-|\*\*|~|~\*\*|\*|~\*) +\d{3}[ -]/.test(l))
    .map((l) => l.replace(/^<(-|\*\*|~|~\*\*|\*|~\*) +/, ''));
  return { status, transcript, replies };
}

/**
 * A clear-text SMTP dialogue over a raw socket, one command at a time: `null` stands for the
 * message, sent dot-stuffed exactly as given, then "." CRLF. Resolves with each command's reply.
 */
function dialogue(
  port: number,
  steps: Array<string | null>,
  message: Buffer = Buffer.alloc(0),
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const replies: string[] = [];
    let pending = '';
    let step = -1; // -1: the greeting
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let end: RegExpExecArray | null;
      while ((end = /^\d{3} [^\r\n]*\r\n/m.exec(pending))) {
        replies.push(pending.slice(0, end.index + end[0].length).trimEnd());
        pending = pending.slice(end.index + end[0].length);
        step++;
        if (step >= steps.length) {
          socket.end();
          return;
        }
        const next = steps[step];
        if (next === null) {
          const stuffed = message.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
          socket.write(Buffer.concat([Buffer.from(stuffed, 'latin1'), Buffer.from('.\r\n')]));
        } else socket.write(`${next}\r\n`);
      }
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(replies.slice(1)));
  });
}

const crlf = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
const lastReply = (r: SwaksResult) => r.replies.at(-2) ?? ''; // the last is QUIT's 221
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A message with what an archived message being resent may carry (8-bit UTF-8, Return-Path, Bcc, dots). */
const ARCHIVED = Buffer.concat([
  crlf(
    [
      'Return-Path: <bounces@example.test>',
      'Received: from mx.example.test by mail.example.test; Mon, 3 Mar 2025 10:00:00 +0000',
      'From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.test>',
      'To: Ren\u00e9e <renee@example.test>',
      'Bcc: hidden@example.test',
      'Subject: Gr\u00fc\u00dfe \u5c71\u7530 \ud83d\udce8',
      'Date: Mon, 3 Mar 2025 10:00:00 +0000',
      'Message-ID: <archived-1@example.test>',
      'Content-Length: 42',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      '\u00e4\u00f6\u00fc \u00df \u5c71\u7530\u592a\u90ce',
      '.a line starting with a dot',
      '..two dots',
      '.',
      'From the start of a line',
      'trailing white space   ',
      '',
    ].join('\r\n'),
  ),
  Buffer.from('a bare\rCR inside a line\r\n\r\n', 'latin1'),
]);

const isRoot = process.getuid?.() === 0;
const available = postfixCaptureAvailable();
// As root (CI, where `npm test`'s pretest installs the packages) this never skips: a missing package fails.
const title = isRoot
  ? 'Postfix capture: a real SMTP peer for mail sending'
  : `Postfix capture: a real SMTP peer for mail sending (SKIPPED: ${available.reason}; Postfix must be started as root)`;

describe.skipIf(!isRoot)(title, () => {
  let capture: PostfixCapture<'plain' | 'starttls' | 'smtps'>;
  let dir: ReturnType<typeof tempDir>;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    dir = tempDir('postvault-capture-test-');
    const t = Date.now();
    capture = await startPostfixCapture({ username: 'sender@postvault.test', password: 'correct horse' });
    timings.start = (Date.now() - t) / 1000;
  });

  afterAll(async () => {
    const t = Date.now();
    await capture?.stop();
    timings.stop = (Date.now() - t) / 1000;
    dir?.remove();
    console.log('postfix-capture timings (s):', timings);
  });

  beforeEach(() => capture.clear());

  it('takes mail without authentication on the plain port and captures the DATA byte-identical', async () => {
    const t = Date.now();
    const result = await swaks(
      capture.ports.plain,
      ['--from', 'sender@example.test', '--to', 'zoe@example.test,adam@example.test'],
      ARCHIVED,
      dir.path,
    );
    expect(result.status, result.transcript).toBe(0);
    expect(lastReply(result)).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(result.replies).not.toContain('250-STARTTLS');
    const [m] = await capture.waitForMessages(1);
    timings['swaks to capture'] = (Date.now() - t) / 1000;

    expect(m!.raw.equals(ARCHIVED)).toBe(true);
    expect(m!.raw.toString('latin1')).toBe(ARCHIVED.toString('latin1')); // shows the difference if any
    expect(m!.listener).toBe('plain');
    expect(m!.mailFrom).toEqual({ address: 'sender@example.test', parameters: [] });
    expect(m!.rcptTo.map((r) => r.address)).toEqual(['zoe@example.test', 'adam@example.test']);
    expect(m!.sender).toBe('sender@example.test');
    expect([...m!.recipients].sort()).toEqual(['adam@example.test', 'zoe@example.test']);
    expect(m!.tls).toBeNull();
    expect(m!.auth).toBeNull();
    expect(m!.protocol).toBe('ESMTP');
    expect(lastReply(result)).toBe(`250 2.0.0 Ok: queued as ${m!.queueId}`);
    // What was split off: exactly the one Received header this Postfix added; nothing else is there.
    expect(readFileSync(m!.file).equals(Buffer.concat([Buffer.from(m!.received, 'utf8'), ARCHIVED]))).toBe(
      true,
    );
    expect(m!.received).toMatch(
      new RegExp(
        `^Received: from \\S+ \\(localhost \\[127\\.0\\.0\\.1\\]\\)\\r\\n\\tby capture\\.postvault\\.test \\(Postfix\\) with ESMTP id ${m!.queueId};\\r\\n\\t[^\\r\\n]+\\r\\n$`,
      ),
    );
  });

  it('takes STARTTLS and AUTH PLAIN on the submission-like port', async () => {
    const result = await swaks(capture.ports.starttls, [
      '--tls',
      '--auth',
      'PLAIN',
      '--auth-user',
      capture.username,
      '--auth-password',
      capture.password,
      '--from',
      'sender@postvault.test',
      '--to',
      'renee@example.test',
    ]);
    expect(result.status, result.transcript).toBe(0);
    expect(result.replies).toContain('250-STARTTLS');
    expect(result.replies).toContain('235 2.7.0 Authentication successful');
    const [m] = await capture.waitForMessages(1);
    expect(m!.listener).toBe('starttls');
    expect(m!.tls).toMatchObject({ mode: 'starttls', version: expect.stringMatching(/^TLSv1\.[23]$/) });
    expect(m!.auth).toEqual({ mechanism: 'PLAIN', username: 'sender@postvault.test' });
    expect(m!.protocol).toBe('ESMTPSA');
    expect(m!.dialogue).toContain('C: STARTTLS');
    expect(m!.dialogue).toContain('S: 220 2.0.0 Ready to start TLS');
    // AUTH is offered only after STARTTLS on this port.
    const ehlos = m!.dialogue.filter((l) => l.startsWith('S: 250-AUTH'));
    expect(ehlos).toEqual(['S: 250-AUTH PLAIN LOGIN']);
    expect(m!.dialogue.indexOf('S: 250-AUTH PLAIN LOGIN')).toBeGreaterThan(
      m!.dialogue.indexOf('C: STARTTLS'),
    );
  });

  it('takes implicit TLS (SMTPS) and AUTH LOGIN', async () => {
    const result = await swaks(capture.ports.smtps, [
      '--tlsc',
      '--auth',
      'LOGIN',
      '--auth-user',
      capture.username,
      '--auth-password',
      capture.password,
      '--from',
      'sender@postvault.test',
      '--to',
      'renee@example.test',
    ]);
    expect(result.status, result.transcript).toBe(0);
    const [m] = await capture.waitForMessages(1);
    expect(m!.listener).toBe('smtps');
    expect(m!.tls).toMatchObject({ mode: 'implicit' });
    expect(m!.dialogue).not.toContain('C: STARTTLS');
    expect(m!.auth).toEqual({ mechanism: 'LOGIN', username: 'sender@postvault.test' });
  });

  it('refuses a wrong password with 535 and captures nothing', async () => {
    const result = await swaks(capture.ports.smtps, [
      '--tlsc',
      '--auth',
      'PLAIN',
      '--auth-user',
      capture.username,
      '--auth-password',
      'wrong password',
      '--from',
      'sender@postvault.test',
      '--to',
      'renee@example.test',
    ]);
    expect(result.status).not.toBe(0);
    expect(result.replies).toContain('535 5.7.8 Error: authentication failed: (reason unavailable)');
    // What Postfix answered and why, from the logs (written a moment later: waitForLog).
    await capture.waitForLog(/: > localhost\[127\.0\.0\.1\]:\d+: 535 5\.7\.8 Error: authentication failed/);
    await capture.waitForLog('passwd-file(sender@postvault.test,127.0.0.1): Password mismatch', {
      log: 'dovecot',
    });
    await sleep(300);
    expect(await capture.messages()).toEqual([]);
  });

  it('requires STARTTLS and authentication where the mode says so', async () => {
    const noTls = await swaks(capture.ports.starttls, ['--from', 's@example.test', '--to', 'r@example.test']);
    expect(noTls.replies).toContain('530 5.7.0 Must issue a STARTTLS command first');
    expect(noTls.replies).not.toContain('250-AUTH PLAIN LOGIN'); // not offered in clear text there
    const noAuth = await swaks(capture.ports.starttls, [
      '--tls',
      '--from',
      's@example.test',
      '--to',
      'r@example.test',
    ]);
    expect(noAuth.replies).toContainEqual(
      expect.stringMatching(
        /^530 5\.7\.0 <localhost\[127\.0\.0\.1\]:\d+>: Client host rejected: Authentication required$/,
      ),
    );
    const noAuthSmtps = await swaks(capture.ports.smtps, [
      '--tlsc',
      '--from',
      's@example.test',
      '--to',
      'r@example.test',
    ]);
    expect(noAuthSmtps.replies).toContainEqual(
      expect.stringMatching(/^530 5\.7\.0 .*Authentication required$/),
    );
    // The plain port offers AUTH in clear text too (for encryption "none" with a password).
    const plainAuth = await swaks(capture.ports.plain, [
      '--auth',
      'PLAIN',
      '--auth-user',
      capture.username,
      '--auth-password',
      capture.password,
      '--from',
      's@example.test',
      '--to',
      'r@example.test',
    ]);
    expect(plainAuth.status, plainAuth.transcript).toBe(0);
    const [m] = await capture.waitForMessages(1);
    expect(m!.tls).toBeNull();
    expect(m!.auth).toEqual({ mechanism: 'PLAIN', username: 'sender@postvault.test' });
    expect(m!.protocol).toBe('ESMTPA');
  });

  it('takes SMTPUTF8 and BODY=8BITMIME to 山田太郎@株式.会社 and keeps the UTF-8 bytes', async () => {
    const message = crlf(
      [
        'From: 送信者 <送信者@例え.テスト>',
        'To: 山田太郎 <山田太郎@株式.会社>',
        'Subject: ご案内 \u2013 Grüße',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        'こんにちは',
        '',
      ].join('\n'),
    );
    const replies = await dialogue(
      capture.ports.plain,
      [
        'EHLO client.example.test',
        'MAIL FROM:<送信者@例え.テスト> SMTPUTF8 BODY=8BITMIME',
        'RCPT TO:<山田太郎@株式.会社>',
        'DATA',
        null,
        'QUIT',
      ],
      message,
    );
    expect(replies[0]).toContain('250-SMTPUTF8');
    expect(replies[0]).toContain('250-8BITMIME');
    expect(replies[4]).toMatch(/^250 2\.0\.0 Ok: queued as /);
    const [m] = await capture.waitForMessages(1);
    expect(m!.raw.equals(message)).toBe(true);
    expect(m!.mailFrom).toEqual({ address: '送信者@例え.テスト', parameters: ['SMTPUTF8', 'BODY=8BITMIME'] });
    expect(m!.smtputf8).toBe(true);
    expect(m!.body).toBe('8BITMIME');
    expect(m!.protocol).toBe('UTF8SMTP');
    expect(m!.rcptTo).toEqual([{ address: '山田太郎@株式.会社', parameters: [] }]);
    expect(m!.recipients).toEqual(['山田太郎@株式.会社']);
    expect(m!.sender).toBe('送信者@例え.テスト');
    expect(m!.helo).toBe('client.example.test');

    // Without SMTPUTF8 the same recipient is refused (what Postfix answers, seen in its log too).
    capture.clear();
    const refused = await dialogue(capture.ports.plain, [
      'EHLO client.example.test',
      'MAIL FROM:<sender@example.test>',
      'RCPT TO:<山田太郎@株式.会社>',
      'QUIT',
    ]);
    expect(refused[2]).toMatch(/^5\d\d 5\.\d\.\d /);
    expect(await capture.waitForLog(`: ${refused[2]}`)).toMatch(
      /< localhost\[127\.0\.0\.1\]:\d+: RCPT TO:<山田太郎@株式\.会社>/,
    );
  });

  it('captures what nodemailer sends over STARTTLS with authentication, trusting the certificate', async () => {
    const message = crlf(
      ['From: <送信者@例え.テスト>', 'To: <山田太郎@株式.会社>', 'Subject: テスト', '', '本文', ''].join(
        '\n',
      ),
    );
    const transport = nodemailer.createTransport({
      host: capture.host,
      port: capture.ports.starttls,
      secure: false,
      requireTLS: true,
      auth: { user: capture.username, pass: capture.password },
      tls: { ca: capture.certificate }, // verified: CN=localhost, SAN IP 127.0.0.1
    });
    try {
      const info = await transport.sendMail({
        envelope: { from: '送信者@例え.テスト', to: ['山田太郎@株式.会社', 'copy@example.test'] },
        raw: message,
      });
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
    } finally {
      transport.close();
    }
    const [m] = await capture.waitForMessages(1);
    expect(m!.raw.equals(message)).toBe(true);
    expect(m!.smtputf8).toBe(true);
    expect(m!.protocol).toBe('UTF8SMTPSA');
    expect(m!.tls?.mode).toBe('starttls');
    expect(m!.auth?.username).toBe(capture.username);
    expect(m!.rcptTo.map((r) => r.address)).toEqual(['山田太郎@株式.会社', 'copy@example.test']);
  });

  it('tells apart several messages sent on one connection', async () => {
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      host: capture.host,
      port: capture.ports.plain,
      secure: false,
      ignoreTLS: true,
    });
    const sent = [1, 2, 3].map((n) => ({
      from: `sender${n}@example.test`,
      to: [`rcpt${n}a@example.test`, `rcpt${n}b@example.test`],
      raw: crlf(`Subject: message ${n}\n\nbody ${n}\n`),
    }));
    try {
      for (const s of sent) await transport.sendMail({ envelope: { from: s.from, to: s.to }, raw: s.raw });
    } finally {
      transport.close();
    }
    const messages = await capture.waitForMessages(3);
    expect(new Set(messages.map((m) => m.clientPort)).size).toBe(1);
    for (const s of sent) {
      const m = messages.find((x) => x.mailFrom.address === s.from);
      expect(m, s.from).toBeDefined();
      expect(m!.rcptTo.map((r) => r.address)).toEqual(s.to);
      expect(m!.raw.equals(s.raw)).toBe(true);
    }
  });

  it('keeps the bytes of edge cases and refuses a bare LF instead of normalizing it', async () => {
    const cases: Record<string, Buffer> = {
      'long lines (1,500 and 10,000 octets; Postfix stores them in pieces)': crlf(
        `Subject: long\nX-Long: ${'h'.repeat(1500)}\n\n${'b'.repeat(10_000)}\nend\n`,
      ),
      'folded headers, empty values, white space lines': crlf(
        'Subject: folded\n over\n\tlines\nX-Empty:\nX-Spaces:   \n\n \n\t\n\n\n',
      ),
      'a message/rfc822 part with its own Return-Path and Bcc': crlf(
        [
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary=b1',
          '',
          '--b1',
          'Content-Type: message/rfc822',
          '',
          'Return-Path: <x@example.test>',
          'Bcc: y@example.test',
          'Resent-Bcc: z@example.test',
          'Subject: inner',
          '',
          'inner body',
          '--b1--',
          '',
        ].join('\n'),
      ),
      'binary-ish 8-bit bytes (Latin-1, not UTF-8)': Buffer.from(
        'Subject: latin1\r\n\r\n\xe4\xf6\xfc\xff\r\n',
        'latin1',
      ),
    };
    for (const [name, message] of Object.entries(cases)) {
      const replies = await dialogue(
        capture.ports.plain,
        [
          'EHLO t',
          'MAIL FROM:<s@example.test> BODY=8BITMIME',
          'RCPT TO:<r@example.test>',
          'DATA',
          null,
          'QUIT',
        ],
        message,
      );
      expect(replies[4], name).toMatch(/^250 2\.0\.0 Ok: queued as /);
    }
    const messages = await capture.waitForMessages(Object.keys(cases).length);
    for (const [name, message] of Object.entries(cases)) {
      const m = messages.find((x) => x.raw.equals(message));
      expect(
        m,
        `${name}: ${JSON.stringify(messages.map((x) => x.raw.toString('latin1').slice(0, 60)))}`,
      ).toBeDefined();
    }

    // A bare LF: Postfix here refuses the message rather than taking LF as a line end.
    const bareLf = await dialogue(
      capture.ports.plain,
      ['EHLO t', 'MAIL FROM:<s@example.test>', 'RCPT TO:<r@example.test>', 'DATA', null, 'QUIT'],
      Buffer.from('Subject: bare LF\r\n\r\nline one\nline two\r\n'),
    );
    expect(bareLf[4]).toBe('550 5.5.2 capture.postvault.test Error: bare <LF> received');
    await sleep(300);
    expect(await capture.messages()).toHaveLength(Object.keys(cases).length);
  });

  it('documents the two rewrites Postfix still makes (avoid them in byte-identity tests)', async () => {
    // 1. White space before a header's colon (obsolete RFC 5322 syntax) is removed, in any header,
    //    also in the header of an attached message.
    // 2. A message whose first line is not a header field gets an empty line in front of it.
    const cases = [
      {
        sent: 'Subject : spaced\nX-Custom\t: tab\n\nbody\n',
        captured: 'Subject: spaced\r\nX-Custom: tab\r\n\r\nbody\r\n',
      },
      {
        sent: 'Content-Type: message/rfc822\n\nSubject : inner\n\ninner body\n',
        captured: 'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n',
      },
      { sent: 'no header at all\n', captured: '\r\nno header at all\r\n' },
    ];
    for (const { sent } of cases) {
      const replies = await dialogue(
        capture.ports.plain,
        ['EHLO t', 'MAIL FROM:<s@example.test>', 'RCPT TO:<r@example.test>', 'DATA', null, 'QUIT'],
        crlf(sent),
      );
      expect(replies[4]).toMatch(/^250 /);
    }
    const messages = await capture.waitForMessages(cases.length);
    const raws = messages.map((m) => m.raw.toString('latin1')).sort();
    expect(raws).toEqual(cases.map((c) => c.captured).sort());
  });

  it('runs beside another capture with its own listeners, account and Dovecot', async () => {
    const t = Date.now();
    const other = await startPostfixCapture({
      listeners: { open: { tls: 'may', auth: 'off' }, member: { tls: 'none', auth: 'required' } },
    });
    timings['second start'] = (Date.now() - t) / 1000;
    try {
      expect(other.base).not.toBe(capture.base);
      expect(other.password).not.toBe(capture.password);
      const clear = await swaks(other.ports.open, ['--from', 's@example.test', '--to', 'r@example.test']);
      expect(clear.status, clear.transcript).toBe(0);
      expect(clear.replies).toContain('250-STARTTLS');
      expect(clear.replies.some((r) => r.startsWith('250-AUTH'))).toBe(false);
      const tls = await swaks(other.ports.open, [
        '--tls',
        '--from',
        's@example.test',
        '--to',
        'r@example.test',
      ]);
      expect(tls.status, tls.transcript).toBe(0);
      const auth = (user: string, password: string) =>
        swaks(other.ports.member, [
          '--auth',
          'LOGIN',
          '--auth-user',
          user,
          '--auth-password',
          password,
          '--from',
          's@example.test',
          '--to',
          'r@example.test',
        ]);
      // Each instance has its own Dovecot and accounts: the first capture's account is unknown here.
      expect((await auth(capture.username, capture.password)).replies).toContainEqual(
        expect.stringMatching(/^535 /),
      );
      expect((await auth(other.username, other.password)).status).toBe(0);
      const messages = await other.waitForMessages(3);
      // Postfix may hand over the three in any order when the machine is busy: compare them as a set.
      const seen = messages.map((m) => `${m.listener} ${m.tls?.mode ?? 'plain'}`).sort();
      expect(seen).toEqual(['member plain', 'open plain', 'open starttls']);
      expect(messages.find((m) => m.listener === 'member')!.auth).toEqual({
        mechanism: 'LOGIN',
        username: other.username,
      });
      expect(await capture.messages()).toEqual([]);
    } finally {
      const s = Date.now();
      await other.stop();
      timings['second stop'] = (Date.now() - s) / 1000;
    }
  });
});
