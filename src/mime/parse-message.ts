/**
 * Turns the raw bytes of one message into what the archive lists and indexes. postal-mime does the
 * MIME work (chosen in docs/decisions/0002-mime-parser.md); this module adds what it does not do:
 * it never rejects, it notices malformed structure that postal-mime silently drops, and it makes
 * sure text lost to such damage still reaches the index.
 */
import { omitOversizeParts, omittedPartOf, stripMarkers, type OversizeView } from './oversize-parts.js';
import { isUtf8 } from 'node:buffer';
import PostalMime, { addressParser, type Address, type Email } from 'postal-mime';
import { decodeText, decoderFor, defaultExtractionLimits, extractAttachmentText } from './extract-text.js';
import { htmlToText } from './html-to-text.js';
import type { AttachmentInfo, ExtractionLimits, MailAddress, ParsedMessage } from './mime.types.js';

/** message/rfc822 attachments are parsed for their text; deeper nesting is left as bytes. */
const MAX_ATTACHED_MESSAGE_DEPTH = 3;

export async function parseMessage(
  raw: Buffer,
  limits: Partial<ExtractionLimits> = {},
): Promise<ParsedMessage> {
  const lim = { ...defaultExtractionLimits, ...limits };
  try {
    const oversize = omitOversizeParts(raw, lim.maxInputBytes);
    return await parseAt(oversize?.view ?? raw, lim, 0, oversize);
  } catch (err) {
    // Last line of defence: a bug here must not lose the message from the index.
    const message = emptyMessage();
    message.bodyText = readableText(raw);
    message.problems.push(`message could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
    return message;
  }
}

function emptyMessage(): ParsedMessage {
  return {
    messageId: null,
    date: null,
    from: [],
    to: [],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: '',
    bodyText: '',
    attachments: [],
    problems: [],
  };
}

async function parseAt(
  input: Buffer,
  lim: ExtractionLimits,
  depth: number,
  oversize: OversizeView | null = null,
): Promise<ParsedMessage> {
  const message = emptyMessage();
  const problems = message.problems;
  const raw = skipMboxFromLine(input);
  const header = scanHeader(raw);
  problems.push(...header.problems);

  if (header.noHeader) {
    message.bodyText = readableText(raw);
    return message;
  }

  let email: Email;
  try {
    email = await PostalMime.parse(raw);
  } catch (err) {
    problems.push(`MIME structure could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
    message.bodyText = [header.strayText, readableText(raw.subarray(header.bodyStart))]
      .filter(Boolean)
      .join('\n');
    return message;
  }

  message.messageId = email.messageId ? email.messageId.trim() : null;
  message.subject = email.subject ?? '';
  const dateValue = email.headers.find((h) => h.key === 'date')?.value;
  if (dateValue !== undefined) {
    message.date = parseDate(dateValue);
    if (message.date === null)
      problems.push(`unparseable Date header: ${JSON.stringify(dateValue.trim().slice(0, 100))}`);
  }
  // postal-mime keeps only the first mailbox of From; RFC 5322 allows several.
  message.from = toAddresses(
    email.headers.filter((h) => h.key === 'from').flatMap((h) => addressParser(h.value)),
  );
  message.to = toAddresses(email.to);
  message.cc = toAddresses(email.cc);
  message.bcc = toAddresses(email.bcc);
  message.replyTo = toAddresses(email.replyTo);

  let body = email.text ?? (email.html ? htmlToText(email.html) : '');
  if (header.strayText) body = body ? `${header.strayText}\n${body}` : header.strayText;

  const structure = checkStructure(raw, header);
  problems.push(...structure.problems);
  const bodyBytes = raw.length - header.bodyStart;
  if (
    structure.lostParts ||
    (!body.trim() && email.attachments.length === 0 && hasVisibleBytes(raw, header.bodyStart))
  ) {
    if (!structure.lostParts) problems.push('no readable MIME part found; raw body indexed as text');
    const recovered = readableText(raw.subarray(header.bodyStart));
    body = body ? `${body}\n${recovered}` : recovered;
  }
  const stripped = stripMarkers(oversize, body);
  if (stripped.removed > 0) {
    body = stripped.text;
    problems.push('a text part above the text-extraction size limit is stored but its text is not indexed');
  }
  if (body.includes('\ufffd'))
    problems.push('body contains bytes that are invalid in their declared charset');
  message.bodyText = body;

  for (const attachment of email.attachments) {
    message.attachments.push(await describeAttachment(attachment, lim, depth, problems, oversize));
  }
  if (bodyBytes === 0 && !email.attachments.length) problems.push('message has no body');
  return message;
}

// ------------------------------------------------------------------------------------ header scan

interface HeaderScan {
  /** Offset where the body starts (after the empty line), or raw.length when there is none. */
  bodyStart: number;
  noHeader: boolean;
  /** Lines inside the header block that are not header fields; parsers drop them, so we keep them. */
  strayText: string;
  /** Header block decoded as latin1, for the charset and encoded-word checks. */
  headerText: string;
  problems: string[];
}

const HEADER_NAME = /^[!-9;-~]+[ \t]*:/;

/**
 * One pass over the header block only (a few KB), byte-level so that 8-bit bytes in field names
 * are caught. The body is never scanned here.
 */
function scanHeader(raw: Buffer): HeaderScan {
  const problems: string[] = [];
  const stray: string[] = [];
  let pos = 0;
  let bodyStart = raw.length;
  let lines = 0;
  let sawWhitespaceLine = false;
  let sawStray = false;
  let foundSeparator = false;
  while (pos < raw.length) {
    let eol = raw.indexOf(0x0a, pos);
    const next = eol < 0 ? raw.length : eol + 1;
    if (eol < 0) eol = raw.length;
    const end = eol > pos && raw[eol - 1] === 0x0d ? eol - 1 : eol;
    if (end === pos) {
      bodyStart = next;
      foundSeparator = true;
      break;
    }
    const line = raw.toString('latin1', pos, end);
    const first = raw[pos]!;
    if (first === 0x20 || first === 0x09) {
      if (!sawWhitespaceLine && line.trim() === '') {
        sawWhitespaceLine = true;
        problems.push('header/body separator line contains whitespace; following lines treated as header');
      }
    } else if (!HEADER_NAME.test(line)) {
      if (lines === 0) {
        return {
          bodyStart: 0,
          noHeader: true,
          strayText: '',
          headerText: '',
          problems: ['no header: the message starts with text; whole message indexed as body'],
        };
      }
      if (!sawStray)
        problems.push(
          `header block contains a line that is not a header field: ${JSON.stringify(line.slice(0, 60))}`,
        );
      sawStray = true;
      stray.push(decodeText(raw.subarray(pos, end)));
    }
    lines++;
    pos = next;
  }
  if (!foundSeparator) problems.push('no header/body separator (empty line) found');
  const headerBytes = raw.subarray(0, Math.min(bodyStart, raw.length));
  if (!isUtf8(headerBytes)) problems.push('header contains 8-bit bytes that are not UTF-8');
  return {
    bodyStart,
    noHeader: false,
    strayText: stray.join('\n'),
    headerText: headerBytes.toString('latin1'),
    problems,
  };
}

function skipMboxFromLine(raw: Buffer): Buffer {
  // An mbox "From " envelope line is not a header field; importers usually strip it, but not all.
  if (raw.length > 5 && raw[0] === 0x46 && raw.toString('latin1', 0, 5) === 'From ') {
    const nl = raw.indexOf(0x0a);
    return nl < 0 ? raw.subarray(raw.length) : raw.subarray(nl + 1);
  }
  return raw;
}

// ------------------------------------------------------------------------------- structure checks

interface StructureCheck {
  problems: string[];
  /** A multipart boundary never occurs, so the parser dropped the text under it. */
  lostParts: boolean;
}

/**
 * Native Buffer.indexOf scans (memchr speed) for boundary and charset parameters. postal-mime
 * accepts a missing boundary or an unknown charset without a word, and drops or mis-decodes the
 * text; these checks are how the archive learns about it.
 */
function checkStructure(raw: Buffer, header: HeaderScan): StructureCheck {
  const problems: string[] = [];
  let lostParts = false;
  for (
    let at = raw.indexOf('oundary=', 1, 'latin1');
    at >= 0;
    at = raw.indexOf('oundary=', at + 8, 'latin1')
  ) {
    const b = raw[at - 1];
    if (b !== 0x62 && b !== 0x42) continue;
    const value = readParameter(raw, at + 8);
    if (!value) continue;
    if (raw.indexOf(`--${value}`, at, 'latin1') < 0) {
      problems.push(
        `multipart boundary ${JSON.stringify(value.slice(0, 70))} never occurs; raw body indexed as text`,
      );
      lostParts = true;
    }
  }
  const seen = new Set<string>();
  for (let at = raw.indexOf('harset=', 1, 'latin1'); at >= 0; at = raw.indexOf('harset=', at + 7, 'latin1')) {
    const c = raw[at - 1];
    if (c !== 0x63 && c !== 0x43) continue;
    // charset=3D"utf-8" is an HTML meta tag inside a quoted-printable body, not a MIME parameter.
    if (raw[at + 7] === 0x33 && raw[at + 8] === 0x44) continue;
    noteCharset(readParameter(raw, at + 7), seen, problems);
  }
  for (const m of header.headerText.matchAll(/=\?([^?*\s]+)(?:\*[^?]*)?\?[bBqQ]\?/g))
    noteCharset(m[1]!, seen, problems);
  return { problems, lostParts };
}

function noteCharset(label: string, seen: Set<string>, problems: string[]): void {
  const key = label.toLowerCase();
  if (!key || seen.has(key)) return;
  seen.add(key);
  if (!decoderFor(key))
    problems.push(`unknown charset ${JSON.stringify(label.slice(0, 40))}; text decoded as windows-1252`);
}

/** Reads a MIME parameter value (quoted or token) starting at `pos`. */
function readParameter(raw: Buffer, pos: number): string {
  if (raw[pos] === 0x22) {
    const end = raw.indexOf(0x22, pos + 1);
    return end < 0 || end - pos > 200 ? '' : raw.toString('latin1', pos + 1, end);
  }
  let end = pos;
  while (end < raw.length && end - pos < 200) {
    const c = raw[end]!;
    if (c <= 0x20 || c === 0x3b || c === 0x22 || c === 0x7f) break;
    end++;
  }
  return raw.toString('latin1', pos, end);
}

function hasVisibleBytes(raw: Buffer, from: number): boolean {
  for (let i = from; i < raw.length; i++) if (raw[i]! > 0x20) return true;
  return false;
}

// ---------------------------------------------------------------------------------------- fields

function toAddresses(list: Address[] | undefined): MailAddress[] {
  const out: MailAddress[] = [];
  for (const entry of list ?? []) {
    for (const box of entry.group ?? [entry]) {
      const name = (box.name ?? '').trim();
      const address = (box.address ?? '').trim();
      if (name || address) out.push({ name, address });
    }
  }
  return out;
}

/**
 * Date.parse handles RFC 5322 and most obsolete forms. What real mail adds beyond that is mostly
 * Apple Mail's human format ("16 May 2016 at 09:30:32 GMT+1") and trailing comments.
 */
export function parseDate(value: string): number | null {
  const direct = Date.parse(value);
  if (!Number.isNaN(direct)) return direct;
  const cleaned = value
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\bat\b/i, ' ')
    .replace(
      /\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b/i,
      (_m, sign: string, h: string, m?: string) => ` ${sign}${h.padStart(2, '0')}${m ?? '00'}`,
    )
    .replace(/\s+/g, ' ')
    .trim();
  const lenient = Date.parse(cleaned);
  return Number.isNaN(lenient) ? null : lenient;
}

// ----------------------------------------------------------------------------------- attachments

async function describeAttachment(
  attachment: Email['attachments'][number],
  lim: ExtractionLimits,
  depth: number,
  problems: string[],
  oversize: OversizeView | null,
): Promise<AttachmentInfo> {
  const content = attachment.content;
  const bytes =
    typeof content === 'string'
      ? Buffer.from(content)
      : content instanceof Uint8Array
        ? content
        : new Uint8Array(content);
  const filename = attachment.filename ?? '';
  const contentType = attachment.mimeType;
  const label = filename || contentType;
  const omitted = omittedPartOf(oversize, bytes);
  if (omitted) {
    const megabytes = (omitted.decodedSize / 1048576).toFixed(1);
    problems.push(
      `attachment ${label}: ${megabytes} MB is above the text-extraction size limit; stored, not indexed`,
    );
    return { filename, contentType, size: omitted.decodedSize, text: '' };
  }
  let text = '';
  if (contentType === 'message/rfc822' || contentType === 'message/global') {
    if (depth < MAX_ATTACHED_MESSAGE_DEPTH && bytes.length <= lim.maxInputBytes) {
      const inner = await parseAt(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        lim,
        depth + 1,
      );
      const names = inner.from.map((a) => `${a.name} ${a.address}`.trim());
      text = [
        inner.subject,
        ...names,
        inner.bodyText,
        ...inner.attachments.flatMap((a) => [a.filename, a.text]),
      ]
        .filter(Boolean)
        .join('\n')
        .slice(0, lim.maxTextChars);
      problems.push(...inner.problems.map((p) => `attached message ${label}: ${p}`));
    }
  } else {
    const result = await extractAttachmentText(bytes, contentType, filename, lim);
    text = result.text;
    problems.push(...result.problems.map((p) => `attachment ${label}: ${p}`));
  }
  return { filename, contentType, size: bytes.byteLength, text };
}

// -------------------------------------------------------------------------------- fallback text

const BASE64_LINE = /^[A-Za-z0-9+/=]{40,}$/;

/**
 * The words of bytes that could not be parsed as MIME: decoded as UTF-8 when valid, else
 * windows-1252, without base64 blocks (which would only fill the index with noise).
 */
export function readableText(bytes: Uint8Array): string {
  const text = decodeText(bytes);
  return (
    text
      .split(/\r?\n/)
      .filter((line) => !BASE64_LINE.test(line))
      .join('\n')
      // Control characters are what binary junk decodes to; they carry no words.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
