import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const MAX_RSS_WRAPPER = fileURLToPath(new URL('./max-rss.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak RSS of the CLI process in bytes, from process.resourceUsage() inside it. */
  maxRssBytes: number | null;
  /** The same figure from GNU time when the machine has it, as a cross-check. */
  gnuTimeMaxRssBytes: number | null;
}

/**
 * Runs `node dist/cli.js ARGS` in a child process on the data folder, timing it from spawn to exit
 * and recording its peak RSS.
 */
export async function runCli(dataDir: string, args: string[], scratch: string): Promise<CliRun> {
  const rssFile = join(scratch, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const timeFile = `${rssFile}.time`;
  const useTime = existsSync(GNU_TIME);
  const command = useTime ? GNU_TIME : process.execPath;
  const argv = useTime
    ? ['-f', '%M', '-o', timeFile, process.execPath, MAX_RSS_WRAPPER, ...args]
    : [MAX_RSS_WRAPPER, ...args];
  const started = performance.now();
  const child = spawn(command, argv, {
    env: {
      ...process.env,
      POSTVAULT_DATA_DIR: dataDir,
      POSTVAULT_LOG_LEVEL: 'warn',
      BENCH_MAX_RSS_FILE: rssFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  const readKiB = (file: string) => {
    if (!existsSync(file)) return null;
    const kib = Number.parseInt(readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '', 10);
    rmSync(file, { force: true });
    return Number.isFinite(kib) ? kib * 1024 : null;
  };
  return {
    code,
    stdout,
    stderr,
    seconds,
    maxRssBytes: readKiB(rssFile),
    gnuTimeMaxRssBytes: useTime ? readKiB(timeFile) : null,
  };
}

export interface ImportSummaryLine {
  archived: number;
  copies: number;
  duplicates: number;
  failed: number;
}

/** Reads the CLI's `imported into "x": N new, N copies …, N already archived, N failed` line. */
export function parseImportSummary(stdout: string): ImportSummaryLine {
  const m = /(\d+) new, (\d+) copies of archived messages, (\d+) already archived, (\d+) failed/.exec(stdout);
  if (!m) throw new Error(`import printed no summary line:\n${stdout}`);
  return { archived: Number(m[1]), copies: Number(m[2]), duplicates: Number(m[3]), failed: Number(m[4]) };
}

export interface DiskUsage {
  /** Allocated bytes (st_blocks × 512), what `du` reports. */
  allocated: number;
  /** Sum of file sizes, what `du --apparent-size` reports. */
  apparent: number;
  files: number;
}

/** `du` of a folder: every regular file below it, symlinks not followed. */
export function diskUsage(path: string): DiskUsage {
  const usage: DiskUsage = { allocated: 0, apparent: 0, files: 0 };
  const walk = (p: string) => {
    const info = lstatSync(p);
    if (info.isDirectory()) {
      usage.allocated += info.blocks * 512;
      for (const name of readdirSync(p)) walk(join(p, name));
    } else if (info.isFile()) {
      usage.allocated += info.blocks * 512;
      usage.apparent += info.size;
      usage.files += 1;
    }
  };
  walk(path);
  return usage;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

/** Deterministic PRNG (mulberry32), so every run generates the same messages. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
export const pct = (ratio: number) => `${(ratio * 100).toFixed(2)} %`;

/** Messages in one file, each as a 4-byte big-endian length and its bytes (for smtp-client.ts). */
export function packMessages(messages: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const message of messages) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(message.length);
    parts.push(length, message);
  }
  return Buffer.concat(parts);
}

export function unpackMessages(packed: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let offset = 0; offset < packed.length;) {
    const length = packed.readUInt32BE(offset);
    messages.push(packed.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return messages;
}
