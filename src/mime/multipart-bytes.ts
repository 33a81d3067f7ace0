/** A span of a raw message: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Offset just past the next LF at or after pos, or `end` when the line does not end before it. */
export function lineAfter(raw: Buffer, pos: number, end: number): number {
  const lf = raw.indexOf(LF, pos);
  return lf === -1 || lf >= end ? end : lf + 1;
}

/**
 * Part ranges of a multipart body at the byte level, so callers can slice parts out exactly (the
 * attachment store, journal unwrapping). Each part starts after a delimiter line and ends before
 * the line break that precedes the next delimiter (RFC 2046: that line break belongs to the
 * delimiter). A delimiter is "--boundary" at the start of a line followed only by an optional "--"
 * and white space. `closed` tells whether the close delimiter was found; without it the last part
 * runs to `end`.
 */
export function splitMultipart(
  raw: Buffer,
  bodyStart: number,
  end: number,
  boundary: string,
): { parts: ByteRange[]; closed: boolean } {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const parts: ByteRange[] = [];
  let partStart = -1;
  let from = bodyStart;
  while (from < end) {
    const at = raw.indexOf(delimiter, from);
    if (at === -1 || at + delimiter.length > end) break;
    from = at + 1;
    if (at !== bodyStart && raw[at - 1] !== LF) continue;
    const lineEnd = lineAfter(raw, at, end);
    const m = /^(--)?[ \t]*\r?\n?$/.exec(raw.toString('latin1', at + delimiter.length, lineEnd));
    if (!m) continue;

    if (partStart !== -1) {
      let partEnd = at;
      if (partEnd > partStart && raw[partEnd - 1] === LF) partEnd--;
      if (partEnd > partStart && raw[partEnd - 1] === CR) partEnd--;
      parts.push({ start: partStart, end: partEnd });
    }
    if (m[1] === '--') return { parts, closed: true };
    partStart = lineEnd;
    from = lineEnd;
  }
  if (partStart !== -1) parts.push({ start: partStart, end });
  return { parts, closed: false };
}

/** Lower-case field name → unfolded, trimmed value (first occurrence), and where the body starts. */
export interface ParsedHeader {
  fields: Map<string, string>;
  bodyStart: number;
  /** False when the header ran to `end` without the blank line that starts a body. */
  terminated: boolean;
}

/**
 * Header fields and where the body starts, or undefined when a line is neither a field nor a
 * continuation. A header that runs to `end` without a blank line has an empty body at `end`.
 */
export function readHeader(raw: Buffer, start: number, end: number): ParsedHeader | undefined {
  const fields = new Map<string, string>();
  let current: { name: string; value: string } | undefined;
  const flush = () => {
    if (current && !fields.has(current.name)) fields.set(current.name, current.value.trim());
  };
  let pos = start;
  // An mbox "From " line is not a header field; parsers skip it.
  if (raw.toString('latin1', start, Math.min(start + 5, end)) === 'From ') pos = lineAfter(raw, start, end);
  while (pos < end) {
    const lineEnd = lineAfter(raw, pos, end);
    let contentEnd = lineEnd;
    if (contentEnd > pos && raw[contentEnd - 1] === LF) contentEnd--;
    if (contentEnd > pos && raw[contentEnd - 1] === CR) contentEnd--;
    if (contentEnd === pos) {
      flush();
      return { fields, bodyStart: lineEnd, terminated: true };
    }
    const line = raw.toString('latin1', pos, contentEnd);
    if (line[0] === ' ' || line[0] === '\t') {
      if (!current) return undefined;
      current.value += line;
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0 || !/^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trimEnd())) return undefined;
      flush();
      current = { name: line.slice(0, colon).trimEnd().toLowerCase(), value: line.slice(colon + 1) };
    }
    pos = lineEnd;
  }
  flush();
  return { fields, bodyStart: end, terminated: false };
}
