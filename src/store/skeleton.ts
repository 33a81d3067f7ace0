import { IntegrityError, ValidationError } from '../core/errors.js';
import { readHeader, splitMultipart, type ByteRange, type ParsedHeader } from '../mime/multipart-bytes.js';

/**
 * Attachment-level single instance: large leaf bodies are cut out of the raw message and stored once
 * as their own objects; the message keeps a skeleton of literal byte runs and references.
 *
 * The MIME scan only decides *which* ranges are worth sharing. Exactness never depends on it:
 * splitMessage/reassemble copy bytes by offset, so a misjudged structure costs dedup, not data.
 */

export type { ByteRange };

const MAX_DEPTH = 40;

/**
 * Byte ranges of leaf part bodies (the encoded bytes between a part's blank separator line and the
 * line break before the next delimiter) that are at least `minEncodedSize` long, in order. A
 * single-part message's own body counts as a leaf. Never throws: anything it cannot read with
 * confidence contributes no range.
 */
export function findLargePartBodies(raw: Buffer, minEncodedSize = 16 * 1024): ByteRange[] {
  if (raw.length < minEncodedSize) return [];
  const out: ByteRange[] = [];
  try {
    scanEntity(raw, 0, raw.length, false, minEncodedSize, 0, out);
  } catch {
    return [];
  }
  return out;
}

function scanEntity(
  raw: Buffer,
  start: number,
  end: number,
  inDigest: boolean,
  min: number,
  depth: number,
  out: ByteRange[],
): void {
  if (depth > MAX_DEPTH || end - start < min) return;
  const head = splitHeader(raw, start, end);
  if (!head) return;
  const { bodyStart, fields } = head;

  const ctype = fields.get('content-type');
  const cte = (fields.get('content-transfer-encoding') ?? '').trim().toLowerCase();
  const mediaType = (ctype?.split(';')[0] ?? (inDigest ? 'message/rfc822' : 'text/plain'))
    .trim()
    .toLowerCase();

  if (mediaType.startsWith('multipart/')) {
    const boundary = ctype === undefined ? undefined : boundaryOf(ctype);
    // A multipart without a usable boundary is read differently by different parsers: leave it whole.
    if (!boundary) return;
    for (const part of splitMultipart(raw, bodyStart, end, boundary).parts) {
      scanEntity(raw, part.start, part.end, mediaType === 'multipart/digest', min, depth + 1, out);
    }
    return;
  }
  if (
    (mediaType === 'message/rfc822' || mediaType === 'message/global') &&
    !/^(base64|quoted-printable)$/.test(cte)
  ) {
    scanEntity(raw, bodyStart, end, false, min, depth + 1, out);
    return;
  }
  if (end - bodyStart >= min) out.push({ start: bodyStart, end });
}

/** A header with its blank line, or undefined: without one there is no body to share. */
function splitHeader(raw: Buffer, start: number, end: number): ParsedHeader | undefined {
  const header = readHeader(raw, start, end);
  return header?.terminated ? header : undefined;
}

function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/i.exec(contentType);
  const b = m?.[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m?.[2];
  // RFC 2046 caps boundaries at 70 characters; longer ones still occur and parsers accept them.
  return b && b.length > 0 && b.length <= 998 ? b : undefined;
}

/*
 * Serialized skeleton, version 1:
 *   "PVSK" 0x01  varint(total message length)  record*
 *   record = 0x00 varint(n) <n literal bytes>
 *          | 0x01 varint(k) <k bytes: part key, UTF-8> varint(part length)
 * Lengths are repeated in the skeleton so that a part object swapped for another with the same key
 * space is caught before the message is handed out, not only by the caller's SHA-256.
 */
const SKELETON_MAGIC = Buffer.from('PVSK', 'latin1');
const SKELETON_VERSION = 1;
const LITERAL = 0;
const PART = 1;

export function splitMessage(
  raw: Buffer,
  ranges: ReadonlyArray<ByteRange>,
  keyOf: (bytes: Buffer) => string,
): { skeleton: Buffer; parts: Array<{ key: string; bytes: Buffer }> } {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const chunks: Buffer[] = [SKELETON_MAGIC, Buffer.of(SKELETON_VERSION), varint(raw.length)];
  const parts = new Map<string, Buffer>();
  let pos = 0;
  for (const r of sorted) {
    if (
      !Number.isInteger(r.start) ||
      !Number.isInteger(r.end) ||
      r.start < pos ||
      r.end <= r.start ||
      r.end > raw.length
    ) {
      throw new ValidationError(`part range ${r.start}..${r.end} is out of bounds or overlaps another`);
    }
    if (r.start > pos) chunks.push(Buffer.of(LITERAL), varint(r.start - pos), raw.subarray(pos, r.start));
    const bytes = raw.subarray(r.start, r.end);
    const key = keyOf(bytes);
    const keyBytes = Buffer.from(key, 'utf8');
    chunks.push(Buffer.of(PART), varint(keyBytes.length), keyBytes, varint(bytes.length));
    // The same attachment twice in one message is stored once.
    // A view into raw, not a copy: callers encode parts while raw is alive, and a copy would double
    // the memory of a message with a 50 MB attachment.
    if (!parts.has(key)) parts.set(key, bytes);
    pos = r.end;
  }
  if (pos < raw.length) chunks.push(Buffer.of(LITERAL), varint(raw.length - pos), raw.subarray(pos));
  return { skeleton: Buffer.concat(chunks), parts: [...parts].map(([key, bytes]) => ({ key, bytes })) };
}

/** Part keys a skeleton references, in order of first use (for verify and garbage collection). */
export function partKeysOf(skeleton: Buffer): string[] {
  return [...new Set(parseSkeleton(skeleton).records.flatMap((r) => (r.kind === 'part' ? [r.key] : [])))];
}

export async function reassemble(
  skeleton: Buffer,
  loadPart: (key: string) => Promise<Buffer>,
): Promise<Buffer> {
  const { total, records } = parseSkeleton(skeleton);
  const loads = new Map<string, Promise<Buffer>>();
  for (const r of records) {
    if (r.kind === 'part' && !loads.has(r.key)) loads.set(r.key, loadPart(r.key));
  }
  const loaded = new Map<string, Buffer>();
  await Promise.all([...loads].map(async ([key, p]) => loaded.set(key, await p)));

  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const r of records) {
    if (r.kind === 'literal') {
      pos += skeleton.copy(out, pos, r.start, r.end);
      continue;
    }
    const part = loaded.get(r.key)!;
    if (part.length !== r.length) {
      throw new IntegrityError(`part ${r.key} is ${part.length} bytes, the skeleton expects ${r.length}`, {
        key: r.key,
      });
    }
    pos += part.copy(out, pos);
  }
  return out;
}

type SkeletonRecord =
  { kind: 'literal'; start: number; end: number } | { kind: 'part'; key: string; length: number };

function parseSkeleton(s: Buffer): { total: number; records: SkeletonRecord[] } {
  const bad = (why: string) => new IntegrityError(`skeleton is damaged: ${why}`);
  if (s.length < 6 || !s.subarray(0, 4).equals(SKELETON_MAGIC)) throw bad('bad magic bytes');
  if (s[4] !== SKELETON_VERSION) throw bad(`unknown version ${s[4]}`);
  const cursor = { pos: 5 };
  const total = readVarint(s, cursor, bad);
  const records: SkeletonRecord[] = [];
  let sum = 0;
  while (cursor.pos < s.length) {
    const tag = s[cursor.pos++];
    if (tag === LITERAL) {
      const n = readVarint(s, cursor, bad);
      if (n === 0 || cursor.pos + n > s.length) throw bad('literal runs past the end');
      records.push({ kind: 'literal', start: cursor.pos, end: cursor.pos + n });
      cursor.pos += n;
      sum += n;
    } else if (tag === PART) {
      const k = readVarint(s, cursor, bad);
      if (k === 0 || cursor.pos + k > s.length) throw bad('part key runs past the end');
      const key = s.toString('utf8', cursor.pos, cursor.pos + k);
      cursor.pos += k;
      const length = readVarint(s, cursor, bad);
      records.push({ kind: 'part', key, length });
      sum += length;
    } else {
      throw bad(`unknown record tag ${tag}`);
    }
  }
  if (sum !== total) throw bad(`records add up to ${sum} bytes, header says ${total}`);
  return { total, records };
}

function varint(n: number): Buffer {
  const bytes: number[] = [];
  // Arithmetic, not bit operators: message lengths may pass 2^31.
  while (n >= 0x80) {
    bytes.push((n % 0x80) + 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

function readVarint(s: Buffer, cursor: { pos: number }, bad: (why: string) => Error): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    const b = s[cursor.pos++];
    if (b === undefined) throw bad('truncated length');
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 0x80;
  }
  throw bad('length too long');
}
