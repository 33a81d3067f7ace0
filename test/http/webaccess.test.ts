import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitMbox } from '../../src/ingest/import/mbox-reader.js';
import { corpusDir } from '../support/paths.js';
import { openTempHttp, type TempHttp, type TestClient } from '../support/http.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n') + '\r\n');

/** 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const PLAIN = crlf([
  'From: Dora Finance <dora@acme.test>',
  'To: Alice <alice@acme.test>, Bob <bob@acme.test>',
  'Subject: Quarterly budget review',
  'Date: Tue, 02 Apr 2024 09:00:00 +0000',
  'Message-ID: <plain@acme.test>',
  '',
  'The budget for Q2 is final.',
  'Please review the budget by Friday.',
]);

const HTML = crlf([
  'From: Newsletter <news@vendor.test>',
  'To: alice@acme.test',
  'Subject: Spring newsletter',
  'Date: Wed, 03 Apr 2024 09:00:00 +0000',
  'Message-ID: <html@vendor.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/related; boundary="rel"',
  '',
  '--rel',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<html><body onload="top.__pvPwned=1"><p>Hello <b>Alice</b></p><img src="cid:logo@vendor.test">' +
    '<img src="https://tracker.example/p.gif"><script>top.__pvPwned=1</script></body></html>',
  '--rel',
  'Content-Type: image/png',
  'Content-ID: <logo@vendor.test>',
  'Content-Transfer-Encoding: base64',
  '',
  PNG.toString('base64'),
  '--rel',
  'Content-Type: text/html; name="page.html"',
  'Content-Disposition: attachment; filename="page.html"',
  '',
  '<script>top.__pvPwned=1</script>',
  '--rel--',
]);

const PRIVATE = crlf([
  'From: Alice <alice@acme.test>',
  'To: lawyer@example.net',
  'Subject: Private matter',
  'Date: Thu, 04 Apr 2024 09:00:00 +0000',
  'Message-ID: <private@acme.test>',
  '',
  'Only for Alice.',
]);

const SALES = crlf([
  'From: Customer <buyer@customer.test>',
  'To: sales@acme.test',
  'Subject: Order 4711',
  'Date: Fri, 05 Apr 2024 09:00:00 +0000',
  'Message-ID: <order@customer.test>',
  '',
  'We order 10 pieces.',
]);

describe('Web Access over HTTP', () => {
  let http: TempHttp;
  let admin: TestClient;
  let tenantId: number;
  const users: Record<string, { client: TestClient; id: number }> = {};
  const ids: Record<string, number> = {};
  const mailboxIds: Record<string, number> = {};

  beforeAll(async () => {
    http = await openTempHttp();
    const acme = await http.tenantWithAdmin('acme');
    admin = acme.admin;
    tenantId = acme.tenant.id;
    for (const name of ['alice', 'bob', 'carol', 'dave']) {
      const created = await admin.post('/api/v1/admin/users', { name, primaryAddress: `${name}@acme.test` });
      expect(created.status).toBe(201);
      const client = http.client();
      await client.signInTenant(created.body.user.login, created.body.password);
      users[name] = { client, id: created.body.user.id };
    }
    const readers = await admin.post('/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [users['alice']!.id, users['bob']!.id],
    });
    const sales = await admin.post('/api/v1/admin/groups', { name: 'Sales', memberIds: [users['bob']!.id] });
    await admin.post('/api/v1/admin/groups', {
      name: 'Compliance',
      roles: ['compliance'],
      memberIds: [users['carol']!.id],
    });
    for (const [name, kind, body] of [
      ['alice', 'user', { ownerIds: [users['alice']!.id] }],
      ['sales', 'shared', { sharedGroupIds: [sales.body.id] }],
      ['Journal', 'journal', {}],
    ] as const) {
      const mailbox = await admin.post('/api/v1/admin/mailboxes', { name, kind, ...body });
      expect(mailbox.status).toBe(201);
      mailboxIds[name] = mailbox.body.id;
    }
    expect(readers.status).toBe(201);
    const archive = (
      mailbox: string,
      items: Array<{ name: string; raw: Buffer; folder?: string; envelope?: object }>,
    ) =>
      http.app.archive
        .archiveBatch(
          { tenantId },
          mailboxIds[mailbox]!,
          items.map((i) => ({
            raw: i.raw,
            folderPath: i.folder ?? 'Inbox',
            sourceRef: i.name,
            ...(i.envelope ? { envelope: i.envelope as never } : {}),
          })),
        )
        .then((outcomes) =>
          outcomes.forEach((o, n) => {
            if (o.status === 'failed') throw new Error(o.error);
            ids[items[n]!.name] = o.messageId;
          }),
        );
    await archive('alice', [
      { name: 'plain', raw: PLAIN },
      { name: 'html', raw: HTML, folder: 'Inbox/Newsletters' },
      { name: 'private', raw: PRIVATE, folder: 'Sent' },
      {
        name: 'nodemailer',
        raw: readFileSync(join(corpusDir, 'mailparser', 'nodemailer.eml')),
        folder: 'Inbox',
      },
    ]);
    await archive('sales', [{ name: 'order', raw: SALES }]);
    await archive('Journal', [
      {
        name: 'journaled',
        raw: PLAIN,
        folder: '',
        envelope: {
          sender: 'dora@acme.test',
          recipients: [
            { address: 'alice@acme.test', kind: 'to' },
            { address: 'auditor@acme.test', kind: 'bcc' },
            { address: 'eve@acme.test', kind: 'to', expandedFrom: 'finance@acme.test' },
          ],
        },
      },
    ]);
    // Another tenant's message, which no one in acme may reach.
    const globex = await http.tenantWithAdmin('globex');
    const other = await http.app.archive.ensureMailbox({ tenantId: globex.tenant.id }, 'x');
    const [foreign] = await http.app.archive.archiveBatch({ tenantId: globex.tenant.id }, other.id, [
      { raw: crlf(['Subject: globex secret', '', 'x']), folderPath: '', sourceRef: 'g' },
    ]);
    ids['foreign'] = (foreign as { messageId: number }).messageId;
  });

  afterAll(async () => {
    await http?.close();
  });

  const alice = () => users['alice']!.client;
  const bob = () => users['bob']!.client;
  const carol = () => users['carol']!.client;

  it('shows each user the mailboxes they own, those shared with them, and all of them for Compliance', async () => {
    const mine = (await alice().get('/api/v1/webaccess/mailboxes')).body;
    expect(mine.mine.map((m: { name: string }) => m.name)).toEqual(['alice']);
    expect(mine.shared).toEqual([]);
    expect(mine.others).toEqual([]);
    const folders = mine.mine[0].folders;
    expect(folders.map((f: { path: string; messageCount: number }) => [f.path, f.messageCount])).toEqual([
      ['Inbox', 2],
      ['Inbox/Newsletters', 1],
      ['Sent', 1],
    ]);
    const inbox = folders.find((f: { path: string }) => f.path === 'Inbox');
    expect(folders.find((f: { path: string }) => f.path === 'Inbox/Newsletters').parentId).toBe(inbox.id);
    expect(mine.mine[0].messageCount).toBe(4);

    const bobs = (await bob().get('/api/v1/webaccess/mailboxes')).body;
    expect(bobs.mine).toEqual([]);
    expect(bobs.shared.map((m: { name: string }) => m.name)).toEqual(['sales']);
    const carols = (await carol().get('/api/v1/webaccess/mailboxes')).body;
    expect(carols.others.map((m: { name: string }) => m.name)).toEqual(['alice', 'Journal', 'sales']);
    const dave = await users['dave']!.client.get('/api/v1/webaccess/mailboxes');
    expect(dave.status).toBe(403);
    expect(dave.body.message).toMatch(/reader/i);
  });

  it('lists newest first, sorts by each column, and pages with a cursor without gaps or repeats', async () => {
    const newest = (await alice().get('/api/v1/webaccess/messages')).body;
    expect(newest.results.map((r: { subject: string }) => r.subject).slice(0, 3)).toEqual([
      'Private matter',
      'Spring newsletter',
      'Quarterly budget review',
    ]);
    const bySubject = (await alice().get('/api/v1/webaccess/messages?sort=subject&order=asc')).body.results;
    const subjects = bySubject.map((r: { subject: string }) => r.subject.toLowerCase());
    expect(subjects).toEqual([...subjects].sort());
    const bySize = (await alice().get('/api/v1/webaccess/messages?sort=size')).body.results;
    const sizes = bySize.map((r: { size: number }) => r.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const sort of ['date', 'from', 'subject', 'size']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/v1/webaccess/messages?sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const page: { results: Array<{ id: number }>; nextCursor: string | null } = (await alice().get(url))
          .body;
        seen.push(...page.results.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual([ids['plain'], ids['html'], ids['private'], ids['nodemailer']].sort());
    }
    const row = newest.results.find((r: { id: number }) => r.id === ids['plain']);
    expect(row).toMatchObject({
      from: 'dora@acme.test',
      fromName: 'Dora Finance',
      to: 'Alice +1',
      hasAttachments: false,
    });
  });

  it('searches with the query language, in a folder, and marks the matches', async () => {
    const found = (await alice().get('/api/v1/webaccess/messages?q=' + encodeURIComponent('subject:budget')))
      .body;
    expect(found.results.map((r: { id: number }) => r.id)).toEqual([ids['plain']]);
    expect(found.results[0].subjectMarked).toBe('Quarterly «budget» review');
    expect(found.terms).toEqual(['budget']);
    const mailboxes = (await alice().get('/api/v1/webaccess/mailboxes')).body;
    const sent = mailboxes.mine[0].folders.find((f: { path: string }) => f.path === 'Sent');
    const inFolder = (await alice().get(`/api/v1/webaccess/messages?folderId=${sent.id}`)).body;
    expect(inFolder.results.map((r: { id: number }) => r.id)).toEqual([ids['private']]);
    const bad = await alice().get('/api/v1/webaccess/messages?q=' + encodeURIComponent('subject:(budget'));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/position|column|at /i);
    // Another user's mailbox or folder is not found, whatever the query.
    expect((await bob().get(`/api/v1/webaccess/messages?mailboxId=${mailboxIds['alice']}`)).status).toBe(404);
    expect((await bob().get(`/api/v1/webaccess/messages?folderId=${sent.id}`)).status).toBe(404);
    const bobsAll = (await bob().get('/api/v1/webaccess/messages')).body;
    expect(bobsAll.results.map((r: { id: number }) => r.id)).toEqual([ids['order']]);
  });

  it('opens a plain message with its headers and the search words marked', async () => {
    const detail = (await alice().get(`/api/v1/webaccess/messages/${ids['plain']}?q=budget`)).body;
    expect(detail).toMatchObject({
      subject: 'Quarterly budget review',
      from: [{ name: 'Dora Finance', address: 'dora@acme.test' }],
      to: [
        { name: 'Alice', address: 'alice@acme.test' },
        { name: 'Bob', address: 'bob@acme.test' },
      ],
      hasHtml: false,
      envelope: null,
      owned: true,
      mailbox: 'alice',
      folder: 'Inbox',
    });
    expect(detail.text).toContain('The budget for Q2 is final.');
    expect(detail.textMarked).toContain('The «budget» for Q2 is final.');
  });

  it('shows the journal envelope with every recipient, Bcc included', async () => {
    const detail = (await carol().get(`/api/v1/webaccess/messages/${ids['journaled']}`)).body;
    expect(detail.owned).toBe(false);
    expect(detail.envelope.sender).toBe('dora@acme.test');
    expect(detail.envelope.recipients).toEqual(
      expect.arrayContaining([
        { address: 'auditor@acme.test', kind: 'bcc', expandedFrom: null, forwardedFrom: null },
        { address: 'eve@acme.test', kind: 'to', expandedFrom: 'finance@acme.test', forwardedFrom: null },
      ]),
    );
  });

  it('serves HTML without scripts under a sandboxing policy, with cid: images inline', async () => {
    const detail = (await alice().get(`/api/v1/webaccess/messages/${ids['html']}`)).body;
    expect(detail).toMatchObject({ hasHtml: true, hasExternalContent: true });
    expect(detail.attachments).toEqual([
      {
        index: 0,
        filename: 'attachment-1',
        contentType: 'image/png',
        size: PNG.length,
        contentId: 'logo@vendor.test',
        inline: true,
      },
      { index: 1, filename: 'page.html', contentType: 'text/html', size: 33, contentId: null, inline: false },
    ]);
    const html = await alice().get(`/api/v1/webaccess/messages/${ids['html']}/html`);
    expect(html.status).toBe(200);
    const policy = String(html.headers['content-security-policy']);
    expect(policy).toMatch(/^sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'/);
    expect(policy).toContain('img-src data:;');
    expect(policy).not.toMatch(/script-src|https:/);
    expect(html.body).not.toMatch(/script|onload|__pvPwned/i);
    expect(html.body).toContain(`src="data:image/png;base64,${PNG.toString('base64')}"`);
    expect(html.body).toContain('src="https://tracker.example/p.gif"');
    const external = await alice().get(`/api/v1/webaccess/messages/${ids['html']}/html?external=1`);
    expect(String(external.headers['content-security-policy'])).toContain('img-src data: https: http:');
    expect(String(external.headers['content-security-policy'])).not.toContain('script-src');
    expect((await alice().get(`/api/v1/webaccess/messages/${ids['plain']}/html`)).status).toBe(404);
  });

  it('downloads attachments as files, never as pages', async () => {
    const image = await alice().get(`/api/v1/webaccess/messages/${ids['html']}/parts/0?inline=1`);
    expect(image.headers['content-type']).toBe('image/png');
    expect(String(image.headers['content-disposition'])).toMatch(/^inline;/);
    const page = await alice().get(`/api/v1/webaccess/messages/${ids['html']}/parts/1?inline=1`);
    expect(page.headers['content-type']).toBe('application/octet-stream');
    expect(String(page.headers['content-disposition'])).toMatch(/^attachment; filename="page.html"/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toBe('<script>top.__pvPwned=1</script>\n');
    expect((await alice().get(`/api/v1/webaccess/messages/${ids['html']}/parts/2`)).status).toBe(404);
  });

  it('downloads a message byte for byte and shows its source', async () => {
    const original = readFileSync(join(corpusDir, 'mailparser', 'nodemailer.eml'));
    const response = await http.server.inject({
      url: `/api/v1/webaccess/messages/${ids['nodemailer']}/eml`,
      headers: { cookie: [...alice().cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('message/rfc822');
    expect(sha256(response.rawPayload)).toBe(sha256(original));
    const source = await alice().get(`/api/v1/webaccess/messages/${ids['plain']}/source`);
    expect(source.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(source.body).toBe(PLAIN.toString());
  });

  it('exports a selection as ZIP and a search as MBOX, byte for byte, with progress', async () => {
    const zipOf = [ids['plain']!, ids['html']!, ids['nodemailer']!];
    const created = await alice().post('/api/v1/webaccess/exports', { format: 'zip', messageIds: zipOf });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'ready', messages: 3, written: 0 });
    const cookie = [...alice().cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const zip = await http.server.inject({
      url: `/api/v1/webaccess/exports/${created.body.id}/download`,
      headers: { cookie },
    });
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const entries = unzipSync(new Uint8Array(zip.rawPayload));
    expect(Object.keys(entries)).toEqual([
      '00001-Quarterly budget review.eml',
      '00002-Spring newsletter.eml',
      expect.stringMatching(/^00003-/),
    ]);
    expect(Object.values(entries).map(sha256)).toEqual([
      sha256(PLAIN),
      sha256(HTML),
      sha256(readFileSync(join(corpusDir, 'mailparser', 'nodemailer.eml'))),
    ]);
    const status = (await alice().get(`/api/v1/webaccess/exports/${created.body.id}`)).body;
    expect(status).toMatchObject({ status: 'done', written: 3, messages: 3 });
    expect(status.bytesWritten).toBe(status.bytes);
    expect((await alice().get(`/api/v1/webaccess/exports/${created.body.id}/download`)).status).toBe(409);
    // Only the user who made it can follow it.
    expect((await bob().get(`/api/v1/webaccess/exports/${created.body.id}`)).status).toBe(404);

    const mbox = await alice().post('/api/v1/webaccess/exports', { format: 'mbox', search: { q: 'budget' } });
    expect(mbox.body.messages).toBe(1);
    const file = await http.server.inject({
      url: `/api/v1/webaccess/exports/${mbox.body.id}/download`,
      headers: { cookie },
    });
    const messages: string[] = [];
    for await (const m of splitMbox(
      (async function* () {
        yield file.rawPayload;
      })(),
    ))
      messages.push('raw' in m ? sha256(m.raw) : m.error);
    expect(messages).toEqual([sha256(PLAIN)]);
  });

  it('refuses cursors it did not write for this order, and checks access again at download', async () => {
    const forged = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      forged({ n: 0 }),
      forged({ s: 'date', o: 'desc', k: { x: 1 }, i: 1 }),
      forged({ s: 'subject', o: 'desc', k: 5, i: 1 }),
    ]) {
      const answer = await alice().get(`/api/v1/webaccess/messages?cursor=${cursor}`);
      expect(answer.status, cursor).toBe(400);
    }
    const page = (await alice().get('/api/v1/webaccess/messages?limit=1&order=asc')).body;
    expect(
      (await alice().get(`/api/v1/webaccess/messages?limit=1&order=desc&cursor=${page.nextCursor}`)).status,
    ).toBe(400);
    // Bob prepares an export of the shared mailbox, then loses the share before downloading.
    const prepared = await bob().post('/api/v1/webaccess/exports', {
      format: 'mbox',
      messageIds: [ids['order']],
    });
    expect(prepared.status).toBe(201);
    // A HEAD request does not use up the one download.
    expect(
      (await bob().request('HEAD', `/api/v1/webaccess/exports/${prepared.body.id}/download`)).status,
    ).toBe(404);
    const sales = (await admin.get('/api/v1/admin/mailboxes')).body.mailboxes.find(
      (m: { name: string }) => m.name === 'sales',
    );
    const groups = (sales.sharedWith as Array<{ id: number }>).map((g) => g.id);
    await admin.patch(`/api/v1/admin/mailboxes/${sales.id}`, { sharedGroupIds: [] });
    try {
      expect((await bob().get(`/api/v1/webaccess/exports/${prepared.body.id}/download`)).status).toBe(404);
    } finally {
      await admin.patch(`/api/v1/admin/mailboxes/${sales.id}`, { sharedGroupIds: groups });
    }
  });

  it('keeps at most three prepared exports per user', async () => {
    const prepare = () =>
      carol().post('/api/v1/webaccess/exports', { format: 'mbox', messageIds: [ids['order']] });
    for (let i = 0; i < 3; i++) expect((await prepare()).status).toBe(201);
    const fourth = await prepare();
    expect(fourth.status).toBe(409);
    expect(fourth.body.message).toMatch(/3 exports prepared/);
  });

  it('marks an export whose download was broken off as failed', async () => {
    const ctx = {
      tenantId,
      actor: {
        kind: 'user' as const,
        id: users['alice']!.id,
        name: 'alice@acme',
        roles: ['reader' as const],
      },
    };
    const { exports } = http.app.webAccess;
    const prepared = await exports.create(ctx, { format: 'mbox', messageIds: [ids['plain']!, ids['html']!] });
    const { stream } = await exports.download(ctx, prepared.id);
    for await (const _chunk of stream) break; // the browser goes away after the first bytes
    await new Promise((resolve) => setImmediate(resolve));
    expect(exports.status(ctx, prepared.id)).toMatchObject({
      status: 'failed',
      error: 'the download was interrupted',
    });
  });

  it('refuses every message route for a mailbox that is neither owned nor shared', async () => {
    const refused: string[] = [];
    for (const id of [ids['private']!, ids['journaled']!, ids['foreign']!]) {
      for (const url of [
        `/api/v1/webaccess/messages/${id}`,
        `/api/v1/webaccess/messages/${id}/html`,
        `/api/v1/webaccess/messages/${id}/parts/0`,
        `/api/v1/webaccess/messages/${id}/eml`,
        `/api/v1/webaccess/messages/${id}/source`,
      ]) {
        const answer = await bob().get(url);
        if (answer.status !== 404) refused.push(`${url} → ${answer.status}`);
      }
      const exported = await bob().post('/api/v1/webaccess/exports', { format: 'zip', messageIds: [id] });
      if (exported.status !== 404) refused.push(`export ${id} → ${exported.status}`);
      const resent = await bob().post(`/api/v1/messages/${id}/resend`, { to: 'bob@acme.test' });
      if (resent.status !== 404) refused.push(`resend ${id} → ${resent.status}`);
    }
    expect(refused).toEqual([]);
    // Carol (Compliance) reaches the journal; nobody in acme reaches globex.
    expect((await carol().get(`/api/v1/webaccess/messages/${ids['journaled']}`)).status).toBe(200);
    expect((await carol().get(`/api/v1/webaccess/messages/${ids['foreign']}`)).status).toBe(404);
  });

  it("writes every read of someone else's mailbox to the audit log, and not the owner's own reads", async () => {
    const before = await http.app.database.db.selectFrom('audit_log').select('id').execute();
    await alice().get(`/api/v1/webaccess/messages/${ids['plain']}`);
    await bob().get(`/api/v1/webaccess/messages?mailboxId=${mailboxIds['sales']}`);
    await bob().get(`/api/v1/webaccess/messages/${ids['order']}`);
    await bob().get(`/api/v1/webaccess/messages/${ids['order']}/eml`);
    const rows = await http.app.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', 'not in', before.length > 0 ? before.map((r) => r.id) : [-1])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.actor_name, r.action])).toEqual([
      ['bob@acme', 'mailbox.browse'],
      ['bob@acme', 'message.read'],
      ['bob@acme', 'message.download'],
    ]);
  });

  it('gives the user their own address for Resend', async () => {
    expect((await alice().get('/api/v1/webaccess/me')).body).toEqual({
      email: 'alice@acme.test',
      roles: ['reader'],
    });
    const help = await alice().get('/api/v1/webaccess/help/search');
    expect(help.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(help.body).toContain('# Searching the archive');
  });
});
