import { type Kysely, sql } from 'kysely';
import type { ExpandTerms, VocabPattern } from './compile-query.js';

/**
 * Wildcard expansion against the FTS5 vocabulary. The vocabulary is shared by all tenants (one
 * index), so expansion may yield words that only another tenant uses; that is harmless because the
 * compiled query is always narrowed by tenant, and the cap is the only thing such words influence.
 *
 * Listing the vocabulary (fts5vocab) reads the whole index, which costs about as much as the index is
 * large (~0.5 s at 100k messages), so the term list is kept in memory as one newline-separated string
 * and searched with indexOf. It is reloaded whenever the index has changed: FTS5 rewrites its
 * structure record (rowid 10 of the `_data` shadow table, a few hundred bytes holding a write
 * counter and the segment list) on every flush, merge and delete, and FTS5 itself relies on that
 * record to notice writes by other connections. The first leading-wildcard search after a write
 * therefore still pays the full scan; a term table maintained at ingest would remove that too.
 *
 * Terms come out in vocabulary order, so the result is the same as the former
 * `term LIKE '%pattern' LIMIT n` scan (terms and patterns are both folded to lower case).
 */
export function createVocabTermExpander<DB>(db: Kysely<DB>): ExpandTerms {
  let cached: { version: string; terms: Promise<string> } | null = null;
  return async (pattern, limit) => {
    const { rows: versionRows } = await sql<{
      block: Uint8Array | null;
    }>`select block from message_fts_data where id = 10`.execute(db);
    const block = versionRows[0]?.block;
    const version = block ? Buffer.from(block).toString('base64') : '';
    if (!cached || cached.version !== version) {
      const terms = sql<{ term: string }>`select term from message_fts_vocab`
        .execute(db)
        .then(({ rows }) => `\n${rows.map((r) => r.term).join('\n')}\n`);
      cached = { version, terms };
      terms.catch(() => {
        if (cached?.terms === terms) cached = null;
      });
    }
    return findTerms(await cached.terms, pattern, limit);
  };
}

/** Terms of `list` ("\nterm\nterm\n") that end with / contain the pattern, in list order. */
export function findTerms(list: string, pattern: VocabPattern, limit: number): string[] {
  const { text } = pattern;
  const found: string[] = [];
  if (text.includes('\n') || limit <= 0) return found;
  const needle = pattern.kind === 'suffix' ? `${text}\n` : text;
  let from = 1;
  while (found.length < limit) {
    const at = list.indexOf(needle, from);
    if (at < 0) break;
    const start = list.lastIndexOf('\n', at - 1) + 1;
    const end = pattern.kind === 'suffix' ? at + text.length : list.indexOf('\n', at + text.length);
    if (end < 0) break;
    // The empty string around the list's outer newlines is not a term.
    if (end > start) found.push(list.slice(start, end));
    from = end + 1;
  }
  return found;
}
