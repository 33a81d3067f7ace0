/**
 * Access tokens as Entra ID issues them: RS256-signed JWTs for the Graph audience. The fake also keeps
 * a record of every token it issued, so Graph accepts only its own tokens and a test can expire them
 * all at once ("expire all tokens now") or one by one.
 */
import { constants, createHash, createSign, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { guid, opaqueToken } from './ids.js';
import type { FakeApp, FakeClock, FakeTenant, FakeUser } from './model.js';

/** Graph's resource: app id and the audience of tokens for it. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export interface IssuedToken {
  /** The token's `uti` claim: its key in the registry. */
  id: string;
  accessToken: string;
  /** App-only (client credentials) or delegated (a signed-in user). */
  kind: 'app' | 'delegated';
  tenantId: string;
  clientId: string;
  /** Delegated tokens: the signed-in user. */
  userId: string | undefined;
  /** App-only: the `roles` claim (application permissions); delegated: the `scp` claim split. */
  permissions: string[];
  issuedAt: number;
  expiresAt: number;
}

interface RefreshGrant {
  tenantId: string;
  clientId: string;
  userId: string;
  scopes: string[];
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Parses a compact JWT without trusting it. */
export function decodeJwt(
  token: string,
):
  | { header: Record<string, unknown>; claims: Record<string, unknown>; signed: string; signature: Buffer }
  | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null)
      return undefined;
    return {
      header: header as Record<string, unknown>,
      claims: claims as Record<string, unknown>,
      signed: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

let sharedKeyPair: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

/**
 * One RSA key per process: making one takes a noticeable part of a second, and every fakes instance
 * would pay it. Tokens of another instance still fail there: Graph accepts only tokens it issued.
 */
function signingKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  sharedKeyPair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
  return sharedKeyPair;
}

export type TokenCheck =
  | { ok: true; token: IssuedToken }
  | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'audience' | 'unknown' | 'expired' };

export class TokenAuthority {
  readonly issued = new Map<string, IssuedToken>();
  private readonly refreshGrants = new Map<string, RefreshGrant>();
  private readonly keyId: string;
  private readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;

  constructor(private readonly clock: FakeClock) {
    const pair = signingKeyPair();
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.keyId = createHash('sha256')
      .update(pair.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url')
      .slice(0, 16);
  }

  private sign(claims: Record<string, unknown>): string {
    const signed = `${base64UrlJson({ typ: 'JWT', alg: 'RS256', kid: this.keyId })}.${base64UrlJson(claims)}`;
    const signature = createSign('RSA-SHA256').update(signed).sign(this.privateKey).toString('base64url');
    return `${signed}.${signature}`;
  }

  /** Client credentials: `roles` are the application permissions the tenant consented to. */
  issueAppToken(tenant: FakeTenant, app: FakeApp, lifetimeSeconds: number): IssuedToken {
    const roles = [...(tenant.consents.get(app.clientId) ?? [])];
    return this.issue({
      kind: 'app',
      tenant,
      app,
      lifetimeSeconds,
      permissions: roles,
      claims: { idtyp: 'app', oid: guid(), sub: guid(), ...(roles.length > 0 && { roles }) },
    });
  }

  issueDelegatedToken(
    tenant: FakeTenant,
    user: FakeUser,
    app: FakeApp,
    scopes: string[],
    lifetimeSeconds: number,
  ): IssuedToken {
    return this.issue({
      kind: 'delegated',
      tenant,
      app,
      lifetimeSeconds,
      permissions: scopes,
      user,
      claims: {
        idtyp: 'user',
        oid: user.id,
        sub: guid(),
        upn: user.userPrincipalName,
        unique_name: user.userPrincipalName,
        name: user.displayName,
        scp: scopes.join(' '),
      },
    });
  }

  private issue(options: {
    kind: 'app' | 'delegated';
    tenant: FakeTenant;
    app: FakeApp;
    lifetimeSeconds: number;
    permissions: string[];
    user?: FakeUser;
    claims: Record<string, unknown>;
  }): IssuedToken {
    const now = this.clock.now();
    const id = opaqueToken();
    const iat = Math.floor(now / 1000);
    const accessToken = this.sign({
      aud: GRAPH_RESOURCE,
      iss: `https://sts.windows.net/${options.tenant.id}/`,
      iat,
      nbf: iat,
      exp: iat + options.lifetimeSeconds,
      appid: options.app.clientId,
      app_displayname: options.app.displayName,
      tid: options.tenant.id,
      uti: id,
      ver: '1.0',
      ...options.claims,
    });
    const token: IssuedToken = {
      id,
      accessToken,
      kind: options.kind,
      tenantId: options.tenant.id,
      clientId: options.app.clientId,
      userId: options.user?.id,
      permissions: options.permissions,
      issuedAt: now,
      expiresAt: now + options.lifetimeSeconds * 1000,
    };
    this.issued.set(id, token);
    return token;
  }

  /** An OpenID Connect id_token for the authorization-code flow (audience: the app). */
  issueIdToken(
    tenant: FakeTenant,
    user: FakeUser,
    app: FakeApp,
    loginUrl: string,
    nonce: string | undefined,
  ): string {
    const iat = Math.floor(this.clock.now() / 1000);
    return this.sign({
      aud: app.clientId,
      iss: `${loginUrl}/${tenant.id}/v2.0`,
      iat,
      nbf: iat,
      exp: iat + 3600,
      oid: user.id,
      sub: guid(),
      tid: tenant.id,
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      ver: '2.0',
      ...(nonce !== undefined && { nonce }),
    });
  }

  issueRefreshToken(grant: RefreshGrant): string {
    const token = `refresh.${opaqueToken()}`;
    this.refreshGrants.set(token, grant);
    return token;
  }

  redeemRefreshToken(token: string): RefreshGrant | undefined {
    return this.refreshGrants.get(token);
  }

  /** What Graph checks: well-formed, signed by this fake, for Graph, issued here, not expired. */
  check(bearer: string | undefined): TokenCheck {
    if (!bearer) return { ok: false, reason: 'missing' };
    const jwt = decodeJwt(bearer);
    if (!jwt) return { ok: false, reason: 'malformed' };
    if (!verify('sha256', Buffer.from(jwt.signed), this.publicKey, jwt.signature))
      return { ok: false, reason: 'signature' };
    if (jwt.claims['aud'] !== GRAPH_RESOURCE && jwt.claims['aud'] !== GRAPH_APP_ID)
      return { ok: false, reason: 'audience' };
    const token = this.issued.get(String(jwt.claims['uti']));
    if (!token) return { ok: false, reason: 'unknown' };
    if (token.expiresAt <= this.clock.now()) return { ok: false, reason: 'expired' };
    return { ok: true, token };
  }

  /** Every token issued so far is expired from now on (new ones are fine). */
  expireAll(): void {
    const now = this.clock.now();
    for (const token of this.issued.values()) token.expiresAt = Math.min(token.expiresAt, now);
  }

  /** One token (by its access token string) is expired from now on. */
  expire(accessToken: string): void {
    for (const token of this.issued.values())
      if (token.accessToken === accessToken) token.expiresAt = Math.min(token.expiresAt, this.clock.now());
  }

  /** `{login}/{tenant}/discovery/v2.0/keys`. */
  jwks(): { keys: unknown[] } {
    return {
      keys: [
        {
          ...this.publicKey.export({ format: 'jwk' }),
          kid: this.keyId,
          use: 'sig',
          kty: 'RSA',
          alg: 'RS256',
        },
      ],
    };
  }
}

/**
 * Certificate credential (contract section 1): a `client_assertion` JWT signed with a key the app
 * registered, `iss` = `sub` = the client id, `aud` = the token endpoint, within its validity period.
 * Returns undefined when valid, else the AADSTS code and text Entra ID answers with.
 */
export function checkClientAssertion(
  assertion: string,
  app: FakeApp,
  acceptedAudiences: string[],
  nowMs: number,
): { code: number; text: string } | undefined {
  const jwt = decodeJwt(assertion);
  if (!jwt) return { code: 50027, text: 'JWT token is invalid or malformed.' };
  const alg = jwt.header['alg'];
  const signedBytes = Buffer.from(jwt.signed);
  const verifiedBy = app.certificateKeys.find((key) =>
    alg === 'PS256'
      ? verify(
          'sha256',
          signedBytes,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          jwt.signature,
        )
      : alg === 'RS256' && verify('sha256', signedBytes, key, jwt.signature),
  );
  if (!verifiedBy)
    return {
      code: 700027,
      text: `Client assertion failed signature validation. (Reason - The key was not found.)`,
    };
  if (jwt.claims['iss'] !== app.clientId || jwt.claims['sub'] !== app.clientId)
    return {
      code: 700021,
      text: `Client assertion application identifier doesn't match 'client_id' parameter.`,
    };
  if (!acceptedAudiences.includes(String(jwt.claims['aud'])))
    return {
      code: 700212,
      text: `No matching federated identity record found for presented assertion audience.`,
    };
  const now = nowMs / 1000;
  const exp = Number(jwt.claims['exp']);
  const nbf = jwt.claims['nbf'] === undefined ? 0 : Number(jwt.claims['nbf']);
  if (!Number.isFinite(exp) || exp <= now || nbf > now + 300)
    return { code: 700024, text: 'Client assertion is not within its valid time range.' };
  return undefined;
}
