import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  describeError,
  type ImportEntry,
  type MboxUnquote,
} from './import.types.js';

/**
 * Streaming mbox splitter.
 *
 * Format rules, in the order they are applied:
 * - A line that starts with "From " separates messages; the separator line (with its line break) is
 *   not part of any message. Lines are split on LF only, so CRLF and LF files both work and a message
 *   keeps whichever line endings it had.
 * - Every message loses exactly one trailing empty line ("\n" or "\r\n") if it ends with one: mbox
 *   writers add an empty line after each message (RFC 4155), including the last one in the file, so
 *   that line belongs to the format and not to the message. A message that does not end with an empty
 *   line (a writer that adds none, or the last message of a truncated file) is kept as it is.
 * - Unquoting defaults to mboxrd: one '>' is removed from lines matching /^>+From /. An mboxo file
 *   cannot be told apart from an mboxrd one by looking, and the choice only matters for a body line that
 *   was literally ">From " before quoting. mboxrd unquoting is exact for mboxrd files and, for mboxo
 *   files, turns the far more common quoted "From " back into what the sender wrote, so it loses least.
 *   'none' keeps lines as stored.
 * - Bytes before the first separator (only possible when the file was not detected as mbox) are
 *   treated as message #0, unless they are only whitespace.
 *
 * Memory: one message at a time (plus one read chunk); a message larger than maxMessageBytes is
 * skipped and reported instead of being held.
 */
export interface MboxSplitOptions {
  unquote?: MboxUnquote;
  maxMessageBytes?: number;
}

/** One message from an mbox stream, numbered from 1 in file order (0 is data before the first From line). */
export type MboxMessage = { index: number; raw: Buffer } | { index: number; error: string };

export interface MboxReadOptions extends MboxSplitOptions {
  /** Folder every message of this file goes to; default ''. */
  folderPath?: string;
  /** Name used in sourceRefs ('name#12'); default the file's base name. */
  sourceName?: string;
}

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const FROM_ = Buffer.from('From ', 'latin1');

function startsWithFrom(line: Buffer, offset: number): boolean {
  if (line.length - offset < FROM_.length) return false;
  for (let i = 0; i < FROM_.length; i++) if (line[offset + i] !== FROM_[i]) return false;
  return true;
}

function isSeparator(line: Buffer): boolean {
  return startsWithFrom(line, 0);
}

function isQuotedFrom(line: Buffer): boolean {
  let i = 0;
  while (i < line.length && line[i] === GT) i++;
  return i > 0 && startsWithFrom(line, i);
}

function isEmptyLine(line: Buffer): boolean {
  return (line.length === 1 && line[0] === LF) || (line.length === 2 && line[0] === CR && line[1] === LF);
}

function isWhitespaceOnly(parts: Buffer[]): boolean {
  return parts.every((p) => p.every((b) => b === LF || b === CR || b === 0x20 || b === 0x09));
}

export async function* splitMbox(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: MboxSplitOptions = {},
): AsyncGenerator<MboxMessage> {
  const unquote = options.unquote ?? 'mboxrd';
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

  let index = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let oversize = false;
  let carry: Buffer | null = null;
  // A line longer than the limit is never held: we drop it up to its line break.
  let skippingLongLine = false;

  const finish = (): MboxMessage | null => {
    if (oversize) return { index, error: `message larger than ${max} bytes, skipped` };
    const last = parts[parts.length - 1];
    if (last && isEmptyLine(last)) parts.pop();
    if (index === 0) {
      if (isWhitespaceOnly(parts)) return null;
    } else if (parts.length === 0) {
      return { index, error: 'empty message' };
    }
    return { index, raw: Buffer.concat(parts) };
  };

  const addLine = (line: Buffer): MboxMessage | null => {
    if (isSeparator(line)) {
      const done = index > 0 || parts.length > 0 || oversize ? finish() : null;
      index++;
      parts = [];
      size = 0;
      oversize = false;
      return done;
    }
    const kept = unquote === 'mboxrd' && line[0] === GT && isQuotedFrom(line) ? line.subarray(1) : line;
    if (oversize) return null;
    size += kept.length;
    if (size > max) {
      oversize = true;
      parts = [];
      return null;
    }
    parts.push(kept);
    return null;
  };

  for await (const input of source) {
    const chunk =
      typeof input === 'string'
        ? Buffer.from(input)
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl + 1;
      const piece = chunk.subarray(start, end);
      start = end;
      if (skippingLongLine) {
        if (nl !== -1) skippingLongLine = false;
        continue;
      }
      if (nl === -1) {
        carry = carry ? Buffer.concat([carry, piece]) : Buffer.from(piece);
        if (carry.length > max) {
          // Too long to be a line worth keeping: the message it belongs to is oversize anyway.
          if (isSeparator(carry)) {
            const done = addLine(carry.subarray(0, FROM_.length));
            if (done) yield done;
          }
          oversize = true;
          parts = [];
          carry = null;
          skippingLongLine = true;
        }
        continue;
      }
      const line = carry ? Buffer.concat([carry, piece]) : piece;
      carry = null;
      const done = addLine(line);
      if (done) yield done;
    }
  }
  if (carry) {
    const done = addLine(carry);
    if (done) yield done;
  }
  if (index > 0 || parts.length > 0 || oversize) {
    const done = finish();
    if (done) yield done;
  }
}

/** Reads an mbox file as ImportItems; I/O errors become one ImportProblem and end the file. */
export async function* readMbox(path: string, options: MboxReadOptions = {}): AsyncGenerator<ImportEntry> {
  const sourceName = options.sourceName ?? basename(path);
  const folderPath = options.folderPath ?? '';
  let lastIndex = 0;
  try {
    for await (const message of splitMbox(createReadStream(path), options)) {
      lastIndex = message.index;
      const sourceRef = `${sourceName}#${message.index}`;
      if ('error' in message) yield { sourceRef, error: message.error };
      else yield { raw: message.raw, folderPath, sourceRef };
    }
  } catch (err) {
    const where = lastIndex > 0 ? `${sourceName}#${lastIndex + 1}` : sourceName;
    yield { sourceRef: where, error: `cannot read mbox: ${describeError(err)}` };
  }
}
