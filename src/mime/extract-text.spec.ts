import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractAttachmentText, extractPdfText, extractXlsxText, parseTnef } from './extract-text.js';
import { htmlToText } from './html-to-text.js';

const tika = fileURLToPath(new URL('../../../shared/corpus/tika/', import.meta.url));
const read = (name: string) => readFileSync(join(tika, name));

describe('attachment text extraction', () => {
  it('extracts PDF text page by page (tika/testPDF.pdf)', async () => {
    const r = await extractAttachmentText(read('testPDF.pdf'), 'application/pdf', 'testPDF.pdf');
    expect(r.problems).toEqual([]);
    expect(r.text).toContain('Tika - Content Analysis Toolkit');
    expect(r.text).toContain(
      'Apache Tika is a toolkit for detecting and extracting metadata and structured text content',
    );
  });

  it('stops a PDF at the text cap and says so', async () => {
    const r = await extractPdfText(read('testPDF.pdf'), { maxTextChars: 50 });
    expect(r.text.length).toBeLessThanOrEqual(50);
  });

  it('records a problem for a broken PDF instead of throwing', async () => {
    const r = await extractAttachmentText(Buffer.from('%PDF-1.4 not really'), 'application/pdf', 'x.pdf');
    expect(r.text).toBe('');
    expect(r.problems[0]).toMatch(/^PDF text extraction failed/);
  });

  it('extracts DOCX text with mammoth (tika/testWORD.docx)', async () => {
    const r = await extractAttachmentText(read('testWORD.docx'), 'application/octet-stream', 'testWORD.docx');
    expect(r.problems).toEqual([]);
    expect(r.text).toMatch(/^Sample Word Document Title/);
    expect(r.text).toContain('This document includes text that is BOLD and ITALIC.');
  });

  it('extracts XLSX sheets, shared strings and numbers (tika/testEXCEL.xlsx)', async () => {
    const r = await extractAttachmentText(
      read('testEXCEL.xlsx'),
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'testEXCEL.xlsx',
    );
    expect(r.problems).toEqual([]);
    expect(r.text.split('\n').slice(0, 4)).toEqual([
      'Feuil1',
      'Sample Excel Worksheet - Numbers and their Squares',
      'Number\tSquare',
      '1\t1',
    ]);
    expect(r.text).toContain('15\t225');
    expect(r.text).toContain('Written and saved in Microsoft Excel X for Mac Service Release 1.');
  });

  it('truncates XLSX text at the cap with a problem', () => {
    const r = extractXlsxText(read('testEXCEL.xlsx'), { maxTextChars: 20 });
    expect(r.text.length).toBeLessThanOrEqual(20);
    expect(r.problems).toEqual(['XLSX text truncated at 20 characters']);
  });

  it('reads TNEF names and contained documents (tika/testWINMAIL.dat)', async () => {
    const tnef = parseTnef(read('testWINMAIL.dat'));
    expect(tnef.attachments.map((a) => [a.filename, a.data.length])).toEqual([
      ['quick.doc', 19968],
      ['QUICK~1.HTM', 428],
      ['quick.pdf', 18638],
      ['quick.txt', 235],
      ['quick.xml', 143],
    ]);
    const r = await extractAttachmentText(read('testWINMAIL.dat'), 'application/ms-tnef', 'winmail.dat');
    expect(r.text).toContain('quick.pdf');
    expect(r.text).toContain('Der schnelle braune Fuchs springt über den faulen Hund');
    expect(r.text.match(/The quick brown fox jumps over the lazy dog/g)!.length).toBeGreaterThanOrEqual(3);
  });

  it('decodes text attachments by charset', async () => {
    const latin1 = Buffer.from('Düsseldorf', 'latin1');
    expect((await extractAttachmentText(latin1, 'text/plain', 'a.txt', {}, 'iso-8859-1')).text).toBe(
      'Düsseldorf',
    );
    expect((await extractAttachmentText(latin1, 'text/plain', 'a.txt')).text).toBe('Düsseldorf');
  });

  it('skips attachments over the input cap with a problem', async () => {
    const r = await extractAttachmentText(read('testPDF.pdf'), 'application/pdf', 'testPDF.pdf', {
      maxInputBytes: 100,
    });
    expect(r.text).toBe('');
    expect(r.problems[0]).toMatch(/exceeds the 100-byte cap/);
  });

  it('ignores binary types', async () => {
    expect(await extractAttachmentText(Buffer.from([1, 2, 3]), 'image/png', 'a.png')).toEqual({
      text: '',
      problems: [],
    });
  });
});

describe('htmlToText', () => {
  it('drops scripts, styles and comments, decodes entities, breaks blocks', () => {
    const html =
      '<html><head><style>p{}</style></head><body><script>x()</script><p>Caf&eacute; &amp; bar</p><!-- hidden --><div>next&nbsp;line&#8230;</div></body></html>';
    expect(htmlToText(html)).toBe('Café & bar\n\nnext line…');
  });
});
