/**
 * Paging and delta state for the Graph fake (contract sections 3 and 4): nextLinks carry an opaque
 * `$skiptoken` that points at a server-side snapshot of the listing, and the last page of a delta round
 * carries a deltaLink with an opaque `$deltatoken` that remembers where the round ended. Clients must
 * follow the links as given; a hand-made or stale token is refused.
 */
import type { DeltaExpiryAnswer } from './faults.js';
import { opaqueToken } from './ids.js';

/** Where a delta round ended: the next round reports what changed after it. */
export interface DeltaPosition {
  kind: 'users' | 'groups' | 'messages';
  tenantId: string;
  /** Change stamp of the tenant (directory) or mailbox (messages) when the round started. */
  version: number;
  /** `$select` of the first request, kept for every later round. */
  select: string[] | undefined;
  /** Messages: whose mailbox and which folder. */
  userId?: string;
  folderId?: string;
  /** Messages: the `$filter=receivedDateTime ge|gt` of the first request. */
  receivedAfter?: { inclusive: boolean; ms: number };
}

interface Cursor {
  items: unknown[];
  offset: number;
  pageSize: number;
  /** Path and query (without `$skiptoken`) of the next link, relative to the Graph base. */
  linkPath: string;
  linkQuery: Array<[string, string]>;
  /** Delta rounds: the position the deltaLink on the last page records. */
  deltaEnd: DeltaPosition | undefined;
  /** Delta cursors go stale with their delta tokens. */
  generation: number;
}

export interface Page {
  value: unknown[];
  nextLink?: string;
  deltaLink?: string;
}

/** `$skiptoken` and `$deltatoken` keep the `$` unencoded in links, as Graph writes them. */
function linkUrl(base: string, path: string, query: Array<[string, string]>): string {
  if (query.length === 0) return `${base}${path}`;
  return `${base}${path}?${query.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`;
}

export class PagingStore {
  private readonly cursors = new Map<string, Cursor>();
  private readonly deltaTokens = new Map<string, DeltaPosition & { generation: number }>();
  private generation = 0;
  /** How stale delta tokens answer; set by expireDeltaTokens. */
  expiryAnswer: Required<DeltaExpiryAnswer> = { status: 410, code: 'syncStateNotFound', location: true };

  constructor(private readonly graphUrl: () => string) {}

  /** Makes every delta token and delta nextLink handed out so far stale. */
  expireDeltaTokens(answer: DeltaExpiryAnswer): void {
    this.generation += 1;
    this.expiryAnswer = { status: 410, code: 'syncStateNotFound', location: true, ...answer };
  }

  /** Starts a listing: the first page now, the rest through nextLinks. */
  firstPage(options: {
    items: unknown[];
    pageSize: number;
    linkPath: string;
    linkQuery: Array<[string, string]>;
    emptyPage: boolean;
    deltaEnd?: DeltaPosition;
  }): Page {
    const cursor: Cursor = {
      items: options.items,
      offset: 0,
      pageSize: options.pageSize,
      linkPath: options.linkPath,
      linkQuery: options.linkQuery.filter(([key]) => key !== '$skiptoken' && key !== '$deltatoken'),
      deltaEnd: options.deltaEnd,
      generation: this.generation,
    };
    return this.pageAt(cursor, options.emptyPage);
  }

  /** The page a `$skiptoken` points at; undefined when the token is unknown or stale. */
  nextPage(skipToken: string, emptyPage: boolean): Page | undefined {
    const cursor = this.cursors.get(skipToken);
    if (!cursor) return undefined;
    if (cursor.deltaEnd && cursor.generation !== this.generation) return undefined;
    return this.pageAt(cursor, emptyPage);
  }

  /** Whether a `$skiptoken` belongs to a delta round (stale ones answer like stale delta tokens). */
  isDeltaSkipToken(skipToken: string): boolean {
    return this.cursors.get(skipToken)?.deltaEnd !== undefined;
  }

  private pageAt(cursor: Cursor, emptyPage: boolean): Page {
    const pageSize = emptyPage ? 0 : cursor.pageSize;
    const value = cursor.items.slice(cursor.offset, cursor.offset + pageSize);
    const nextOffset = cursor.offset + value.length;
    if (nextOffset < cursor.items.length || emptyPage) {
      const token = opaqueToken();
      this.cursors.set(token, { ...cursor, offset: nextOffset });
      return {
        value,
        nextLink: linkUrl(this.graphUrl(), cursor.linkPath, [...cursor.linkQuery, ['$skiptoken', token]]),
      };
    }
    if (!cursor.deltaEnd) return { value };
    const deltaToken = opaqueToken();
    this.deltaTokens.set(deltaToken, { ...cursor.deltaEnd, generation: this.generation });
    return { value, deltaLink: linkUrl(this.graphUrl(), cursor.linkPath, [['$deltatoken', deltaToken]]) };
  }

  /** The position a `$deltatoken` recorded even when it has expired (for the restart `Location`). */
  recordedDeltaPosition(deltaToken: string): DeltaPosition | undefined {
    return this.deltaTokens.get(deltaToken);
  }

  /** The position a `$deltatoken` recorded; undefined when unknown or expired. */
  deltaPosition(deltaToken: string): DeltaPosition | undefined {
    const position = this.deltaTokens.get(deltaToken);
    if (!position || position.generation !== this.generation) return undefined;
    return position;
  }
}
