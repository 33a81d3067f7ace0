/**
 * Local fakes of Microsoft Entra ID (login) and Microsoft Graph that follow
 * shared/contracts/microsoft-graph.md, for tests that cannot reach Microsoft 365.
 *
 *   const fakes = await startMicrosoftFakes();
 *   const contoso = fakes.state.addTenant({ name: 'contoso', domains: ['contoso.com'] });
 *   const app = contoso.registerApp({ redirectUris: ['http://127.0.0.1:3000/callback'] });
 *   // point Postvault at fakes.loginUrl and fakes.graphUrl, then assert on fakes.requests,
 *   // fakes.sentMail, fakes.mailboxActivity(...), and program fakes.faults.
 *   await fakes.close();
 *
 * See README.md beside this file.
 */
import { FaultInjector, matchesPattern, type RequestPattern } from './faults.js';
import { type GraphDependencies } from './graph-common.js';
import {
  CONTRACT_MAILBOX_LIMITS,
  createGraphHandler,
  MailboxThrottle,
  type MailboxActivity,
  type MailboxLimits,
} from './graph-server.js';
import { startRecordingServer, type FakeServerName, type RecordedRequest } from './http.js';
import { createLoginHandler, type ScriptedSignIn } from './login-server.js';
import { FakeClock, MicrosoftFakeState, type SentMail } from './model.js';
import { PagingStore } from './paging.js';
import { TokenAuthority, type IssuedToken } from './tokens.js';

export type {
  DeltaExpiryAnswer,
  FaultAnswer,
  FaultHandle,
  FaultScope,
  HeldRequests,
  RequestPattern,
} from './faults.js';
export { FaultInjector } from './faults.js';
export type { MailboxActivity, MailboxLimits } from './graph-server.js';
export { CONTRACT_MAILBOX_LIMITS } from './graph-server.js';
export type { FakeServerName, RecordedRequest, RecordedResponse } from './http.js';
export { GRAPH_DEFAULT_SCOPE, type ConsentDecision, type ScriptedSignIn } from './login-server.js';
export {
  DEFAULT_APPLICATION_PERMISSIONS,
  DEFAULT_DELEGATED_PERMISSIONS,
  DIRECTORY_ROLE_TEMPLATES,
  FakeClock,
  FakeMailbox,
  FakeTenant,
  MicrosoftFakeState,
  WELL_KNOWN_FOLDERS,
  type AddFolderOptions,
  type AddGroupOptions,
  type AddMessageOptions,
  type AddTenantOptions,
  type AddUserOptions,
  type DirectoryRoleName,
  type FakeApp,
  type FakeDomain,
  type FakeFolder,
  type FakeGroup,
  type FakeMessage,
  type FakeOtherObject,
  type FakeUser,
  type RegisterAppOptions,
  type SentMail,
} from './model.js';
export { GRAPH_RESOURCE, type IssuedToken } from './tokens.js';

export interface MicrosoftFakesOptions {
  /** `expires_in` of access tokens (default 3599, as Entra ID; contract section 1). */
  tokenLifetimeSeconds?: number;
  /** Exchange's per-app, per-mailbox limits; default the contract's (section 6). */
  mailboxLimits?: Partial<MailboxLimits>;
  /** Message listing pages with `$top` above this answer 504 (contract section 4); default never. */
  messagesPageSizeGatewayTimeoutAbove?: number;
}

export interface MicrosoftFakes {
  /** Login base, e.g. `http://127.0.0.1:41234` (Postvault's `microsoft.loginUrl`). */
  loginUrl: string;
  /** Graph base, e.g. `http://127.0.0.1:41235/v1.0` (Postvault's `microsoft.graphUrl`). */
  graphUrl: string;
  /** Tenants, users, groups, apps, mailboxes: seed and change it at any time. */
  state: MicrosoftFakeState;
  /** Every request to either server, in order of arrival, with raw body and (once answered) response. */
  requests: RecordedRequest[];
  /** Program 429/503/504/401, delays, holds, empty pages; expire tokens. */
  faults: FaultInjector;
  /** Scripted interactive sign-ins: the next authorize/adminconsent request completes as this user. */
  signIn: { next(signIn: ScriptedSignIn): void; readonly pending: number };
  /** The fakes' clock: `advance` makes tokens and rate windows expire without waiting. */
  clock: FakeClock;
  /** Every sendMail accepted, in order (per mailbox: `state.tenant(..).sentMail(upn)`). */
  sentMail: SentMail[];
  /** Every access token issued, oldest first (e.g. to assert that a client caches its token). */
  issuedTokens(): IssuedToken[];
  /** Mailbox limits in force; change fields to tighten them for a test. */
  mailboxLimits: MailboxLimits;
  /** Concurrency and throttling observed for a mailbox (user id or UPN, any tenant). */
  mailboxActivity(mailbox: string): MailboxActivity;
  /** Recorded requests matching a path pattern (same syntax as fault rules), optionally by method. */
  requestsTo(
    pattern: RequestPattern,
    options?: { method?: string; server?: FakeServerName },
  ): RecordedRequest[];
  close(): Promise<void>;
}

export async function startMicrosoftFakes(options: MicrosoftFakesOptions = {}): Promise<MicrosoftFakes> {
  const clock = new FakeClock();
  const state = new MicrosoftFakeState(clock, options.tokenLifetimeSeconds ?? 3599);
  const tokens = new TokenAuthority(clock);
  const requests: RecordedRequest[] = [];
  let seq = 0;
  const nextSeq = () => (seq += 1);
  let loginUrl = '';
  let graphUrl = '';
  const paging = new PagingStore(() => graphUrl);
  const faults = new FaultInjector({
    expireAllTokens: () => tokens.expireAll(),
    expireToken: (accessToken) => tokens.expire(accessToken),
    expireDeltaTokens: (answer) => paging.expireDeltaTokens(answer),
  });
  const throttle = new MailboxThrottle({ ...CONTRACT_MAILBOX_LIMITS, ...options.mailboxLimits });
  const scriptedSignIns: ScriptedSignIn[] = [];

  const graphDeps: GraphDependencies = {
    state,
    tokens,
    faults,
    paging,
    graphUrl: () => graphUrl,
    messagesPageSizeGatewayTimeoutAbove: options.messagesPageSizeGatewayTimeoutAbove,
  };
  const login = await startRecordingServer({
    server: 'login',
    basePath: '',
    clock,
    log: requests,
    nextSeq,
    handle: createLoginHandler({ state, tokens, faults, loginUrl: () => loginUrl, scriptedSignIns }),
  });
  const graph = await startRecordingServer({
    server: 'graph',
    basePath: '/v1.0',
    clock,
    log: requests,
    nextSeq,
    handle: createGraphHandler(graphDeps, throttle),
  });
  loginUrl = login.origin;
  graphUrl = `${graph.origin}/v1.0`;

  return {
    loginUrl,
    graphUrl,
    state,
    requests,
    faults,
    signIn: {
      next: (signIn) => void scriptedSignIns.push(signIn),
      get pending() {
        return scriptedSignIns.length;
      },
    },
    clock,
    sentMail: state.sentMail,
    issuedTokens: () => [...tokens.issued.values()],
    get mailboxLimits() {
      return throttle.limits;
    },
    set mailboxLimits(limits: MailboxLimits) {
      throttle.limits = limits;
    },
    mailboxActivity(mailbox) {
      for (const tenant of state.tenants.values()) {
        const user = tenant.findUser(mailbox);
        if (user) return throttle.activityOf(user);
      }
      throw new Error(`no user ${mailbox} in any tenant`);
    },
    requestsTo: (pattern, filter = {}) =>
      requests.filter(
        (request) =>
          request.server === (filter.server ?? 'graph') &&
          (filter.method === undefined || request.method === filter.method.toUpperCase()) &&
          matchesPattern(pattern, request),
      ),
    close: async () => {
      faults.clear();
      await Promise.all([login.close(), graph.close()]);
    },
  };
}
export { seedStandardScenario, type StandardScenario, type StandardScenarioOptions } from './scenarios.js';
