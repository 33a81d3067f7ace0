/**
 * What every Graph handler shares: the error shape (contract section 6), the request context,
 * permission checks, `$select`/`$top` handling and paged answers.
 */
import type { FaultInjector } from './faults.js';
import { type FakeResponse, type RecordedRequest } from './http.js';
import type { FakeMailbox, FakeTenant, FakeUser, MicrosoftFakeState } from './model.js';
import type { Page, PagingStore } from './paging.js';
import type { IssuedToken, TokenAuthority } from './tokens.js';

/** The content type Graph answers JSON with. */
export const ODATA_JSON =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Thrown by handlers; rendered as `{"error":{"code","message","innerError":{...}}}`. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface GraphDependencies {
  state: MicrosoftFakeState;
  tokens: TokenAuthority;
  faults: FaultInjector;
  paging: PagingStore;
  graphUrl: () => string;
  /** Listing pages of messages bigger than this answer 504 (contract section 4); undefined: never. */
  messagesPageSizeGatewayTimeoutAbove: number | undefined;
}

export interface GraphContext {
  deps: GraphDependencies;
  request: RecordedRequest;
  token: IssuedToken;
  tenant: FakeTenant;
  /** Path parameters of the route, decoded. */
  params: Record<string, string>;
  /** The `{id|upn}` user of `/users/{id}/...` routes (or the signed-in user for `/me`). */
  user: FakeUser | undefined;
  /** Set for mailbox routes. */
  mailbox: FakeMailbox | undefined;
  /** `Prefer: IdType="ImmutableId"` was sent (contract section 4). */
  immutableIds: boolean;
}

export type GraphHandler = (context: GraphContext) => FakeResponse | Promise<FakeResponse>;

export function graphJson(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'content-type': ODATA_JSON, ...headers }, body: JSON.stringify(body) };
}

/**
 * Permissions per kind of request. App-only tokens need one of `app` in their `roles`; delegated tokens
 * one of `delegated` in `scp`, or one of `self` when the request is about the signed-in user.
 * Contract section 5 names what Postvault asks for; the rest follows Graph's permission reference.
 */
export const PERMISSIONS = {
  readUsers: {
    app: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All'],
    self: ['User.Read', 'User.ReadWrite'],
    denied: 'directory',
  },
  readGroups: {
    app: ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    delegated: ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
    self: [],
    denied: 'directory',
  },
  readMembers: {
    app: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All'],
    delegated: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All'],
    self: [],
    denied: 'directory',
  },
  readMemberOf: {
    app: ['User.Read.All', 'GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All'],
    delegated: ['User.Read.All', 'GroupMember.Read.All', 'Directory.Read.All'],
    self: ['User.Read', 'User.ReadWrite'],
    denied: 'directory',
  },
  readMail: {
    app: ['Mail.Read', 'Mail.ReadWrite'],
    delegated: [],
    self: ['Mail.Read', 'Mail.ReadWrite'],
    denied: 'mail',
  },
  writeMail: { app: ['Mail.ReadWrite'], delegated: [], self: ['Mail.ReadWrite'], denied: 'mail' },
  sendMail: { app: ['Mail.Send'], delegated: [], self: ['Mail.Send'], denied: 'mail' },
  /** `/organization`, `/domains`: the contract names no permission; any token of the tenant reads them. */
  readTenant: { app: null, delegated: null, self: null, denied: 'directory' },
} as const;
export type PermissionName = keyof typeof PERMISSIONS;

export function requirePermission(context: GraphContext, name: PermissionName): void {
  const rule = PERMISSIONS[name];
  if (rule.app === null) return;
  const held = new Set(context.token.permissions);
  const isSelf = context.token.kind === 'delegated' && context.user?.id === context.token.userId;
  const allowed: readonly string[] =
    context.token.kind === 'app' ? rule.app : isSelf ? [...rule.self, ...rule.delegated] : rule.delegated;
  if (allowed.some((permission) => held.has(permission))) return;
  // Directory and Exchange refuse in their own words.
  if (rule.denied === 'directory')
    throw new GraphError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  throw new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
}

/**
 * `$select` against the properties a type has: unknown names answer 400 as Graph does; names match
 * case-insensitively and come back in the type's spelling.
 */
export function parseSelect(
  request: RecordedRequest,
  typeName: string,
  known: readonly string[],
): string[] | undefined {
  const raw = request.query['$select'];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((name) => {
    const wanted = name.trim();
    const canonical = known.find((property) => property.toLowerCase() === wanted.toLowerCase());
    if (!canonical)
      throw new GraphError(
        400,
        'BadRequest',
        `Could not find a property named '${wanted}' on type 'microsoft.graph.${typeName}'.`,
      );
    return canonical;
  });
}

/** Keeps only the selected properties (and those a type always returns, such as `@odata.type`). */
export function project(
  full: Record<string, unknown>,
  select: readonly string[],
  alwaysIncluded: readonly string[] = [],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key of alwaysIncluded) if (key in full) result[key] = full[key];
  for (const key of select) if (key in full) result[key] = full[key];
  return result;
}

/** `$top` within [1, max] (contract section 3: default 100, at most 999 for directory lists). */
export function parseTop(request: RecordedRequest, fallback: number, max: number, code: string): number {
  const raw = request.query['$top'];
  if (raw === undefined) return fallback;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > max)
    throw new GraphError(
      400,
      code,
      `Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`,
    );
  return top;
}

/** `Prefer: odata.maxpagesize=N` (contract section 4), if sent. */
export function preferredMaxPageSize(request: RecordedRequest): number | undefined {
  const match = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(String(request.headers['prefer'] ?? ''));
  return match ? Math.max(1, Number(match[1])) : undefined;
}

/** Query options Graph supports but the fakes do not implement: refused loudly rather than ignored. */
export function refuseUnimplementedQueryOptions(
  request: RecordedRequest,
  allowed: readonly string[] = [],
): void {
  for (const option of ['$filter', '$orderby', '$search', '$expand', '$count', '$skip']) {
    if (option in request.query && !allowed.includes(option))
      throw new GraphError(
        400,
        'Request_UnsupportedQuery',
        `The query option ${option} is not supported here (not implemented by Postvault's Graph fake).`,
      );
  }
}

/** The `@odata.context` Graph puts on answers. */
export function odataContext(deps: GraphDependencies, fragment: string): string {
  return `${deps.graphUrl()}/$metadata#${fragment}`;
}

export function pageResponse(
  context: string,
  page: Page,
  headers: Record<string, string> = {},
): FakeResponse {
  return graphJson(
    200,
    {
      '@odata.context': context,
      ...(page.nextLink !== undefined && { '@odata.nextLink': page.nextLink }),
      value: page.value,
      ...(page.deltaLink !== undefined && { '@odata.deltaLink': page.deltaLink }),
    },
    headers,
  );
}

/** The request's path relative to the Graph base, still percent-encoded (for links). */
export function encodedPath(request: RecordedRequest): string {
  return request.rawPath.replace(/^\/v1\.0/, '');
}

/**
 * A listing answered page by page: the first request computes the items, nextLinks (with an opaque
 * `$skiptoken`) serve the rest of that snapshot. A `$skiptoken` the fake did not hand out answers 400.
 */
export function listResponse(
  context: GraphContext,
  options: {
    odataContext: string;
    pageSize: number;
    items: () => unknown[];
    headers?: Record<string, string>;
  },
): FakeResponse {
  const { request, deps } = context;
  const emptyPage = deps.faults.takeEmptyPage(request);
  const skipToken = request.query['$skiptoken'];
  if (skipToken !== undefined) {
    const page = deps.paging.nextPage(skipToken, emptyPage);
    if (!page)
      throw new GraphError(
        400,
        'Directory_ExpiredPageToken',
        'The specified page token value has expired and can no longer be included in your request.',
      );
    return pageResponse(options.odataContext, page, options.headers);
  }
  const page = deps.paging.firstPage({
    items: options.items(),
    pageSize: options.pageSize,
    linkPath: encodedPath(request),
    linkQuery: [...request.searchParams],
    emptyPage,
  });
  return pageResponse(options.odataContext, page, options.headers);
}
