import { randomBytes } from 'node:crypto';

/**
 * Builder of SYNTHETIC Exchange / Microsoft 365 envelope journal reports ([MS-XJRNL]), for tests and
 * benchmarks. No real journal report is public: the shape follows
 * shared/contracts/exchange-journal-report.md, and the wrapped originals should be real messages
 * (shared/corpus). Pure apart from drawing random boundary and Message-ID tokens; no I/O.
 *
 * The original is embedded unaltered (no transfer encoding) as the `message/rfc822` part, so that
 * `unwrapJournalReport` gives back exactly the bytes passed in. The report's own lines end in CRLF.
 */

export type SyntheticRecipientKind = 'to' | 'cc' | 'bcc' | 'recipient';

export interface SyntheticRecipient {
  kind: SyntheticRecipientKind;
  address: string;
  /** Written as `, Expanded: <dl>`: the distribution list the recipient was expanded from. */
  expandedFrom?: string;
  /** Written as `, Forwarded: <orig>`: the recipient the message was originally addressed to. */
  forwardedFrom?: string;
}

export interface SyntheticJournalReportOptions {
  /** The original message, embedded byte-for-byte. */
  original: Buffer;
  /** Envelope sender (SMTP address); '' for the null sender of a non-delivery report. */
  sender: string;
  /** Envelope and report subject; default: the original's Subject header (unfolded, undecoded). */
  subject?: string;
  /**
   * Envelope Message-Id; default: the original's Message-ID header. `null` writes an empty
   * `Message-Id:` line (an original without one).
   */
  messageId?: string | null;
  recipients: SyntheticRecipient[];
  onBehalfOf?: string;
  /** The journal endpoint address the report is sent to (the report's To). */
  journalAddress?: string;
  /** Adds `X-MS-Exchange-Message-Is-Ndr:` to the report's header. */
  ndr?: boolean;
  /** The multipart boundary; default: a random one. Throws when it occurs in the parts. */
  boundary?: string;
  /** The report's Date header; default: now. */
  date?: Date;
}

const JOURNAL_AGENT = 'MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e';
const DEFAULT_DOMAIN = 'contoso.test';
const DEFAULT_JOURNAL_ADDRESS = 'journal@postvault.test';
const CRLF = '\r\n';

/** A synthetic journal report wrapping `o.original` (see the module comment). */
export function buildJournalReport(o: SyntheticJournalReportOptions): Buffer {
  if (o.recipients.length === 0) throw new Error('a journal report lists at least one recipient');
  const defaults = originalHeaderDefaults(o.original);
  const subject = oneLine(o.subject ?? defaults.subject ?? '');
  const messageId = o.messageId === undefined ? defaults.messageId : o.messageId;
  const journalAddress = o.journalAddress ?? DEFAULT_JOURNAL_ADDRESS;
  const domain = domainOf(o.sender) ?? domainOf(journalAddress) ?? DEFAULT_DOMAIN;

  const envelopeLines = [
    `Sender: ${o.sender}`,
    `Subject: ${subject}`,
    `Message-Id: ${messageId === null ? '' : oneLine(messageId)}`.trimEnd(),
    ...(o.onBehalfOf ? [`On-Behalf-Of: ${o.onBehalfOf}`] : []),
    ...o.recipients.map(recipientLine),
  ];
  const envelope = Buffer.from(envelopeLines.map((l) => l + CRLF).join(''), 'utf8');

  const boundary = o.boundary ?? freshBoundary([o.original, envelope]);
  if (o.boundary !== undefined && !boundaryIsFree(boundary, [o.original, envelope])) {
    throw new Error(`the boundary "${boundary}" occurs in the report's parts`);
  }

  const head = [
    `From: ${JOURNAL_AGENT}@${domain}`,
    `To: ${journalAddress}`,
    `Subject: ${encodeHeaderText(subject)}`,
    `Date: ${(o.date ?? new Date()).toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${randomBytes(16).toString('hex')}@${domain}>`,
    'MIME-Version: 1.0',
    'X-MS-Journal-Report:',
    ...(o.ndr ? ['X-MS-Exchange-Message-Is-Ndr:'] : []),
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    'Content-Type: text/plain; charset="utf-8"',
    'Content-Transfer-Encoding: 8bit',
    '',
  ];
  return Buffer.concat([
    Buffer.from(head.map((l) => l + CRLF).join(''), 'utf8'),
    envelope,
    Buffer.from(`--${boundary}${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}`, 'latin1'),
    o.original,
    // The CRLF in front of a delimiter belongs to the delimiter (RFC 2046), not to the original.
    Buffer.from(`${CRLF}--${boundary}--${CRLF}`, 'latin1'),
  ]);
}

/**
 * The Subject and Message-ID of a message's header section (unfolded, trimmed, encoded words left
 * as they are; raw 8-bit read as UTF-8, or Latin-1 when it is not UTF-8). Undefined subject and null
 * Message-ID when absent or empty.
 */
export function originalHeaderDefaults(original: Buffer): { subject?: string; messageId: string | null } {
  const fields = headerFields(original);
  const subject = fields.get('subject');
  const messageId = fields.get('message-id');
  return {
    ...(subject !== undefined ? { subject } : {}),
    messageId: messageId ? messageId : null,
  };
}

function recipientLine(r: SyntheticRecipient): string {
  const name = { to: 'To', cc: 'Cc', bcc: 'Bcc', recipient: 'Recipient' }[r.kind];
  let line = `${name}: ${r.address}`;
  if (r.expandedFrom) line += `, Expanded: ${r.expandedFrom}`;
  if (r.forwardedFrom) line += `, Forwarded: ${r.forwardedFrom}`;
  return line;
}

/** First occurrence of each header field of the message's header section, lower-case names. */
function headerFields(message: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  const end = headerEnd(message);
  const text = decodeText(message.subarray(0, end));
  let current: [string, string] | undefined;
  const flush = () => {
    if (current && !fields.has(current[0])) fields.set(current[0], current[1].trim());
    current = undefined;
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && current) {
      current[1] += line; // RFC 5322 unfolding: only the line break goes
      continue;
    }
    flush();
    const m = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:(.*)$/.exec(line);
    if (!m) break;
    current = [m[1]!.toLowerCase(), m[2]!];
  }
  flush();
  return fields;
}

/** Offset of the blank line ending the header section (or the whole message when there is none). */
function headerEnd(message: Buffer): number {
  const candidates = [message.indexOf('\r\n\r\n'), message.indexOf('\n\n')].filter((i) => i >= 0);
  return candidates.length > 0 ? Math.min(...candidates) : message.length;
}

function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+[ \t]*/g, ' ');
}

/** RFC 2047 (UTF-8, base64) when the text is not ASCII, as a mail system writes a header. */
function encodeHeaderText(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    // 45 bytes of UTF-8 → 60 base64 characters: each encoded word stays under 75 characters.
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  const domain =
    at >= 0
      ? address
          .slice(at + 1)
          .replace(/>.*$/, '')
          .trim()
      : '';
  return domain ? domain : undefined;
}

/** A delimiter line starts with `--boundary`; it is free when no part contains that string at all. */
function boundaryIsFree(boundary: string, parts: Buffer[]): boolean {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  return parts.every((p) => !p.includes(delimiter));
}

function freshBoundary(parts: Buffer[]): string {
  for (;;) {
    const boundary = `----=_JournalReport_${randomBytes(12).toString('hex')}`;
    if (boundaryIsFree(boundary, parts)) return boundary;
  }
}
