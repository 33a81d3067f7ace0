import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFileKind, openImportSource } from './import-source.js';
import { isImportProblem, type ImportEntry, type ImportItem, type ImportProblem } from './import.types.js';

const ENRON = join(import.meta.dirname, '../../../node_modules/pst-extractor/example/testdata/enron.pst');

// Synthetic fixtures, written by this test.
const MBOX =
  'From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From quoted\n\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: two\n\nx\n\n';
const FILES: Record<string, string | Buffer> = {
  'a.eml': 'Subject: a\r\n\r\nbody\r\n',
  'notes.txt': 'not mail at all',
  'empty.eml': '',
  'Archive/2019.mbox': MBOX,
  Inbox: MBOX,
  'Inbox.sbd/Sub': MBOX,
  'Inbox.msf': '// <!-- <mdb:mork:z v="1.4"/> -->',
  'Maildir/cur/1.eml': 'Subject: cur\n\n',
  'Maildir/new/2.eml': 'Subject: new\n\n',
  'Maildir/tmp/3.eml': 'Subject: half-delivered\n',
  'Maildir/dovecot-uidlist': '3 V1 N2\n',
  'Maildir/.Work.Projects/cur/4.eml': 'Subject: project\n\n',
  'Maildir/.Work.Projects/new/.keep': '',
  'Sent/cur/x.eml': 'Subject: sent\n\n',
  'bad.pst': Buffer.concat([Buffer.from('!BDN'), Buffer.alloc(600, 0x17)]),
};

async function collect(path: string): Promise<ImportEntry[]> {
  const out: ImportEntry[] = [];
  for await (const e of openImportSource(path)) out.push(e);
  return out;
}

const summary = (entries: ImportEntry[]) =>
  entries.map((e) =>
    isImportProblem(e)
      ? `! ${e.sourceRef}`
      : `${e.folderPath} | ${e.sourceRef} | ${e.raw.toString().split('\n')[0]}`,
  );

describe('openImportSource', () => {
  let dir: string;
  let root: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-import-'));
    root = join(dir, 'export');
    for (const [rel, content] of Object.entries(FILES)) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), content);
    }
    await symlink(join(root, 'does-not-exist'), join(root, 'dangling'));
    await symlink(root, join(root, 'loop'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('walks a directory in sorted order, mapping directories, mbox files and Maildirs to folders', async () => {
    expect(summary(await collect(root))).toEqual([
      'Archive/2019 | export/Archive/2019.mbox#1 | Subject: one',
      'Archive/2019 | export/Archive/2019.mbox#2 | Subject: two',
      'Inbox | export/Inbox#1 | Subject: one',
      'Inbox | export/Inbox#2 | Subject: two',
      'Inbox/Sub | export/Inbox.sbd/Sub#1 | Subject: one',
      'Inbox/Sub | export/Inbox.sbd/Sub#2 | Subject: two',
      'Maildir/Work/Projects | export/Maildir/.Work.Projects/cur/4.eml | Subject: project',
      '! export/Maildir/.Work.Projects/new/.keep',
      'Maildir | export/Maildir/cur/1.eml | Subject: cur',
      'Maildir | export/Maildir/new/2.eml | Subject: new',
      'Sent | export/Sent/cur/x.eml | Subject: sent',
      ' | export/a.eml | Subject: a\r',
      '! export/bad.pst',
      '! export/dangling',
      '! export/empty.eml',
      '! export/loop',
      ' | export/notes.txt | not mail at all',
    ]);
  });

  it('keeps the bytes of every file and unquotes mbox messages', async () => {
    const entries = await collect(root);
    const items = entries.filter((e): e is ImportItem => !isImportProblem(e));
    expect(items.find((i) => i.sourceRef === 'export/a.eml')!.raw.toString()).toBe(FILES['a.eml']);
    expect(items.find((i) => i.sourceRef === 'export/notes.txt')!.raw.toString()).toBe('not mail at all');
    expect(items.find((i) => i.sourceRef === 'export/Inbox#1')!.raw.toString()).toBe(
      'Subject: one\n\nFrom quoted\n',
    );
    const problems = entries.filter(isImportProblem) as ImportProblem[];
    expect(problems.find((p) => p.sourceRef === 'export/bad.pst')!.error).toMatch(/^cannot open PST/);
    expect(problems.find((p) => p.sourceRef === 'export/dangling')!.error).toMatch(/ENOENT/);
    expect(problems.find((p) => p.sourceRef === 'export/loop')!.error).toMatch(/symbolic link/);
  });

  it('puts a one-message mbox (a saved message with its envelope line) in its directory, like an EML', async () => {
    const walk = join(dir, 'saved');
    await mkdir(join(walk, 'ham'), { recursive: true });
    await writeFile(
      join(walk, 'ham', '00001.txt'),
      'From a@b Mon Jan  1 00:00:00 2024\nSubject: saved\n\nbody\n',
    );
    await writeFile(join(walk, 'ham', 'folder.mbox'), MBOX);
    const items = (await collect(walk)).filter((e): e is ImportItem => !isImportProblem(e));
    expect(items.map((i) => [i.folderPath, i.raw.toString().split('\n')[0]])).toEqual([
      ['ham', 'Subject: saved'],
      ['ham/folder', 'Subject: one'],
      ['ham/folder', 'Subject: two'],
    ]);
  });

  it('reads a single mbox file into the target folder', async () => {
    expect(summary(await collect(join(root, 'Archive/2019.mbox')))).toEqual([
      ' | 2019.mbox#1 | Subject: one',
      ' | 2019.mbox#2 | Subject: two',
    ]);
  });

  it('reads a single PST with its folder tree', async () => {
    const entries = await collect(ENRON);
    expect(entries.filter(isImportProblem)).toEqual([]);
    expect(entries).toHaveLength(71);
    expect(new Set(entries.map((e) => (e as ImportItem).folderPath))).toEqual(
      new Set([
        'lokay-m/MLOKAY (Non-Privileged)',
        'lokay-m/MLOKAY (Non-Privileged)/TW-Commercial Group',
        'lokay-m/MLOKAY (Non-Privileged)/Systems',
        'lokay-m/MLOKAY (Non-Privileged)/Sent Items',
        'lokay-m/MLOKAY (Non-Privileged)/Personal',
      ]),
    );
  });

  it('reports a missing path as a problem', async () => {
    expect(await collect(join(dir, 'nope'))).toEqual([
      { sourceRef: join(dir, 'nope'), error: expect.stringMatching(/ENOENT/) },
    ]);
  });

  it('detects kinds by content, not by name', async () => {
    expect(await detectFileKind(join(root, 'Inbox'))).toBe('mbox');
    expect(await detectFileKind(join(root, 'bad.pst'))).toBe('pst');
    expect(await detectFileKind(ENRON)).toBe('pst');
    expect(await detectFileKind(join(root, 'a.eml'))).toBe('eml');
    expect(await detectFileKind(join(root, 'empty.eml'))).toBe('eml');
  });
});
