/**
 * A minimal stand-in for the global `Blob`, installed only in the prepare worker threads.
 *
 * Why: postal-mime's decoders gather each part's decoded bytes as chunks and join them with
 * `blobToArrayBuffer(new Blob(chunks))`. Node's Blob copies the chunks into native memory and
 * reads them back through a stream (`readNext`/`getSource`/`createBlob` in node:internal/blob),
 * which profiled at ~1.1 s per worker thread on the 6,046-message SpamAssassin import, a third of
 * the parse cost. postal-mime uses nothing of Blob beyond `new Blob(parts)` and `.arrayBuffer()`,
 * plus an `instanceof Blob` test on its input (a Buffer for us, so never a Blob). This class
 * joins the chunks into one ArrayBuffer with a plain copy, with the same bytes as Blob: strings are
 * UTF-8 encoded (lone surrogates become U+FFFD), views contribute only their own bytes.
 *
 * Scope: the main thread keeps Node's Blob; src/mime/byte-blob.spec.ts proves parse results are
 * identical with and without it on every corpus file and the SpamAssassin set.
 */
const NEWLINE = new Uint8Array([0x0a]);

export class ByteBlob {
  #bytes: Uint8Array;
  #handedOut = false;
  readonly type: string;

  constructor(parts: Iterable<unknown> = [], options?: { type?: string }) {
    this.type = options?.type ? String(options.type).toLowerCase() : '';
    const views: Uint8Array[] = [];
    let total = 0;
    for (const part of parts) {
      let view: Uint8Array;
      if (part instanceof Uint8Array) view = part;
      // postal-mime's pass-through decoder adds a '\n' string after every line.
      else if (part === '\n') view = NEWLINE;
      else if (typeof part === 'string') view = Buffer.from(part, 'utf8');
      else if (part instanceof ArrayBuffer) view = new Uint8Array(part);
      else if (ArrayBuffer.isView(part)) view = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      else if (part instanceof ByteBlob) view = part.#bytes;
      else view = Buffer.from(String(part), 'utf8');
      views.push(view);
      total += view.byteLength;
    }
    // Copied now, as Blob does: a caller may reuse its chunk buffers afterwards.
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const view of views) {
      bytes.set(view, at);
      at += view.byteLength;
    }
    this.#bytes = bytes;
  }

  get size(): number {
    return this.#bytes.byteLength;
  }

  /**
   * Every call returns a new ArrayBuffer, as Blob does; the first one is the blob's own copy, which
   * saves a copy of every decoded part (postal-mime reads each blob exactly once).
   */
  arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#handedOut ? this.#bytes.slice() : this.#bytes;
    this.#handedOut = true;
    return Promise.resolve(bytes.buffer as ArrayBuffer);
  }

  get [Symbol.toStringTag](): string {
    return 'Blob';
  }
}

/** Replaces the global Blob in the current thread. Only for the prepare worker threads. */
export function installByteBlob(): void {
  (globalThis as { Blob: unknown }).Blob = ByteBlob;
}
