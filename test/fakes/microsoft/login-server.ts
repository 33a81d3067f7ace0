/**
 * The fake Entra ID (login) server: the token endpoint (client credentials, authorization code,
 * refresh token; contract section 1), admin consent (section 2) and the interactive authorization-code
 * sign-in (section 2), with Entra's error bodies and AADSTS codes.
 *
 * Interactive sign-in (authorize and admin consent) can be driven three ways:
 *  - query options the test appends to the URL: `fake_user=<upn>` and, for consent,
 *    `fake_consent=accept|decline`: the answer is the redirect right away;
 *  - a scripted sign-in queued with `fakes.signIn.next({...})`: the next authorize/adminconsent
 *    request redirects right away as that user, however the URL was built;
 *  - otherwise a small HTML form (login, password, Accept/Cancel) a headless browser can submit.
 */
import { createHash } from 'node:crypto';
import type { FaultInjector } from './faults.js';
import { json, type FakeResponse, type RecordedRequest } from './http.js';
import { entraTimestamp, GUID_PATTERN, guid, opaqueToken } from './ids.js';
import {
  ROLES_THAT_GRANT_ADMIN_CONSENT,
  type FakeApp,
  type FakeTenant,
  type FakeUser,
  type MicrosoftFakeState,
} from './model.js';
import { checkClientAssertion, GRAPH_RESOURCE, type TokenAuthority } from './tokens.js';

/** The only scope client credentials accept (contract section 1). */
export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
/** Authorization codes live about 10 minutes at Entra ID. */
const AUTHORIZATION_CODE_LIFETIME_MS = 10 * 60_000;

/** What the user does on the admin consent screen. */
export type ConsentDecision =
  | 'accept'
  | 'decline'
  /** Any error redirect, e.g. `{ error: 'consent_required', errorDescription: 'AADSTS65004: ...' }`. */
  | {
      error: string;
      errorDescription: string;
      /** Also put `admin_consent=True` on the failure (contract section 2: a failure may carry it). */
      alsoAdminConsentTrue?: boolean;
    };

export interface ScriptedSignIn {
  /** UPN (or mail) of the user who signs in. */
  user: string;
  /** Admin consent only; default `accept`. */
  consent?: ConsentDecision;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  tenantId: string;
  userId: string;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: string | undefined;
  nonce: string | undefined;
  expiresAt: number;
  redeemed: boolean;
}

/** An Entra ID error that is answered as JSON (token endpoint). */
class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly text: string,
  ) {
    super(`AADSTS${code}: ${text}`);
  }
}

/** An error Entra ID shows as a page because it cannot (or must not) redirect. */
class ErrorPage extends Error {
  constructor(
    readonly code: number | undefined,
    readonly text: string,
  ) {
    super(code === undefined ? text : `AADSTS${code}: ${text}`);
  }
}

/** An error Entra ID reports to the app by redirecting (contract section 2's failure redirect). */
class RedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly alsoAdminConsentTrue = false,
  ) {
    super(description);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function redirectTo(uri: string, params: Array<[string, string]>): FakeResponse {
  const url = new URL(uri);
  for (const [key, value] of params) url.searchParams.append(key, value);
  return { status: 302, headers: { location: url.href, 'cache-control': 'no-store, no-cache' } };
}

export interface LoginDependencies {
  state: MicrosoftFakeState;
  tokens: TokenAuthority;
  faults: FaultInjector;
  loginUrl: () => string;
  scriptedSignIns: ScriptedSignIn[];
}

export function createLoginHandler(
  deps: LoginDependencies,
): (request: RecordedRequest) => Promise<FakeResponse> {
  const codes = new Map<string, AuthorizationCode>();

  /** Entra's JSON error (contract section 1): error, error_description, error_codes, timestamp, ids. */
  const entraErrorBody = (
    request: RecordedRequest,
    status: number,
    error: string,
    code: number,
    text: string,
  ) => {
    const now = deps.state.clock.now();
    const traceId = guid();
    const correlationId = String(request.headers['client-request-id'] ?? guid());
    const timestamp = entraTimestamp(now);
    return json(
      status,
      {
        error,
        error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
      },
      { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    );
  };

  const errorPage = (page: ErrorPage): FakeResponse => ({
    status: 400,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to your account</title></head><body><main><h1>Sorry, but we’re having trouble signing you in.</h1><p id="error">${escapeHtml(page.message)}</p></main></body></html>`,
  });

  /** `{tenant}` in a path: a GUID or verified domain; `organizations`/`common` where `allowed`. */
  const resolveTenantSegment = (segment: string): FakeTenant | undefined => deps.state.findTenant(segment);

  function unknownTenantText(segment: string): { code: number; text: string } {
    const looksValid = GUID_PATTERN.test(segment) || /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(segment);
    return looksValid
      ? {
          code: 90002,
          text: `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
        }
      : {
          code: 900023,
          text: `Specified tenant identifier '${segment}' is neither a valid DNS name, nor a valid external domain.`,
        };
  }

  function appNotFoundText(clientId: string, tenantLabel: string): string {
    return `Application with identifier '${clientId}' was not found in the directory '${tenantLabel}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`;
  }

  /** Client authentication by secret or certificate assertion (contract section 1). */
  function authenticateClient(
    form: Record<string, string>,
    app: FakeApp,
    tenant: FakeTenant,
    tenantSegment: string,
  ): void {
    const assertion = form['client_assertion'];
    if (assertion !== undefined) {
      if (form['client_assertion_type'] !== JWT_BEARER_ASSERTION)
        throw new EntraError(
          400,
          'invalid_request',
          900144,
          `The request body must contain the following parameter: 'client_assertion_type'.`,
        );
      const base = deps.loginUrl();
      const problem = checkClientAssertion(
        assertion,
        app,
        [
          `${base}/${tenantSegment}/oauth2/v2.0/token`,
          `${base}/${tenant.id}/oauth2/v2.0/token`,
          `https://login.microsoftonline.com/${tenantSegment}/oauth2/v2.0/token`,
          `https://login.microsoftonline.com/${tenant.id}/oauth2/v2.0/token`,
        ],
        deps.state.clock.now(),
      );
      if (problem) throw new EntraError(401, 'invalid_client', problem.code, problem.text);
      return;
    }
    const secret = form['client_secret'];
    if (secret === undefined)
      throw new EntraError(
        401,
        'invalid_client',
        7000218,
        `The request body must contain the following parameter: 'client_assertion' or 'client_secret'.`,
      );
    if (!app.clientSecrets.includes(secret))
      throw new EntraError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
  }

  function requireField(form: Record<string, string>, name: string): string {
    const value = form[name];
    if (value === undefined || value === '')
      throw new EntraError(
        400,
        'invalid_request',
        900144,
        `The request body must contain the following parameter: '${name}'.`,
      );
    return value;
  }

  function tokenResponse(body: Record<string, unknown>): FakeResponse {
    return json(200, body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
  }

  /** POST {login}/{tenant}/oauth2/v2.0/token. */
  function token(request: RecordedRequest, tenantSegment: string): FakeResponse {
    const form = request.form ?? {};
    const grantType = requireField(form, 'grant_type');
    if (!['client_credentials', 'authorization_code', 'refresh_token'].includes(grantType))
      throw new EntraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    const generic = ['common', 'organizations'].includes(tenantSegment.toLowerCase());
    if (grantType === 'client_credentials' && generic)
      // An app-only token is always for one tenant.
      throw new EntraError(
        400,
        'invalid_request',
        900023,
        `Specified tenant identifier '${tenantSegment}' is neither a valid DNS name, nor a valid external domain.`,
      );
    const clientId = requireField(form, 'client_id');
    const pathTenant = generic ? undefined : resolveTenantSegment(tenantSegment);
    if (!generic && !pathTenant) {
      const { code, text } = unknownTenantText(tenantSegment);
      throw new EntraError(400, 'invalid_request', code, text);
    }
    const app = deps.state.apps.get(clientId);
    if (!app || (pathTenant && !app.multiTenant && app.homeTenantId !== pathTenant.id))
      throw new EntraError(
        400,
        'unauthorized_client',
        700016,
        appNotFoundText(clientId, pathTenant?.id ?? tenantSegment),
      );

    if (grantType === 'client_credentials') {
      const tenant = pathTenant!;
      const scope = requireField(form, 'scope');
      if (scope !== GRAPH_DEFAULT_SCOPE) {
        if (scope.endsWith('/.default'))
          throw new EntraError(
            400,
            'invalid_resource',
            500011,
            `The resource principal named ${scope.slice(0, -'/.default'.length)} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
          );
        throw new EntraError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      authenticateClient(form, app, tenant, tenantSegment);
      // Another tenant can issue tokens for the app only after its admin consented (a service principal).
      if (!tenant.hasAdminConsent(app.clientId) && tenant.id !== app.homeTenantId)
        throw new EntraError(
          400,
          'invalid_client',
          7000229,
          `The client application ${app.clientId} is missing service principal in the tenant ${tenant.id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
        );
      const issued = deps.tokens.issueAppToken(tenant, app, deps.state.tokenLifetimeSeconds);
      // Contract section 1: exactly these fields, no refresh token.
      return tokenResponse({
        token_type: 'Bearer',
        expires_in: deps.state.tokenLifetimeSeconds,
        ext_expires_in: deps.state.tokenLifetimeSeconds,
        access_token: issued.accessToken,
      });
    }

    if (grantType === 'authorization_code') {
      const code = requireField(form, 'code');
      const redirectUri = requireField(form, 'redirect_uri');
      authenticateClient(form, app, pathTenant ?? deps.state.tenants.get(app.homeTenantId)!, tenantSegment);
      const grant = codes.get(code);
      if (!grant || grant.clientId !== clientId)
        throw new EntraError(
          400,
          'invalid_grant',
          9002313,
          'Invalid request. Request is malformed or invalid.',
        );
      if (grant.redeemed)
        throw new EntraError(
          400,
          'invalid_grant',
          54005,
          'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        );
      if (grant.expiresAt <= deps.state.clock.now())
        throw new EntraError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      if (grant.redirectUri !== redirectUri)
        throw new EntraError(
          400,
          'invalid_grant',
          500112,
          `The reply address '${redirectUri}' does not match the reply address '${grant.redirectUri}' provided when requesting Authorization code.`,
        );
      if (grant.codeChallenge !== undefined) {
        const verifier = form['code_verifier'] ?? '';
        const expected =
          grant.codeChallengeMethod === 'S256'
            ? createHash('sha256').update(verifier).digest('base64url')
            : verifier;
        if (expected !== grant.codeChallenge)
          throw new EntraError(
            400,
            'invalid_grant',
            501481,
            'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          );
      }
      if (pathTenant && pathTenant.id !== grant.tenantId)
        throw new EntraError(
          400,
          'invalid_grant',
          9002313,
          'Invalid request. Request is malformed or invalid.',
        );
      grant.redeemed = true;
      return delegatedTokenResponse(app, grant.tenantId, grant.userId, grant.scopes, grant.nonce);
    }

    // refresh_token
    const refreshToken = requireField(form, 'refresh_token');
    authenticateClient(form, app, pathTenant ?? deps.state.tenants.get(app.homeTenantId)!, tenantSegment);
    const refresh = deps.tokens.redeemRefreshToken(refreshToken);
    if (!refresh || refresh.clientId !== clientId || (pathTenant && pathTenant.id !== refresh.tenantId))
      throw new EntraError(
        400,
        'invalid_grant',
        9002313,
        'Invalid request. Request is malformed or invalid.',
      );
    return delegatedTokenResponse(app, refresh.tenantId, refresh.userId, refresh.scopes, undefined);
  }

  function delegatedTokenResponse(
    app: FakeApp,
    tenantId: string,
    userId: string,
    scopes: string[],
    nonce: string | undefined,
  ): FakeResponse {
    const tenant = deps.state.tenants.get(tenantId);
    const user = tenant?.users.get(userId);
    if (!tenant || !user || !user.accountEnabled)
      throw new EntraError(400, 'invalid_grant', 50057, 'The user account is disabled.');
    const issued = deps.tokens.issueDelegatedToken(
      tenant,
      user,
      app,
      scopes,
      deps.state.tokenLifetimeSeconds,
    );
    return tokenResponse({
      token_type: 'Bearer',
      scope: scopes.join(' '),
      expires_in: deps.state.tokenLifetimeSeconds,
      ext_expires_in: deps.state.tokenLifetimeSeconds,
      access_token: issued.accessToken,
      ...(scopes.includes('offline_access') && {
        refresh_token: deps.tokens.issueRefreshToken({ tenantId, clientId: app.clientId, userId, scopes }),
      }),
      ...(scopes.includes('openid') && {
        id_token: deps.tokens.issueIdToken(tenant, user, app, deps.loginUrl(), nonce),
      }),
    });
  }

  /** Graph scopes of an authorize request: `User.Read` or `https://graph.microsoft.com/User.Read`. */
  function delegatedScopes(app: FakeApp, scopeParam: string): string[] {
    const scopes = new Set<string>();
    for (const scope of scopeParam.split(/\s+/).filter(Boolean)) {
      if (OIDC_SCOPES.has(scope)) scopes.add(scope);
      else if (scope === GRAPH_DEFAULT_SCOPE) for (const p of app.delegatedPermissions) scopes.add(p);
      else if (scope.startsWith(`${GRAPH_RESOURCE}/`)) scopes.add(scope.slice(GRAPH_RESOURCE.length + 1));
      else if (!scope.includes('/')) scopes.add(scope);
      else
        throw new RedirectError(
          'invalid_resource',
          `AADSTS500011: The resource principal named ${scope} was not found.`,
        );
    }
    // Entra gives a Graph token with User.Read when only OpenID scopes were asked for.
    if ([...scopes].every((scope) => OIDC_SCOPES.has(scope))) scopes.add('User.Read');
    return [...scopes];
  }

  type InteractiveKind = 'authorize' | 'adminconsent';

  interface InteractiveRequest {
    kind: InteractiveKind;
    classicConsent: boolean;
    tenantSegment: string;
    /** The tenant named in the path, undefined for `organizations`/`common`. */
    pathTenant: FakeTenant | undefined;
    app: FakeApp;
    redirectUri: string;
    state: string | undefined;
    params: URLSearchParams;
  }

  /** Checks that must pass before Entra may redirect anywhere: tenant, app, exact redirect URI. */
  function validateInteractive(
    request: RecordedRequest,
    kind: InteractiveKind,
    tenantSegment: string,
    classicConsent: boolean,
  ): InteractiveRequest {
    const params = request.searchParams;
    const generic = ['organizations', 'common'].includes(tenantSegment.toLowerCase());
    // Contract section 2: `common` is not allowed for admin consent.
    if (kind === 'adminconsent' && tenantSegment.toLowerCase() === 'common')
      throw new ErrorPage(
        undefined,
        `The 'common' endpoint cannot be used for admin consent: use the tenant or 'organizations'.`,
      );
    const pathTenant = generic ? undefined : resolveTenantSegment(tenantSegment);
    if (!generic && !pathTenant) {
      const { code, text } = unknownTenantText(tenantSegment);
      throw new ErrorPage(code, text);
    }
    const clientId = params.get('client_id');
    if (!clientId)
      throw new ErrorPage(900144, `The request body must contain the following parameter: 'client_id'.`);
    const app = deps.state.apps.get(clientId);
    if (!app || (pathTenant && !app.multiTenant && pathTenant.id !== app.homeTenantId))
      throw new ErrorPage(700016, appNotFoundText(clientId, pathTenant?.id ?? tenantSegment));
    let redirectUri = params.get('redirect_uri');
    if (redirectUri === null && kind === 'authorize' && app.redirectUris.length === 1)
      redirectUri = app.redirectUris[0]!;
    if (redirectUri === null)
      throw new ErrorPage(900144, `The request body must contain the following parameter: 'redirect_uri'.`);
    // Contract section 2: exactly equal to a registered URI (no prefix, case or trailing-slash leniency).
    if (!app.redirectUris.includes(redirectUri))
      throw new ErrorPage(
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
      );
    return {
      kind,
      classicConsent,
      tenantSegment,
      pathTenant,
      app,
      redirectUri,
      state: params.get('state') ?? undefined,
      params,
    };
  }

  /** Errors after the redirect URI is known go back to the app (with `state`). */
  function redirectError(interactive: InteractiveRequest, error: RedirectError): FakeResponse {
    return redirectTo(interactive.redirectUri, [
      ...(error.alsoAdminConsentTrue ? ([['admin_consent', 'True']] as Array<[string, string]>) : []),
      ['error', error.error],
      ['error_description', error.description],
      ...(interactive.state !== undefined ? ([['state', interactive.state]] as Array<[string, string]>) : []),
    ]);
  }

  /** Request checks that answer by redirect: response_type, scope. */
  function checkRedirectableParameters(interactive: InteractiveRequest): void {
    const { params } = interactive;
    if (interactive.kind === 'authorize') {
      const responseType = params.get('response_type');
      if (responseType !== 'code')
        throw new RedirectError(
          'unsupported_response_type',
          `AADSTS700054: response_type '${responseType ?? ''}' is not enabled for the application.`,
        );
      if (!params.get('scope'))
        throw new RedirectError(
          'invalid_request',
          `AADSTS900144: The request body must contain the following parameter: 'scope'.`,
        );
      const method = params.get('code_challenge_method');
      if (method !== null && method !== 'S256' && method !== 'plain')
        throw new RedirectError('invalid_request', `AADSTS501491: Invalid size of Code_Challenge parameter.`);
      delegatedScopes(interactive.app, params.get('scope')!);
    } else if (!interactive.classicConsent) {
      // Contract section 2: the v2.0 form asks for `https://graph.microsoft.com/.default`.
      const scope = params.get('scope');
      if (!scope)
        throw new RedirectError(
          'invalid_request',
          `AADSTS900144: The request body must contain the following parameter: 'scope'.`,
        );
      if (scope.split(/\s+/).some((s) => s !== GRAPH_DEFAULT_SCOPE))
        throw new RedirectError(
          'invalid_scope',
          `AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
        );
    }
  }

  /** The signed-in user must belong to the tenant of the request (or any tenant for `organizations`). */
  function checkUser(interactive: InteractiveRequest, found: { tenant: FakeTenant; user: FakeUser }): void {
    if (interactive.pathTenant && interactive.pathTenant.id !== found.tenant.id)
      throw new ErrorPage(
        50020,
        `User account '${found.user.userPrincipalName}' from identity provider 'https://sts.windows.net/${found.tenant.id}/' does not exist in tenant '${interactive.pathTenant.displayName}' and cannot access the application '${interactive.app.clientId}'(${interactive.app.displayName}) in that tenant.`,
      );
    if (!found.user.accountEnabled) throw new ErrorPage(50057, 'The user account is disabled.');
    if (found.user.userType === 'Guest')
      throw new ErrorPage(
        50020,
        `User account '${found.user.userPrincipalName}' is a guest here: guests sign in with their home account.`,
      );
  }

  /** Completes the flow for a signed-in user: the redirect back to the app. */
  function complete(
    interactive: InteractiveRequest,
    found: { tenant: FakeTenant; user: FakeUser },
    decision: ConsentDecision,
  ): FakeResponse {
    checkUser(interactive, found);
    const stateParam: Array<[string, string]> =
      interactive.state !== undefined ? [['state', interactive.state]] : [];
    if (decision === 'decline')
      return redirectError(
        interactive,
        new RedirectError('access_denied', 'AADSTS65004: User declined to consent to access the app.'),
      );
    if (typeof decision === 'object')
      return redirectError(
        interactive,
        new RedirectError(decision.error, decision.errorDescription, decision.alsoAdminConsentTrue),
      );

    if (interactive.kind === 'adminconsent') {
      const isAdmin = found.user.roles.some((role) => ROLES_THAT_GRANT_ADMIN_CONSENT.includes(role));
      if (!isAdmin)
        return redirectError(
          interactive,
          new RedirectError('consent_required', 'AADSTS90094: The grant requires admin permission.'),
        );
      found.tenant.grantAdminConsent(interactive.app.clientId);
      // Contract section 2's success redirect; the classic endpoint has no `scope`.
      return redirectTo(interactive.redirectUri, [
        ['admin_consent', 'True'],
        ['tenant', found.tenant.id],
        ...(interactive.classicConsent
          ? []
          : ([
              [
                'scope',
                interactive.app.applicationPermissions.map((p) => `${GRAPH_RESOURCE}/${p}`).join(' '),
              ],
            ] as Array<[string, string]>)),
        ...stateParam,
      ]);
    }

    const code = `code.${opaqueToken()}${opaqueToken()}`;
    const params = interactive.params;
    codes.set(code, {
      clientId: interactive.app.clientId,
      redirectUri: interactive.redirectUri,
      tenantId: found.tenant.id,
      userId: found.user.id,
      scopes: delegatedScopes(interactive.app, params.get('scope') ?? ''),
      codeChallenge: params.get('code_challenge') ?? undefined,
      codeChallengeMethod: params.get('code_challenge')
        ? (params.get('code_challenge_method') ?? 'plain')
        : undefined,
      nonce: params.get('nonce') ?? undefined,
      expiresAt: deps.state.clock.now() + AUTHORIZATION_CODE_LIFETIME_MS,
      redeemed: false,
    });
    return redirectTo(interactive.redirectUri, [['code', code], ...stateParam, ['session_state', guid()]]);
  }

  function signInForm(
    request: RecordedRequest,
    interactive: InteractiveRequest,
    error?: string,
  ): FakeResponse {
    const consent = interactive.kind === 'adminconsent';
    const permissions = consent
      ? `<p>${escapeHtml(interactive.app.displayName)} asks for these permissions for your whole organization:</p><ul>${interactive.app.applicationPermissions.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`
      : `<p>Sign in to continue to ${escapeHtml(interactive.app.displayName)}.</p>`;
    const action = escapeHtml(
      `${request.rawPath}${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`,
    );
    const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${consent ? 'Permissions requested' : 'Sign in to your account'}</title></head>
<body>
<main>
<h1>${consent ? 'Permissions requested' : 'Sign in'}</h1>
${permissions}
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${action}">
<label for="login">Email or user name</label>
<input id="login" name="login" type="text" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button id="accept" type="submit" name="action" value="accept">${consent ? 'Accept' : 'Sign in'}</button>
<button id="decline" type="submit" name="action" value="decline">Cancel</button>
</form>
</main>
</body>
</html>`;
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store, no-cache' },
      body,
    };
  }

  function parseDecision(value: string | null | undefined): ConsentDecision {
    return value === 'decline' ? 'decline' : 'accept';
  }

  /** GET or POST of the authorize and admin consent endpoints. */
  function interactive(
    request: RecordedRequest,
    kind: InteractiveKind,
    tenantSegment: string,
    classicConsent: boolean,
  ): FakeResponse {
    let flow: InteractiveRequest;
    try {
      flow = validateInteractive(request, kind, tenantSegment, classicConsent);
    } catch (error) {
      if (error instanceof ErrorPage) return errorPage(error);
      throw error;
    }
    try {
      checkRedirectableParameters(flow);
      const fakeUser = flow.params.get('fake_user');
      const scripted =
        request.method === 'GET' && fakeUser === null ? deps.scriptedSignIns.shift() : undefined;
      const login = fakeUser ?? scripted?.user;
      if (login !== null && login !== undefined && request.method === 'GET') {
        const found = deps.state.findUserAnywhere(login);
        if (!found) throw new ErrorPage(50034, `The user account ${login} does not exist in the directory.`);
        return complete(
          flow,
          found,
          scripted ? (scripted.consent ?? 'accept') : parseDecision(flow.params.get('fake_consent')),
        );
      }
      if (request.method === 'GET') {
        // OpenID Connect: prompt=none must not show a form, and the fake keeps no sign-in session.
        if (flow.params.get('prompt') === 'none')
          throw new RedirectError(
            'login_required',
            'AADSTS50058: A silent sign-in request was sent but no user is signed in.',
          );
        return signInForm(request, flow);
      }
      const form = request.form ?? {};
      if (form['action'] === 'decline')
        return redirectError(
          flow,
          new RedirectError('access_denied', 'AADSTS65004: User declined to consent to access the app.'),
        );
      const found = deps.state.findUserAnywhere(form['login'] ?? '');
      if (!found || found.user.password === undefined || found.user.password !== form['password'])
        return signInForm(
          request,
          flow,
          'AADSTS50126: Error validating credentials due to invalid username or password.',
        );
      return complete(flow, found, 'accept');
    } catch (error) {
      if (error instanceof ErrorPage) return errorPage(error);
      if (error instanceof RedirectError) return redirectError(flow, error);
      throw error;
    }
  }

  function openIdConfiguration(tenantSegment: string): FakeResponse {
    const base = `${deps.loginUrl()}/${tenantSegment}`;
    return json(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query'],
      response_types_supported: ['code'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${deps.loginUrl()}/{tenantid}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      id_token_signing_alg_values_supported: ['RS256'],
      tenant_region_scope: 'EU',
    });
  }

  return async (request) => {
    const injected = deps.faults.takeAnswer(request);
    if (injected) {
      const response = entraErrorBody(
        request,
        injected.status,
        injected.code ??
          (injected.status >= 500 || injected.status === 429 ? 'temporarily_unavailable' : 'invalid_request'),
        90033,
        injected.message ?? 'A transient error has occurred. Please try again.',
      );
      response.headers = {
        ...response.headers,
        ...(injected.retryAfterSeconds !== undefined && {
          'retry-after': String(injected.retryAfterSeconds),
        }),
        ...injected.headers,
      };
      return response;
    }
    await deps.faults.applyTiming(request);
    const segments = request.path.split('/').filter(Boolean);
    const [tenantSegment, ...rest] = segments;
    const route = `${request.method} /${rest.join('/')}`;
    try {
      if (tenantSegment !== undefined) {
        switch (route) {
          case 'POST /oauth2/v2.0/token':
            return token(request, tenantSegment);
          case 'GET /oauth2/v2.0/authorize':
          case 'POST /oauth2/v2.0/authorize':
            return interactive(request, 'authorize', tenantSegment, false);
          case 'GET /v2.0/adminconsent':
          case 'POST /v2.0/adminconsent':
            return interactive(request, 'adminconsent', tenantSegment, false);
          case 'GET /adminconsent':
          case 'POST /adminconsent':
            return interactive(request, 'adminconsent', tenantSegment, true);
          case 'GET /discovery/v2.0/keys':
            return json(200, deps.tokens.jwks());
          case 'GET /v2.0/.well-known/openid-configuration':
            return openIdConfiguration(tenantSegment);
        }
      }
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found' };
    } catch (error) {
      if (error instanceof EntraError)
        return entraErrorBody(request, error.status, error.error, error.code, error.text);
      throw error;
    }
  };
}
