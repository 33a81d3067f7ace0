import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { spamAssassinFiles, stageSpamAssassin } from '../support/spamassassin.js';
import { tempDir } from '../support/temp-app.js';

interface Stats {
  tenants: Array<{
    tenant: string;
    messages: number;
    distinctMessages: number;
    objects: number;
    storedBytes: number;
  }>;
  indexBytes: number;
}

describe('the SpamAssassin corpus (6,046 real messages) through the CLI', () => {
  const data = tempDir();
  const staged = tempDir('postvault-sa-');
  let count = 0;
  const stats = () => (JSON.parse(runCli(data.path, ['stats', '--json']).stdout) as Stats).tenants[0]!;
  const search = (...query: string[]) =>
    runCli(data.path, ['search', '--json', '--limit', '1000', ...query])
      .stdout.split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: number; subject: string; from: string; folder: string });

  beforeAll(() => {
    count = stageSpamAssassin(staged.path);
  });
  afterAll(() => {
    data.remove();
    staged.remove();
  });

  it('imports every message', () => {
    expect(count).toBe(6046);
    const result = runCli(data.path, ['import', '--mailbox', 'sa', staged.path]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/6046 new, 0 copies of archived messages, 0 already archived, 0 failed/);
    expect(stats()).toMatchObject({ messages: 6046, distinctMessages: 6046 });
  });

  it('finds messages by the words they contain', () => {
    const mortgage = search('subject:mortgage');
    expect(mortgage.length).toBeGreaterThan(30);
    for (const hit of mortgage) expect(hit.subject).toMatch(/mortgage/i);

    const razor = search('razor', 'folder:easy-ham-1');
    expect(razor.length).toBeGreaterThan(20);
    for (const hit of razor) expect(hit.folder).toBe('easy-ham-1');

    // 109 messages of easy-ham-1 are "From: boingboing <rssfeeds@spamassassin.taint.org>".
    const boingboing = search('from:boingboing', 'from:rssfeeds@spamassassin.taint.org', 'folder:easy-ham-1');
    expect(boingboing).toHaveLength(109);
    for (const hit of boingboing) expect(hit.from).toBe('rssfeeds@spamassassin.taint.org');

    // messageid: finds exactly the messages whose Message-ID header is that id.
    const messageIdOf = (file: string) =>
      /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(readFileSync(file, 'latin1'))?.[1];
    const files = spamAssassinFiles();
    const wanted = messageIdOf(files[100]!)!;
    expect(wanted).toMatch(/^<.+@.+>$/);
    const withIt = files.filter((f) => messageIdOf(f) === wanted).length;
    expect(search(`messageid:${wanted}`)).toHaveLength(withIt);

    // Diacritics are folded: "resume" finds "résumé".
    const resume = search('résumé');
    expect(search('resume').map((h) => h.id)).toEqual(expect.arrayContaining(resume.map((h) => h.id)));
    expect(resume.length).toBeGreaterThan(0);
  });

  it('stores nothing new when the same import runs again', () => {
    const before = stats();
    const result = runCli(data.path, ['import', '--mailbox', 'sa', staged.path]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/0 new, 0 copies of archived messages, 6046 already archived, 0 failed/);
    expect(stats()).toEqual(before);
  });

  it('prints plain progress lines when not on a terminal', () => {
    const result = runCli(data.path, ['verify']);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/verify default: 6046 messages, \d+ msg\/s/);
  });
});
