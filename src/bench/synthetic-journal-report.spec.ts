import { readFileSync } from 'node:fs';
import { decodeWords } from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { unwrapJournalReport, type JournalUnwrap } from '../mime/journal-report.js';
import {
  buildJournalReport,
  originalHeaderDefaults,
  type SyntheticRecipient,
} from './synthetic-journal-report.js';

// The reports are SYNTHETIC (no real Exchange journal report is public); the originals they wrap are
// real messages from shared/corpus, checked against the project's own unwrapper.
const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));

function expectReport(r: JournalUnwrap): Extract<JournalUnwrap, { kind: 'report' }> {
  if (r.kind !== 'report') throw new Error(`expected a report, got not-a-report: ${r.reason}`);
  return r;
}

const recipients: SyntheticRecipient[] = [
  { kind: 'to', address: 'bob@contoso.test' },
  { kind: 'cc', address: 'carol@contoso.test' },
  { kind: 'bcc', address: 'auditor@contoso.test' },
  { kind: 'recipient', address: 'dave@contoso.test', expandedFrom: 'sales@contoso.test' },
  { kind: 'to', address: 'erin@fabrikam.test', forwardedFrom: 'frank@contoso.test' },
  {
    kind: 'bcc',
    address: 'gina@contoso.test',
    expandedFrom: 'legal@contoso.test',
    forwardedFrom: 'hank@contoso.test',
  },
];

const originals = [
  'mime4j/russian-headers.msg',
  'mime4j/very-long-boundary.msg',
  'mime4j/boundary-name-clash.msg',
  'mime4j/malformedHeader-noheader.msg',
  'mailparser/nodemailer.eml',
  'mailparser/nested.eml',
  'mailparser/spam.eml',
  'tika/testRFC822-CC-BCC',
  'postal-mime/mimetorture.eml',
];

describe('buildJournalReport (synthetic Exchange journal reports)', () => {
  it.each(originals)('wraps %s so that the unwrapper returns it byte-identical with the envelope', (name) => {
    const original = corpus(name);
    const defaults = originalHeaderDefaults(original);
    const report = buildJournalReport({
      original,
      sender: 'alice@contoso.test',
      recipients,
      journalAddress: 'jr-abc@journal.postvault.test',
    });
    const r = expectReport(unwrapJournalReport(report));
    expect(r.original.equals(original)).toBe(true);
    expect(r.isNdr).toBe(false);
    expect(r.envelope).toEqual({
      sender: 'alice@contoso.test',
      subject: decodeWords(defaults.subject ?? ''),
      messageId: defaults.messageId,
      recipients,
    });
  });

  it('writes the envelope it is given: On-Behalf-Of, subject, Message-Id and the NDR flag', () => {
    const original = corpus('mailparser/nodemailer.eml');
    const report = buildJournalReport({
      original,
      sender: '',
      subject: 'Undeliverable: Grüße',
      messageId: '<custom@contoso.test>',
      onBehalfOf: 'assistant@contoso.test',
      recipients: [{ kind: 'bcc', address: 'journal-bcc@contoso.test' }],
      ndr: true,
    });
    const r = expectReport(unwrapJournalReport(report));
    expect(r.isNdr).toBe(true);
    expect(r.original.equals(original)).toBe(true);
    expect(r.envelope).toEqual({
      sender: '',
      subject: 'Undeliverable: Grüße',
      messageId: '<custom@contoso.test>',
      onBehalfOf: 'assistant@contoso.test',
      recipients: [{ kind: 'bcc', address: 'journal-bcc@contoso.test' }],
    });
    const head = report.subarray(0, report.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/^X-MS-Exchange-Message-Is-Ndr:$/m);
    expect(head).toMatch(/^X-MS-Journal-Report:$/m);
    expect(head).toMatch(/^Subject: =\?UTF-8\?B\?/m);
  });

  it('writes an empty Message-Id line for an original without one', () => {
    const original = corpus('mime4j/malformedHeader-noheader.msg');
    expect(originalHeaderDefaults(original).messageId).toBeNull();
    const r = expectReport(
      unwrapJournalReport(
        buildJournalReport({
          original,
          sender: 'a@b.test',
          recipients: [{ kind: 'to', address: 'c@b.test' }],
        }),
      ),
    );
    expect(r.envelope.messageId).toBeNull();
  });

  it('has the report header of the contract, CRLF line ends and a unique Message-ID per report', () => {
    const original = corpus('tika/testRFC822-CC-BCC'); // LF line ends: kept as they are
    const build = () =>
      buildJournalReport({
        original,
        sender: 'alice@contoso.test',
        recipients: [{ kind: 'to', address: 'bob@contoso.test' }],
        journalAddress: 'jr-abc@journal.postvault.test',
      });
    const a = build();
    const b = build();
    const head = a.subarray(0, a.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/^From: MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso\.test$/m);
    expect(head).toMatch(/^To: jr-abc@journal\.postvault\.test$/m);
    expect(head).toMatch(/^Content-Type: multipart\/mixed; boundary="[^"]+"$/m);
    expect(head).toMatch(/^Date: .+\+0000$/m);
    const id = (h: string) => /^Message-ID: (<[^>]+>)$/m.exec(h)?.[1];
    expect(id(head)).toBeDefined();
    expect(id(head)).not.toBe(id(b.toString('latin1')));
    // Everything but the original uses CRLF.
    const at = a.indexOf(original);
    const outside = Buffer.concat([a.subarray(0, at), a.subarray(at + original.length)]).toString('latin1');
    expect(outside.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('picks a boundary that does not occur in the original and refuses one that does', () => {
    const original = corpus('mime4j/boundary-name-clash.msg');
    const report = buildJournalReport({
      original,
      sender: 'a@b.test',
      recipients: [{ kind: 'to', address: 'c@b.test' }],
    });
    const boundary = /boundary="([^"]+)"/.exec(report.toString('latin1'))![1]!;
    expect(original.includes(`--${boundary}`)).toBe(false);

    const inner = /boundary="?([^";\r\n]+)"?/i.exec(original.toString('latin1'))![1]!;
    expect(() =>
      buildJournalReport({
        original,
        sender: 'a@b.test',
        recipients: [{ kind: 'to', address: 'c@b.test' }],
        boundary: inner,
      }),
    ).toThrow(/occurs/);
    // A prefix of a boundary used inside would also match a delimiter line there.
    expect(() =>
      buildJournalReport({
        original,
        sender: 'a@b.test',
        recipients: [{ kind: 'to', address: 'c@b.test' }],
        boundary: inner.slice(0, 4),
      }),
    ).toThrow(/occurs/);
  });
});
