import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app.js';
import { buildJournalReport } from '../../src/bench/synthetic-journal-report.js';
import { JobRunsRepository } from '../../src/jobs/job-runs.repository.js';
import { JournalEndpointsRepository } from '../../src/ingest/journal/journal-endpoints.repository.js';
import type { JournalEndpointTarget } from '../../src/ingest/journal/journal-endpoints.service.js';
import {
  IntakeBusyError,
  JournalIntake,
  RECOVERED_MAILBOX,
} from '../../src/ingest/journal/journal-intake.js';
import { JournalSpool } from '../../src/ingest/journal/journal-spool.js';
import { openTempApp, tempDir } from '../support/temp-app.js';

// Every report here is SYNTHETIC (see src/bench/synthetic-journal-report.ts); the originals are real
// messages from shared/corpus.
const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const OPERATOR = { kind: 'system' as const, name: 'test' };

describe('journal intake: what a delivered report becomes in the archive', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: App;
  let tenantId: number;
  let target: JournalEndpointTarget;

  beforeEach(async () => {
    dir = tempDir('postvault-intake-');
    app = await openTempApp(dir.path, { POSTVAULT_JOURNAL_DOMAIN: 'journal.example.test' });
    tenantId = (await app.tenants.createTenant('acme', 'Acme')).id;
    const endpoint = await app.admin.journalEndpoints.create(
      { tenantId, actor: OPERATOR },
      { name: 'M365', newMailbox: { name: 'Journal' } },
    );
    target = (await app.admin.journalEndpoints.findEnabledByAddress(endpoint.address))!;
    app.journalIntake.start();
  });

  afterEach(async () => {
    await app.close();
    dir.remove();
  });

  /** Accepted (what the SMTP 250 waits for), then archived by the intake's drain. */
  const deliver = async (raw: Buffer, targets = [target]) => {
    await app.journalIntake.accept({ raw, targets, peer: '127.0.0.1', mailFrom: 'journal@contoso.test' });
    await app.journalIntake.whenDrained();
  };

  const accept = (raw: Buffer) =>
    app.journalIntake.accept({ raw, targets: [target], peer: '127.0.0.1', mailFrom: 'journal@contoso.test' });

  const copies = () =>
    app.database.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .select(['m.id', 'm.mailbox_id', 'c.sha256'])
      .where('m.tenant_id', '=', tenantId)
      .orderBy('m.id')
      .execute();

  const search = async (query: string) =>
    (await app.search.search({ tenantId }, { query, limit: 50 })).results.map((r) => r.id);

  const envelopeOf = async (messageId: number) => ({
    envelope: await app.database.db
      .selectFrom('message_envelopes')
      .select(['sender', 'on_behalf_of', 'reports'])
      .where('message_id', '=', messageId)
      .executeTakeFirst(),
    recipients: await app.database.db
      .selectFrom('message_envelope_recipients')
      .select(['kind', 'address', 'expanded_from', 'forwarded_from'])
      .where('message_id', '=', messageId)
      .orderBy('address')
      .execute(),
  });

  const processLog = () => app.processLog.list(tenantId, { limit: 100 });

  it('a second report of the same message adds its recipients to the one archived copy', async () => {
    const original = corpus('mime4j/russian-headers.msg');
    await deliver(
      buildJournalReport({
        original,
        sender: 'alice@contoso.test',
        recipients: [
          { kind: 'to', address: 'bob@contoso.test' },
          { kind: 'bcc', address: 'carol@contoso.test' },
        ],
      }),
    );
    await deliver(
      buildJournalReport({
        original,
        sender: 'alice@contoso.test',
        recipients: [
          { kind: 'to', address: 'bob@contoso.test' },
          { kind: 'bcc', address: 'dave@fabrikam.test' },
        ],
      }),
    );

    const rows = await copies();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sha256).toBe(sha256(original));
    const { envelope, recipients } = await envelopeOf(rows[0]!.id);
    expect(envelope).toMatchObject({ sender: 'alice@contoso.test', reports: 2 });
    expect(recipients.map((r) => `${r.kind}:${r.address}`)).toEqual([
      'to:bob@contoso.test',
      'bcc:carol@contoso.test',
      'bcc:dave@fabrikam.test',
    ]);
    // The rebuilt document keeps the message's own text: its subject words still find it.
    const ownSubject = (await app.archive.findMessage({ tenantId }, rows[0]!.id)).subject;
    const subjectWord = ownSubject.split(/\s+/u).find((w) => /^\p{L}{4,}$/u.test(w))!;
    expect(await search(`subject:${subjectWord}`), subjectWord).toEqual([rows[0]!.id]);
    for (const query of [
      'bcc:carol@contoso.test',
      'bcc:dave@fabrikam.test',
      'to:bob@contoso.test',
      'from:alice@contoso.test',
      'dave@fabrikam.test',
    ])
      expect(await search(query), query).toEqual([rows[0]!.id]);
    // Both reports were received; the endpoint counts them.
    const [view] = await app.admin.journalEndpoints.list({ tenantId, actor: OPERATOR });
    expect(view!.messages24h).toBe(2);
  });

  it('merges two reports of one message arriving in the same group, and a later one without touching storage', async () => {
    await app.journalIntake.stop();
    const original = corpus('mime4j/simple-attachment.msg');
    const report = (bcc: string, expandedFrom?: string) =>
      buildJournalReport({
        original,
        sender: 'alice@contoso.test',
        recipients: [{ kind: 'bcc', address: bcc, ...(expandedFrom ? { expandedFrom } : {}) }],
      });
    const fresh = await openTempApp(dir.path, { POSTVAULT_JOURNAL_DOMAIN: 'journal.example.test' });
    try {
      const intake = fresh.journalIntake;
      const accept = (raw: Buffer) =>
        intake.accept({ raw, targets: [target], peer: '127.0.0.1', mailFrom: 'journal@contoso.test' });
      // Both accepted before the drain starts: they are archived in one group.
      await accept(report('bob@contoso.test'));
      await accept(report('bob@contoso.test', 'legal@contoso.test'));
      intake.start();
      await intake.whenDrained();
      const storage = async () => ({
        blobs: await fresh.database.db
          .selectFrom('blobs')
          .select(['key', 'ref_count', 'stored_size'])
          .orderBy('key')
          .execute(),
        counts: await fresh.database.db.selectFrom('mailbox_counts').selectAll().execute(),
      });
      const before = await storage();
      await accept(report('carol@contoso.test'));
      await intake.whenDrained();
      expect(await storage()).toEqual(before);

      const messages = await fresh.database.db
        .selectFrom('messages')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .execute();
      expect(messages).toHaveLength(1);
      const { envelope, recipients } = await envelopeOf(messages[0]!.id);
      expect(envelope!.reports).toBe(3);
      expect(recipients.map((r) => `${r.address}<${r.expanded_from}`)).toEqual([
        'bob@contoso.test<',
        'bob@contoso.test<legal@contoso.test',
        'carol@contoso.test<',
      ]);
      for (const query of ['bcc:legal@contoso.test', 'bcc:carol@contoso.test', 'bcc:bob@contoso.test'])
        expect(
          (await fresh.search.search({ tenantId }, { query, limit: 5 })).results.map((r) => r.id),
          query,
        ).toEqual([messages[0]!.id]);
      expect((await fresh.archive.verify({ tenantId })).problems).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('keeps expanded distribution lists and forwarded recipients, and finds the message by both ends', async () => {
    const original = corpus('mime4j/simple-attachment.msg');
    await deliver(
      buildJournalReport({
        original,
        sender: 'alice@contoso.test',
        onBehalfOf: 'ceo@contoso.test',
        recipients: [
          { kind: 'to', address: 'erin@contoso.test', expandedFrom: 'sales@contoso.test' },
          { kind: 'to', address: 'frank@contoso.test', expandedFrom: 'sales@contoso.test' },
          { kind: 'cc', address: 'grace@contoso.test', forwardedFrom: 'heidi@contoso.test' },
          { kind: 'recipient', address: 'ivan@contoso.test' },
        ],
      }),
    );
    const [row] = await copies();
    const { envelope, recipients } = await envelopeOf(row!.id);
    expect(envelope).toMatchObject({ on_behalf_of: 'ceo@contoso.test', reports: 1 });
    expect(recipients).toContainEqual({
      kind: 'to',
      address: 'erin@contoso.test',
      expanded_from: 'sales@contoso.test',
      forwarded_from: '',
    });
    expect(recipients).toContainEqual({
      kind: 'cc',
      address: 'grace@contoso.test',
      expanded_from: '',
      forwarded_from: 'heidi@contoso.test',
    });
    for (const query of [
      'to:sales@contoso.test',
      'to:frank@contoso.test',
      'cc:heidi@contoso.test',
      'bcc:ivan@contoso.test',
      'from:ceo@contoso.test',
    ])
      expect(await search(query), query).toEqual([row!.id]);
  });

  it('a report of a message already archived from a mailbox stores no second content', async () => {
    const original = corpus('mime4j/qp-body.msg');
    const user = await app.archive.ensureMailbox({ tenantId }, 'alice');
    await app.archive.archiveBatch({ tenantId }, user.id, [
      { raw: original, folderPath: 'Inbox', sourceRef: 'x' },
    ]);
    await deliver(
      buildJournalReport({
        original,
        sender: 'alice@contoso.test',
        recipients: [{ kind: 'bcc', address: 'judy@contoso.test' }],
      }),
    );
    const rows = await copies();
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.sha256))).toEqual(new Set([sha256(original)]));
    const contents = await app.database.db
      .selectFrom('message_contents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    expect(contents.n).toBe(1);
    const journalCopy = rows.find((r) => r.mailbox_id === target.mailboxId)!;
    expect(await search('bcc:judy@contoso.test')).toContain(journalCopy.id);
  });

  it('archives the message an NDR returns, not the NDR wrapper, and says so in the process log', async () => {
    const original = corpus('mime4j/basic-plain.msg');
    await deliver(
      buildJournalReport({
        original,
        sender: '',
        recipients: [{ kind: 'to', address: 'alice@contoso.test' }],
        ndr: true,
      }),
    );
    const rows = await copies();
    expect(rows.map((r) => r.sha256)).toEqual([sha256(original)]);
    const log = await processLog();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ severity: 'info', process: 'journal-intake', subject_name: 'M365' });
    expect(log[0]!.message).toMatch(/Non-delivery report/);
  });

  it('archives a malformed original byte-for-byte', async () => {
    for (const name of ['missing-boundary.msg', 'malformedHeader-noheader.msg', 'weird-boundary.msg']) {
      const original = corpus(`mime4j/${name}`);
      await deliver(
        buildJournalReport({
          original,
          sender: 'alice@contoso.test',
          messageId: `<${name}@synthetic.test>`,
          recipients: [{ kind: 'to', address: 'bob@contoso.test' }],
        }),
      );
      const row = (await copies()).find((r) => r.sha256 === sha256(original));
      expect(row, name).toBeDefined();
      expect(await app.archive.readMessage({ tenantId }, row!.id)).toEqual(original);
    }
  });

  it('archives anything that is not a report as received, flagged in the process log with the reason', async () => {
    const plain = corpus('mime4j/example.msg');
    await deliver(plain);
    const rows = await copies();
    expect(rows.map((r) => r.sha256)).toEqual([sha256(plain)]);
    expect((await envelopeOf(rows[0]!.id)).envelope).toBeUndefined();
    const [entry] = await processLog();
    expect(entry).toMatchObject({ severity: 'warning', subject_id: target.endpointId });
    expect(entry!.message).toMatch(/Not a journal report, archived as received: .+/);
    expect(JSON.parse(entry!.details_json)).toMatchObject({
      peer: '127.0.0.1',
      mailFrom: 'journal@contoso.test',
    });
  });

  it('commits concurrent deliveries in groups, each acknowledged once stored and counted once', async () => {
    const base = corpus('mime4j/basic-plain.msg');
    const originals = Array.from({ length: 60 }, (_, i) =>
      Buffer.concat([Buffer.from(`X-Synthetic-Seq: ${i}\r\n`), base]),
    );
    const archiveBatch = app.archive.archiveBatch.bind(app.archive);
    let groups = 0;
    app.archive.archiveBatch = (...args) => {
      groups += 1;
      return archiveBatch(...args);
    };
    await Promise.all(
      originals.map((original, i) =>
        accept(
          buildJournalReport({
            original,
            sender: 'alice@contoso.test',
            messageId: `<seq-${i}@synthetic.test>`,
            recipients: [{ kind: 'bcc', address: `reader${i}@contoso.test` }],
          }),
        ),
      ),
    );
    await app.journalIntake.whenDrained();
    const rows = await copies();
    expect(new Set(rows.map((r) => r.sha256))).toEqual(new Set(originals.map(sha256)));
    expect(rows).toHaveLength(60);
    // Messages accepted together are archived together: a few groups, not one per message.
    expect(groups).toBeLessThan(10);
    expect(await search('bcc:reader42@contoso.test')).toHaveLength(1);
    const [view] = await app.admin.journalEndpoints.list({ tenantId, actor: OPERATOR });
    expect(view!.messages24h).toBe(60);
  });
});

describe('journal intake: the spool across failures and restarts', () => {
  let dir: ReturnType<typeof tempDir>;
  const env = { POSTVAULT_JOURNAL_DOMAIN: 'journal.example.test' };

  beforeEach(() => {
    dir = tempDir('postvault-spool-');
  });
  afterEach(() => dir.remove());

  async function setUp(app: App) {
    const tenantId = (await app.tenants.createTenant('acme', 'Acme')).id;
    const endpoint = await app.admin.journalEndpoints.create(
      { tenantId, actor: OPERATOR },
      { name: 'M365', newMailbox: { name: 'Journal' } },
    );
    return { tenantId, address: endpoint.address };
  }

  const reports = (count: number) =>
    Array.from({ length: count }, (_, i) =>
      buildJournalReport({
        original: Buffer.concat([Buffer.from(`X-Synthetic-Seq: ${i}\r\n`), corpus('mime4j/basic-plain.msg')]),
        sender: 'alice@contoso.test',
        messageId: `<restart-${i}@synthetic.test>`,
        recipients: [{ kind: 'bcc', address: `r${i}@contoso.test` }],
      }),
    );

  const countMessages = async (app: App, tenantId: number) =>
    Number(
      (
        await app.database.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  const spoolFiles = () => {
    const spool = join(dir.path, 'spool', 'journal');
    return existsSync(spool) ? readdirSync(spool).filter((n) => n.endsWith('.spool')) : [];
  };

  it('archives after a restart what was acknowledged but not archived, once, ignoring a torn tail', async () => {
    let app = await openTempApp(dir.path, env);
    const { tenantId, address } = await setUp(app);
    const target = (await app.admin.journalEndpoints.findEnabledByAddress(address))!;
    // Accepted (250 would have gone out) with no drain running: what a crash right after leaves.
    for (const raw of reports(5))
      await app.journalIntake.accept({
        raw,
        targets: [target],
        peer: '127.0.0.1',
        mailFrom: 'j@contoso.test',
      });
    expect(await countMessages(app, tenantId)).toBe(0);
    await app.close();
    // A crash in the middle of an append: half a record at the end of the segment, never acknowledged.
    const [segment] = spoolFiles();
    appendFileSync(join(dir.path, 'spool', 'journal', segment!), randomBytes(300));

    app = await openTempApp(dir.path, env);
    app.journalIntake.start();
    await app.journalIntake.whenDrained();
    expect(await countMessages(app, tenantId)).toBe(5);
    expect(spoolFiles()).toEqual([]);
    // The torn tail could also be damage: the segment is kept aside and the installation told.
    expect(readdirSync(join(dir.path, 'spool', 'journal'))).toEqual([`${segment}.damaged`]);
    const [warning] = await app.processLog.list(null, { limit: 5 });
    expect(warning!.message).toMatch(/has 300 bytes after its last whole record/);
    // Started again: nothing is archived twice.
    await app.close();
    app = await openTempApp(dir.path, env);
    app.journalIntake.start();
    await app.journalIntake.whenDrained();
    expect(await countMessages(app, tenantId)).toBe(5);
    await app.close();
  });

  it('does not archive twice what was archived before a crash left its segment behind', async () => {
    let app = await openTempApp(dir.path, env);
    const { tenantId, address } = await setUp(app);
    const target = (await app.admin.journalEndpoints.findEnabledByAddress(address))!;
    app.journalIntake.start();
    for (const raw of reports(3))
      await app.journalIntake.accept({
        raw,
        targets: [target],
        peer: '127.0.0.1',
        mailFrom: 'j@contoso.test',
      });
    await app.journalIntake.whenDrained();
    // The active segment stays until it is full or the process ends: its records are marked done.
    expect(spoolFiles()).toHaveLength(1);
    await app.close();
    app = await openTempApp(dir.path, env);
    app.journalIntake.start();
    await app.journalIntake.whenDrained();
    expect(await countMessages(app, tenantId)).toBe(3);
    const envelopes = await app.database.db.selectFrom('message_envelopes').select('reports').execute();
    expect(envelopes.map((e) => e.reports)).toEqual([1, 1, 1]);
    expect(spoolFiles()).toEqual([]);
    await app.close();
  });

  it('keeps a message spooled while archiving fails, logs each attempt, and archives it when the store works again', async () => {
    let storeBroken = true;
    const app = await openTempApp(dir.path, env, {
      blobFaults: {
        beforeWrite: (path) => {
          // Only the archive's writes fail: the spool takes the message (250), archiving it does not.
          if (storeBroken && !path.includes(join('spool', 'journal')))
            throw new Error('EIO: i/o error, write');
        },
      },
    });
    try {
      const { tenantId, address } = await setUp(app);
      const target = (await app.admin.journalEndpoints.findEnabledByAddress(address))!;
      const intake = new JournalIntake({
        archive: app.archive,
        tenants: app.tenants,
        spool: new JournalSpool(dir.path, app.database.db),
        endpoints: new JournalEndpointsRepository(app.database.db),
        processLog: app.processLog,
        runs: new JobRunsRepository(app.database.db),
        logger: app.logger,
        limits: { retryBaseMs: 20 },
      });
      intake.start();
      const [raw] = reports(1);
      await intake.accept({ raw: raw!, targets: [target], peer: '127.0.0.1', mailFrom: 'j@contoso.test' });
      await vi.waitFor(
        async () => {
          const errors = await app.processLog.list(tenantId, { limit: 10, minSeverity: 'error' });
          expect(errors.length).toBeGreaterThanOrEqual(2);
        },
        { timeout: 10_000 },
      );
      const [latest] = await app.processLog.list(tenantId, { limit: 1, minSeverity: 'error' });
      expect(latest!.message).toMatch(
        /Could not archive 1 received message yet \(attempt \d+\); kept and retried: .*EIO/,
      );
      expect(await countMessages(app, tenantId)).toBe(0);
      expect(intake.backlogSize().messages).toBe(1);

      storeBroken = false;
      await vi.waitFor(async () => expect(await countMessages(app, tenantId)).toBe(1), { timeout: 10_000 });
      await intake.whenDrained();
      expect(intake.backlogSize().messages).toBe(0);
      await intake.stop();
    } finally {
      await app.close();
    }
  });

  it('archives mail accepted before its endpoint, mailbox or tenant went away, or says why not', async () => {
    const app = await openTempApp(dir.path, env);
    try {
      const acme = await setUp(app);
      const ctx = { tenantId: acme.tenantId, actor: OPERATOR };
      const target = (await app.admin.journalEndpoints.findEnabledByAddress(acme.address))!;
      const [endpoint] = await app.admin.journalEndpoints.list(ctx);
      const globexId = (await app.tenants.createTenant('globex', 'Globex')).id;
      const globexEndpoint = await app.admin.journalEndpoints.create(
        { tenantId: globexId, actor: OPERATOR },
        { name: 'M365', newMailbox: { name: 'Journal' } },
      );
      const globexTarget = (await app.admin.journalEndpoints.findEnabledByAddress(globexEndpoint.address))!;
      const [a, b] = reports(2);
      // Accepted (250) while nothing drains; then the admin deletes the endpoint and its empty
      // mailbox, and the operator deletes the other tenant.
      await app.journalIntake.accept({
        raw: a!,
        targets: [target],
        peer: '127.0.0.1',
        mailFrom: 'j@contoso.test',
      });
      await app.journalIntake.accept({
        raw: b!,
        targets: [globexTarget],
        peer: '127.0.0.1',
        mailFrom: 'j@fabrikam.test',
      });
      await app.admin.journalEndpoints.delete(ctx, endpoint!.id);
      await app.admin.mailboxes.delete(ctx, endpoint!.mailbox.id);
      await app.tenantManagement.delete({ tenantId: 0, actor: OPERATOR }, globexId, 'globex');

      app.journalIntake.start();
      await app.journalIntake.whenDrained();
      const recovered = await app.archive.findMailbox({ tenantId: acme.tenantId }, RECOVERED_MAILBOX);
      expect(recovered.kind).toBe('journal');
      expect(await countMessages(app, acme.tenantId)).toBe(1);
      const [warning] = await app.processLog.list(acme.tenantId, { limit: 5, minSeverity: 'warning' });
      expect(warning!.message).toMatch(/no longer exists; archived in "Journal \(recovered\)"/);
      const [discarded] = await app.processLog.list(null, { limit: 5 });
      expect(discarded!.message).toMatch(
        new RegExp(`Discarded 1 spooled message of deleted tenant ${globexId}`),
      );
      expect(app.journalIntake.backlogSize().messages).toBe(0);
      expect(await app.processLog.list(acme.tenantId, { limit: 5, minSeverity: 'error' })).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('summarises each finished hour per endpoint in the process log, once', async () => {
    const app = await openTempApp(dir.path, env);
    try {
      const { tenantId, address } = await setUp(app);
      const target = (await app.admin.journalEndpoints.findEnabledByAddress(address))!;
      let now = Date.UTC(2026, 10, 24, 14, 10);
      const intake = new JournalIntake({
        archive: app.archive,
        tenants: app.tenants,
        spool: new JournalSpool(dir.path, app.database.db),
        endpoints: new JournalEndpointsRepository(app.database.db),
        processLog: app.processLog,
        runs: new JobRunsRepository(app.database.db),
        logger: app.logger,
        clock: () => now,
      });
      intake.start();
      const send = async (raw: Buffer) => {
        await intake.accept({ raw, targets: [target], peer: '127.0.0.1', mailFrom: 'j@contoso.test' });
        await intake.whenDrained();
      };
      const [a, b, c, d] = reports(4);
      await send(a!);
      await send(b!);
      now = Date.UTC(2026, 10, 24, 15, 5);
      await send(c!);
      now = Date.UTC(2026, 10, 24, 15, 50);
      await send(d!);
      const summaries = (await app.processLog.list(tenantId, { limit: 20 })).filter((e) =>
        e.message.startsWith('Received'),
      );
      expect(summaries.map((e) => e.message)).toEqual([
        'Received 2 messages in the hour from 2026-11-24 14:00 UTC',
      ]);
      expect(summaries[0]).toMatchObject({ severity: 'info', subject_name: 'M365' });
      // The finished hour is a run of the journal intake in the Process Log, with its summary.
      const runs = await new JobRunsRepository(app.database.db).list({ tenantId, limit: 10 });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        job_type: 'journal-intake',
        config_id: target.endpointId,
        config_name: 'M365',
        trigger: 'intake',
        status: 'succeeded',
        started_at: Date.UTC(2026, 10, 24, 14),
        finished_at: Date.UTC(2026, 10, 24, 15),
        counters_json: '{"received":2}',
      });
      expect(summaries[0]!.run_id).toBe(runs[0]!.id);
      await intake.stop();
    } finally {
      await app.close();
    }
  });

  it('refuses new mail (busy) while the backlog is over its limit', async () => {
    const app = await openTempApp(dir.path, { ...env, POSTVAULT_JOURNAL_MAX_BACKLOG_MESSAGES: '2' });
    try {
      const { address } = await setUp(app);
      const target = (await app.admin.journalEndpoints.findEnabledByAddress(address))!;
      const [a, b, c] = reports(3);
      const accept = (raw: Buffer) =>
        app.journalIntake.accept({ raw, targets: [target], peer: '127.0.0.1', mailFrom: 'j@contoso.test' });
      await accept(a!);
      await accept(b!);
      expect(app.journalIntake.isBusy()).toBe(true);
      await expect(accept(c!)).rejects.toBeInstanceOf(IntakeBusyError);
      app.journalIntake.start();
      await app.journalIntake.whenDrained();
      expect(app.journalIntake.isBusy()).toBe(false);
      await accept(c!);
    } finally {
      await app.close();
    }
  });
});
