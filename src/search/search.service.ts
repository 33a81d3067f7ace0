import { type RawBuilder, sql, type SqlBool } from 'kysely';
import type { ArchiveService } from '../archive/archive.service.js';
import { toSummary } from '../archive/archive.service.js';
import { MESSAGE_SUMMARY_COLUMNS } from '../archive/archive.repository.js';
import type { MessageSummary, TenantContext } from '../archive/archive.types.js';
import { ValidationError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import { parseMessage } from '../mime/parse-message.js';
import { compileSearch, ftsString, type Requirement } from './compile-query.js';
import { createVocabTermExpander } from './fts-vocab.repository.js';
import { extractHighlightTerms, highlightSnippet, type HighlightTerm } from './highlight.js';
import { parseQuery, type QueryNode } from './query-parser.js';

/** What results are ordered by; every order ends with the message id, so paging is stable. */
export type SearchSort = 'date' | 'relevance' | 'from' | 'subject' | 'size';

export interface SearchRequest {
  query: string;
  mailbox?: string;
  /** Only copies in these mailboxes (the ones the caller may read); an empty list finds nothing. */
  mailboxIds?: readonly number[];
  /** Only copies in this folder (not in the folders below it, unlike `folder:`). */
  folderId?: number;
  limit?: number;
  cursor?: string | null;
  sort?: SearchSort;
  /** Newest, largest, Z first by default ('desc'); relevance is always best first. */
  order?: 'asc' | 'desc';
  /** Highlighted snippets cost one read and parse per hit: ask only when showing them. */
  snippets?: boolean;
}

export interface SearchHit extends MessageSummary {
  snippet?: string;
}

export interface SearchPage {
  results: SearchHit[];
  nextCursor: string | null;
}

/**
 * Up to this many candidate contents, a date-sorted search starts from the candidates instead of
 * walking messages newest first. Walking costs about (limit × messages / matches) row tests,
 * starting from the candidates about one index lookup per candidate plus a sort of the survivors;
 * measured at 100k messages, a few thousand candidates take a few milliseconds.
 */
export const DRIVE_MAX_CANDIDATES = 4000;

/** Candidate sets are counted up to this many (two of them may be intersected up to this sum). */
const COUNT_LIMIT = 40_000;

/**
 * How a date-sorted search finds its rows: 'walk' tests messages newest first, 'candidates' starts
 * from the candidates whenever there are at most driveMaxCandidates of them, 'auto' (the default)
 * picks by the counts. All three return the same rows in the same order; the choice exists for
 * tests and measurements.
 */
export type SearchPlan = 'auto' | 'walk' | 'candidates';

export interface SearchServiceOptions {
  driveMaxCandidates?: number;
  plan?: SearchPlan;
}

/**
 * A page boundary: the last row's sort key and id (with the order they came in), or an offset for
 * relevance order.
 */
type Cursor = { s: SearchSort; o?: 'asc' | 'desc'; k: number | string; i: number } | { n: number };

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** Numbers for date and size, text for sender and subject: what the sort key of that order is. */
const NUMERIC_SORTS: ReadonlySet<SearchSort> = new Set(['date', 'size', 'relevance']);

function decodeCursor(text: string, sort: SearchSort, order: 'asc' | 'desc'): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    // A cursor from another order or direction would skip or repeat rows; a key of the wrong type
    // is not one this server wrote.
    if ('n' in value) {
      if (sort === 'relevance' && Number.isInteger(value.n) && value.n >= 0) return value;
    } else if (
      value.s === sort &&
      (value.o ?? 'desc') === order &&
      Number.isInteger(value.i) &&
      typeof value.k === (NUMERIC_SORTS.has(sort) ? 'number' : 'string')
    )
      return value;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('the search cursor is not valid; start the search again');
}

/**
 * The sort key of each order other than relevance. Names sort by the display name when there is
 * one (as the list shows them), case folded for A–Z like folder names.
 */
const SORT_KEYS: Record<Exclude<SearchSort, 'relevance'>, RawBuilder<number | string>> = {
  date: sql`m.sort_date`,
  from: sql`lower(case when c.from_name <> '' then c.from_name else c.from_addr end)`,
  subject: sql`lower(c.subject)`,
  size: sql`c.size`,
};

/** The copies a request is limited to, besides the query itself. */
function scopeCondition(request: SearchRequest): RawBuilder<SqlBool> {
  const parts: RawBuilder<SqlBool>[] = [];
  if (request.mailbox !== undefined) parts.push(sql<SqlBool>`lower(mb.name) = lower(${request.mailbox})`);
  if (request.mailboxIds !== undefined)
    parts.push(sql<SqlBool>`m.mailbox_id in (${sql.join(request.mailboxIds.map((id) => sql`${id}`))})`);
  if (request.folderId !== undefined) parts.push(sql<SqlBool>`m.folder_id = ${request.folderId}`);
  return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

/** The content ids satisfying one requirement (a superset of this tenant's results). */
function candidateSource(ctx: TenantContext, requirement: Requirement): RawBuilder<{ id: number }> {
  switch (requirement.kind) {
    case 'fts':
      return sql`select rowid as id from message_fts where message_fts match ${requirement.match}`;
    case 'hasAttachment':
      return sql`select id from message_contents where tenant_id = ${ctx.tenantId} and has_attachments = 1`;
    case 'messageId':
      return sql`select id from message_contents where tenant_id = ${ctx.tenantId} and message_id in (${requirement.forms[0]}, ${requirement.forms[1]})`;
    case 'size':
      return requirement.op === '>'
        ? sql`select id from message_contents where tenant_id = ${ctx.tenantId} and size > ${requirement.bytes}`
        : sql`select id from message_contents where tenant_id = ${ctx.tenantId} and size < ${requirement.bytes}`;
  }
}

/** FTS5 expression ranking hits by every positive text term, for "best match first". */
function relevanceExpression(terms: HighlightTerm[]): string | null {
  const phrases = terms
    .filter((t) => !t.leading && t.tokens.length > 0)
    .map((t) => ftsString(t.tokens.join(' ')) + (t.trailing ? ' *' : ''));
  return phrases.length > 0 ? phrases.join(' OR ') : null;
}

/**
 * Search over a tenant's archive: the query language of docs/search.md compiled to one SQL
 * statement, newest first (or by relevance), cursor-paged.
 */
export class SearchService {
  private readonly expandTerms;

  private readonly driveMaxCandidates: number;
  private readonly plan: SearchPlan;

  constructor(
    private readonly db: Db,
    private readonly archive: Pick<ArchiveService, 'readMessage'>,
    options: SearchServiceOptions = {},
  ) {
    this.expandTerms = createVocabTermExpander(db);
    this.driveMaxCandidates = options.driveMaxCandidates ?? DRIVE_MAX_CANDIDATES;
    this.plan = options.plan ?? 'auto';
  }

  /** Parses and checks a query without running it; throws ValidationError naming the position. */
  parse(query: string): QueryNode | null {
    return query.trim() === '' ? null : parseQuery(query);
  }

  async search(ctx: TenantContext, request: SearchRequest): Promise<SearchPage> {
    const limit = Math.min(Math.max(request.limit ?? 50, 1), 1000);
    const sort = request.sort ?? 'date';
    const ast = this.parse(request.query);
    if (request.mailboxIds?.length === 0) return { results: [], nextCursor: null };
    const compiled = ast ? await compileSearch(ast, { expandTerms: this.expandTerms }) : null;
    const condition = compiled?.condition ?? sql<SqlBool>`1 = 1`;
    const scope = scopeCondition(request);
    const terms = ast ? extractHighlightTerms(ast) : [];
    const direction = request.order === 'asc' ? 'asc' : 'desc';
    const cursor = request.cursor ? decodeCursor(request.cursor, sort, direction) : null;
    const rankBy = sort === 'relevance' ? relevanceExpression(terms) : null;

    let query = this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
      .innerJoin('folders as f', 'f.id', 'm.folder_id')
      .where('m.tenant_id', '=', ctx.tenantId)
      .where(condition)
      .where(scope)
      .select(MESSAGE_SUMMARY_COLUMNS);

    let rows;
    if (rankBy) {
      const offset = cursor && 'n' in cursor ? cursor.n : 0;
      rows = await query
        .leftJoin(
          sql<{
            id: number;
            rank: number;
          }>`(select rowid as id, rank from message_fts where message_fts match ${rankBy})`.as('r'),
          'r.id',
          'c.id',
        )
        .orderBy(sql`coalesce(r.rank, 0)`)
        .orderBy('m.sort_date', 'desc')
        .orderBy('m.id', 'desc')
        .limit(limit + 1)
        .offset(offset)
        .execute();
      const more = rows.length > limit;
      rows = rows.slice(0, limit);
      return {
        results: await this.withSnippets(ctx, rows, terms, request.snippets),
        nextCursor: more ? encodeCursor({ n: offset + limit }) : null,
      };
    }
    const keySort = sort === 'relevance' ? 'date' : sort;
    const key = SORT_KEYS[keySort];
    // A row value, so that an index on (key, id) can start the walk of a later page at the cursor.
    const after =
      cursor && 'k' in cursor
        ? direction === 'desc'
          ? sql<SqlBool>`(${key}, m.id) < (${cursor.k}, ${cursor.i})`
          : sql<SqlBool>`(${key}, m.id) > (${cursor.k}, ${cursor.i})`
        : sql<SqlBool>`1 = 1`;
    const driver =
      keySort === 'date' ? await this.chooseDriver(ctx, compiled?.required ?? [], limit + 1) : null;
    if (driver) {
      // Few candidates: start from them, test the whole condition on each of their copies and sort
      // the survivors, instead of walking every message newest first until `limit` match. The
      // copies are found by the (content_id, folder_id) index in `h` and then read by primary key; CROSS JOIN
      // keeps `h` the outer loop, so no date or tenant range on messages can take its place.
      const copies = sql<{ id: number }>`(select x2.id as id from (${driver}) as x1
        cross join messages as x2 where x2.content_id = x1.id)`;
      query = this.db
        .selectFrom(copies.as('h'))
        .crossJoin('messages as m')
        .innerJoin('message_contents as c', 'c.id', 'm.content_id')
        .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
        .innerJoin('folders as f', 'f.id', 'm.folder_id')
        .whereRef('m.id', '=', 'h.id')
        .where('m.tenant_id', '=', ctx.tenantId)
        .where(condition)
        .where(scope)
        .select(MESSAGE_SUMMARY_COLUMNS);
    }
    rows = await query
      .select(key.as('sortKey'))
      .where(after)
      .orderBy(key, direction)
      .orderBy('m.id', direction)
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    rows = rows.slice(0, limit);
    const last = rows.at(-1);
    return {
      results: await this.withSnippets(ctx, rows, terms, request.snippets),
      nextCursor: more && last ? encodeCursor({ s: sort, o: direction, k: last.sortKey, i: last.id }) : null,
    };
  }

  /**
   * The requirement with the fewest candidate contents, as a subquery of content ids, when it has
   * at most driveMaxCandidates; null when walking by date is the better plan. Counting stops at
   * the cap, so a common term costs no more than the cap to count.
   */
  private async chooseDriver(
    ctx: TenantContext,
    required: Requirement[],
    rowsWanted: number,
  ): Promise<RawBuilder<{ id: number }> | null> {
    const cap = this.driveMaxCandidates;
    if (cap <= 0 || required.length === 0 || this.plan === 'walk') return null;
    // One condition is only worth counting up to the cap; two may be intersected (below).
    const countLimit = required.length > 1 ? Math.max(COUNT_LIMIT, cap) : cap;
    // The highest id is a cheap upper bound on the number of messages (all tenants).
    const { rows: top } = await sql<{ n: number | null }>`select max(id) as n from messages`.execute(this.db);
    const messages = Math.max(top[0]?.n ?? 0, 1);
    const counted: Array<{ count: number; source: RawBuilder<{ id: number }> }> = [];
    for (const requirement of required) {
      const source = candidateSource(ctx, requirement);
      const { rows } = await sql<{ n: number }>`
        select count(*) as n from (select 1 from (${source}) limit ${countLimit + 1})`.execute(this.db);
      counted.push({ count: rows[0]?.n ?? countLimit + 1, source });
    }
    counted.sort((a, b) => a.count - b.count);
    // Walking newest first tests about rowsWanted / selectivity messages if the conditions are
    // independent; starting from the candidates costs about one lookup per candidate.
    const selectivity = counted.reduce((p, c) => p * Math.min(c.count / messages, 1), 1);
    const best = counted[0]!;
    if (best.count <= cap)
      return this.plan === 'candidates' || best.count < rowsWanted / Math.max(selectivity, 1e-12)
        ? best.source
        : null;
    // Two common conditions may still be rare together ("size<2k linux"; independence does not
    // hold in mail): intersect the two smallest sets when that is cheap, and start from the result
    // if it is small.
    const second = counted[1];
    if (!second || best.count + second.count > countLimit) return null;
    const { rows } = await sql<{ id: number }>`
      select id from (${best.source} intersect ${second.source}) limit ${cap + 1}`.execute(this.db);
    if (rows.length > cap) return null;
    return sql<{ id: number }>`select value as id from json_each(${JSON.stringify(rows.map((r) => r.id))})`;
  }

  /** Every match, newest first, page by page: for exports of a whole search result. */
  async *iterate(
    ctx: TenantContext,
    request: Pick<SearchRequest, 'query' | 'mailbox' | 'mailboxIds' | 'folderId'>,
  ): AsyncGenerator<SearchHit> {
    let cursor: string | null = null;
    do {
      const page: SearchPage = await this.search(ctx, { ...request, cursor, limit: 500, sort: 'date' });
      yield* page.results;
      cursor = page.nextCursor;
    } while (cursor);
  }

  private async withSnippets(
    ctx: TenantContext,
    rows: Array<Parameters<typeof toSummary>[0]>,
    terms: HighlightTerm[],
    snippets: boolean | undefined,
  ): Promise<SearchHit[]> {
    const hits: SearchHit[] = rows.map(toSummary);
    if (!snippets) return hits;
    const bodyTerms = terms.filter((t) => t.field === null || t.field === 'body' || t.field === 'attachment');
    for (const hit of hits) {
      try {
        const parsed = await parseMessage(await this.archive.readMessage(ctx, hit.id));
        const text = [parsed.bodyText, ...parsed.attachments.map((a) => a.text)].join(' ');
        hit.snippet = highlightSnippet(text, bodyTerms);
      } catch (error) {
        hit.snippet = `(no preview: ${(error as Error).message})`;
      }
    }
    return hits;
  }
}
