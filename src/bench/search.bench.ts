import { performance } from 'node:perf_hooks';
import type { App } from '../app.js';
import { median, percentile } from './bench-util.js';

/**
 * The fixed query set: one of each kind of the query language (docs/search.md), with words that
 * occur in the SpamAssassin corpus and dates/senders that occur in the generated sets.
 */
export const SEARCH_QUERIES: string[] = [
  'linux',
  'money',
  '"mailing list"',
  '"click here"',
  'razor*',
  '*assassin',
  'from:*@spamassassin.taint.org',
  'from:*@example.com',
  'subject:free',
  'subject:"your mortgage"',
  'has:attachment',
  'has:attachment windows',
  'on:2002-08',
  'after:2024-01-01 perl',
  'size>100k',
  'size<2k linux',
  'linux OR windows',
  'money -mortgage',
  '(linux OR unix) kernel NOT windows',
  '(viagra OR mortgage OR "credit card") after:2010 before:2020',
];

export interface QueryLatency {
  query: string;
  /** Hits on the first page (limit 50); 50 means "50 or more". */
  hits: number;
  p50Ms: number;
  maxMs: number;
}

export interface SearchLatency {
  messages: number;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  perQuery: QueryLatency[];
}

/**
 * SearchService.search in-process as the HTTP and CLI faces call it (sort by date, limit 50, no
 * snippets): every query once to warm up, then `rounds` rounds over the whole set, so that drift
 * hits every query alike. The percentiles are over all timed calls.
 */
export async function measureSearch(app: App, messages: number, rounds: number): Promise<SearchLatency> {
  const tenant = await app.tenants.findBySlug('default');
  const ctx = { tenantId: tenant.id };
  const run = (query: string) => app.search.search(ctx, { query, sort: 'date', limit: 50, snippets: false });
  const hits = new Map<string, number>();
  for (const query of SEARCH_QUERIES) hits.set(query, (await run(query)).results.length);

  const samples = new Map<string, number[]>(SEARCH_QUERIES.map((q) => [q, []]));
  for (let round = 0; round < rounds; round++) {
    for (const query of SEARCH_QUERIES) {
      const t0 = performance.now();
      await run(query);
      samples.get(query)!.push(performance.now() - t0);
    }
  }
  const all = [...samples.values()].flat();
  return {
    messages,
    samples: all.length,
    p50Ms: percentile(all, 50),
    p95Ms: percentile(all, 95),
    p99Ms: percentile(all, 99),
    perQuery: SEARCH_QUERIES.map((query) => ({
      query,
      hits: hits.get(query)!,
      p50Ms: median(samples.get(query)!),
      maxMs: Math.max(...samples.get(query)!),
    })),
  };
}
