import { once } from 'node:events';
import type { Writable } from 'node:stream';

export interface MboxWriterMessage {
  raw: Buffer;
  /** Envelope sender for the "From " line; whitespace is replaced, empty becomes MAILER-DAEMON. */
  from?: string;
  /** Date for the "From " line (UTC); when absent the epoch is written, so output never depends on the clock. */
  date?: Date;
}

/**
 * Writes messages as mboxrd: a "From sender date" line, the message with every line matching
 * /^>*From / given one more '>', a line break if the message lacks a final one, then one empty line.
 *
 * The one ambiguity mbox cannot avoid: a message that does not end with a line break gets one, and
 * nothing records that it was added, so it reads back with a trailing line break. Messages that end with
 * a line break (every message received over SMTP does) read back byte for byte with `splitMbox`, which
 * removes exactly the one empty line written here. Line breaks added here follow the message's own
 * style (CRLF if its first line ends with CRLF, else LF).
 *
 * Honours back-pressure on `out` and does not end it: the caller owns the stream.
 */
export async function writeMbox(messages: AsyncIterable<MboxWriterMessage>, out: Writable): Promise<void> {
  for await (const message of messages) {
    for (const piece of mboxPieces(message)) {
      if (!out.write(piece)) await drainOrFail(out);
    }
  }
}

async function drainOrFail(out: Writable): Promise<void> {
  // once() rejects on 'error', so a failing stream does not leave us waiting for 'drain' forever.
  await once(out, 'drain');
}

const GT = 0x3e;
const LF = 0x0a;
const CR = 0x0d;
const FROM_ = Buffer.from('From ', 'latin1');
const QUOTE = Buffer.from('>', 'latin1');

function needsQuote(raw: Buffer, lineStart: number): boolean {
  let i = lineStart;
  while (i < raw.length && raw[i] === GT) i++;
  if (raw.length - i < FROM_.length) return false;
  for (let k = 0; k < FROM_.length; k++) if (raw[i + k] !== FROM_[k]) return false;
  return true;
}

function lineBreakOf(raw: Buffer): Buffer {
  const nl = raw.indexOf(LF);
  return nl > 0 && raw[nl - 1] === CR ? Buffer.from('\r\n') : Buffer.from('\n');
}

/** The byte pieces of one mbox entry; exported for tests and for writers that are not streams. */
export function mboxPieces(message: MboxWriterMessage): Buffer[] {
  const { raw } = message;
  const eol = lineBreakOf(raw);
  const pieces: Buffer[] = [
    Buffer.from(`From ${envelopeSender(message.from)} ${asctime(message.date)}`),
    eol,
  ];
  let copied = 0;
  let lineStart = 0;
  while (lineStart < raw.length) {
    if (needsQuote(raw, lineStart)) {
      if (lineStart > copied) pieces.push(raw.subarray(copied, lineStart));
      pieces.push(QUOTE);
      copied = lineStart;
    }
    const nl = raw.indexOf(LF, lineStart);
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  if (copied < raw.length) pieces.push(raw.subarray(copied));
  if (raw.length === 0 || raw[raw.length - 1] !== LF)
    pieces.push(raw[raw.length - 1] === CR ? Buffer.from('\n') : eol);
  pieces.push(eol);
  return pieces;
}

function envelopeSender(from: string | undefined): string {
  // The separator line is split on spaces by readers, so the sender must be one printable token.
  let cleaned = '';
  for (const char of from ?? '') {
    const code = char.codePointAt(0) ?? 0;
    cleaned += code <= 0x20 || code === 0x7f || /\s/.test(char) ? '_' : char;
  }
  return cleaned === '' ? 'MAILER-DAEMON' : cleaned;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C asctime() layout in UTC, "Mon Jun  1 04:28:28 2009", the form mbox readers expect. */
function asctime(date: Date | undefined): string {
  const d = date && !Number.isNaN(date.getTime()) ? date : new Date(0);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${time} ${d.getUTCFullYear()}`;
}
