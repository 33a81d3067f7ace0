import { sql, type SqlBool } from 'kysely';
import type { ArchiveService } from '../archive/archive.service.js';
import { toSummary } from '../archive/archive.service.js';
import type { MessageSummary, TenantContext } from '../archive/archive.types.js';
import { ValidationError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import { parseMessage } from '../mime/parse-message.js';
import { compileQuery, ftsString } from './compile-query.js';
import { createVocabTermExpander } from './fts-vocab.repository.js';
import { extractHighlightTerms, highlightSnippet, type HighlightTerm } from './highlight.js';
import { parseQuery, type QueryNode } from './query-parser.js';

export interface SearchRequest {
  query: string;
  mailbox?: string;
  limit?: number;
  cursor?: string | null;
  sort?: 'date' | 'relevance';
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

type Cursor = { d: number; i: number } | { o: number };

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if ('o' in value ? Number.isInteger(value.o) : Number.isFinite(value.d) && Number.isInteger(value.i))
      return value;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('the search cursor is not valid; start the search again');
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

  constructor(
    private readonly db: Db,
    private readonly archive: Pick<ArchiveService, 'readMessage'>,
  ) {
    this.expandTerms = createVocabTermExpander(db);
  }

  /** Parses and checks a query without running it; throws ValidationError naming the position. */
  parse(query: string): QueryNode | null {
    return query.trim() === '' ? null : parseQuery(query);
  }

  async search(ctx: TenantContext, request: SearchRequest): Promise<SearchPage> {
    const limit = Math.min(Math.max(request.limit ?? 50, 1), 1000);
    const ast = this.parse(request.query);
    const condition = ast ? await compileQuery(ast, { expandTerms: this.expandTerms }) : sql<SqlBool>`1 = 1`;
    const terms = ast ? extractHighlightTerms(ast) : [];
    const cursor = request.cursor ? decodeCursor(request.cursor) : null;
    const rankBy = request.sort === 'relevance' ? relevanceExpression(terms) : null;

    let query = this.db
      .selectFrom('messages as m')
      .innerJoin('message_contents as c', 'c.id', 'm.content_id')
      .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
      .innerJoin('folders as f', 'f.id', 'm.folder_id')
      .where('m.tenant_id', '=', ctx.tenantId)
      .where(condition)
      .select([
        'm.id as id',
        'm.content_id as contentId',
        'mb.name as mailbox',
        'f.path as folder',
        'c.date as date',
        'm.sort_date as sortDate',
        'c.from_addr as from',
        'c.from_name as fromName',
        'c.subject as subject',
        'c.size as size',
        'c.sha256 as sha256',
        'c.has_attachments as hasAttachments',
      ]);
    if (request.mailbox !== undefined)
      query = query.where(sql<SqlBool>`lower(mb.name) = lower(${request.mailbox})`);

    let rows;
    if (rankBy) {
      const offset = cursor && 'o' in cursor ? cursor.o : 0;
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
        nextCursor: more ? encodeCursor({ o: offset + limit }) : null,
      };
    }
    if (cursor && 'd' in cursor) {
      query = query.where((eb) =>
        eb.or([
          eb('m.sort_date', '<', cursor.d),
          eb.and([eb('m.sort_date', '=', cursor.d), eb('m.id', '<', cursor.i)]),
        ]),
      );
    }
    rows = await query
      .orderBy('m.sort_date', 'desc')
      .orderBy('m.id', 'desc')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    rows = rows.slice(0, limit);
    const last = rows.at(-1);
    return {
      results: await this.withSnippets(ctx, rows, terms, request.snippets),
      nextCursor: more && last ? encodeCursor({ d: last.sortDate, i: last.id }) : null,
    };
  }

  /** Every match, newest first, page by page: for exports of a whole search result. */
  async *iterate(
    ctx: TenantContext,
    request: Pick<SearchRequest, 'query' | 'mailbox'>,
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
