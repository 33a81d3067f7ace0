import { decodeWords } from 'postal-mime';
import {
  lineAfter,
  readHeader,
  splitMultipart,
  type ByteRange,
  type ParsedHeader,
} from './multipart-bytes.js';

/**
 * Unwrapping of Exchange / Microsoft 365 envelope journal reports ([MS-XJRNL]; see
 * shared/contracts/exchange-journal-report.md). Pure and I/O-free: the journal intake decides what to
 * store, this only says whether `raw` is a report and, if so, what the envelope and the original are.
 *
 * The original message is cut out of the report by byte offsets, never re-serialized, so that it
 * deduplicates against copies of the same message archived from mailboxes.
 */

export type JournalRecipientKind = 'to' | 'cc' | 'bcc' | 'recipient';

export interface JournalRecipient {
  address: string;
  kind: JournalRecipientKind;
  /** The distribution list this recipient was expanded from (`, Expanded: <dl>`). */
  expandedFrom?: string;
  /** The recipient the message was originally addressed to (`, Forwarded: <orig>`). */
  forwardedFrom?: string;
}

export interface JournalEnvelope {
  /** SMTP address; empty for the null sender of a non-delivery report. */
  sender: string;
  subject: string;
  /** As written in the envelope, angle brackets included; null when absent or empty. */
  messageId: string | null;
  onBehalfOf?: string;
  recipients: JournalRecipient[];
}

export type JournalUnwrap =
  | {
      kind: 'report';
      envelope: JournalEnvelope;
      /**
       * The exact bytes of the message/rfc822 part body (a view into `raw`, not a copy); the decoded
       * bytes when that part was transfer-encoded.
       */
      original: Buffer;
      /** The report, its original or an NDR wrapping the report carries X-MS-Exchange-Message-Is-Ndr. */
      isNdr: boolean;
    }
  | { kind: 'not-a-report'; reason: string };

/** Never throws: whatever cannot be read as a well-formed report is `not-a-report` with the reason. */
export function unwrapJournalReport(raw: Buffer): JournalUnwrap {
  try {
    return unwrap(raw, 0);
  } catch (err) {
    return notAReport(`unreadable: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const JOURNAL_HEADERS = ['x-ms-journal-report', 'x-ms-exchange-organization-journal-report'];
const NDR_HEADERS = ['x-ms-exchange-message-is-ndr', 'x-ms-exchange-organization-message-is-ndr'];
const OPAQUE_ORIGINALS: Record<string, string> = {
  'application/ms-tnef': 'TNEF (application/ms-tnef)',
  'application/vnd.ms-outlook': 'an Outlook .msg (application/vnd.ms-outlook)',
};

type Header = Pick<ParsedHeader, 'fields' | 'bodyStart'>;

function notAReport(reason: string): JournalUnwrap {
  return { kind: 'not-a-report', reason };
}

function unwrap(raw: Buffer, depth: number): JournalUnwrap {
  if (raw.length === 0) return notAReport('the message is empty');
  const head = readHeader(raw, 0, raw.length);
  if (!head) return notAReport('the message does not start with a header section');
  const { fields } = head;
  const topIsNdr = NDR_HEADERS.some((h) => fields.has(h));

  if (!JOURNAL_HEADERS.some((h) => fields.has(h))) {
    // An NDR for a report the journal mailbox refused carries the report as an attachment.
    if (topIsNdr && depth === 0) {
      const inner = findAttachedReport(raw, head);
      if (inner) return { ...inner, isNdr: true };
      return notAReport(
        'a non-delivery report (X-MS-Exchange-Message-Is-Ndr) with no journal report attached',
      );
    }
    return notAReport('no X-MS-Journal-Report or X-MS-Exchange-Organization-Journal-Report header');
  }

  const ctype = fields.get('content-type');
  const mediaType = mediaTypeOf(ctype, 'text/plain');
  if (mediaType !== 'multipart/mixed') {
    return notAReport(`journal report header present but the message is ${mediaType}, not multipart/mixed`);
  }
  const boundary = ctype === undefined ? undefined : boundaryOf(ctype);
  if (!boundary) return notAReport('multipart/mixed without a usable boundary parameter');

  const split = splitMultipart(raw, head.bodyStart, raw.length, boundary);
  if (split.parts.length === 0) return notAReport(`no part delimited by boundary "${boundary}"`);
  if (!split.closed) {
    return notAReport(`no closing delimiter "--${boundary}--": the report may be truncated`);
  }
  if (split.parts.length === 1) return notAReport('only one part: the attached original message is missing');
  if (split.parts.length > 2) return notAReport(`${split.parts.length} parts where a report has two`);
  const [envelopePart, originalPart] = split.parts as [ByteRange, ByteRange];

  const envelope = readEnvelopePart(raw, envelopePart);
  if (typeof envelope === 'string') return notAReport(envelope);

  const original = readOriginalPart(raw, originalPart);
  if (typeof original === 'string') return notAReport(original);

  const isNdr = topIsNdr || headerNamesOf(original).some((n) => NDR_HEADERS.includes(n));
  return { kind: 'report', envelope, original, isNdr };
}

function findAttachedReport(
  raw: Buffer,
  head: Header,
): Extract<JournalUnwrap, { kind: 'report' }> | undefined {
  const ctype = head.fields.get('content-type');
  if (!mediaTypeOf(ctype, 'text/plain').startsWith('multipart/')) return undefined;
  const boundary = ctype === undefined ? undefined : boundaryOf(ctype);
  if (!boundary) return undefined;
  for (const part of splitMultipart(raw, head.bodyStart, raw.length, boundary).parts) {
    const partHead = readPartHeader(raw, part);
    const type = mediaTypeOf(partHead.fields.get('content-type'), 'text/plain');
    if (type !== 'message/rfc822') continue;
    const body = decodeTransfer(raw.subarray(partHead.bodyStart, part.end), partHead.fields);
    if (body === undefined) continue;
    const inner = unwrap(body, 1);
    if (inner.kind === 'report') return inner;
  }
  return undefined;
}

function readEnvelopePart(raw: Buffer, part: ByteRange): JournalEnvelope | string {
  let head = readPartHeader(raw, part);
  // A part must open with a blank line when it has no MIME header; some generators start the
  // envelope text right after the delimiter instead, which reads as a header with a "Sender" field.
  if (head.fields.has('sender') && !head.fields.has('content-type'))
    head = { fields: new Map(), bodyStart: part.start };
  const ctype = head.fields.get('content-type');
  const type = mediaTypeOf(ctype, 'text/plain');
  if (type !== 'text/plain') return `part 1 is ${type}, not the text/plain envelope`;
  const bytes = decodeTransfer(raw.subarray(head.bodyStart, part.end), head.fields);
  if (bytes === undefined) return 'part 1 (the envelope) has invalid base64';
  return parseEnvelope(decodeCharset(bytes, ctype === undefined ? undefined : paramOf(ctype, 'charset')));
}

function readOriginalPart(raw: Buffer, part: ByteRange): Buffer | string {
  const head = readPartHeader(raw, part);
  const type = mediaTypeOf(head.fields.get('content-type'), 'text/plain');
  const opaque = OPAQUE_ORIGINALS[type];
  if (opaque) return `the original is attached as ${opaque}, so its RFC 822 bytes are not available`;
  if (type !== 'message/rfc822' && type !== 'message/global') {
    return `part 2 is ${type}, not message/rfc822`;
  }
  const original = decodeTransfer(raw.subarray(head.bodyStart, part.end), head.fields);
  if (original === undefined) return 'part 2 (the original message) has invalid base64';
  if (original.length === 0 || /^\s*$/.test(original.toString('latin1'))) {
    return 'part 2 (the original message) is empty';
  }
  return original;
}

const RECIPIENT_KINDS: Record<string, JournalRecipientKind> = {
  to: 'to',
  cc: 'cc',
  bcc: 'bcc',
  recipient: 'recipient',
};

/** The envelope text → fields, or the reason it is not an envelope. Unknown lines are skipped. */
function parseEnvelope(text: string): JournalEnvelope | string {
  const lines: string[] = [];
  for (const line of text.split(/\r?\n|\r/)) {
    // Header-like folding: a line starting with white space continues the previous field.
    if (/^[ \t]/.test(line) && lines.length > 0 && line.trim() !== '') {
      lines[lines.length - 1] += ' ' + line.trim();
    } else {
      lines.push(line);
    }
  }

  let sender: string | undefined;
  let subject: string | undefined;
  let messageId: string | undefined;
  let onBehalfOf: string | undefined;
  const recipients: JournalRecipient[] = [];
  for (const line of lines) {
    const m = /^([A-Za-z-]+)[ \t]*:(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    const kind = RECIPIENT_KINDS[name];
    if (kind) {
      const recipient = parseRecipient(kind, value);
      if (recipient) recipients.push(recipient);
    } else if (name === 'sender') sender ??= addressOf(value);
    else if (name === 'subject') subject ??= decodeWords(value);
    else if (name === 'message-id') messageId ??= value;
    else if (name === 'on-behalf-of') onBehalfOf ??= addressOf(value);
  }

  if (sender === undefined) return 'part 1 is not a journal envelope: no Sender line';
  if (recipients.length === 0) return 'the journal envelope lists no recipients (To, Cc, Bcc or Recipient)';
  const envelope: JournalEnvelope = {
    sender,
    subject: subject ?? '',
    messageId: messageId ? messageId : null,
    recipients,
  };
  if (onBehalfOf) envelope.onBehalfOf = onBehalfOf;
  return envelope;
}

/** `addr`, `addr, Expanded: dl`, `addr, Forwarded: orig` (either or both, in any order). */
function parseRecipient(kind: JournalRecipientKind, value: string): JournalRecipient | undefined {
  const pieces = value.split(/,\s*(?=(?:expanded|forwarded)\s*:)/i);
  const address = addressOf(pieces[0] ?? '');
  if (!address) return undefined;
  const recipient: JournalRecipient = { address, kind };
  for (const piece of pieces.slice(1)) {
    const m = /^(expanded|forwarded)\s*:(.*)$/i.exec(piece);
    const source = m ? addressOf(m[2]!) : '';
    if (!m || !source) continue;
    if (m[1]!.toLowerCase() === 'expanded') recipient.expandedFrom ??= source;
    else recipient.forwardedFrom ??= source;
  }
  return recipient;
}

/** `a@b`, `<a@b>` or `Name <a@b>` → `a@b`; `<>` → ''. */
function addressOf(value: string): string {
  const v = value.trim().replace(/,$/, '').trim();
  const angle = /<([^<>]*)>\s*$/.exec(v);
  return (angle ? angle[1]! : v).trim();
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** The body with its Content-Transfer-Encoding undone; undefined for base64 that is not base64. */
function decodeTransfer(body: Buffer, fields: Map<string, string>): Buffer | undefined {
  const cte = (fields.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  if (cte === 'base64') {
    const text = body.toString('latin1').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
    return Buffer.from(text, 'base64');
  }
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    const soft = /^[ \t]*(\r?\n)/.exec(body.toString('latin1', i + 1, i + 80));
    if (soft) {
      i += soft[0].length;
      continue;
    }
    const hex = body.toString('latin1', i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

function mediaTypeOf(contentType: string | undefined, fallback: string): string {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t ? t : fallback;
}

function paramOf(contentType: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s;"]+))`, 'i').exec(contentType);
  return m?.[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m?.[2];
}

function boundaryOf(contentType: string): string | undefined {
  const b = paramOf(contentType, 'boundary');
  // RFC 2046 caps boundaries at 70 characters; longer ones still occur and parsers accept them.
  return b && b.length <= 998 ? b : undefined;
}

/** A MIME part's header; a part whose first line is not a field has no header (RFC 2046 defaults). */
function readPartHeader(raw: Buffer, part: ByteRange): Header {
  return readHeader(raw, part.start, part.end) ?? { fields: new Map(), bodyStart: part.start };
}

/** Lower-case names of the header fields a message starts with; stops at the first non-field line. */
function headerNamesOf(message: Buffer): string[] {
  const names: string[] = [];
  let pos = 0;
  while (pos < message.length) {
    const lineEnd = lineAfter(message, pos, message.length);
    const line = message.toString('latin1', pos, Math.min(lineEnd, pos + 1000)).replace(/\r?\n$/, '');
    pos = lineEnd;
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') continue;
    const m = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/.exec(line);
    if (!m) break;
    names.push(m[1]!.toLowerCase());
  }
  return names;
}
