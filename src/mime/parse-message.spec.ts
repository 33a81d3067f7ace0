import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDate, parseMessage } from './parse-message.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const read = (path: string) => readFileSync(join(corpus, path));
const parse = (path: string) => parseMessage(read(path));

describe('parseMessage on the real corpus', () => {
  it('decodes a raw UTF-8 (RFC 6532) From name and Apple Mail\'s "at" date (tika/testRFC822_date_utf8)', async () => {
    const m = await parse('tika/testRFC822_date_utf8');
    expect(m.from).toEqual([{ name: 'Philipp Steinkrüger', address: 'philipp.steinkrueger@uni-koeln.de' }]);
    expect(m.to).toEqual([{ name: 'Philipp Steinkrüger', address: 'philipp.steinkrueger@googlemail.com' }]);
    expect(m.subject).toBe('Testemail');
    expect(m.date).toBe(Date.parse('2016-05-16T08:30:32Z'));
  });

  it('decodes the koi8-r encoded-word attachment name in mime4j/russian-headers.msg', async () => {
    const m = await parse('mime4j/russian-headers.msg');
    expect(m.subject).toBe('A simple subject');
    expect(m.attachments).toEqual([
      { filename: 'Список.doc', contentType: 'text/plain', size: 15, text: 'A simple body.\n' },
    ]);
  });

  it('lists both text attachments with their text (tika/testRFC822_multipart_attachments.eml)', async () => {
    const m = await parse('tika/testRFC822_multipart_attachments.eml');
    expect(m.subject).toBe('EML 1');
    expect(m.from).toEqual([{ name: 'Bugs Bunny', address: 'Bugs.Bunny@acme.com' }]);
    expect(m.attachments.map((a) => [a.filename, a.text])).toEqual([
      ['Test TxtA.txt', 'This is Test TXTA File for parser'],
      ['Test TxtB.txt', 'This is Test TXTB File for parser'],
    ]);
    expect(m.bodyText).toContain('This is test email for EML1');
  });

  it('keeps the inline PDF part of tika/testRFC822-mixed-with-pdf-inline (empty in the corpus file)', async () => {
    const m = await parse('tika/testRFC822-mixed-with-pdf-inline');
    expect(m.subject).toBe('Re: Jane Doe Has Invited You to Team "Jane" at RealtimeBoard');
    expect(m.from).toEqual([{ name: 'John Smith', address: 'john.smith@domain.com' }]);
    // Tika's copy carries the part header with an empty base64 body, so there is no PDF text to find.
    expect(m.attachments).toEqual([
      { filename: 'tzora-titan-4-hummer-xl-manual.pdf', contentType: 'application/pdf', size: 0, text: '' },
    ]);
    expect(m.problems).toEqual([]);
  });

  it('extracts PDF text from an attachment (tika/testRFC822-mixed-with-pdf-inline with tika/testPDF.pdf put into its empty part; synthetic)', async () => {
    const raw = read('tika/testRFC822-mixed-with-pdf-inline').toString('latin1');
    const marker = 'name="tzora-titan-4-hummer-xl-manual.pdf"\nContent-Transfer-Encoding: base64\n\n';
    expect(raw).toContain(marker);
    const pdf = read('tika/testPDF.pdf').toString('base64').replace(/.{76}/g, '$&\n');
    const m = await parseMessage(Buffer.from(raw.replace(marker, marker + pdf + '\n'), 'latin1'));
    expect(m.attachments[0]!.size).toBe(read('tika/testPDF.pdf').length);
    expect(m.attachments[0]!.text).toContain(
      'Apache Tika is a toolkit for detecting and extracting metadata and structured text content',
    );
  });

  it('indexes the whole text of a message without any header (mime4j/malformedHeader-noheader.msg)', async () => {
    const m = await parse('mime4j/malformedHeader-noheader.msg');
    expect(m.bodyText).toBe(
      'This is a simple message not having headers.\nThe whole text should be recognized as body.',
    );
    expect(m.problems).toEqual(['no header: the message starts with text; whole message indexed as body']);
  });

  it('keeps a non-header line of the header block as body text (mime4j/malformedHeader-nocrlfcrlf.msg)', async () => {
    const m = await parse('mime4j/malformedHeader-nocrlfcrlf.msg');
    expect(m.subject).toBe('this is a subject');
    expect(m.bodyText).toContain('This is an invalid header');
    expect(m.bodyText).toContain('Body text');
    expect(m.problems).toEqual([
      'header block contains a line that is not a header field: "This is an invalid header"',
    ]);
  });

  it('recovers the text under a boundary that never occurs (mime4j/missing-boundary.msg)', async () => {
    const m = await parse('mime4j/missing-boundary.msg');
    expect(m.bodyText).toBe('AAA');
    expect(m.problems).toEqual([
      'multipart boundary "inner-boundary" never occurs; raw body indexed as text',
    ]);
  });

  it('keeps "Foo" and recovers "AAA" in mime4j/missing-inner-boundary.msg', async () => {
    const m = await parse('mime4j/missing-inner-boundary.msg');
    expect(m.bodyText).toContain('Foo');
    expect(m.bodyText).toContain('AAA');
    expect(m.problems).toHaveLength(1);
  });

  it('indexes the raw body when no MIME part is readable (mime4j/ending-boundaries.msg)', async () => {
    const m = await parse('mime4j/ending-boundaries.msg');
    expect(m.bodyText).toContain('first part');
    expect(m.problems).toEqual(['no readable MIME part found; raw body indexed as text']);
  });

  it('records the whitespace-only separator and keeps the lines after it (mime4j/basic-plain-with-bad-header-separator.msg)', async () => {
    const m = await parse('mime4j/basic-plain-with-bad-header-separator.msg');
    expect(m.subject).toBe('Simple Subject');
    // a bare local name without @ is read as a display name by postal-mime's address parser
    expect(m.cc).toEqual([
      { name: '', address: 'recipient1@example.com' },
      { name: '', address: 'recipient2@example.com' },
      { name: 'localrecipient', address: '' },
    ]);
    expect(m.bodyText).toContain('This is a very simple message with a simple body but the separator');
    expect(m.bodyText).toContain('This results in a bogus header.');
    expect(m.problems[0]).toBe(
      'header/body separator line contains whitespace; following lines treated as header',
    );
  });

  it('reports the malformed date and the invalid header name of mime4j/obsolete.msg', async () => {
    const m = await parse('mime4j/obsolete.msg');
    expect(m.subject).toBe(
      'The obsolete syntax allow spaces before the colon        and also empty lines in folding.',
    );
    expect(m.date).toBeNull();
    expect(m.problems).toContain('unparseable Date header: "Malformed Date."');
    expect(m.problems).toContain('header contains 8-bit bytes that are not UTF-8');
  });

  it('decodes RFC 2047 names and subject (tika/testRFC822_i18nheaders)', async () => {
    const m = await parse('tika/testRFC822_i18nheaders');
    expect(m.from).toEqual([{ name: 'Keld Jørn Simonsen', address: 'keld@dkuug.dk' }]);
    expect(m.to).toEqual([{ name: 'Nobody in Particular', address: 'a.person@example.com' }]);
    expect(m.subject).toBe('If you can read this you understand the example.');
  });

  it('reads Cc and Bcc lists (tika/testRFC822-CC-BCC)', async () => {
    const m = await parse('tika/testRFC822-CC-BCC');
    expect(m.messageId).toBe('<4890112.1075845067403.JavaMail.evans@thyme>');
    expect(m.date).toBe(986928720000);
    expect(m.to).toHaveLength(10);
    expect(m.cc.map((a) => a.address)).toEqual([
      'sally.beck@enron.com',
      'tom.bauer@us.arthurandersen.com',
      'georgeanne.hodges@enron.com',
      'vanessa.schulte@enron.com',
      'bob.hall@enron.com',
      'leslie.reeves@enron.com',
      'brent.price@enron.com',
    ]);
    expect(m.bcc).toEqual(m.cc);
  });

  it('keeps every From mailbox of "From: xyz, abc" (tika/testRFC822-limitedheaders)', async () => {
    const m = await parse('tika/testRFC822-limitedheaders');
    expect(m.from).toEqual([
      { name: 'xyz', address: '' },
      { name: 'abc', address: '' },
    ]);
    expect(m.subject).toBe('abcd');
  });

  it('decodes quoted-printable UTF-8 body text (tika/testRFC822_quoted)', async () => {
    const m = await parse('tika/testRFC822_quoted');
    expect(m.bodyText).toContain('Düsseldorf has non-ascii. Lines can be split like this.');
    expect(m.date).toBe(1290801473000);
  });

  it('indexes the returned message of a bounce (postal-mime/bounce.eml)', async () => {
    const m = await parse('postal-mime/bounce.eml');
    expect(m.subject).toBe('Undelivered Mail Returned to Sender');
    expect(m.attachments.map((a) => a.contentType)).toEqual(['message/delivery-status', 'message/rfc822']);
    expect(m.attachments[0]!.text).toContain('Reporting-MTA: dns; mailout.nyi.internal');
    expect(m.attachments[1]!.text).toContain('Proovikiri');
  });

  it('converts an HTML-only body to text (mailparser/spam.eml)', async () => {
    const m = await parse('mailparser/spam.eml');
    expect(m.subject).toBe('123.042 Euro pro Jahr GRARANTIERT von einer Bank! KOSTENLOS');
    expect(m.bodyText).not.toMatch(/<[a-z]/i);
    expect(m.bodyText.length).toBeGreaterThan(100);
  });

  it('lists attachments with decoded sizes (mime4j/example.msg)', async () => {
    const m = await parse('mime4j/example.msg');
    expect(m.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual([
      ['blob.png', 'image/png', 355],
      ['blob.png', 'image/png', 355],
      ['rhubarb.txt', 'text/plain', 3073],
    ]);
    expect(m.attachments[2]!.text).toMatch(/^Rhubarb Rhubarb/);
  });

  it('parses the forwarded part of mailparser/decoderended.eml into the body', async () => {
    const m = await parse('mailparser/decoderended.eml');
    expect(m.subject).toBe('Fwd: fotos');
    expect(m.bodyText).toContain('Be a better something.');
  });

  it('parses every corpus file without throwing and with the same result twice', async () => {
    const files = readdirSync(corpus, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && !/\.(md|pdf|docx|xlsx|dat)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
    expect(files.length).toBeGreaterThan(60);
    for (const file of files) {
      const m = await parseMessage(readFileSync(file));
      expect(Array.isArray(m.problems), file).toBe(true);
      expect(typeof m.bodyText, file).toBe('string');
    }
  });

  it('never throws on garbage bytes and keeps their words', async () => {
    const m = await parseMessage(Buffer.from('\u0000\u0001binary junk\r\n\r\nwords here', 'latin1'));
    expect(m.bodyText).toContain('words here');
    expect(m.problems.length).toBeGreaterThan(0);
  });
});

describe('parseDate', () => {
  it('reads RFC 5322, two-digit years and Apple Mail "at ... GMT+1"', () => {
    expect(parseDate('Wed, 11 Feb 98 11:51 CST')).toBe(Date.parse('1998-02-11T17:51:00Z'));
    expect(parseDate('16 May 2016 at 09:30:32  GMT+1')).toBe(Date.parse('2016-05-16T08:30:32Z'));
    expect(parseDate('Malformed Date.')).toBeNull();
  });
});
