import { type Kysely, sql } from 'kysely';
import { type ExpandTerms, escapeLike } from './compile-query.js';

/**
 * Wildcard expansion against the FTS5 vocabulary. The vocabulary is shared by all tenants (one
 * index), so expansion may yield words that only another tenant uses; that is harmless because the
 * compiled query is always narrowed by tenant, and the cap is the only thing such words influence.
 * A LIKE on fts5vocab is a scan of the whole term list, which is why the parser insists on a few
 * characters besides the '*'.
 */
export function createVocabTermExpander<DB>(db: Kysely<DB>): ExpandTerms {
  return async (pattern, limit) => {
    const like = pattern.kind === 'suffix' ? `%${escapeLike(pattern.text)}` : `%${escapeLike(pattern.text)}%`;
    const { rows } = await sql<{ term: string }>`
      select term from message_fts_vocab where term like ${like} escape '\\' limit ${limit}`.execute(db);
    return rows.map((r) => r.term);
  };
}
