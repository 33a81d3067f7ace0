/**
 * Text extraction from attachments for the full-text index. Every extractor is bounded by input
 * size, wall-clock time and output length, and reports trouble as problems rather than throwing:
 * one hostile PDF must not cost the archive the rest of the message.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { unzipSync, strFromU8, type UnzipFileInfo } from 'fflate';
import mammoth from 'mammoth';
import { htmlToText, decodeHtmlEntities } from './html-to-text.js';
import type { ExtractionLimits } from './mime.types.js';

export const defaultExtractionLimits: Readonly<ExtractionLimits> = Object.freeze({
  maxInputBytes: 20 * 1024 * 1024,
  timeoutMs: 5_000,
  maxTextChars: 1024 * 1024,
});

export interface ExtractionResult {
  text: string;
  problems: string[];
}

export type DocumentKind = 'pdf' | 'docx' | 'xlsx' | 'text' | 'html' | 'tnef' | 'none';

/** Decides which extractor applies, from the MIME type, the file name and the first bytes. */
export function detectDocumentKind(data: Uint8Array, contentType: string, filename: string): DocumentKind {
  const type = contentType.toLowerCase();
  const ext = /\.([a-z0-9]{1,5})$/i.exec(filename)?.[1]?.toLowerCase() ?? '';
  if (type === 'application/pdf' || ext === 'pdf' || startsWith(data, [0x25, 0x50, 0x44, 0x46, 0x2d]))
    return 'pdf';
  if (
    type === 'application/ms-tnef' ||
    type === 'application/vnd.ms-tnef' ||
    filename.toLowerCase() === 'winmail.dat' ||
    startsWith(data, [0x78, 0x9f, 0x3e, 0x22])
  )
    return 'tnef';
  if (
    type === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' ||
    ext === 'docx' ||
    ext === 'docm'
  )
    return 'docx';
  if (
    type === 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' ||
    ext === 'xlsx' ||
    ext === 'xlsm'
  )
    return 'xlsx';
  if (type === 'text/html' || ext === 'htm' || ext === 'html') return 'html';
  if (
    type.startsWith('text/') ||
    type === 'message/delivery-status' ||
    type === 'message/feedback-report' ||
    type === 'message/disposition-notification' ||
    type === 'application/json' ||
    type === 'application/xml' ||
    ['txt', 'csv', 'log', 'md', 'xml', 'json', 'ics', 'vcf', 'eml'].includes(ext)
  )
    return 'text';
  return 'none';
}

function startsWith(data: Uint8Array, magic: number[]): boolean {
  return data.length >= magic.length && magic.every((b, i) => data[i] === b);
}

/**
 * Extracts the indexable text of one attachment. `charset` applies to text parts only.
 * Never throws and never runs past `limits.timeoutMs` by more than one PDF page or one
 * non-interruptible library call.
 */
export async function extractAttachmentText(
  data: Uint8Array,
  contentType: string,
  filename: string,
  limits: Partial<ExtractionLimits> = {},
  charset?: string,
): Promise<ExtractionResult> {
  const lim = { ...defaultExtractionLimits, ...limits };
  const kind = detectDocumentKind(data, contentType, filename);
  if (kind === 'none' || data.length === 0) return { text: '', problems: [] };
  if (data.length > lim.maxInputBytes) {
    return {
      text: '',
      problems: [`${kind} not extracted: ${data.length} bytes exceeds the ${lim.maxInputBytes}-byte cap`],
    };
  }
  try {
    switch (kind) {
      case 'pdf':
        return await extractPdfText(data, lim);
      case 'docx':
        return await extractDocxText(data, lim);
      case 'xlsx':
        return extractXlsxText(data, lim);
      case 'tnef':
        return await extractTnefText(data, lim);
      case 'html':
        return capText(htmlToText(decodeText(data, charset)), lim, 'html');
      case 'text':
        return capText(decodeText(data, charset), lim, 'text');
    }
  } catch (err) {
    return { text: '', problems: [`${kind} text extraction failed: ${errorMessage(err)}`] };
  }
}

function capText(text: string, lim: ExtractionLimits, kind: string): ExtractionResult {
  if (text.length <= lim.maxTextChars) return { text, problems: [] };
  return {
    text: text.slice(0, lim.maxTextChars),
    problems: [`${kind} text truncated at ${lim.maxTextChars} characters`],
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const decoders = new Map<string, TextDecoder | null>();

/** A TextDecoder for a MIME charset label, or null when the label names nothing we can decode. */
export function decoderFor(charset: string): TextDecoder | null {
  const label = charset.trim().toLowerCase();
  let decoder = decoders.get(label);
  if (decoder !== undefined) return decoder;
  decoder = null;
  const candidates = [
    label,
    label.replace(/^(?:x-|cs)/, ''),
    label.replace(/^(?:x-|cs)/, '').replace(/[\s._-]+/g, ''),
  ];
  const cp = /^(?:cp|windows|ms|ibm)[-_]?(\d+)$/.exec(label);
  if (cp) candidates.push(`windows-${cp[1]}`, `ibm${cp[1]}`);
  for (const candidate of candidates) {
    try {
      decoder = new TextDecoder(candidate);
      break;
    } catch {
      // try the next spelling
    }
  }
  // Labels come from mail, so an attacker could grow the cache without bound; cap it.
  if (decoders.size < 256) decoders.set(label, decoder);
  return decoder;
}

/** Decodes text bytes with the declared charset; without one, UTF-8 when valid, else windows-1252. */
export function decodeText(data: Uint8Array, charset?: string): string {
  const declared = charset ? decoderFor(charset) : null;
  if (declared) return declared.decode(data);
  return isUtf8(data)
    ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
    : latin1.decode(data);
}
const latin1 = new TextDecoder('windows-1252');

// ---------------------------------------------------------------------------------------------- PDF

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | undefined;

/** pdfjs is 2 MB of code; load it only when the first PDF arrives. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjs;
}

export async function extractPdfText(
  data: Uint8Array,
  limits: Partial<ExtractionLimits> = {},
): Promise<ExtractionResult> {
  const lim = { ...defaultExtractionLimits, ...limits };
  const deadline = Date.now() + lim.timeoutMs;
  const { getDocument, VerbosityLevel } = await loadPdfJs();
  const problems: string[] = [];
  // pdfjs transfers (detaches) the buffer it is given; the caller's bytes must survive.
  const task = getDocument({
    data: new Uint8Array(data),
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    useWorkerFetch: false,
    stopAtErrors: false,
  });
  let text = '';
  try {
    const doc = await withDeadline(task.promise, deadline, () => void task.destroy());
    if (doc === timedOut)
      return { text: '', problems: ['PDF text extraction timed out while opening the document'] };
    try {
      for (let pageNumber = 1; pageNumber <= doc.numPages; pageNumber++) {
        if (Date.now() > deadline) {
          problems.push(`PDF text extraction timed out after page ${pageNumber - 1} of ${doc.numPages}`);
          break;
        }
        const page = await doc.getPage(pageNumber);
        const content = await page.getTextContent();
        const parts: string[] = [];
        for (const item of content.items) {
          if ('str' in item) parts.push(item.hasEOL ? `${item.str}\n` : item.str);
        }
        page.cleanup();
        text += parts.join('') + '\n';
        if (text.length >= lim.maxTextChars) {
          text = text.slice(0, lim.maxTextChars);
          if (pageNumber < doc.numPages)
            problems.push(
              `PDF text truncated at ${lim.maxTextChars} characters (page ${pageNumber} of ${doc.numPages})`,
            );
          break;
        }
      }
    } finally {
      await doc.destroy();
    }
  } catch (err) {
    problems.push(`PDF text extraction failed: ${errorMessage(err)}`);
    await task.destroy().catch(() => undefined);
  }
  return { text: text.trim(), problems };
}

const timedOut = Symbol('timed out');

/**
 * Races a promise against the deadline. The losing work is not cancelled (mammoth and fflate
 * cannot be), only abandoned; `onTimeout` lets a caller that can cancel do so.
 */
async function withDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  onTimeout?: () => void,
): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(
      () => {
        onTimeout?.();
        resolve(timedOut);
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// --------------------------------------------------------------------------------------------- DOCX

export async function extractDocxText(
  data: Uint8Array,
  limits: Partial<ExtractionLimits> = {},
): Promise<ExtractionResult> {
  const lim = { ...defaultExtractionLimits, ...limits };
  const deadline = Date.now() + lim.timeoutMs;
  const work = mammoth.extractRawText({ buffer: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
  // An abandoned extraction may still reject later; keep that from becoming an unhandled rejection.
  work.catch(() => undefined);
  const result = await withDeadline(work, deadline);
  if (result === timedOut)
    return { text: '', problems: [`DOCX text extraction timed out after ${lim.timeoutMs} ms`] };
  return capText(result.value.replace(/\n{3,}/g, '\n\n').trim(), lim, 'DOCX');
}

// --------------------------------------------------------------------------------------------- XLSX

/**
 * XLSX through fflate and the sheet XML directly: exceljs builds a full object model (styles,
 * formulas, merged cells) that the index never needs, and cannot be stopped half-way.
 */
export function extractXlsxText(data: Uint8Array, limits: Partial<ExtractionLimits> = {}): ExtractionResult {
  const lim = { ...defaultExtractionLimits, ...limits };
  const deadline = Date.now() + lim.timeoutMs;
  const problems: string[] = [];
  let oversized = false;
  const files = unzipSync(data, {
    filter: (file: UnzipFileInfo) => {
      const wanted =
        file.name === 'xl/sharedStrings.xml' ||
        file.name === 'xl/workbook.xml' ||
        /^xl\/worksheets\/sheet\d+\.xml$/.test(file.name);
      // The declared size guards against zip bombs before anything is inflated.
      if (wanted && file.originalSize > lim.maxInputBytes * 5) {
        oversized = true;
        return false;
      }
      return wanted;
    },
  });
  if (oversized) problems.push('XLSX: a part larger than the size cap was skipped');

  const shared: string[] = [];
  const sst = files['xl/sharedStrings.xml'];
  if (sst) {
    for (const si of strFromU8(sst).split('<si>').slice(1)) shared.push(xmlTextRuns(si));
  }
  const sheetNames = [
    ...strFromU8(files['xl/workbook.xml'] ?? new Uint8Array()).matchAll(/<sheet\b[^>]*\bname="([^"]*)"/g),
  ].map((m) => decodeHtmlEntities(m[1]!));
  const sheets = Object.keys(files)
    .filter((name) => name.startsWith('xl/worksheets/'))
    .sort((a, b) => Number(/(\d+)\.xml$/.exec(a)![1]) - Number(/(\d+)\.xml$/.exec(b)![1]));

  const out: string[] = [];
  let length = 0;
  for (const [index, sheetFile] of sheets.entries()) {
    if (Date.now() > deadline) {
      problems.push(`XLSX text extraction timed out after ${index} of ${sheets.length} sheets`);
      break;
    }
    const name = sheetNames[index];
    if (name) out.push(name);
    const xml = strFromU8(files[sheetFile]!);
    for (const row of xml.split('<row').slice(1)) {
      const cells: string[] = [];
      for (const cell of row.matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
        const attrs = cell[1]!;
        const body = cell[2] ?? '';
        const type = /\bt="([^"]*)"/.exec(attrs)?.[1];
        let value: string;
        if (type === 'inlineStr') value = xmlTextRuns(body);
        else {
          const v = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1];
          if (v === undefined) continue;
          value = type === 's' ? (shared[Number(v)] ?? '') : decodeHtmlEntities(v);
        }
        if (value !== '') cells.push(value);
      }
      if (cells.length) {
        const line = cells.join('\t');
        out.push(line);
        length += line.length + 1;
      }
      if (length >= lim.maxTextChars) break;
    }
    if (length >= lim.maxTextChars) {
      problems.push(`XLSX text truncated at ${lim.maxTextChars} characters`);
      break;
    }
  }
  return { text: out.join('\n').slice(0, lim.maxTextChars), problems };
}

/** Concatenates the <t> runs of a shared string or inline string (rich text has several). */
function xmlTextRuns(xml: string): string {
  let text = '';
  for (const m of xml.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>/g)) text += m[1];
  return decodeHtmlEntities(text).trim();
}

// --------------------------------------------------------------------------------------------- TNEF

/**
 * A small TNEF (winmail.dat) reader. node-tnef copies its input into a JS array (8+ bytes per
 * byte), logs through bunyan to stdout and needs a callback; the format's top level is simple
 * enough to walk directly. MAPI property blocks (long file names, RTF body) are not decoded; the
 * 8.3 attachment title and the plain body attribute are.
 */
export interface TnefContents {
  subject: string;
  body: string;
  attachments: { filename: string; data: Uint8Array }[];
}

const TNEF_SIGNATURE = 0x223e9f78;
const ATT_SUBJECT = 0x8004;
const ATT_BODY = 0x800c;
const ATT_ATTACH_REND_DATA = 0x9002;
const ATT_ATTACH_TITLE = 0x8010;
const ATT_ATTACH_DATA = 0x800f;

export function parseTnef(data: Uint8Array): TnefContents {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 6 || view.getUint32(0, true) !== TNEF_SIGNATURE)
    throw new Error('not a TNEF stream (bad signature)');
  const result: TnefContents = { subject: '', body: '', attachments: [] };
  let current: { filename: string; data: Uint8Array } | undefined;
  let pos = 6;
  while (pos + 9 <= data.length) {
    const level = data[pos]!;
    const id = view.getUint16(pos + 1, true);
    const length = view.getUint32(pos + 5, true);
    const start = pos + 9;
    const end = start + length;
    if (end + 2 > data.length) throw new Error(`truncated TNEF attribute at offset ${pos}`);
    const value = data.subarray(start, end);
    if (level === 1) {
      if (id === ATT_SUBJECT) result.subject = cString(value);
      else if (id === ATT_BODY) result.body = cString(value);
    } else if (level === 2) {
      if (id === ATT_ATTACH_REND_DATA) {
        current = { filename: '', data: new Uint8Array() };
        result.attachments.push(current);
      } else if (current && id === ATT_ATTACH_TITLE) current.filename = cString(value);
      else if (current && id === ATT_ATTACH_DATA) current.data = value;
    }
    pos = end + 2; // 16-bit checksum
  }
  return result;
}

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decodeText(nul < 0 ? bytes : bytes.subarray(0, nul)).trim();
}

export async function extractTnefText(
  data: Uint8Array,
  limits: Partial<ExtractionLimits> = {},
): Promise<ExtractionResult> {
  const lim = { ...defaultExtractionLimits, ...limits };
  const deadline = Date.now() + lim.timeoutMs;
  const tnef = parseTnef(data);
  const problems: string[] = [];
  const parts: string[] = [];
  if (tnef.subject) parts.push(tnef.subject);
  if (tnef.body) parts.push(tnef.body);
  for (const attachment of tnef.attachments) {
    parts.push(attachment.filename);
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      problems.push(`TNEF: extraction timed out before ${attachment.filename}`);
      continue;
    }
    const inner = await extractAttachmentText(attachment.data, '', attachment.filename, {
      ...lim,
      timeoutMs: remaining,
    });
    if (inner.text) parts.push(inner.text);
    problems.push(...inner.problems.map((p) => `TNEF ${attachment.filename}: ${p}`));
  }
  const capped = capText(parts.join('\n'), lim, 'TNEF');
  return { text: capped.text, problems: [...problems, ...capped.problems] };
}
