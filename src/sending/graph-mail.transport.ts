import {
  SendError,
  type DeliveryReport,
  type MailTransport,
  type OutgoingMessage,
} from './outgoing-message.js';

/** Where Entra ID and Graph are (configurable: tests use local fakes of shared/contracts). */
export interface MicrosoftEndpoints {
  loginUrl: string;
  graphUrl: string;
}

export interface GraphAppCredentials {
  /** The Microsoft 365 tenant (GUID or verified domain). */
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** Graph allows 4 concurrent requests per app and mailbox (contract section 6). */
export const MAX_CONCURRENT_PER_MAILBOX = 4;
/** A token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * App-only tokens (client credentials, contract section 1), cached until shortly before they expire.
 * One instance per process: the cache and the per-mailbox limits are shared by every sender.
 */
export class GraphClient {
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private readonly mailboxes = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(
    readonly endpoints: MicrosoftEndpoints,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A token for the tenant, new when `fresh` (after Graph said InvalidAuthenticationToken). */
  async token(credentials: GraphAppCredentials, fresh = false): Promise<string> {
    const key = `${credentials.tenantId}\n${credentials.clientId}\n${credentials.clientSecret}`;
    const cached = this.tokens.get(key);
    if (cached && !fresh) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt - TOKEN_MARGIN_MS > this.clock()) return token.token;
    }
    const request = this.requestToken(credentials);
    this.tokens.set(key, request);
    request.catch(() => this.tokens.delete(key));
    return (await request).token;
  }

  private async requestToken(credentials: GraphAppCredentials): Promise<CachedToken> {
    const url = `${this.endpoints.loginUrl}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          grant_type: 'client_credentials',
          scope: 'https://graph.microsoft.com/.default',
        }),
      });
    } catch (error) {
      throw new SendError(
        `could not reach Microsoft Entra ID: ${(error as Error).message}`,
        true,
        (error as Error).message,
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!response.ok || !body.access_token) {
      const detail = `${body.error ?? response.status}: ${body.error_description ?? response.statusText}`;
      // A wrong secret or client id does not fix itself; Entra being down does.
      throw new SendError(
        `Microsoft Entra ID refused the app's credentials (${detail})`,
        response.status >= 500,
        detail,
      );
    }
    return { token: body.access_token, expiresAt: this.clock() + (body.expires_in ?? 3599) * 1000 };
  }

  /** Runs `work` when fewer than MAX_CONCURRENT_PER_MAILBOX requests for the mailbox are in flight. */
  async forMailbox<T>(mailbox: string, work: () => Promise<T>): Promise<T> {
    const key = mailbox.toLowerCase();
    let slot = this.mailboxes.get(key);
    if (!slot) this.mailboxes.set(key, (slot = { active: 0, waiting: [] }));
    const own = slot;
    // A finished request hands its place straight to the next waiter, so no newcomer can slip in
    // between and make it five.
    if (own.active >= MAX_CONCURRENT_PER_MAILBOX)
      await new Promise<void>((resolve) => own.waiting.push(resolve));
    else own.active += 1;
    try {
      return await work();
    } finally {
      const next = own.waiting.shift();
      if (next) next();
      else {
        own.active -= 1;
        if (own.active === 0) this.mailboxes.delete(key);
      }
    }
  }
}

interface GraphErrorBody {
  error?: { code?: string; message?: string };
}

/**
 * Sends through a Microsoft 365 mailbox with Graph's MIME sendMail (contract section 5): the body is
 * the base64 of the exact message bytes, so a resent archived message leaves unchanged.
 */
export class GraphMailTransport implements MailTransport {
  constructor(
    private readonly graph: GraphClient,
    private readonly credentials: GraphAppCredentials,
    /** The sending mailbox: its user id or user principal name. */
    private readonly mailbox: string,
  ) {}

  async send(message: OutgoingMessage): Promise<DeliveryReport> {
    return this.graph.forMailbox(this.mailbox, async () => {
      let response = await this.post(message, false);
      // InvalidAuthenticationToken: get a new token once, then fail (contract section 6).
      if (response.status === 401) response = await this.post(message, true);
      if (response.status === 202) return { kind: 'microsoft365', response: '202 Accepted' };
      throw await graphFailure(response);
    });
  }

  private async post(message: OutgoingMessage, freshToken: boolean): Promise<Response> {
    const token = await this.graph.token(this.credentials, freshToken);
    const url = `${this.graph.endpoints.graphUrl}/users/${encodeURIComponent(this.mailbox)}/sendMail`;
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: message.raw.toString('base64'),
      });
    } catch (error) {
      throw new SendError(
        `could not reach Microsoft Graph: ${(error as Error).message}`,
        true,
        (error as Error).message,
      );
    }
  }
}

/** 429 and 503/504 are retried (after Retry-After when given); other errors are permanent. */
async function graphFailure(response: Response): Promise<SendError> {
  const body = (await response.json().catch(() => ({}))) as GraphErrorBody;
  const code = body.error?.code ?? `HTTP ${response.status}`;
  const detail = `${code}: ${body.error?.message ?? response.statusText}`;
  const transient = response.status === 429 || response.status === 503 || response.status === 504;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new SendError(
    `Microsoft Graph answered ${response.status} (${detail})`,
    transient,
    detail,
    Number.isFinite(retryAfter) && retryAfter >= 0 && response.headers.has('retry-after')
      ? retryAfter * 1000
      : undefined,
  );
}
