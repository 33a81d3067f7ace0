/**
 * The fake Graph server: every request is recorded, then (in this order) answered by an injected
 * fault if one matches, authenticated (contract section 6: 401 InvalidAuthenticationToken), routed,
 * checked for permissions, held to the mailbox limits (4 concurrent requests per app and mailbox), and
 * served from the in-memory state.
 */
import {
  GraphError,
  graphJson,
  requirePermission,
  type GraphContext,
  type GraphDependencies,
  type GraphHandler,
  type PermissionName,
} from './graph-common.js';
import {
  getDomain,
  getGroup,
  getOrganization,
  getUser,
  groupsDelta,
  listDomains,
  listGroupMembers,
  listGroups,
  listMemberOf,
  listOrganization,
  listUsers,
  usersDelta,
} from './graph-directory.js';
import {
  deleteMessage,
  getMailFolder,
  getMessage,
  getMessageMime,
  listChildFolders,
  listMailFolders,
  listMessages,
  messagesDelta,
  permanentlyDeleteMessage,
  sendMail,
} from './graph-mail.js';
import type { FakeResponse, RecordedRequest } from './http.js';
import { graphErrorDate, guid } from './ids.js';
import type { FakeUser } from './model.js';

export interface MailboxLimits {
  /** Concurrent requests per app and mailbox; one more answers 429 ApplicationThrottled. */
  concurrentRequests: number;
  /** `Retry-After` on that 429. */
  concurrencyRetryAfterSeconds: number;
  requestsPerWindow: number;
  requestWindowMs: number;
  uploadBytesPerWindow: number;
  uploadWindowMs: number;
}

/** Contract section 6: 4 concurrent requests, 10,000 requests per 10 minutes, 150 MB per 5 minutes. */
export const CONTRACT_MAILBOX_LIMITS: MailboxLimits = {
  concurrentRequests: 4,
  concurrencyRetryAfterSeconds: 1,
  requestsPerWindow: 10_000,
  requestWindowMs: 10 * 60_000,
  uploadBytesPerWindow: 150 * 1024 * 1024,
  uploadWindowMs: 5 * 60_000,
};

/** What a test can observe about one mailbox's traffic. */
export interface MailboxActivity {
  userId: string;
  userPrincipalName: string;
  /** Mailbox requests (folders, messages, sendMail) in flight now, over all apps. */
  inFlight: number;
  /** The most that were ever in flight at once, counting any that arrived over the limit. */
  maxInFlight: number;
  sendMailInFlight: number;
  maxSendMailInFlight: number;
  /** Mailbox requests received, and how many of them the limits answered 429. */
  requests: number;
  throttled: number;
}

interface AppMailboxCounters {
  inFlight: number;
  requestTimes: number[];
  uploads: Array<{ at: number; bytes: number }>;
}

/** Exchange's per-app, per-mailbox limits, and the activity record tests assert on. */
export class MailboxThrottle {
  readonly activity = new Map<string, MailboxActivity>();
  private readonly counters = new Map<string, AppMailboxCounters>();

  constructor(public limits: MailboxLimits) {}

  activityOf(user: FakeUser): MailboxActivity {
    let activity = this.activity.get(user.id);
    if (!activity) {
      activity = {
        userId: user.id,
        userPrincipalName: user.userPrincipalName,
        inFlight: 0,
        maxInFlight: 0,
        sendMailInFlight: 0,
        maxSendMailInFlight: 0,
        requests: 0,
        throttled: 0,
      };
      this.activity.set(user.id, activity);
    }
    return activity;
  }

  /** Admits a request or throws the 429 Exchange would answer; call `leave` when it is answered. */
  enter(clientId: string, user: FakeUser, isSendMail: boolean, uploadBytes: number, now: number): () => void {
    const activity = this.activityOf(user);
    const key = `${clientId}\n${user.id}`;
    let counters = this.counters.get(key);
    if (!counters) this.counters.set(key, (counters = { inFlight: 0, requestTimes: [], uploads: [] }));
    activity.requests += 1;
    activity.inFlight += 1;
    activity.maxInFlight = Math.max(activity.maxInFlight, activity.inFlight);
    if (isSendMail) {
      activity.sendMailInFlight += 1;
      activity.maxSendMailInFlight = Math.max(activity.maxSendMailInFlight, activity.sendMailInFlight);
    }
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      activity.inFlight -= 1;
      if (isSendMail) activity.sendMailInFlight -= 1;
      counters.inFlight -= 1;
    };
    counters.inFlight += 1;
    counters.requestTimes = counters.requestTimes.filter((at) => at > now - this.limits.requestWindowMs);
    counters.uploads = counters.uploads.filter((upload) => upload.at > now - this.limits.uploadWindowMs);
    const refuse = (message: string, retryAfterSeconds: number): never => {
      leave();
      activity.throttled += 1;
      throw new GraphError(429, 'ApplicationThrottled', message, {
        'retry-after': String(retryAfterSeconds),
      });
    };
    if (counters.inFlight > this.limits.concurrentRequests)
      refuse('Application is over its MailboxConcurrency limit.', this.limits.concurrencyRetryAfterSeconds);
    if (counters.requestTimes.length >= this.limits.requestsPerWindow)
      refuse(
        'Application is over its MailboxRequests limit.',
        Math.max(1, Math.ceil((counters.requestTimes[0]! + this.limits.requestWindowMs - now) / 1000)),
      );
    const uploaded = counters.uploads.reduce((sum, upload) => sum + upload.bytes, 0);
    if (uploadBytes > 0 && uploaded + uploadBytes > this.limits.uploadBytesPerWindow)
      refuse(
        'Application is over its IncomingBytes limit.',
        Math.max(1, Math.ceil((counters.uploads[0]!.at + this.limits.uploadWindowMs - now) / 1000)),
      );
    counters.requestTimes.push(now);
    if (uploadBytes > 0) counters.uploads.push({ at: now, bytes: uploadBytes });
    return leave;
  }
}

interface Route {
  method: string;
  segments: string[];
  permission: PermissionName;
  /** Mailbox routes resolve the mailbox first and count against the mailbox limits. */
  mailbox: boolean;
  handler: GraphHandler;
}

function route(
  method: string,
  template: string,
  permission: PermissionName,
  handler: GraphHandler,
  mailbox = false,
): Route {
  return { method, segments: template.split('/').filter(Boolean), permission, mailbox, handler };
}

/** Literal routes come before parameter routes of the same shape (`/users/delta` before `/users/{id}`). */
const ROUTES: Route[] = [
  route('GET', '/organization', 'readTenant', listOrganization),
  route('GET', '/organization/:organization', 'readTenant', getOrganization),
  route('GET', '/domains', 'readTenant', listDomains),
  route('GET', '/domains/:domain', 'readTenant', getDomain),
  route('GET', '/users', 'readUsers', listUsers),
  route('GET', '/users/delta', 'readUsers', usersDelta),
  route('GET', '/users/:user', 'readUsers', getUser),
  route('GET', '/users/:user/memberOf', 'readMemberOf', listMemberOf),
  route('GET', '/groups', 'readGroups', listGroups),
  route('GET', '/groups/delta', 'readGroups', groupsDelta),
  route('GET', '/groups/:group', 'readGroups', getGroup),
  route('GET', '/groups/:group/members', 'readMembers', listGroupMembers),
  route('POST', '/users/:user/sendMail', 'sendMail', sendMail, true),
  route('GET', '/users/:user/mailFolders', 'readMail', listMailFolders, true),
  route('GET', '/users/:user/mailFolders/:folder', 'readMail', getMailFolder, true),
  route('GET', '/users/:user/mailFolders/:folder/childFolders', 'readMail', listChildFolders, true),
  route('GET', '/users/:user/mailFolders/:folder/messages', 'readMail', listMessages, true),
  route('GET', '/users/:user/mailFolders/:folder/messages/delta', 'readMail', messagesDelta, true),
  route('GET', '/users/:user/mailFolders/:folder/messages/:message', 'readMail', getMessage, true),
  route('GET', '/users/:user/mailFolders/:folder/messages/:message/$value', 'readMail', getMessageMime, true),
  route('GET', '/users/:user/messages/:message', 'readMail', getMessage, true),
  route('GET', '/users/:user/messages/:message/$value', 'readMail', getMessageMime, true),
  route('DELETE', '/users/:user/messages/:message', 'writeMail', deleteMessage, true),
  route(
    'POST',
    '/users/:user/messages/:message/permanentDelete',
    'writeMail',
    permanentlyDeleteMessage,
    true,
  ),
];

function matchRoute(
  method: string,
  segments: string[],
): { route: Route; params: Record<string, string> } | { methodNotAllowed: true } | undefined {
  let pathMatched = false;
  for (const candidate of ROUTES) {
    if (candidate.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = candidate.segments.every((part, index) => {
      const actual = segments[index]!;
      if (part.startsWith(':')) {
        params[part.slice(1)] = actual;
        return true;
      }
      return part.toLowerCase() === actual.toLowerCase();
    });
    if (!matches) continue;
    pathMatched = true;
    if (candidate.method === method) return { route: candidate, params };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const AUTH_FAILURE_MESSAGES = {
  missing: 'Access token is empty.',
  malformed: 'IDX14100: JWT is not well formed, there are no dots (.).',
  signature: 'Access token validation failure. Invalid signature.',
  audience: 'Access token validation failure. Invalid audience.',
  unknown: 'Access token validation failure.',
  expired: 'Lifetime validation failed, the token is expired.',
} as const;

/** Sent with every 401, as Graph does. */
const WWW_AUTHENTICATE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

function unauthorized(message: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, { 'www-authenticate': WWW_AUTHENTICATE });
}

export function createGraphHandler(
  deps: GraphDependencies,
  throttle: MailboxThrottle,
): (request: RecordedRequest) => Promise<FakeResponse> {
  return async (request) => {
    const requestId = guid();
    const clientRequestId = String(request.headers['client-request-id'] ?? requestId);
    const common = { 'request-id': requestId, 'client-request-id': clientRequestId };
    const renderError = (error: GraphError): FakeResponse =>
      graphJson(
        error.status,
        {
          error: {
            code: error.code,
            message: error.message,
            innerError: { 'request-id': requestId, date: graphErrorDate(deps.state.clock.now()) },
          },
        },
        { ...common, ...error.headers },
      );
    try {
      const answer = await serve(deps, throttle, request);
      return { ...answer, headers: { ...common, ...answer.headers } };
    } catch (error) {
      if (error instanceof GraphError) return renderError(error);
      throw error;
    }
  };
}

async function serve(
  deps: GraphDependencies,
  throttle: MailboxThrottle,
  request: RecordedRequest,
): Promise<FakeResponse> {
  if (!request.rawPath.startsWith('/v1.0/')) throw new GraphError(400, 'BadRequest', 'Invalid version.');

  const injected = deps.faults.takeAnswer(request);
  if (injected)
    throw new GraphError(
      injected.status,
      injected.code ?? 'generalException',
      injected.message ?? 'Injected fault.',
      {
        ...(injected.retryAfterSeconds !== undefined && {
          'retry-after': String(injected.retryAfterSeconds),
        }),
        ...(injected.status === 401 && { 'www-authenticate': WWW_AUTHENTICATE }),
        ...injected.headers,
      },
    );

  const authorization = String(request.headers['authorization'] ?? '');
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
  const check = deps.tokens.check(bearer);
  if (!check.ok) throw unauthorized(AUTH_FAILURE_MESSAGES[check.reason]);
  const token = check.token;
  const tenant = deps.state.tenants.get(token.tenantId);
  if (!tenant) throw unauthorized(AUTH_FAILURE_MESSAGES.unknown);

  // Split before decoding, so that an encoded `/` inside an id stays part of its segment.
  let segments = request.rawPath.slice('/v1.0'.length).split('/').filter(Boolean).map(decodeSegment);
  if (segments[0]?.toLowerCase() === 'me') {
    if (token.kind !== 'delegated')
      throw new GraphError(
        400,
        'BadRequest',
        '/me request is only valid with delegated authentication flow.',
      );
    segments = ['users', token.userId!, ...segments.slice(1)];
  }
  const matched = matchRoute(request.method, segments);
  if (!matched)
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segments.at(-1) ?? ''}'.`);
  if ('methodNotAllowed' in matched)
    throw new GraphError(
      405,
      'Request_BadRequest',
      `The HTTP method '${request.method}' is not allowed here.`,
    );

  const { route: found, params } = matched;
  const userParam = params['user'];
  const user = userParam === undefined ? undefined : tenant.findUser(userParam);
  const context: GraphContext = {
    deps,
    request,
    token,
    tenant,
    params,
    user,
    mailbox: undefined,
    immutableIds: /IdType\s*=\s*"?ImmutableId"?/i.test(String(request.headers['prefer'] ?? '')),
  };
  requirePermission(context, found.permission);

  if (!found.mailbox) {
    await deps.faults.applyTiming(request);
    return found.handler(context);
  }
  // Contract section 5: the sender (any mailbox) must be a mailbox of the token's tenant.
  if (!user) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${userParam}' is invalid.`);
  if (!user.hasMailbox)
    throw new GraphError(
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    );
  context.mailbox = tenant.mailbox(user.id);
  const leave = throttle.enter(
    token.clientId,
    user,
    found.handler === sendMail,
    request.method === 'POST' ? request.body.length : 0,
    deps.state.clock.now(),
  );
  try {
    await deps.faults.applyTiming(request);
    return await found.handler(context);
  } finally {
    leave();
  }
}
