import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { splitMbox } from '../ingest/import/mbox-reader.js';
import { writeMbox, type MboxWriterMessage } from './mbox-writer.js';

const TIKA = join(import.meta.dirname, '../../../shared/corpus/tika');

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function writeToBuffer(messages: MboxWriterMessage[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setImmediate(cb);
    },
  });
  await writeMbox(from(messages), out);
  out.end();
  await finished(out);
  return Buffer.concat(chunks);
}

async function readBack(mbox: Buffer): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const m of splitMbox(from([mbox]))) {
    if ('error' in m) throw new Error(m.error);
    out.push(m.raw);
  }
  return out;
}

async function corpusMessages(): Promise<Buffer[]> {
  const files = readdirSync(TIKA)
    .filter((f) => f.endsWith('.mbox'))
    .sort();
  const out: Buffer[] = [];
  for (const f of files) out.push(...(await readBack(readFileSync(join(TIKA, f)))));
  return out;
}

describe('writeMbox', () => {
  it('round-trips every corpus message that ends with a line break byte for byte', async () => {
    const messages = (await corpusMessages()).filter((m) => m.length > 0);
    expect(messages.length).toBe(12);
    const withEol = messages.filter((m) => m[m.length - 1] === 0x0a);
    const mbox = await writeToBuffer(withEol.map((raw) => ({ raw })));
    expect(await readBack(mbox)).toEqual(withEol);
  });

  it('round-trips From and >From lines at line starts, CRLF, and trailing empty lines', async () => {
    const messages = [
      'From: a@b\nSubject: s\n\nFrom here on\n>From quoted\n>>From twice\n\n',
      'From: a@b\r\nSubject: crlf\r\n\r\nFrom x\r\n>From y\r\n',
      'From a line at the very start\n',
      '\n',
      'Subject: x\n\nends with two blank lines\n\n\n',
    ].map((s) => Buffer.from(s));
    const mbox = await writeToBuffer(
      messages.map((raw) => ({ raw, from: 'a b@c', date: new Date(Date.UTC(2009, 5, 1, 4, 28, 28)) })),
    );
    expect(await readBack(mbox)).toEqual(messages);
    expect(mbox.toString().startsWith('From a_b@c Mon Jun  1 04:28:28 2009\n')).toBe(true);
    expect(mbox.toString()).toContain('\n>From here on\n>>From quoted\n>>>From twice\n');
  });

  it('adds a line break to a message without one; that break is the one thing a round trip adds', async () => {
    const messages = ['Subject: no eol\n\nFrom x\nlast', 'Subject: crlf\r\n\r\nlast', 'bare cr\r'].map((s) =>
      Buffer.from(s),
    );
    const back = await readBack(await writeToBuffer(messages.map((raw) => ({ raw }))));
    expect(back.map((b) => b.toString())).toEqual([
      'Subject: no eol\n\nFrom x\nlast\n',
      'Subject: crlf\r\n\r\nlast\r\n',
      'bare cr\r\n',
    ]);
  });

  it('writes a MAILER-DAEMON epoch separator when sender and date are unknown, and does not end the stream', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeMbox(from([{ raw: Buffer.from('X: 1\n') }]), out);
    expect(out.writableEnded).toBe(false);
    expect(Buffer.concat(chunks).toString()).toBe('From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nX: 1\n\n');
  });
});
