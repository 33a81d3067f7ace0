const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('.\r\n');

/**
 * RFC 1939 multi-line bodies: a line that begins with "." gets one more, and the body ends with
 * CRLF "." CRLF. The client removes the stuffing and the terminator and gets the stored bytes back.
 *
 * A "line" begins after every LF, bare LFs too: smtp-server removes stuffing after any LF on the
 * way in, and a client that reads lines up to LF (fetchmail does) would otherwise take a bare-LF
 * ".\r\n" for the end of the message.
 */
export class DotStuffer {
  private atLineStart = true;
  private endsWithCrlf = false;
  private previous = -1;

  stuff(chunk: Uint8Array): Buffer {
    if (chunk.length === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (this.atLineStart && chunk[i] === DOT) {
        parts.push(Buffer.from(chunk.subarray(from, i)), Buffer.from('.'));
        from = i;
      }
      this.atLineStart = chunk[i] === LF;
    }
    parts.push(Buffer.from(chunk.subarray(from)));
    const last = chunk[chunk.length - 1]!;
    this.endsWithCrlf =
      last === LF && (chunk.length > 1 ? chunk[chunk.length - 2] === CR : this.previous === CR);
    this.previous = last;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The end of the body: a CRLF if the content did not end with one, then ".\r\n". */
  end(): Buffer {
    return this.endsWithCrlf ? TERMINATOR : Buffer.concat([CRLF, TERMINATOR]);
  }
}

/**
 * TOP's cut: the header, the empty line after it, and the first `lines` lines of the body. A
 * message without an empty line is all header and is given whole.
 */
export class TopCutter {
  private inBody = false;
  private bodyLines = 0;
  private lineHasContent = false;
  private done = false;

  constructor(private readonly lines: number) {}

  get finished(): boolean {
    return this.done;
  }

  /** The part of `chunk` that belongs to the answer; `finished` tells when nothing more does. */
  take(chunk: Uint8Array): Uint8Array {
    if (this.done) return chunk.subarray(0, 0);
    if (this.inBody && this.bodyLines >= this.lines) {
      this.done = true;
      return chunk.subarray(0, 0);
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) {
        if (this.inBody) this.bodyLines += 1;
        else if (!this.lineHasContent) this.inBody = true;
        this.lineHasContent = false;
        if (this.inBody && this.bodyLines >= this.lines) {
          this.done = true;
          return chunk.subarray(0, i + 1);
        }
      } else if (b !== CR) {
        this.lineHasContent = true;
      }
    }
    return chunk;
  }
}
