import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { PSTFile, type PSTAttachment, type PSTFolder, type PSTMessage } from 'pst-extractor';
import { describeError, type ImportEntry } from './import.types.js';

/**
 * Reads PST and OST files with pst-extractor and turns every item into RFC 5322 bytes.
 *
 * A PST item is MAPI properties, not MIME, so the bytes are ours: they must be the same every time the
 * same PST is read (re-import then deduplicates by content), hence no clock, no random boundaries, no
 * Map iteration over unordered data.
 *
 * Folder paths: the IPM subtree (the folder Outlook shows as the mailbox: "Top of Personal Folders" in
 * a PST, "Root - Mailbox/IPM_SUBTREE" in an OST) is the top, so enron.pst's
 * "Top of Personal Folders/lokay-m/Personal" becomes "lokay-m/Personal". Folders outside it (search
 * folders, "Root - Public") keep their full path from the unnamed root. A '/' inside a folder name
 * becomes '_' because '/' separates folder levels here.
 *
 * pst-extractor reads through a file descriptor (the PST is not loaded into memory) but synchronously,
 * and keeps its named-property map in a static field: read one PST at a time per process.
 */
export interface PstReadOptions {
  /** Prepended to every folder path, e.g. the directory the PST sat in during a directory walk. */
  folderPrefix?: string;
  /** Name used in sourceRefs ('name:/Inbox/3'); default the file's base name. */
  sourceName?: string;
}

export interface PstFolderInfo {
  folderPath: string;
  /** What the folder's contents table says; items that fail to load are reported when read. */
  contentCount: number;
}

const MAX_EMBED_DEPTH = 8;

export async function* readPst(path: string, options: PstReadOptions = {}): AsyncGenerator<ImportEntry> {
  const sourceName = options.sourceName ?? basename(path);
  let pst: PSTFile;
  try {
    pst = new PSTFile(path);
  } catch (err) {
    yield { sourceRef: sourceName, error: `cannot open PST: ${describeError(err)}` };
    return;
  }
  try {
    for (const entry of walkFolders(pst, sourceName)) {
      if ('error' in entry) {
        yield entry;
        continue;
      }
      const { folder, folderPath } = entry;
      const target = joinPath(options.folderPrefix ?? '', folderPath);
      yield* readFolderItems(folder, `${sourceName}:/${folderPath}`, target);
    }
  } finally {
    pst.close();
  }
}

/** The folder tree with item counts, in the order readPst visits it (empty folders included). */
export function listPstFolders(path: string): PstFolderInfo[] {
  const pst = new PSTFile(path);
  try {
    const out: PstFolderInfo[] = [];
    for (const entry of walkFolders(pst, basename(path))) {
      if ('error' in entry) continue;
      out.push({ folderPath: entry.folderPath, contentCount: entry.folder.contentCount });
    }
    return out;
  } finally {
    pst.close();
  }
}

function* readFolderItems(folder: PSTFolder, refBase: string, folderPath: string): Generator<ImportEntry> {
  if (folder.contentCount <= 0) return;
  for (let n = 1; ; n++) {
    const sourceRef = `${refBase}/${n}`;
    let item: unknown;
    try {
      item = folder.getNextChild();
    } catch (err) {
      // The cursor cannot be trusted after a failed read: stop this folder rather than loop.
      yield { sourceRef, error: `cannot read item: ${describeError(err)}` };
      return;
    }
    if (item === null || item === undefined) return;
    try {
      yield { raw: pstMessageToMime(item as PSTMessage), folderPath, sourceRef };
    } catch (err) {
      yield { sourceRef, error: `cannot convert item: ${describeError(err)}` };
    }
  }
}

type FolderEntry = { folder: PSTFolder; folderPath: string } | { sourceRef: string; error: string };

function* walkFolders(pst: PSTFile, sourceName: string): Generator<FolderEntry> {
  const root = pst.getRootFolder();
  const ipmSubtree = findIpmSubtreeNid(pst);

  function* visit(folder: PSTFolder, names: string[], depth: number): Generator<FolderEntry> {
    let path = names.join('/');
    // The IPM subtree and everything above it collapse to the top ('').
    if (depth > 0 && isIpmSubtree(folder, names, ipmSubtree)) path = '';
    yield { folder, folderPath: path };
    if (!folder.hasSubfolders) return;
    let children: PSTFolder[];
    try {
      children = folder.getSubFolders();
    } catch (err) {
      yield { sourceRef: `${sourceName}:/${path}`, error: `cannot list subfolders: ${describeError(err)}` };
      return;
    }
    for (const child of children) {
      const childNames = path === '' && depth > 0 ? [] : names;
      yield* visit(child, [...childNames, child.displayName.replace(/\//g, '_')], depth + 1);
    }
  }
  // The unnamed root itself holds no mail in practice; it is yielded as '' like the IPM subtree.
  yield* visit(root, [], 0);
}

function findIpmSubtreeNid(pst: PSTFile): number | null {
  try {
    // PR_IPM_SUBTREE_ENTRYID (0x35E0) of the message store; its last four bytes are the folder's NID.
    // pst-extractor keeps the store's properties in a protected map, so reach for it deliberately.
    const store = pst.getMessageStore() as unknown as {
      pstTableItems: Map<number, { data: Buffer }> | null;
    };
    const data = store.pstTableItems?.get(0x35e0)?.data;
    return data && data.length >= 24 ? data.readUInt32LE(20) : null;
  } catch {
    return null;
  }
}

function isIpmSubtree(folder: PSTFolder, names: string[], nid: number | null): boolean {
  if (nid !== null) return folder.descriptorNodeId.toNumber() === nid;
  // OSTs carry no subtree entry id; Exchange names the folder IPM_SUBTREE under "Root - Mailbox".
  return names.length === 2 && names[0] === 'Root - Mailbox' && names[1] === 'IPM_SUBTREE';
}

function joinPath(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

// ---------------------------------------------------------------------------------------------------
// MAPI item → MIME

const CRLF = '\r\n';
/** Headers we write ourselves; the originals describe a body structure we do not reproduce. */
const DROPPED_HEADERS = new Set([
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'content-disposition',
]);

interface Part {
  headers: string[];
  body: Buffer;
}

/** Deterministic RFC 5322 bytes for one PST item. */
export function pstMessageToMime(message: PSTMessage, depth = 0): Buffer {
  const headers = [...messageHeaders(message), 'MIME-Version: 1.0'];
  const body = bodyPart(message);
  const attachments = depth < MAX_EMBED_DEPTH ? attachmentParts(message, depth) : [];
  const top = attachments.length === 0 ? body : multipart('mixed', [body, ...attachments]);
  return Buffer.concat([
    Buffer.from([...headers, ...top.headers].join(CRLF) + CRLF + CRLF, 'utf8'),
    top.body,
  ]);
}

function messageHeaders(message: PSTMessage): string[] {
  const transport = message.transportMessageHeaders;
  const fromMapi = mapiHeaders(message);
  if (!transport || transport.trim() === '') return fromMapi.map(([name, value]) => `${name}: ${value}`);

  const fields = splitHeaderFields(transport).filter((f) => !DROPPED_HEADERS.has(fieldName(f)));
  const present = new Set(fields.map(fieldName));
  // Transport headers of items saved in Outlook sometimes lack what a reader needs to list the message.
  const missing = fromMapi.filter(
    ([name]) => ['date', 'from', 'subject'].includes(name.toLowerCase()) && !present.has(name.toLowerCase()),
  );
  return [...fields, ...missing.map(([name, value]) => `${name}: ${value}`)];
}

function fieldName(field: string): string {
  const colon = field.indexOf(':');
  return (colon === -1 ? field : field.slice(0, colon)).trim().toLowerCase();
}

/** Header fields (folded lines kept together, CRLF inside) up to the first empty line. */
function splitHeaderFields(text: string): string[] {
  const fields: string[] = [];
  for (const line of text.split(/\r?\n|\r/)) {
    if (line === '') {
      if (fields.length > 0) break;
      continue;
    }
    const continuation = line.startsWith(' ') || line.startsWith('\t');
    const looksLikeField = /^[!-9;-~]+:/.test(line);
    if ((continuation || !looksLikeField) && fields.length > 0) {
      // A stray line without a field name is kept as a continuation rather than dropped or left to
      // end the header block early.
      fields[fields.length - 1] += CRLF + (continuation ? line : ` ${line}`);
    } else if (looksLikeField) {
      fields.push(line);
    }
  }
  return fields;
}

function mapiHeaders(message: PSTMessage): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const date = message.clientSubmitTime ?? message.messageDeliveryTime ?? message.creationTime;
  if (date && !Number.isNaN(date.getTime())) headers.push(['Date', rfc5322Date(date)]);
  const from = mailbox(message.senderName, smtpAddressOf(message.senderEmailAddress, message.senderAddrtype));
  if (from) headers.push(['From', from]);
  const byType = new Map<number, string[]>([
    [1, []],
    [2, []],
    [3, []],
  ]);
  for (let i = 0; i < message.numberOfRecipients; i++) {
    const recipient = message.getRecipient(i);
    if (!recipient) continue;
    const address = recipient.smtpAddress || smtpAddressOf(recipient.emailAddress, recipient.addrType);
    const formatted = mailbox(recipient.displayName, address);
    if (formatted) byType.get(recipient.recipientType)?.push(formatted);
  }
  const names: Array<[number, string]> = [
    [1, 'To'],
    [2, 'Cc'],
    [3, 'Bcc'],
  ];
  for (const [type, name] of names) {
    const list = byType.get(type) ?? [];
    if (list.length > 0) headers.push([name, list.join(`,${CRLF} `)]);
  }
  headers.push(['Subject', encodeWords(message.subject ?? '')]);
  if (message.internetMessageId) headers.push(['Message-ID', message.internetMessageId.trim()]);
  if (message.inReplyToId) headers.push(['In-Reply-To', message.inReplyToId.trim()]);
  if (message.messageClass && message.messageClass !== 'IPM.Note') {
    // Keeps calendar items, tasks and reports recognisable once they are plain mail.
    headers.push(['X-MS-Message-Class', message.messageClass]);
  }
  return headers;
}

function smtpAddressOf(address: string, addrType: string): string {
  // Exchange-internal (EX) addresses are X.500 DNs, not mail addresses.
  return address && address.includes('@') && (addrType === '' || addrType.toUpperCase() === 'SMTP')
    ? address
    : '';
}

function mailbox(name: string, address: string): string {
  const cleanName = (name ?? '').replace(/[\r\n]+/g, ' ').trim();
  if (!address) return cleanName ? `${phrase(cleanName)} <>` : '';
  if (!cleanName || cleanName === address) return `<${address}>`;
  return `${phrase(cleanName)} <${address}>`;
}

function phrase(text: string): string {
  if (!isAscii(text)) return encodeWords(text);
  return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

function bodyPart(message: PSTMessage): Part {
  const plain = message.body;
  const html = message.bodyHTML;
  const parts: Part[] = [];
  if (plain) parts.push(base64Part(['Content-Type: text/plain; charset=utf-8'], Buffer.from(plain, 'utf8')));
  if (html) parts.push(base64Part(['Content-Type: text/html; charset=utf-8'], Buffer.from(html, 'utf8')));
  if (parts.length === 0) {
    const rtf = safe(() => message.bodyRTF, '');
    if (rtf) parts.push(base64Part(['Content-Type: text/rtf; charset=utf-8'], Buffer.from(rtf, 'utf8')));
  }
  if (parts.length === 0) return base64Part(['Content-Type: text/plain; charset=utf-8'], Buffer.alloc(0));
  if (parts.length === 1) return parts[0] as Part;
  return multipart('alternative', parts);
}

const ATTACH_BY_VALUE = 1;
const ATTACH_EMBEDDED_MSG = 5;
const ATTACH_OLE = 6;

function attachmentParts(message: PSTMessage, depth: number): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < message.numberOfAttachments; i++) {
    const attachment = message.getAttachment(i);
    const name =
      attachment.longFilename || attachment.filename || attachment.displayName || `attachment-${i + 1}`;
    if (attachment.attachMethod === ATTACH_EMBEDDED_MSG) {
      const embedded = attachment.embeddedPSTMessage;
      if (!embedded) continue;
      const raw = pstMessageToMime(embedded, depth + 1);
      parts.push({
        headers: [
          'Content-Type: message/rfc822',
          'Content-Transfer-Encoding: 8bit',
          disposition('attachment', `${name}.eml`),
        ],
        body: raw,
      });
      continue;
    }
    if (attachment.attachMethod !== ATTACH_BY_VALUE && attachment.attachMethod !== ATTACH_OLE) continue;
    const data = readAttachment(attachment);
    if (!data) continue;
    const headers = [`Content-Type: ${mimeType(attachment.mimeTag)}`];
    const contentId = attachment.contentId?.trim();
    headers.push(disposition(contentId ? 'inline' : 'attachment', name));
    if (contentId) headers.push(`Content-ID: <${contentId.replace(/^<|>$/g, '')}>`);
    parts.push(base64Part(headers, data));
  }
  return parts;
}

function readAttachment(attachment: PSTAttachment): Buffer | null {
  const stream = attachment.fileInputStream;
  if (!stream) return null;
  const data = Buffer.alloc(stream.length.toNumber());
  if (data.length > 0) stream.readCompletely(data);
  return data;
}

function mimeType(tag: string): string {
  const t = (tag ?? '').trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(t) ? t : 'application/octet-stream';
}

function base64Part(headers: string[], data: Buffer): Part {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return {
    headers: [...headers, 'Content-Transfer-Encoding: base64'],
    body: Buffer.from(lines.length ? lines.join(CRLF) + CRLF : '', 'latin1'),
  };
}

function serialisePart(part: Part): Buffer {
  return Buffer.concat([Buffer.from(part.headers.join(CRLF) + CRLF + CRLF, 'utf8'), part.body]);
}

function multipart(subtype: 'mixed' | 'alternative', parts: Part[]): Part {
  const serialised = parts.map(serialisePart);
  const boundary = contentBoundary(subtype, serialised);
  const pieces: Buffer[] = [];
  for (const part of serialised) {
    pieces.push(Buffer.from(`--${boundary}${CRLF}`, 'latin1'), part);
    // The CRLF before a delimiter belongs to the delimiter; parts without a final one need it added.
    pieces.push(Buffer.from(CRLF, 'latin1'));
  }
  pieces.push(Buffer.from(`--${boundary}--${CRLF}`, 'latin1'));
  return {
    headers: [`Content-Type: multipart/${subtype};${CRLF} boundary="${boundary}"`],
    body: Buffer.concat(pieces),
  };
}

/** A boundary derived from the content, so the same item always gives the same bytes. */
function contentBoundary(subtype: string, parts: Buffer[]): string {
  for (let attempt = 0; ; attempt++) {
    const hash = createHash('sha256');
    hash.update(`${subtype}:${attempt}`);
    for (const part of parts) hash.update(part);
    const boundary = `=_pv_${hash.digest('hex').slice(0, 40)}`;
    const probe = Buffer.from(`--${boundary}`, 'latin1');
    if (!parts.some((p) => p.includes(probe))) return boundary;
  }
}

function disposition(kind: 'inline' | 'attachment', filename: string): string {
  return `Content-Disposition: ${kind};${CRLF} ${filenameParameter(filename.replace(/[\r\n]+/g, ' '))}`;
}

/** filename="..." for printable ASCII, else RFC 2231 filename*=UTF-8''..., continued when long. */
function filenameParameter(filename: string): string {
  if (/^[\x20-\x7e]*$/.test(filename) && filename.length <= 70)
    return `filename="${filename.replace(/(["\\])/g, '\\$1')}"`;
  const encoded = encodeURIComponent(filename).replace(
    /['()*!]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  if (encoded.length <= 60) return `filename*=UTF-8''${encoded}`;
  const segments: string[] = [];
  let rest = encoded;
  while (rest.length > 0) {
    let cut = Math.min(60, rest.length);
    // Never split a %XX escape across segments.
    const pct = rest.lastIndexOf('%', cut - 1);
    if (pct !== -1 && pct > cut - 3 && cut < rest.length) cut = pct;
    segments.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return segments.map((s, i) => `filename*${i}*=${i === 0 ? "UTF-8''" : ''}${s}`).join(`;${CRLF} `);
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e\t]*$/.test(text);
}

/** RFC 2047 B-encoding for non-ASCII header text, split on character boundaries into short words. */
function encodeWords(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (isAscii(clean)) return clean;
  const words: string[] = [];
  let current = '';
  for (const char of clean) {
    if (Buffer.byteLength(current + char, 'utf8') > 45) {
      words.push(current);
      current = '';
    }
    current += char;
  }
  if (current) words.push(current);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
