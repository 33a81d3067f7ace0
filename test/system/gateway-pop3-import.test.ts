import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cliPath } from '../support/paths.js';
import { curlPop3, run } from '../support/pop3-clients.js';
import { freePort, startServe } from '../support/server-process.js';
import { swaks, type SwaksResult } from '../support/swaks.js';
import { tempDir } from '../support/temp-app.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));
/** A message as it goes over SMTP: CRLF lines, ending with CRLF. */
const asSent = (b: Buffer) =>
  Buffer.from(
    b
      .toString('latin1')
      .replace(/\r?\n/g, '\r\n')
      .replace(/(?<!\r\n)$/, '\r\n'),
    'latin1',
  );
/** The DATA section for swaks --no-data-fixup: dot-stuffed, ending with "." (swaks adds the CRLF). */
const swaksData = (message: Buffer) =>
  Buffer.from(
    `${message
      .subarray(0, -2)
      .toString('latin1')
      .replace(/(^|\n)\./g, '$1..')}\r\n.`,
    'latin1',
  );
const lastReply = (r: SwaksResult) => r.replies.at(-2) ?? '';

/** 8-bit text, lines starting with dots (and a line that is only "."), one message over 1 MB. */
const MESSAGES = [
  ...[
    'mime4j/basic-plain.msg',
    'tika/testRFC822_date_utf8',
    'postal-mime/calendar-event.eml',
    'mime4j/intermediate-boundaries.msg',
    'mailparser/large_text.eml',
  ].map((name) => ({ name, bytes: asSent(corpus(name)) })),
  {
    name: 'dots',
    bytes: Buffer.from(
      'From: a@contoso.test\r\nTo: b@contoso.test\r\nSubject: dots \xe9\r\n\r\n.\r\n..\r\n.leading\r\n\r\n.\r\nend\r\n',
      'latin1',
    ),
  },
];
/** Two new messages and one the archive holds already (a duplicate: archived, so deleted too). */
const LATER = [
  ...['mime4j/simple-attachment.msg', 'mime4j/basic-plain.msg'].map((name, i) => ({
    name,
    bytes: asSent(Buffer.concat([Buffer.from(`X-Later: ${i}\r\n`), corpus(name)])),
  })),
  MESSAGES[2]!,
];

/**
 * `postvault import pop3s://…` against a real `postvault serve` gateway: its POP3S listener (TLS
 * from the first byte) with a certificate for 127.0.0.1, trusted with POSTVAULT_POP3_CA_FILE, and
 * its POP3 listener with STLS.
 */
describe('postvault import pop3s:// from a gateway mailbox', () => {
  const gatewayData = tempDir('postvault-pop3-import-gw-');
  const archiveData = tempDir('postvault-pop3-import-archive-');
  const scratch = tempDir('postvault-pop3-import-scratch-');
  let serve: Awaited<ReturnType<typeof startServe>>;
  let smtpPort: number;
  let pop3Port: number;
  let address: string;
  let password: string;
  let pop3sPort: number;
  let caFile: string;

  /** The CLI as a child process, asynchronously (so that this process keeps serving its own waits). */
  const postvault = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [cliPath, ...args], {
      POSTVAULT_DATA_DIR: archiveData.path,
      POSTVAULT_LOG_LEVEL: 'warn',
      ...env,
    });
  const importUrl = (scheme: 'pop3' | 'pop3s', port: number) =>
    `${scheme}://${encodeURIComponent(address)}@127.0.0.1:${port}`;
  const send = async (message: Buffer) =>
    expect(
      lastReply(
        await swaks(
          smtpPort,
          ['--no-data-fixup', '--to', address, '--from', 'journal@contoso.test'],
          swaksData(message),
          scratch.path,
        ),
      ),
    ).toMatch(/^250 /);
  /** The archive mailbox's messages, as `postvault export` gives them back. */
  const archived = async () => {
    const out = join(scratch.path, `export-${Math.random().toString(36).slice(2)}`);
    const exported = await postvault(['export', '--mailbox', 'gateway', '--format', 'eml', '--out', out]);
    expect(exported.status, exported.stderr).toBe(0);
    return readdirSync(out)
      .map((f) => sha256(readFileSync(join(out, f))))
      .sort();
  };

  beforeAll(async () => {
    const created = runCli(
      gatewayData.path,
      ['gateway', 'mailbox', 'create', '--name', 'Journal', '--json'],
      {
        POSTVAULT_GATEWAY_DOMAIN: 'gateway.example.test',
      },
    );
    expect(created.status, created.stderr).toBe(0);
    ({ address, password } = JSON.parse(created.stdout) as { address: string; password: string });
    // The gateway's certificate, issued for the address the import connects to, so that pop3s://
    // is verified against it (--ca-file) rather than skipped.
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    caFile = join(scratch.path, 'gateway.crt');
    const keyFile = join(scratch.path, 'gateway.key');
    writeFileSync(caFile, pems.cert);
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    smtpPort = await freePort();
    pop3Port = await freePort();
    pop3sPort = await freePort();
    serve = await startServe(
      {
        POSTVAULT_GATEWAY_DOMAIN: 'gateway.example.test',
        POSTVAULT_GATEWAY_SMTP_PORT: String(smtpPort),
        POSTVAULT_GATEWAY_POP3_PORT: String(pop3Port),
        POSTVAULT_GATEWAY_POP3S_PORT: String(pop3sPort),
        POSTVAULT_GATEWAY_SMTP_TLS_CERT: caFile,
        POSTVAULT_GATEWAY_SMTP_TLS_KEY: keyFile,
      },
      { dataDir: gatewayData.path },
    );
  });

  afterAll(async () => {
    await serve?.stop();
    gatewayData.remove();
    archiveData.remove();
    scratch.remove();
  });

  it('archives every message byte-identical, deletes them on the server; a second run archives nothing', async () => {
    for (const { bytes } of MESSAGES) await send(bytes);
    // What the gateway holds, as curl's RETR gives it: the bytes sent.
    const list = await curlPop3(pop3Port, address, password, '');
    expect(list.stdout.toString()).toBe(MESSAGES.map((m, i) => `${i + 1} ${m.bytes.length}\r\n`).join(''));
    const auth = `${encodeURIComponent(address)}:${encodeURIComponent(password)}`;
    const got = await run('curl', [
      '--silent',
      '--show-error',
      `pop3://${auth}@127.0.0.1:${pop3Port}/[1-${MESSAGES.length}]`,
      '-o',
      join(scratch.path, 'curl-#1.eml'),
    ]);
    expect(got.status, got.stderr).toBe(0);
    const stored = MESSAGES.map((_m, i) => readFileSync(join(scratch.path, `curl-${i + 1}.eml`)));
    expect(stored.map(sha256)).toEqual(MESSAGES.map((m) => sha256(m.bytes)));

    // Not trusted without the CA file: nothing is sent, nothing changes.
    const untrusted = await postvault(['import', importUrl('pop3s', pop3sPort), '--mailbox', 'gateway'], {
      POSTVAULT_POP3_PASSWORD: password,
    });
    expect(untrusted.status).toBe(2);
    expect(untrusted.stderr).toMatch(/certificate of the POP3 server .* is not trusted/);

    const first = await postvault(['import', importUrl('pop3s', pop3sPort), '--mailbox', 'gateway'], {
      POSTVAULT_POP3_PASSWORD: password,
      POSTVAULT_POP3_CA_FILE: caFile,
    });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('over TLS, certificate checked');
    expect(first.stdout.toString()).toContain(
      `${MESSAGES.length} new, 0 copies of archived messages, 0 already archived, 0 failed`,
    );
    expect(first.stdout.toString()).toContain(`${MESSAGES.length} deleted on the server, 0 left there`);
    expect(await archived()).toEqual(stored.map(sha256).sort());

    // The gateway mailbox is empty.
    const after = await curlPop3(pop3Port, address, password, '');
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout.toString().trim()).toBe('');

    const again = await postvault(['import', importUrl('pop3s', pop3sPort), '--mailbox', 'gateway'], {
      POSTVAULT_POP3_PASSWORD: password,
      POSTVAULT_POP3_CA_FILE: caFile,
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.toString()).toContain(
      '0 new, 0 copies of archived messages, 0 already archived, 0 failed',
    );
    expect(await archived()).toHaveLength(MESSAGES.length);
  });

  it('refuses a wrong password and deletes nothing; then pop3:// with STLS takes the mail in several sessions', async () => {
    for (const { bytes } of LATER) await send(bytes);
    const wrong = await postvault(['import', importUrl('pop3', pop3Port), '--mailbox', 'gateway'], {
      POSTVAULT_POP3_PASSWORD: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ',
    });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain(
      'postvault: the POP3 server refused the login: -ERR [AUTH] Wrong mailbox address or password',
    );

    // The user with --user, two messages per session: two logins, each ending with QUIT.
    const imported = await postvault(
      [
        'import',
        `pop3://127.0.0.1:${pop3Port}`,
        '--user',
        address,
        '--mailbox',
        'gateway',
        '--session-messages',
        '2',
      ],
      { POSTVAULT_POP3_PASSWORD: password },
    );
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stderr).toContain('over TLS (STLS), certificate not checked (loopback)');
    expect(imported.stdout.toString()).toContain(
      `${LATER.length - 1} new, 0 copies of archived messages, 1 already archived, 0 failed`,
    );
    expect(imported.stdout.toString()).toContain(
      `${LATER.length} deleted on the server, 0 left there (2 POP3 sessions)`,
    );
    const hashes = await archived();
    for (const { name, bytes } of LATER) expect(hashes, name).toContain(sha256(bytes));
    expect((await curlPop3(pop3Port, address, password, '')).stdout.toString().trim()).toBe('');
  });
});
