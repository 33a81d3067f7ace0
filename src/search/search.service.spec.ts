import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase, type OpenedDatabase } from '../db/database.js';
import { SearchService, type SearchServiceOptions } from './search.service.js';

const TENANT = 1;
const OTHER_TENANT = 2;
const ctx = { tenantId: TENANT };
const DAY = 86_400_000;
const START = Date.parse('2001-01-01T00:00:00Z');

let dir: string;
let opened: OpenedDatabase;
let db: Db;
const sortDates = new Map<number, number>();

// Synthetic test data: 240 invented messages. Every 3rd has the word "common"; messages 7, 50,
// 51, 130 and 200 have "rare"; every 9th is small; every 11th has an attachment; several share a
// sort_date (ties are ordered by message id); every 10th has no Date header; every 4th has a
// second copy in another folder; the other tenant has look-alikes that must never show up.
async function seed(): Promise<void> {
  const now = Date.parse('2026-01-01T00:00:00Z');
  await db
    .insertInto('tenants')
    .values([
      { id: TENANT, slug: 'synthetic', name: 'Synthetic', created_at: now },
      { id: OTHER_TENANT, slug: 'other', name: 'Other', created_at: now },
    ])
    .execute();
  await db
    .insertInto('archive_mailboxes')
    .values([
      { id: 11, tenant_id: TENANT, name: 'Alice', kind: 'user', created_at: now },
      { id: 12, tenant_id: OTHER_TENANT, name: 'Alice', kind: 'user', created_at: now },
    ])
    .execute();
  await db
    .insertInto('folders')
    .values([
      { id: 21, tenant_id: TENANT, mailbox_id: 11, path: 'INBOX', created_at: now },
      { id: 22, tenant_id: TENANT, mailbox_id: 11, path: 'Copy', created_at: now },
      { id: 23, tenant_id: OTHER_TENANT, mailbox_id: 12, path: 'INBOX', created_at: now },
    ])
    .execute();
  for (let id = 1; id <= 260; id++) {
    const tenant = id > 240 ? OTHER_TENANT : TENANT;
    const words = [`word${id % 17}`];
    if (id % 3 === 0 || id > 240) words.push('common');
    if ([7, 50, 51, 130, 200].includes(id) || id > 250) words.push('rare');
    // Ties: messages come in groups of up to four with the same date.
    const date = id % 10 === 0 ? null : START + Math.floor(id / 4) * DAY;
    await db
      .insertInto('message_contents')
      .values({
        id,
        tenant_id: tenant,
        blob_key: `blob-${id}`,
        sha256: `sha-${id}`,
        size: id % 9 === 0 ? 1_000 : 50_000 + id,
        message_id: null,
        date,
        from_addr: `sender${id}@example.com`,
        from_name: '',
        to_json: '[]',
        cc_json: '[]',
        bcc_json: '[]',
        reply_to_json: '[]',
        subject: `subject ${id}`,
        has_attachments: id % 11 === 0 ? 1 : 0,
        attachments_json: '[]',
        problems_json: '[]',
        created_at: now,
      })
      .execute();
    // Without a Date header the copy is dated by its archive time, out of the id order.
    const sortDate = date ?? START + ((id * 37) % 61) * DAY;
    const folders = tenant === OTHER_TENANT ? [23] : id % 4 === 0 ? [21, 22] : [21];
    for (const folder of folders) {
      await db
        .insertInto('messages')
        .values({
          tenant_id: tenant,
          mailbox_id: tenant === OTHER_TENANT ? 12 : 11,
          folder_id: folder,
          content_id: id,
          sort_date: sortDate,
          archived_at: now,
        })
        .execute();
    }
    await sql`insert into message_fts(rowid, sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment)
      values (${id}, ${`sender${id}@example.com`}, '', '', '', ${`subject ${id}`}, ${words.join(' ')}, '')`.execute(
      db,
    );
  }
}

/** Every page of a date-sorted search, as [message id, sort date] pairs. */
async function allPages(options: SearchServiceOptions, query: string, limit: number) {
  const service = new SearchService(
    db,
    { readMessage: () => Promise.reject(new Error('no snippets here')) },
    options,
  );
  const pages: Array<Array<[number, number]>> = [];
  let cursor: string | null = null;
  do {
    const page = await service.search(ctx, { query, limit, cursor, sort: 'date' });
    pages.push(page.results.map((r) => [r.id, sortDates.get(r.id)!]));
    cursor = page.nextCursor;
  } while (cursor && pages.length < 100);
  return pages;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postvault-search-service-'));
  opened = await openDatabase(join(dir, 'search.sqlite'));
  db = opened.db;
  await seed();
  for (const row of await db.selectFrom('messages').select(['id', 'sort_date']).execute())
    sortDates.set(row.id, row.sort_date);
});

afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('SearchService returns the same pages whichever plan it takes', () => {
  const queries = [
    'rare',
    'common',
    'rare OR word3',
    'common word5',
    'common -rare',
    'common has:attachment',
    'has:attachment',
    'size<2k',
    'size>50100',
    'common size<2k',
    'rare after:2001-02-01',
    'common on:2001-02',
    'before:2001-01-20',
    '-common',
    'subject:subject rare',
    '*are',
    'mailbox:alice rare',
  ];

  it.each(queries)('%s', async (query) => {
    for (const limit of [1, 7, 50]) {
      const walked = await allPages({ plan: 'walk' }, query, limit);
      expect(walked.flat().length).toBeGreaterThan(0);
      // Newest first, ties by id, no row twice.
      const flat = walked.flat();
      for (let i = 1; i < flat.length; i++) {
        const [id, date] = flat[i]!;
        const [prevId, prevDate] = flat[i - 1]!;
        expect(date < prevDate || (date === prevDate && id < prevId)).toBe(true);
      }
      expect(await allPages({ plan: 'candidates' }, query, limit)).toEqual(walked);
      expect(await allPages({}, query, limit)).toEqual(walked);
      // A small cap: single conditions are too common, so two are intersected or the walk is used.
      expect(await allPages({ plan: 'candidates', driveMaxCandidates: 20 }, query, limit)).toEqual(walked);
    }
  });

  it('finds the rare messages and their copies, never the other tenant', async () => {
    const ids = (await allPages({ plan: 'candidates' }, 'rare', 50)).flat().map(([id]) => id);
    const { rows } = await sql<{ id: number }>`select m.id from messages m
      where m.tenant_id = ${TENANT} and m.content_id in (7, 50, 51, 130, 200)`.execute(db);
    expect(ids.toSorted((a, b) => a - b)).toEqual(rows.map((r) => r.id).toSorted((a, b) => a - b));
  });

  it('finds terms added after a leading-wildcard search (the vocabulary cache is refreshed)', async () => {
    const service = new SearchService(db, { readMessage: () => Promise.reject(new Error('unused')) });
    const before = await service.search(ctx, { query: '*quux', sort: 'date' });
    expect(before.results).toEqual([]);
    const now = Date.parse('2026-01-01T00:00:00Z');
    await db
      .insertInto('message_contents')
      .values({
        id: 300,
        tenant_id: TENANT,
        blob_key: 'blob-300',
        sha256: 'sha-300',
        size: 10,
        message_id: null,
        date: now,
        from_addr: '',
        from_name: '',
        to_json: '[]',
        cc_json: '[]',
        bcc_json: '[]',
        reply_to_json: '[]',
        subject: '',
        has_attachments: 0,
        attachments_json: '[]',
        problems_json: '[]',
        created_at: now,
      })
      .execute();
    await db
      .insertInto('messages')
      .values({
        tenant_id: TENANT,
        mailbox_id: 11,
        folder_id: 21,
        content_id: 300,
        sort_date: now,
        archived_at: now,
      })
      .execute();
    await sql`insert into message_fts(rowid, sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment)
      values (300, '', '', '', '', '', 'zzquux', '')`.execute(db);
    const after = await service.search(ctx, { query: '*quux', sort: 'date' });
    expect(after.results.map((r) => r.contentId)).toEqual([300]);
  });
});
