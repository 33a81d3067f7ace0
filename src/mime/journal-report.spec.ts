import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unwrapJournalReport, type JournalUnwrap } from './journal-report.js';

// Every report here is SYNTHETIC, built from the description in shared/contracts/exchange-journal-report.md
// (no real Exchange report is public); the wrapped originals are real messages from shared/corpus.
const corpus = (name: string) => readFileSync(new URL(`../../../shared/corpus/${name}`, import.meta.url));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Eol = '\r\n' | '\n';

interface ReportOptions {
  eol?: Eol;
  envelope?: string[];
  original?: Buffer;
  /** Headers of part 2; undefined → message/rfc822. */
  originalHeaders?: string[];
  envelopeHeaders?: string[];
  /** Raw envelope body, for transfer-encoded envelopes. */
  envelopeBody?: string;
  topHeaders?: string[];
  omitOriginalPart?: boolean;
  omitClose?: boolean;
}

const defaultEnvelope = [
  'Sender: alice@contoso.test',
  'Subject: Quarterly figures',
  'Message-Id: <original-1@contoso.test>',
  'To: bob@contoso.test',
];

function syntheticReport(o: ReportOptions = {}): Buffer {
  const eol = o.eol ?? '\r\n';
  const lines = (ls: string[]) => ls.map((l) => l + eol).join('');
  const chunks: Buffer[] = [
    Buffer.from(
      lines([
        'From: MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.test',
        'To: journal-7f3a@postvault.test',
        'Subject: Quarterly figures',
        'MIME-Version: 1.0',
        ...(o.topHeaders ?? [
          'X-MS-Journal-Report:',
          'Content-Type: multipart/mixed; boundary="jr-boundary"',
        ]),
        '',
        'This is a multi-part message in MIME format.',
        '--jr-boundary',
        ...(o.envelopeHeaders ?? ['Content-Type: text/plain; charset="us-ascii"']),
        '',
      ]),
    ),
    Buffer.from(o.envelopeBody ?? lines(o.envelope ?? defaultEnvelope)),
  ];
  if (!o.omitOriginalPart) {
    chunks.push(
      Buffer.from(lines(['--jr-boundary', ...(o.originalHeaders ?? ['Content-Type: message/rfc822']), ''])),
      o.original ?? corpus('mime4j/russian-headers.msg'),
      Buffer.from(eol),
    );
  }
  if (!o.omitClose) chunks.push(Buffer.from(`--jr-boundary--${eol}`));
  return Buffer.concat(chunks);
}

function expectReport(r: JournalUnwrap): Extract<JournalUnwrap, { kind: 'report' }> {
  if (r.kind !== 'report') throw new Error(`expected a report, got not-a-report: ${r.reason}`);
  return r;
}

function expectNotAReport(r: JournalUnwrap, reason: RegExp): void {
  expect(r.kind).toBe('not-a-report');
  if (r.kind === 'not-a-report') expect(r.reason).toMatch(reason);
}

const originals = [
  'tika/testRFC822_multipart_attachments.eml',
  'mime4j/russian-headers.msg',
  'mime4j/missing-boundary.msg',
  'mime4j/malformedHeader-noheader.msg',
];

describe('unwrapJournalReport on synthetic reports wrapping real corpus messages', () => {
  for (const name of originals) {
    for (const eol of ['\r\n', '\n'] as const) {
      it(`returns the exact bytes of ${name} from a ${eol === '\n' ? 'LF' : 'CRLF'} report`, () => {
        const file = corpus(name);
        const r = expectReport(unwrapJournalReport(syntheticReport({ eol, original: file })));
        expect(sha256(r.original)).toBe(sha256(file));
        expect(r.isNdr).toBe(false);
        expect(r.envelope).toEqual({
          sender: 'alice@contoso.test',
          subject: 'Quarterly figures',
          messageId: '<original-1@contoso.test>',
          recipients: [{ address: 'bob@contoso.test', kind: 'to' }],
        });
      });
    }
  }

  it('decodes a base64-declared message/rfc822 part to the original bytes', () => {
    const file = corpus('tika/testRFC822_multipart_attachments.eml');
    const r = expectReport(
      unwrapJournalReport(
        syntheticReport({
          original: Buffer.from(file.toString('base64').replace(/.{76}/g, '$&\r\n')),
          originalHeaders: ['Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64'],
        }),
      ),
    );
    expect(sha256(r.original)).toBe(sha256(file));
  });

  it('keeps an original that does not end with a line break exactly as it is', () => {
    const original = Buffer.from('Subject: no final newline\r\n\r\nlast line');
    const r = expectReport(unwrapJournalReport(syntheticReport({ original })));
    expect(r.original.equals(original)).toBe(true);
  });
});

describe('the envelope', () => {
  it('lists Bcc recipients and expanded or forwarded recipients with their source', () => {
    const r = expectReport(
      unwrapJournalReport(
        syntheticReport({
          eol: '\n',
          envelope: [
            'Sender: alice@contoso.test',
            'Subject: Quarterly figures',
            'Message-Id: <original-1@contoso.test>',
            'On-Behalf-Of: ceo@contoso.test',
            'To: bob@contoso.test',
            'Cc: carol@contoso.test, Expanded: finance@contoso.test',
            'Bcc: auditor@contoso.test',
            'Recipient: dave@fabrikam.test, Forwarded: erin@contoso.test',
          ],
        }),
      ),
    );
    expect(r.envelope).toEqual({
      sender: 'alice@contoso.test',
      subject: 'Quarterly figures',
      messageId: '<original-1@contoso.test>',
      onBehalfOf: 'ceo@contoso.test',
      recipients: [
        { address: 'bob@contoso.test', kind: 'to' },
        { address: 'carol@contoso.test', kind: 'cc', expandedFrom: 'finance@contoso.test' },
        { address: 'auditor@contoso.test', kind: 'bcc' },
        { address: 'dave@fabrikam.test', kind: 'recipient', forwardedFrom: 'erin@contoso.test' },
      ],
    });
  });

  it('is read liberally: any field-name case, folded lines, the Exchange-internal header spelling', () => {
    const r = expectReport(
      unwrapJournalReport(
        syntheticReport({
          topHeaders: [
            'x-ms-exchange-organization-journal-report: 1',
            'content-type: Multipart/Mixed;',
            '\tboundary=jr-boundary',
          ],
          envelope: [
            'SENDER: <alice@contoso.test>',
            'subject: Quarterly',
            '  figures',
            'MESSAGE-ID: <original-1@contoso.test>',
            'bcc: auditor@contoso.test,',
            '  expanded: compliance@contoso.test',
          ],
        }),
      ),
    );
    expect(r.envelope).toEqual({
      sender: 'alice@contoso.test',
      subject: 'Quarterly figures',
      messageId: '<original-1@contoso.test>',
      recipients: [{ address: 'auditor@contoso.test', kind: 'bcc', expandedFrom: 'compliance@contoso.test' }],
    });
  });

  it('is found when part 1 has no MIME header and no blank line before the envelope text', () => {
    const headerless = syntheticReport({ envelopeHeaders: [], eol: '\n' })
      .toString('latin1')
      .replace('--jr-boundary\n\n', '--jr-boundary\n');
    expect(headerless).toContain('--jr-boundary\nSender: alice@contoso.test\n');
    const r = expectReport(unwrapJournalReport(Buffer.from(headerless, 'latin1')));
    expect(r.envelope.recipients).toEqual([{ address: 'bob@contoso.test', kind: 'to' }]);
  });

  it('is decoded from quoted-printable and from base64, in the declared charset', () => {
    const text = 'Sender: alice@contoso.test\r\nSubject: Prüfbericht\r\nTo: bob@contoso.test\r\n';
    const qp = syntheticReport({
      envelopeHeaders: [
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
      ],
      envelopeBody: 'Sender: alice@contoso.test\r\nSubject: Pr=FCfbericht\r\nTo: bob@contoso.=\r\ntest\r\n',
    });
    const b64 = syntheticReport({
      envelopeHeaders: ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'],
      envelopeBody: Buffer.from(text).toString('base64') + '\r\n',
    });
    for (const raw of [qp, b64]) {
      const r = expectReport(unwrapJournalReport(raw));
      expect(r.envelope.subject).toBe('Prüfbericht');
      expect(r.envelope.recipients).toEqual([{ address: 'bob@contoso.test', kind: 'to' }]);
    }
  });

  it('from two reports for one message: the same original bytes, different recipients', () => {
    const file = corpus('tika/testRFC822_multipart_attachments.eml');
    const first = expectReport(unwrapJournalReport(syntheticReport({ original: file })));
    const second = expectReport(
      unwrapJournalReport(
        syntheticReport({
          eol: '\n',
          original: file,
          envelope: [...defaultEnvelope.slice(0, 3), 'Bcc: auditor@contoso.test'],
        }),
      ),
    );
    expect(first.original.equals(second.original)).toBe(true);
    expect(first.envelope.recipients).toEqual([{ address: 'bob@contoso.test', kind: 'to' }]);
    expect(second.envelope.recipients).toEqual([{ address: 'auditor@contoso.test', kind: 'bcc' }]);
  });
});

describe('non-delivery reports', () => {
  it('are flagged when the original carries X-MS-Exchange-Message-Is-Ndr', () => {
    const ndr = Buffer.from(
      'From: postmaster@contoso.test\r\nX-MS-Exchange-Message-Is-Ndr:\r\nSubject: Undeliverable\r\n\r\nbody\r\n',
    );
    const r = expectReport(unwrapJournalReport(syntheticReport({ original: ndr })));
    expect(r.isNdr).toBe(true);
    expect(r.original.equals(ndr)).toBe(true);
  });

  it('are flagged when the report itself carries the header', () => {
    const r = expectReport(
      unwrapJournalReport(
        syntheticReport({
          topHeaders: [
            'X-MS-Journal-Report:',
            'X-MS-Exchange-Message-Is-Ndr:',
            'Content-Type: multipart/mixed; boundary="jr-boundary"',
          ],
        }),
      ),
    );
    expect(r.isNdr).toBe(true);
  });

  it('wrapping a journal report yield that report’s original', () => {
    const file = corpus('mime4j/russian-headers.msg');
    const inner = syntheticReport({ original: file });
    const ndr = Buffer.concat([
      Buffer.from(
        [
          'From: postmaster@contoso.test',
          'X-MS-Exchange-Message-Is-Ndr:',
          'Content-Type: multipart/report; report-type=delivery-status; boundary="ndr"',
          '',
          '--ndr',
          'Content-Type: text/plain',
          '',
          'Delivery has failed to the journal mailbox.',
          '--ndr',
          'Content-Type: message/rfc822',
          '',
          '',
        ].join('\r\n'),
      ),
      inner,
      Buffer.from('\r\n--ndr--\r\n'),
    ]);
    const r = expectReport(unwrapJournalReport(ndr));
    expect(r.isNdr).toBe(true);
    expect(sha256(r.original)).toBe(sha256(file));
  });
});

describe('anything else is not-a-report, with the reason', () => {
  it('a plain message', () => {
    expectNotAReport(unwrapJournalReport(corpus('tika/testRFC822')), /no X-MS-Journal-Report/);
  });

  it('a report whose original is TNEF or an Outlook .msg', () => {
    const tnef = syntheticReport({
      original: Buffer.from(corpus('tika/testWINMAIL.dat').toString('base64').replace(/.{76}/g, '$&\r\n')),
      originalHeaders: [
        'Content-Type: application/ms-tnef; name="winmail.dat"',
        'Content-Transfer-Encoding: base64',
      ],
    });
    expectNotAReport(unwrapJournalReport(tnef), /TNEF.*not available/);
    const msg = syntheticReport({ originalHeaders: ['Content-Type: application/vnd.ms-outlook'] });
    expectNotAReport(unwrapJournalReport(msg), /Outlook \.msg.*not available/);
  });

  it('a report missing part 2, or with an empty one', () => {
    expectNotAReport(
      unwrapJournalReport(syntheticReport({ omitOriginalPart: true })),
      /original message is missing/,
    );
    expectNotAReport(unwrapJournalReport(syntheticReport({ original: Buffer.alloc(0) })), /is empty/);
  });

  it('a report without its closing delimiter (truncated)', () => {
    expectNotAReport(unwrapJournalReport(syntheticReport({ omitClose: true })), /truncated/);
  });

  it('a report without a usable boundary, or not multipart/mixed', () => {
    expectNotAReport(
      unwrapJournalReport(
        syntheticReport({ topHeaders: ['X-MS-Journal-Report:', 'Content-Type: multipart/mixed'] }),
      ),
      /usable boundary/,
    );
    expectNotAReport(
      unwrapJournalReport(
        syntheticReport({ topHeaders: ['X-MS-Journal-Report:', 'Content-Type: text/plain'] }),
      ),
      /text\/plain, not multipart\/mixed/,
    );
  });

  it('a report whose envelope has no Sender or no recipient, or is not text/plain', () => {
    expectNotAReport(
      unwrapJournalReport(syntheticReport({ envelope: ['To: bob@contoso.test'] })),
      /no Sender/,
    );
    expectNotAReport(
      unwrapJournalReport(syntheticReport({ envelope: defaultEnvelope.slice(0, 3) })),
      /no recipients/,
    );
    expectNotAReport(
      unwrapJournalReport(syntheticReport({ envelopeHeaders: ['Content-Type: text/html'] })),
      /part 1 is text\/html/,
    );
  });

  it('random garbage, without throwing', () => {
    let seed = 0x2545f491;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('X-MS-Journal-Report:'),
      Buffer.from('X-MS-Journal-Report:\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b--'),
      ...Array.from({ length: 50 }, (_, i) => Buffer.from(Array.from({ length: 20 + i * 37 }, next))),
    ];
    for (const raw of inputs) {
      expect(unwrapJournalReport(raw).kind).toBe('not-a-report');
    }
    const report = syntheticReport();
    for (let cut = 0; cut < report.length; cut += 7) {
      expect(() => unwrapJournalReport(report.subarray(0, cut))).not.toThrow();
    }
  });
});
