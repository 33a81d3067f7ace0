import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors.js';
import { type Db, openDatabase, type OpenedDatabase } from '../db/database.js';
import { compileQuery, type CompileOptions } from './compile-query.js';
import { createVocabTermExpander } from './fts-vocab.repository.js';
import { parseQuery } from './query-parser.js';

const TENANT = 1;
const utc = (iso: string) => Date.parse(`${iso}Z`);

interface SyntheticMessage {
  id: number;
  sender: string;
  to?: string;
  cc?: string;
  bcc?: string;
  subject: string;
  body: string;
  attachment?: string;
  date: number | null;
  sortDate?: number;
  size: number;
  copies: Array<{ mailbox: number; folder: number }>;
}

// Synthetic test data: invented people, addresses and texts.
const MESSAGES: SyntheticMessage[] = [
  {
    id: 1,
    sender: 'Bob Smith <bob.smith@example.com>',
    to: 'Alice <alice@example.org>',
    subject: 'Résumé for the position',
    body: 'Please find my résumé attached.',
    attachment: 'resume.pdf Curriculum vitae',
    date: utc('2024-03-15T10:00:00'),
    size: 250_000,
    copies: [
      { mailbox: 11, folder: 21 },
      { mailbox: 12, folder: 25 },
    ],
  },
  {
    id: 2,
    sender: 'Jürgen Müller <juergen@example.de>',
    to: 'alice@example.org',
    subject: 'Viele Grüße aus Köln',
    body: 'Mit freundlichen Grüßen, Jürgen. Die Straße ist gesperrt.',
    date: utc('2024-02-29T23:30:00'),
    size: 4_000,
    copies: [{ mailbox: 11, folder: 23 }],
  },
  {
    id: 3,
    sender: 'Carol <carol@example.net>',
    to: 'team@example.org',
    bcc: 'auditor@example.com',
    subject: 'Quarterly report',
    body: 'The unbelievable results of the quarterly reporting cycle.',
    date: null,
    sortDate: utc('2023-12-31T12:00:00'),
    size: 12_000,
    copies: [{ mailbox: 11, folder: 24 }],
  },
  {
    id: 4,
    sender: 'Newsletter <news@shop.example>',
    to: 'alice@example.org',
    subject: 'Weekly deals',
    body: 'foo bar NEAR baz col: ^start',
    attachment: 'catalog.pdf',
    date: utc('2024-03-16T00:00:00'),
    size: 2_000_000,
    copies: [{ mailbox: 12, folder: 25 }],
  },
  {
    id: 5,
    sender: 'Dave <dave@example.com>',
    to: 'bob.smith@example.com',
    cc: 'carol@example.net',
    subject: 'Re: budget',
    body: 'Budget spreadsheet, rebuilding the forecast.',
    date: utc('2024-01-10T08:00:00'),
    size: 800,
    copies: [{ mailbox: 11, folder: 22 }],
  },
];

let dir: string;
let opened: OpenedDatabase;
let db: Db;
let options: CompileOptions;

async function seed(): Promise<void> {
  const now = utc('2024-06-01T00:00:00');
  await db
    .insertInto('tenants')
    .values({ id: TENANT, slug: 'synthetic', name: 'Synthetic', created_at: now })
    .execute();
  await db
    .insertInto('archive_mailboxes')
    .values([
      { id: 11, tenant_id: TENANT, name: 'Alice', kind: 'user', created_at: now },
      { id: 12, tenant_id: TENANT, name: 'Journal EU', kind: 'journal', created_at: now },
    ])
    .execute();
  await db
    .insertInto('folders')
    .values(
      (
        [
          [21, 11, 'INBOX'],
          [22, 11, 'Projects'],
          [23, 11, 'Projects/2024'],
          // Shares a prefix with "Projects" but is not inside it.
          [24, 11, 'ProjectsOld'],
          [25, 12, ''],
        ] as const
      ).map(([id, mailbox_id, path]) => ({
        id,
        tenant_id: TENANT,
        mailbox_id,
        path,
        created_at: now,
      })),
    )
    .execute();
  for (const m of MESSAGES) {
    await db
      .insertInto('message_contents')
      .values({
        id: m.id,
        tenant_id: TENANT,
        blob_key: `blob-${m.id}`,
        sha256: `sha-${m.id}`,
        size: m.size,
        message_id: `<${m.id}@synthetic.invalid>`,
        date: m.date,
        from_addr: m.sender,
        from_name: '',
        to_json: '[]',
        cc_json: '[]',
        bcc_json: '[]',
        reply_to_json: '[]',
        subject: m.subject,
        has_attachments: m.attachment ? 1 : 0,
        attachments_json: '[]',
        problems_json: '[]',
        created_at: now,
      })
      .execute();
    for (const copy of m.copies) {
      await db
        .insertInto('messages')
        .values({
          tenant_id: TENANT,
          mailbox_id: copy.mailbox,
          folder_id: copy.folder,
          content_id: m.id,
          sort_date: m.date ?? m.sortDate!,
          archived_at: now,
        })
        .execute();
    }
    await sql`insert into message_fts(rowid, sender, recipient_to, recipient_cc, recipient_bcc, subject, body, attachment)
      values (${m.id}, ${m.sender}, ${m.to ?? ''}, ${m.cc ?? ''}, ${m.bcc ?? ''}, ${m.subject}, ${m.body}, ${m.attachment ?? ''})`.execute(
      db,
    );
  }
}

async function search(query: string, overrides: Partial<CompileOptions> = {}): Promise<number[]> {
  const condition = await compileQuery(parseQuery(query), { ...options, ...overrides });
  const rows = await db
    .selectFrom('messages as m')
    .innerJoin('message_contents as c', 'c.id', 'm.content_id')
    .innerJoin('folders as f', 'f.id', 'm.folder_id')
    .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
    .where('m.tenant_id', '=', TENANT)
    .where(condition)
    .select('c.id')
    .distinct()
    .orderBy('c.id')
    .execute();
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postvault-search-'));
  opened = await openDatabase(join(dir, 'search.sqlite'));
  db = opened.db;
  options = { expandTerms: createVocabTermExpander(db) };
  await seed();
});

afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('compileQuery finds the right messages in a real FTS5 index', () => {
  it.each<[string, string, number[]]>([
    ['words ignore case and diacritics', 'resume', [1]],
    ['upper case with accents folds too', 'RÉSUMÉ', [1]],
    ['umlauts fold to the base letter', 'koln', [2]],
    ['ß is kept, so the ß spelling finds it', 'gruße', [2]],
    ['ü folds in a word with ß', 'grüße', [2]],
    ['ß is not expanded to ss by unicode61', 'grusse', []],
    ['"strasse" does not find "Straße"', 'strasse', []],
    ['adjacent words are ANDed', 'quarterly unbelievable', [3]],
    ['a phrase needs its words in order', '"quarterly report"', [3]],
    ['a phrase in the wrong order finds nothing', '"report quarterly"', []],
    ['prefix', 'rebuil*', [5]],
    ['prefix covers several terms', 'report*', [3]],
    ['prefix across an address', 'bob.smi*', [1, 5]],
    ['suffix', '*believable', [3]],
    ['substring', '*udge*', [5]],
    ['substring matching several terms', '*eport*', [3]],
    ['suffix with no matching term finds nothing', '*zzqq', []],
    ['an empty wildcard inside OR drops out', '*zzqq OR budget', [5]],
    ['negating an empty wildcard keeps everything', '-*zzqq', [1, 2, 3, 4, 5]],
    ['suffix before the rest of an address', 'from:*ith@example.com', [1]],
    ['from: with a full address', 'from:bob.smith@example.com', [1]],
    ['to: matches recipient_to only', 'to:bob.smith@example.com', [5]],
    ['an address without a field matches any column', 'bob.smith@example.com', [1, 5]],
    ['from: with a display-name phrase', 'from:"Bob Smith"', [1]],
    ['from: with a domain', 'from:*@example.com', [1, 5]],
    ['from: with a suffix', 'from:*mith', [1]],
    ['bcc: matches recipient_bcc', 'bcc:auditor@example.com', [3]],
    ['to: does not see bcc', 'to:auditor', []],
    ['cc:', 'cc:carol', [5]],
    ['subject:', 'subject:budget', [5]],
    ['body:', 'body:spreadsheet', [5]],
    ['subject: misses body-only words', 'subject:spreadsheet', []],
    ['attachment: names', 'attachment:pdf', [1, 4]],
    ['attachment: text', 'attachment:curriculum', [1]],
    ['on: a day in UTC', 'on:2024-03-15', [1]],
    ['on: a month includes its last minutes in UTC', 'on:2024-02', [2]],
    ['on: a year uses sort_date when the Date header is missing', 'on:2023', [3]],
    ['before: is before the start of the day', 'before:2024-03-16', [1, 2, 3, 5]],
    ['after: is after the end of the day', 'after:2024-03-15', [4]],
    ['after: a year', 'after:2023', [1, 2, 4, 5]],
    ['a date range', 'after:2024-01 before:2024-03', [2]],
    ['size>', 'size>1m', [4]],
    ['size<', 'size<1k', [5]],
    ['size range', 'size>100k size<1m', [1]],
    ['has:attachment', 'has:attachment', [1, 4]],
    ['-has:attachment', '-has:attachment', [2, 3, 5]],
    ['folder: includes subfolders but not name-alikes', 'folder:projects', [2, 5]],
    ['folder: with a subfolder path', 'folder:"Projects/2024"', [2]],
    ['folder: is case-insensitive', 'folder:inbox', [1]],
    ['mailbox: is case-insensitive', 'mailbox:"journal eu"', [1, 4]],
    ['mailbox: another', 'mailbox:ALICE', [1, 2, 3, 5]],
    ['OR', 'budget OR quarterly', [3, 5]],
    ['NOT over a group', 'NOT (budget OR quarterly)', [1, 2, 4]],
    ['parentheses with a field', '(budget OR quarterly) from:carol', [3]],
    ['OR of full text and metadata', 'budget OR has:attachment', [1, 4, 5]],
    ['negation inside one MATCH', 'example -from:example.com', [2, 3, 4]],
    ['negation only means everything except', '-newsletter', [1, 2, 3, 5]],
    // Message 1 also has a copy in the journal, and conditions apply per copy.
    ['negation of a metadata term mixed with words', 'pdf -mailbox:alice', [1, 4]],
    ['OR of negations', '-budget OR -quarterly', [1, 2, 3, 4, 5]],
    ['OR of a word and a negation', 'budget OR -has:attachment', [2, 3, 5]],
    ['NEAR( as plain words', 'NEAR (foo bar)', [4]],
    ['^ as plain text', '^start', [4]],
    ['braces and colons inside a word are separators', '{body}:foo', []],
    ['a quoted column filter is just words', '"col: start"', [4]],
    ['lower-case operators are words', 'foo and bar', []],
  ])('%s: %s', async (_name, query, expected) => {
    expect(await search(query)).toEqual(expected);
  });
});

describe('compileQuery keeps full text in as few MATCH expressions as FTS5 allows', () => {
  async function matchCount(query: string): Promise<{ count: number; parameters: readonly unknown[] }> {
    const compiled = (await compileQuery(parseQuery(query), options)).compile(db);
    return { count: compiled.sql.match(/\bmatch\b/giu)?.length ?? 0, parameters: compiled.parameters };
  }

  it.each([
    ['invoice report summary', 1],
    ['invoice OR report -summary', 1],
    ['from:bob subject:budget -body:draft', 1],
    ['invoice has:attachment report size>10k', 1],
    ['-invoice -report', 1],
    ['invoice OR -report', 2],
  ])('%s uses %i MATCH', async (query, expected) => {
    expect((await matchCount(query)).count).toBe(expected);
  });

  it('passes user text as a bound parameter of quoted FTS5 strings', async () => {
    const { parameters } = await matchCount('say "he said ""hi"" OR NEAR" from:x');
    expect(parameters).toEqual([
      '("say") AND ("he said ") AND ("hi") AND (" OR NEAR") AND ({sender} : ("x"))',
    ]);
  });
});

describe('compileQuery never lets user input reach FTS5 or SQLite as syntax', () => {
  const attempts = [
    '"foo" OR NEAR(',
    'NEAR(foo bar, 2)',
    'col:foo',
    'sender:bob',
    '{sender}:bob',
    '^foo',
    'foo^',
    '"^foo"',
    'foo + bar',
    'a"b',
    '*"x"',
    '" OR "" x',
    "'; drop table messages; --",
    'folder:"%"',
    'mailbox:_',
    'from:*_*',
    '*%%*',
    'x:' + 'y',
    '-',
    '- -',
    '((a) OR (b))',
  ];

  it.each(attempts)('%j returns rows or a ValidationError', async (query) => {
    await expectRowsOrValidationError(query);
  });

  it('survives a seeded random mix of operators and punctuation', async () => {
    const pieces = [
      '"',
      '*',
      '(',
      ')',
      ':',
      '-',
      '^',
      '{',
      '}',
      '+',
      ' ',
      'NEAR',
      'OR',
      'AND',
      'NOT',
      'a',
      'bo',
      'from:',
      'x',
    ];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 400; i++) {
      const length = 1 + (next() % 8);
      const query = Array.from({ length }, () => pieces[next() % pieces.length]).join('');
      await expectRowsOrValidationError(query);
    }
  });

  it('rejects a wildcard that expands to too many terms', async () => {
    await expect(search('*eport*', { maxExpansions: 1 })).rejects.toThrow(
      new ValidationError(
        '"*eport*" at position 1 matches more than 1 indexed words — make the pattern longer',
      ),
    );
  });

  it('treats LIKE metacharacters in vocabulary patterns literally', async () => {
    const expand = createVocabTermExpander(db);
    expect(await expand({ kind: 'substring', text: '%' }, 10)).toEqual([]);
    expect(await expand({ kind: 'suffix', text: '_udget' }, 10)).toEqual([]);
    expect(await expand({ kind: 'substring', text: 'udge' }, 10)).toEqual(['budget']);
  });
});

async function expectRowsOrValidationError(query: string): Promise<void> {
  try {
    expect(Array.isArray(await search(query))).toBe(true);
  } catch (error) {
    if (!(error instanceof ValidationError)) {
      throw new Error(`query ${JSON.stringify(query)} failed with ${String(error)}`, { cause: error });
    }
  }
}
