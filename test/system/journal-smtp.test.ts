import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildJournalReport } from '../../src/bench/synthetic-journal-report.js';
import {
  startJournalSmtpServer,
  type RunningJournalSmtp,
} from '../../src/ingest/journal/journal-smtp.server.js';
import { startJournalSmtp } from '../../src/listeners.js';
import { freePort } from '../support/server-process.js';
import { swaks, type SwaksResult } from '../support/swaks.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

// The reports below are SYNTHETIC (no real journal report is public), built around real corpus messages.
const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));
const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const OPERATOR = { kind: 'system' as const, name: 'test' };

/**
 * A pipelined SMTP dialogue over a plain socket: the commands in one write, then the message with
 * its dot-stuffing and terminator, then QUIT; resolves with every reply line.
 */
function smtpDialogue(port: number, commands: string[], message: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let stage: 'greeting' | 'ehlo' | 'pipelined' | 'data' | 'quit' = 'greeting';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const lines = received.split('\r\n');
      const finals = lines.filter((l) => /^\d{3} /.test(l)).length;
      if (stage === 'greeting' && finals >= 1) {
        stage = 'ehlo';
        socket.write(`${commands[0]}\r\n`);
      } else if (stage === 'ehlo' && finals >= 2) {
        stage = 'pipelined';
        socket.write(
          commands
            .slice(1)
            .map((c) => `${c}\r\n`)
            .join(''),
        );
      } else if (stage === 'pipelined' && finals >= 2 + commands.length - 1) {
        stage = 'data';
        const stuffed = message.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
        socket.write(Buffer.concat([Buffer.from(stuffed, 'latin1'), Buffer.from('\r\n.\r\n')]));
      } else if (stage === 'data' && finals >= 2 + commands.length) {
        stage = 'quit';
        socket.end('QUIT\r\n');
      }
    });
    socket.once('error', reject);
    socket.once('close', () => resolve(received.split('\r\n').filter((l) => l.length > 0)));
  });
}

const lastReply = (r: SwaksResult) => r.replies.at(-2) ?? ''; // the last is QUIT's 221

describe('journal SMTP intake with swaks as the peer', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  let smtp: RunningJournalSmtp;
  let acme: { tenantId: number; address: string; mailboxId: number };
  let globex: { tenantId: number; address: string; mailboxId: number };

  async function endpointFor(slug: string) {
    const tenant = await app.tenants.createTenant(slug, slug);
    const ctx = { tenantId: tenant.id, actor: OPERATOR };
    const endpoint = await app.admin.journalEndpoints.create(ctx, {
      name: 'M365',
      newMailbox: { name: 'Journal' },
    });
    return { tenantId: tenant.id, address: endpoint.address, mailboxId: endpoint.mailbox.id };
  }

  /** What the archive holds once the intake has archived everything it acknowledged. */
  async function archived(tenantId: number, mailboxId: number) {
    await app.journalIntake.whenDrained();
    return app.database.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .select(['m.id', 'c.sha256', 'c.subject'])
      .where('m.tenant_id', '=', tenantId)
      .where('m.mailbox_id', '=', mailboxId)
      .execute();
  }

  async function searchIds(tenantId: number, query: string) {
    await app.journalIntake.whenDrained();
    const page = await app.search.search({ tenantId }, { query, limit: 50 });
    return page.results.map((r) => r.id);
  }

  beforeAll(async () => {
    dir = tempDir('postvault-journal-smtp-');
    app = await openTempApp(dir.path, {
      POSTVAULT_JOURNAL_DOMAIN: 'journal.example.test',
      POSTVAULT_JOURNAL_SMTP_PORT: String(await freePort()),
      POSTVAULT_JOURNAL_SMTP_MAX_MESSAGE_BYTES: String(256 * 1024),
    });
    acme = await endpointFor('acme');
    globex = await endpointFor('globex');
    smtp = (await startJournalSmtp(app))!;
  });

  afterAll(async () => {
    await smtp?.close();
    await app?.close();
    dir?.remove();
  });

  it('accepts a report over plain SMTP, archives the original byte-for-byte and finds it by its Bcc', async () => {
    const original = corpus('mime4j/russian-headers.msg');
    const report = buildJournalReport({
      original,
      sender: 'alice@contoso.test',
      recipients: [
        { kind: 'to', address: 'bob@contoso.test' },
        { kind: 'bcc', address: 'hidden.auditor@contoso.test' },
      ],
      journalAddress: acme.address,
    });
    const result = await swaks(
      smtp.port,
      ['--to', acme.address, '--from', 'journal@contoso.test'],
      report,
      dir.path,
    );
    expect(lastReply(result), result.transcript).toMatch(/^250 /);

    const rows = await archived(acme.tenantId, acme.mailboxId);
    expect(rows.map((r) => r.sha256)).toEqual([sha256(original)]);
    expect(await app.archive.readMessage({ tenantId: acme.tenantId }, rows[0]!.id)).toEqual(original);
    expect(await searchIds(acme.tenantId, 'bcc:hidden.auditor@contoso.test')).toEqual([rows[0]!.id]);
    // Tenant scoping: the other tenant's search does not see it.
    expect(await searchIds(globex.tenantId, 'bcc:hidden.auditor@contoso.test')).toEqual([]);
  });

  it('offers STARTTLS and takes a report over TLS', async () => {
    const report = buildJournalReport({
      original: corpus('mime4j/basic-plain.msg'),
      sender: 'carol@contoso.test',
      recipients: [{ kind: 'to', address: 'dave@contoso.test' }],
    });
    const result = await swaks(
      smtp.port,
      ['-tls', '--to', acme.address, '--from', 'j@contoso.test'],
      report,
      dir.path,
    );
    expect(result.replies).toContain('250-STARTTLS');
    expect(result.transcript).toMatch(/TLS started with cipher/);
    expect(lastReply(result), result.transcript).toMatch(/^250 /);
  });

  it('advertises 8BITMIME, SMTPUTF8, PIPELINING and SIZE, and keeps 8-bit and UTF-8 mail unchanged', async () => {
    // Raw UTF-8 headers (RFC 6532) and an 8-bit body, from a UTF-8 envelope sender. SMTP carries
    // lines ending in CRLF (swaks, like any MTA, converts bare LF), so the original is sent that way.
    const original = crlf(corpus('tika/testRFC822_date_utf8'));
    const report = buildJournalReport({
      original,
      sender: 'jörg@exämple.test',
      recipients: [{ kind: 'bcc', address: 'zoë@exämple.test' }],
    });
    const result = await swaks(
      smtp.port,
      ['--pipeline', '--to', acme.address, '--from', 'jörg@exämple.test'],
      report,
      dir.path,
    );
    for (const feature of ['250-PIPELINING', '250-8BITMIME', '250-SMTPUTF8', `250 SIZE ${256 * 1024}`])
      expect(result.replies).toContain(feature);
    expect(lastReply(result), result.transcript).toMatch(/^250 /);
    const row = (await archived(acme.tenantId, acme.mailboxId)).find((r) => r.sha256 === sha256(original));
    expect(row).toBeDefined();
    expect(await searchIds(acme.tenantId, 'bcc:zoë@exämple.test')).toContain(row!.id);
  });

  it('takes MAIL FROM with the SMTPUTF8 and BODY=8BITMIME parameters, in one pipelined write', async () => {
    // swaks 20201014 cannot send these parameters; this is the dialogue an MTA such as Postfix sends.
    const original = crlf(corpus('tika/testRFC822_i18nheaders'));
    const report = buildJournalReport({
      original,
      sender: 'ユーザー@例え.テスト',
      recipients: [{ kind: 'bcc', address: 'müller@exämple.test' }],
    });
    const replies = await smtpDialogue(
      smtp.port,
      [
        'EHLO client.example.test',
        `MAIL FROM:<ユーザー@例え.テスト> SMTPUTF8 BODY=8BITMIME SIZE=${report.length}`,
        `RCPT TO:<${acme.address}>`,
        'DATA',
      ],
      report,
    );
    expect(replies.filter((r) => /^\d{3} /.test(r)).slice(-5, -1)).toEqual([
      expect.stringMatching(/^250 2\.1\.0 /),
      expect.stringMatching(/^250 2\.1\.5 /),
      expect.stringMatching(/^354 /),
      expect.stringMatching(/^250 /),
    ]);
    const row = (await archived(acme.tenantId, acme.mailboxId)).find((r) => r.sha256 === sha256(original));
    expect(row).toBeDefined();
    expect(await searchIds(acme.tenantId, 'bcc:müller@exämple.test')).toContain(row!.id);
  });

  it('delivers one transaction to endpoints of two tenants, each getting its own copy (pipelined)', async () => {
    const original = corpus('mime4j/qp-body.msg');
    const report = buildJournalReport({
      original,
      sender: 'erin@contoso.test',
      recipients: [{ kind: 'to', address: 'frank@fabrikam.test' }],
    });
    const result = await swaks(
      smtp.port,
      ['--pipeline', '--to', `${acme.address},${globex.address}`, '--from', 'j@contoso.test'],
      report,
      dir.path,
    );
    expect(lastReply(result), result.transcript).toMatch(/^250 /);
    for (const endpoint of [acme, globex]) {
      const rows = await archived(endpoint.tenantId, endpoint.mailboxId);
      expect(rows.filter((r) => r.sha256 === sha256(original))).toHaveLength(1);
    }
  });

  it('refuses an unknown recipient with 550 5.1.1 and is not a relay', async () => {
    const result = await swaks(smtp.port, [
      '--to',
      'nobody@journal.example.test',
      '--from',
      'x@contoso.test',
    ]);
    expect(result.replies).toContainEqual(expect.stringMatching(/^550 5\.1\.1 /));
    const relay = await swaks(smtp.port, ['--to', 'someone@elsewhere.test', '--from', 'x@contoso.test']);
    expect(relay.replies).toContainEqual(expect.stringMatching(/^550 5\.1\.1 /));
  });

  it('refuses a message over the size limit with 552 and stores nothing of it', async () => {
    const before = (await archived(acme.tenantId, acme.mailboxId)).length;
    const big = Buffer.concat([
      Buffer.from('Subject: too big\r\nFrom: a@contoso.test\r\n\r\n'),
      Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(400)),
    ]);
    const result = await swaks(smtp.port, ['--to', acme.address, '--from', 'x@contoso.test'], big, dir.path);
    expect(result.replies).toContainEqual(expect.stringMatching(/^552 5\.3\.4 /));
    expect(await archived(acme.tenantId, acme.mailboxId)).toHaveLength(before);
  });

  it('with "TLS required", refuses MAIL FROM until STARTTLS', async () => {
    const strict = await startJournalSmtpServer(
      { intake: app.journalIntake, endpoints: app.admin.journalEndpoints, logger: app.logger },
      {
        host: '127.0.0.1',
        port: 0,
        hostname: 'journal.example.test',
        maxMessageBytes: 1024 * 1024,
        tls: {
          key: readFileSync(join(dir.path, 'tls/journal-smtp.key'), 'utf8'),
          cert: readFileSync(join(dir.path, 'tls/journal-smtp.crt'), 'utf8'),
        },
        tlsRequired: true,
        maxConnections: 10,
        maxConnectionsPerPeer: 10,
        maxMessagesPerPeerPerMinute: 0,
        idleTimeoutSeconds: 30,
      },
    );
    try {
      const plain = await swaks(strict.port, ['--to', acme.address, '--from', 'x@contoso.test']);
      expect(plain.replies).toContainEqual(expect.stringMatching(/^530 /));
      const tls = await swaks(strict.port, ['-tls', '--to', acme.address, '--from', 'x@contoso.test']);
      expect(lastReply(tls), tls.transcript).toMatch(/^250 /);
    } finally {
      await strict.close();
    }
  });
});

describe('journal SMTP intake when the store fails', () => {
  it('answers 451 4.3.0 while the disk is full, loses nothing acknowledged, and recovers', async () => {
    const dir = tempDir('postvault-journal-full-');
    let diskFull = false;
    const app = await openTempApp(
      dir.path,
      {
        POSTVAULT_JOURNAL_DOMAIN: 'journal.example.test',
        POSTVAULT_JOURNAL_SMTP_PORT: String(await freePort()),
      },
      {
        blobFaults: {
          beforeWrite: () => {
            if (diskFull)
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          },
        },
      },
    );
    const smtp = (await startJournalSmtp(app))!;
    try {
      const tenant = await app.tenants.createTenant('acme', 'Acme');
      const endpoint = await app.admin.journalEndpoints.create(
        { tenantId: tenant.id, actor: OPERATOR },
        { name: 'M365', newMailbox: { name: 'Journal' } },
      );
      const report = (name: string) =>
        buildJournalReport({
          original: corpus(`mime4j/${name}`),
          sender: 'alice@contoso.test',
          recipients: [{ kind: 'bcc', address: 'bob@contoso.test' }],
        });
      const send = (name: string) =>
        swaks(smtp.port, ['--to', endpoint.address, '--from', 'j@contoso.test'], report(name), dir.path);

      expect(lastReply(await send('basic-plain.msg'))).toMatch(/^250 /);
      await app.journalIntake.whenDrained();
      diskFull = true;
      const refused = await send('qp-body.msg');
      // The peer is told to retry, not why (no paths or internals leave the server).
      expect(lastReply(refused), refused.transcript).toMatch(
        /^451 4\.3\.0 Message not stored, try again later$/,
      );
      const log = await app.processLog.list(tenant.id, { limit: 10, minSeverity: 'error' });
      expect(log[0]!.message).toMatch(/asked to retry \(451\): the server is out of disk space/);

      diskFull = false;
      expect(lastReply(await send('qp-body.msg'))).toMatch(/^250 /);
      await app.journalIntake.whenDrained();
      const stored = await app.database.db
        .selectFrom('message_contents')
        .select('sha256')
        .where('tenant_id', '=', tenant.id)
        .execute();
      expect(stored.map((r) => r.sha256).sort()).toEqual(
        [sha256(corpus('mime4j/basic-plain.msg')), sha256(corpus('mime4j/qp-body.msg'))].sort(),
      );
      const integrity = await app.archive.verify({ tenantId: tenant.id });
      expect(integrity.problems).toEqual([]);
    } finally {
      await smtp.close();
      await app.close();
      dir.remove();
    }
  });
});
