import { randomBytes } from 'node:crypto';
import { findLargePartBodies } from '../store/skeleton.js';

export interface OmittedPart {
  encodedSize: number;
  /** Decoded size: exact for base64 bodies, the encoded size otherwise. */
  decodedSize: number;
}

export interface OversizeView {
  /** The message with every oversize part body replaced by a short marker; what gets parsed. */
  view: Buffer;
  /** Marker plaintext and its base64 form, both mapping to the part they stand for. */
  markers: Map<string, OmittedPart>;
}

const BASE64_CHAR = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=')
  BASE64_CHAR[c.charCodeAt(0)] = 1;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;

function decodedSizeOf(body: Buffer): number {
  let chars = 0;
  let padding = 0;
  for (const byte of body) {
    if (isSpace(byte)) continue;
    if (!BASE64_CHAR[byte]) return body.length;
    chars += 1;
    if (byte === 0x3d) padding += 1;
  }
  return Math.max(0, Math.floor((chars * 3) / 4) - padding);
}

/**
 * A part bigger than the text-extraction limit yields no text, but decoding it would still cost
 * several times its size in memory (a 50 MB attachment took the parser past 300 MB). Such bodies
 * are cut out before parsing and replaced by a marker that reads the same whether the part is
 * declared base64 (the marker decodes to its plaintext) or not (the marker is its own base64 text),
 * so the parsed attachment can be matched back to the part it stands for.
 */
export function omitOversizeParts(raw: Buffer, maxPartBytes: number): OversizeView | null {
  if (raw.length <= maxPartBytes) return null;
  const ranges = findLargePartBodies(raw, maxPartBytes + 1);
  if (ranges.length === 0) return null;
  const nonce = randomBytes(6).toString('hex');
  const markers = new Map<string, OmittedPart>();
  const pieces: Buffer[] = [];
  let pos = 0;
  for (const [index, range] of ranges.entries()) {
    const body = raw.subarray(range.start, range.end);
    const plain = `postvault-omitted-part-${index}-${nonce}`;
    const encoded = Buffer.from(plain).toString('base64');
    const info = { encodedSize: body.length, decodedSize: decodedSizeOf(body) };
    markers.set(plain, info);
    markers.set(encoded, info);
    pieces.push(raw.subarray(pos, range.start), Buffer.from(encoded));
    pos = range.end;
  }
  pieces.push(raw.subarray(pos));
  return { view: Buffer.concat(pieces), markers };
}

/** The omitted part a parsed attachment's content stands for, if it is a marker. */
export function omittedPartOf(view: OversizeView | null, content: Uint8Array): OmittedPart | undefined {
  if (!view || content.byteLength > 64) return undefined;
  return view.markers.get(
    Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1').trim(),
  );
}

/** Removes markers that ended up in body text (an oversize text part). */
export function stripMarkers(view: OversizeView | null, text: string): { text: string; removed: number } {
  if (!view) return { text, removed: 0 };
  let removed = 0;
  for (const marker of view.markers.keys()) {
    if (text.includes(marker)) {
      removed += 1;
      text = text.replaceAll(marker, '');
    }
  }
  return { text, removed };
}
