import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImportProblem, type ImportEntry, type ImportItem } from './import.types.js';
import { listPstFolders, readPst } from './pst-reader.js';
import { expectedFromOutputTxt, pstTestdata as TESTDATA } from '../../../test/support/enron-output.js';

const ENRON = join(TESTDATA, 'enron.pst');
const OSTS = ['pstextractortest@outlook.com.ost', 'pstextractortestpdf@outlook.com.ost'];

async function collect(path: string): Promise<{ items: ImportItem[]; problems: ImportEntry[] }> {
  const items: ImportItem[] = [];
  const problems: ImportEntry[] = [];
  for await (const e of readPst(path)) (isImportProblem(e) ? problems : items).push(e as ImportItem);
  return { items, problems };
}

function countsByFolder(items: ImportItem[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.folderPath] = (counts[i.folderPath] ?? 0) + 1;
  return counts;
}

describe('readPst on enron.pst', () => {
  const expected = expectedFromOutputTxt('enron.pst');
  let first: ImportItem[];

  beforeAll(async () => {
    const { items, problems } = await collect(ENRON);
    expect(problems).toEqual([]);
    first = items;
  });

  it('walks the folder tree of output.txt, with the IPM subtree as the top', () => {
    const walked = listPstFolders(ENRON).map((f) => f.folderPath);
    // The first entry is the unnamed root, which output.txt does not print.
    expect(walked.slice(1)).toEqual(expected.folders);
  });

  it('yields as many messages per folder as output.txt lists', () => {
    const want: Record<string, number> = {};
    for (const [folder, list] of expected.subjects) want[folder] = list.length;
    expect(countsByFolder(first)).toEqual(want);
    expect(first).toHaveLength(71);
    // A folder's own items come before its subfolders' items.
    expect(first[0]!.sourceRef).toBe('enron.pst:/lokay-m/MLOKAY (Non-Privileged)/1');
    expect(first[1]!.sourceRef).toBe('enron.pst:/lokay-m/MLOKAY (Non-Privileged)/TW-Commercial Group/1');
  });

  it('gives byte-identical output when read twice', async () => {
    const { items: second } = await collect(ENRON);
    // Hashes, because a deep equality over 12 MB of Buffers takes minutes.
    const digest = (items: ImportItem[]) =>
      items.map((i) => createHash('sha256').update(i.raw).digest('hex'));
    expect(digest(second)).toEqual(digest(first));
    expect(second.map((i) => [i.folderPath, i.sourceRef])).toEqual(
      first.map((i) => [i.folderPath, i.sourceRef]),
    );
  });

  it('produces mail that mailparser reads, with the subjects of output.txt', async () => {
    const byFolder = new Map<string, number>();
    for (const item of first) {
      const n = byFolder.get(item.folderPath) ?? 0;
      byFolder.set(item.folderPath, n + 1);
      const parsed = await simpleParser(item.raw);
      const want = expected.subjects.get(item.folderPath)![n]!;
      // output.txt prints the MAPI subject, which Outlook may cut; the transport header has it whole.
      expect((parsed.subject ?? '').startsWith(want), `${item.sourceRef}: ${parsed.subject} vs ${want}`).toBe(
        true,
      );
    }
  });

  it('converts named messages with their bodies and attachments', async () => {
    const obaItem = first.find((i) => i.sourceRef.endsWith('/TW-Commercial Group/1'))!;
    const oba = await simpleParser(obaItem.raw);
    expect(oba.subject).toBe("New OBA's");
    expect(oba.from?.value[0]?.address).toBe('Dennis.Lee@ENRON.com');
    expect(oba.attachments.map((a) => a.filename)).toContain('OBA_27602_Citizens.doc');
    expect(oba.attachments).toHaveLength(11);
    expect(oba.attachments[0]!.size).toBe(53760);
    expect(oba.text).toContain('OBA');
    const raw = obaItem.raw.toString('latin1');
    expect(raw).toMatch(/^MIME-Version: 1\.0\r$/m);
    expect(raw.match(/^MIME-Version:/gim)).toHaveLength(1);
    expect(raw).not.toContain('----=_Part_32854_33478691.1241839433591');

    const powerMart = first.find((i) => i.folderPath === 'lokay-m/MLOKAY (Non-Privileged)')!;
    const parsed = await simpleParser(powerMart.raw);
    expect(parsed.subject).toBe("Power Mart '01 - Register online for your FREE exhibition pass!");
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['image001.gif']);
  });
});

describe('readPst on the OST files shipped with pst-extractor', () => {
  it.each(OSTS)('%s: message count per folder matches output.txt', async (file) => {
    const expected = expectedFromOutputTxt(file);
    const { items, problems } = await collect(join(TESTDATA, file));
    const want: Record<string, number> = {};
    for (const [folder, list] of expected.subjects) want[folder] = list.length;
    expect(problems).toEqual([]);
    expect(countsByFolder(items)).toEqual(want);
    for (const item of items) await simpleParser(item.raw);
  });
});

describe('readPst on broken input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-pst-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a corrupt PST as a problem instead of throwing', async () => {
    const bad = join(dir, 'bad.pst');
    await writeFile(bad, Buffer.concat([Buffer.from('!BDN'), Buffer.alloc(600, 0x17)]));
    const { items, problems } = await collect(bad);
    expect(items).toEqual([]);
    expect(problems).toEqual([{ sourceRef: 'bad.pst', error: expect.stringMatching(/^cannot open PST/) }]);
  });

  it('reports a truncated PST as problems instead of throwing', async () => {
    const cut = join(dir, 'cut.pst');
    await copyFile(ENRON, cut);
    await writeFile(cut, readFileSync(ENRON).subarray(0, 300_000));
    const { problems } = await collect(cut);
    expect(problems.length).toBeGreaterThan(0);
  });
});
