import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { IntegrityError, NotFoundError, TemporaryError } from '../../src/core/errors.js';
import { corpusDir } from '../support/paths.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

/** Synthetic test message with a large base64 attachment (built here, not from a public corpus). */
function syntheticMessageWithAttachment(subject: string, attachment: Buffer): Buffer {
  const body = attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Synthetic Sender <sender@example.test>',
      'To: receiver@example.test',
      `Subject: ${subject}`,
      'Date: Tue, 24 Nov 2026 10:00:00 +0000',
      `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of ${subject}`,
      '--b1',
      'Content-Type: application/octet-stream; name="report.bin"',
      'Content-Disposition: attachment; filename="report.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      body,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

describe('archive ingest and retrieval', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  let failWrites = false;

  beforeEach(async () => {
    dir = tempDir();
    failWrites = false;
    app = await openTempApp(
      dir.path,
      {},
      {
        blobFaults: {
          beforeWrite: () => {
            if (failWrites)
              throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          },
        },
      },
    );
  });
  afterEach(async () => {
    await app.close();
    dir.remove();
  });

  const defaultCtx = async () => ({ tenantId: (await app.tenants.findBySlug('default')).id });

  it('stores a copy of the same message in another folder once: two rows, one object', async () => {
    const ctx = await defaultCtx();
    const raw = readFileSync(join(corpusDir, 'tika', 'testRFC822_date_utf8'));
    const mailbox = await app.archive.ensureMailbox(ctx, 'alice');
    const [first] = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw, folderPath: 'Inbox', sourceRef: 'a' },
    ]);
    const [second] = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw, folderPath: 'Archive/2024', sourceRef: 'b' },
    ]);
    const [again] = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw, folderPath: 'Inbox', sourceRef: 'c' },
    ]);
    expect(first?.status).toBe('archived');
    expect(second?.status).toBe('copy');
    expect(again?.status).toBe('duplicate');
    const stats = await app.archive.stats(ctx);
    expect(stats).toMatchObject({ messages: 2, distinctMessages: 1, objects: 1 });
    if (first?.status !== 'archived' || second?.status !== 'copy') throw new Error('unexpected outcome');
    expect((await app.archive.readMessage(ctx, first.messageId)).equals(raw)).toBe(true);
    expect((await app.archive.readMessage(ctx, second.messageId)).equals(raw)).toBe(true);
  });

  it('keeps the per-mailbox and hourly counters equal to the message rows, copies counted, duplicates not', async () => {
    const ctx = await defaultCtx();
    const alice = await app.archive.ensureMailbox(ctx, 'alice');
    const bob = await app.archive.ensureMailbox(ctx, 'bob');
    const raws = ['one', 'two', 'three'].map((word) =>
      Buffer.from(`Subject: ${word}\r\n\r\n${word} body\r\n`),
    );
    const items = (folder: string) =>
      raws.map((raw, i) => ({ raw, folderPath: folder, sourceRef: `${folder}${i}` }));
    await app.archive.archiveBatch(ctx, alice.id, [...items('Inbox'), ...items('Inbox')]);
    await app.archive.archiveBatch(ctx, alice.id, items('Copies'));
    await app.archive.archiveBatch(ctx, bob.id, [
      ...items('Inbox'),
      { raw: raws[0]!, folderPath: 'Inbox', sourceRef: 'x' },
    ]);
    const fromRows = app.database.sqlite
      .prepare(
        `select m.mailbox_id as mailboxId, count(*) as messages, sum(c.size) as bytes
         from messages m join message_contents c on c.id = m.content_id group by m.mailbox_id order by 1`,
      )
      .all();
    const counters = app.database.sqlite
      .prepare('select mailbox_id as mailboxId, messages, bytes from mailbox_counts order by 1')
      .all();
    expect(counters).toEqual(fromRows);
    expect(fromRows).toEqual([
      expect.objectContaining({ mailboxId: alice.id, messages: 6 }),
      expect.objectContaining({ mailboxId: bob.id, messages: 3 }),
    ]);
    const hourly = app.database.sqlite
      .prepare('select sum(messages) as messages, sum(bytes) as bytes from volume_hourly')
      .get() as { messages: number; bytes: number };
    expect(hourly.messages).toBe(9);
  });

  it('shares nothing across tenants: the same bytes get a different object, and ids do not cross', async () => {
    const ctxA = await defaultCtx();
    const tenantB = await app.tenants.createTenant('customer-b', 'Customer B');
    const ctxB = { tenantId: tenantB.id };
    const raw = readFileSync(join(corpusDir, 'mime4j', 'russian-headers.msg'));
    const [a] = await app.archive.archiveBatch(ctxA, (await app.archive.ensureMailbox(ctxA, 'x')).id, [
      { raw, folderPath: '', sourceRef: 'a' },
    ]);
    const [b] = await app.archive.archiveBatch(ctxB, (await app.archive.ensureMailbox(ctxB, 'x')).id, [
      { raw, folderPath: '', sourceRef: 'b' },
    ]);
    expect(a?.status).toBe('archived');
    expect(b?.status).toBe('archived');
    expect((await app.archive.stats(ctxA)).objects).toBe(1);
    expect((await app.archive.stats(ctxB)).objects).toBe(1);
    if (a?.status !== 'archived') throw new Error('unexpected outcome');
    await expect(app.archive.readMessage(ctxB, a.messageId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stores a large attachment shared by two different messages once and reassembles both exactly', async () => {
    const ctx = await defaultCtx();
    const attachment = Buffer.alloc(64 * 1024);
    for (let i = 0; i < attachment.length; i++) attachment[i] = (i * 7919) % 251;
    const one = syntheticMessageWithAttachment('first message', attachment);
    const two = syntheticMessageWithAttachment('second message', attachment);
    const mailbox = await app.archive.ensureMailbox(ctx, 'bob');
    const outcomes = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw: one, folderPath: '', sourceRef: 'one' },
      { raw: two, folderPath: '', sourceRef: 'two' },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['archived', 'archived']);
    const stats = await app.archive.stats(ctx);
    // Two skeletons and one shared attachment object.
    expect(stats.objects).toBe(3);
    expect(stats.storedBytes).toBeLessThan(one.length + 4096);
    for (const [index, raw] of [one, two].entries()) {
      const outcome = outcomes[index];
      if (outcome?.status !== 'archived') throw new Error('unexpected outcome');
      expect((await app.archive.readMessage(ctx, outcome.messageId)).equals(raw)).toBe(true);
    }
    expect((await app.archive.verify(ctx)).problems).toEqual([]);
  });

  it('acknowledges nothing when the store fails (disk full) and recovers when space returns', async () => {
    const ctx = await defaultCtx();
    const raw = readFileSync(join(corpusDir, 'tika', 'testRFC822_multipart_attachments.eml'));
    const mailbox = await app.archive.ensureMailbox(ctx, 'carol');
    failWrites = true;
    const failure = await app.archive
      .archiveBatch(ctx, mailbox.id, [{ raw, folderPath: '', sourceRef: 'x' }])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TemporaryError);
    expect(await app.archive.stats(ctx)).toMatchObject({ messages: 0, objects: 0 });
    failWrites = false;
    const [outcome] = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw, folderPath: '', sourceRef: 'x' },
    ]);
    expect(outcome?.status).toBe('archived');
    expect((await app.archive.verify(ctx)).problems).toEqual([]);
  });
});

describe('archive edge cases found in review', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  beforeEach(async () => {
    dir = tempDir();
    app = await openTempApp(dir.path);
  });
  afterEach(async () => {
    await app.close();
    dir.remove();
  });
  const defaultCtx = async () => ({ tenantId: (await app.tenants.findBySlug('default')).id });

  it('keeps a message whose bytes equal a stored attachment part apart from that part', async () => {
    const ctx = await defaultCtx();
    const mailbox = await app.archive.ensureMailbox(ctx, 'x');
    // Synthetic: a single-part message with a 40 KB body (stored as a shared part), then a
    // message consisting of exactly those body bytes.
    const body = Buffer.from('A'.repeat(76) + '\r\n')
      .toString()
      .repeat(520);
    const single = Buffer.from(`Subject: big body\r\nContent-Type: text/plain\r\n\r\n${body}`);
    const bare = Buffer.from(body);
    const outcomes = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw: single, folderPath: '', sourceRef: 'a' },
    ]);
    const second = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw: bare, folderPath: '', sourceRef: 'b' },
    ]);
    expect([outcomes[0]?.status, second[0]?.status]).toEqual(['archived', 'archived']);
    for (const [outcome, raw] of [
      [outcomes[0], single],
      [second[0], bare],
    ] as const) {
      if (outcome?.status !== 'archived') throw new Error('unexpected outcome');
      expect((await app.archive.readMessage(ctx, outcome.messageId)).equals(raw)).toBe(true);
    }
  });

  it("refuses to archive into another tenant's mailbox", async () => {
    const other = await app.tenants.createTenant('other', 'Other');
    const theirs = await app.archive.ensureMailbox({ tenantId: other.id }, 'theirs');
    const raw = readFileSync(join(corpusDir, 'tika', 'testRFC822_date_utf8'));
    await expect(
      app.archive.archiveBatch(await defaultCtx(), theirs.id, [{ raw, folderPath: '', sourceRef: 'x' }]),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports a damaged key id in an object as an integrity error naming the message', async () => {
    const ctx = await defaultCtx();
    const mailbox = await app.archive.ensureMailbox(ctx, 'x');
    const raw = readFileSync(join(corpusDir, 'mime4j', 'russian-headers.msg'));
    const [outcome] = await app.archive.archiveBatch(ctx, mailbox.id, [
      { raw, folderPath: '', sourceRef: 'x' },
    ]);
    if (outcome?.status !== 'archived') throw new Error('unexpected outcome');
    const { locator } = await app.database.db
      .selectFrom('blobs')
      .select('locator')
      .where('tenant_id', '=', ctx.tenantId)
      .executeTakeFirstOrThrow();
    const packed = /^p:([0-9a-f]+):(\d+):(\d+)$/.exec(locator);
    if (!packed) throw new Error(`expected a packed object, got ${locator}`);
    const pack = join(dir.path, 'blobs', String(ctx.tenantId), 'packs', `${packed[1]}.pack`);
    const bytes = readFileSync(pack);
    // Object header: magic (4), version, kind, compression, flags, then the 4-byte key id.
    bytes[Number(packed[2]) + 11]! ^= 0x40;
    writeFileSync(pack, bytes);
    await expect(app.archive.readMessage(ctx, outcome.messageId)).rejects.toThrow(
      new RegExp(`message ${outcome.messageId} failed its integrity check`),
    );
    await expect(app.archive.readMessage(ctx, outcome.messageId)).rejects.toBeInstanceOf(IntegrityError);
  });
});
