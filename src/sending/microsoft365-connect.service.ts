import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { invalidField, NotFoundError, ValidationError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import { requireRole, type AuthContext } from '../tenancy/access.js';
import type { GraphClient } from './graph-mail.transport.js';
import type { MailSettingsService } from './mail-settings.service.js';

/** How long a "Connect Tenant" may take from the click to the last redirect. */
const CONNECT_TTL_MS = 30 * 60_000;
const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';
/** The interactive sign-in only needs to read who signed in and their directory roles. */
const SIGN_IN_SCOPE =
  'openid profile https://graph.microsoft.com/User.Read https://graph.microsoft.com/Directory.Read.All';

/**
 * Directory roles that may grant admin consent to application permissions (Microsoft's role
 * template ids): Global Administrator and Privileged Role Administrator.
 */
const CONSENTING_ROLE_TEMPLATES = new Set([
  '62e90394-69f5-4237-9190-012177145e10',
  'e8611ab8-c189-46e8-94e1-60213ab1f814',
]);
const CONSENTING_ROLE_NAMES = new Set([
  'global administrator',
  'company administrator',
  'privileged role administrator',
]);

export interface ConnectStatus {
  state: string;
  stage: 'consent' | 'sign-in' | 'done' | 'failed';
  /** The Microsoft 365 tenant, once Microsoft named it. */
  microsoftTenantId: string | null;
  /** Who confirmed it (the admin's user principal name), when done. */
  confirmedBy: string | null;
  error: string | null;
}

export interface MicrosoftUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
}

export interface Microsoft365ConnectDeps {
  db: Db;
  graph: GraphClient;
  settings: Pick<MailSettingsService, 'recordMicrosoft365Connection' | 'getTenant'>;
  /** Postvault's multi-tenant app registration; undefined: Connect Tenant is not offered. */
  app: { clientId: string; clientSecret: string } | undefined;
  /** Where browsers reach Postvault (http.publicUrl or the listener). */
  publicUrl: () => string;
  audit: AuditRecorder;
  clock?: () => number;
}

export const CONSENT_CALLBACK_PATH = '/adminaccess/sending/microsoft365/consented';
export const SIGN_IN_CALLBACK_PATH = '/adminaccess/sending/microsoft365/signed-in';

/**
 * "Connect Tenant" (contract section 2): admin consent in a new tab, then proof that an admin of
 * that Microsoft 365 tenant did it. Microsoft's `tenant` parameter is never trusted alone: the tenant
 * is confirmed with an app-only token for it (GET /organization), and an interactive sign-in must show
 * a user of that tenant holding a role that can grant consent (GET /me/memberOf). Otherwise a tenant
 * that had consented for another customer could be connected by anyone who knows its id.
 */
export class Microsoft365ConnectService {
  private readonly clock: () => number;

  constructor(private readonly deps: Microsoft365ConnectDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Starts the flow: the URL the new tab opens, the state the dialog polls with, and a one-time
   * value for a SameSite=Lax cookie (CONNECT_COOKIE) that binds Microsoft's redirects back to this
   * browser — the session cookie is Strict and is not sent on those cross-site redirects.
   */
  async start(ctx: AuthContext): Promise<{ state: string; url: string; browserBinding: string }> {
    requireRole(ctx, 'admin', 'connecting a Microsoft 365 tenant');
    const app = this.requireApp();
    const view = await this.deps.settings.getTenant(ctx);
    if (!view.policy.mayConfigureOwn)
      throw new ValidationError(
        'the system administrator does not let this tenant configure its own mail sending',
      );
    if (ctx.actor.kind !== 'user') throw new ValidationError('Connect Tenant needs a signed-in admin');
    const state = randomBytes(24).toString('base64url');
    const browserBinding = randomBytes(24).toString('base64url');
    const now = this.clock();
    await this.deps.db
      .insertInto('m365_connect_requests')
      .values({
        state,
        tenant_id: ctx.tenantId,
        user_id: ctx.actor.id,
        stage: 'consent',
        m365_tenant_id: null,
        code_verifier: randomBytes(32).toString('base64url'),
        browser_binding: sha256(browserBinding),
        outcome: null,
        error: null,
        created_at: now,
        expires_at: now + CONNECT_TTL_MS,
      })
      .execute();
    await this.deps.db.deleteFrom('m365_connect_requests').where('expires_at', '<', now).execute();
    const url = new URL(`${this.deps.graph.endpoints.loginUrl}/organizations/v2.0/adminconsent`);
    url.search = new URLSearchParams({
      client_id: app.clientId,
      scope: GRAPH_DEFAULT_SCOPE,
      redirect_uri: this.deps.publicUrl() + CONSENT_CALLBACK_PATH,
      state,
    }).toString();
    return { state, url: url.toString(), browserBinding };
  }

  /** The dialog's view of its flow; only the admin who started it, in their tenant, sees it. */
  async status(ctx: AuthContext, state: string): Promise<ConnectStatus> {
    requireRole(ctx, 'admin', 'connecting a Microsoft 365 tenant');
    const row = await this.deps.db
      .selectFrom('m365_connect_requests')
      .selectAll()
      .where('state', '=', state)
      .where('tenant_id', '=', ctx.tenantId)
      .executeTakeFirst();
    if (!row || ctx.actor.kind !== 'user' || row.user_id !== ctx.actor.id)
      throw new NotFoundError('no such Connect Tenant request');
    // An abandoned flow ends, so the dialog stops waiting.
    if ((row.stage === 'consent' || row.stage === 'sign-in') && row.expires_at < this.clock())
      return {
        state,
        stage: 'failed',
        microsoftTenantId: row.m365_tenant_id,
        confirmedBy: null,
        error: 'the sign-in took longer than 30 minutes; start again',
      };
    const outcome = row.outcome ? (JSON.parse(row.outcome) as { confirmedBy?: string }) : {};
    return {
      state,
      stage: row.stage,
      microsoftTenantId: row.m365_tenant_id,
      confirmedBy: outcome.confirmedBy ?? null,
      error: row.error,
    };
  }

  /**
   * Microsoft's redirect after admin consent. Returns where to send the browser next: the
   * interactive sign-in, or a result page. Errors are checked before admin_consent (contract).
   */
  async consented(
    browserBinding: string | undefined,
    query: Record<string, string | undefined>,
  ): Promise<{ redirect: string } | { done: ConnectStatus }> {
    const row = await this.pending(browserBinding, query.state, 'consent');
    const app = this.requireApp();
    if (query.error)
      return { done: await this.fail(row.state, `${query.error}: ${query.error_description ?? ''}`.trim()) };
    if (query.admin_consent?.toLowerCase() !== 'true' || !query.tenant)
      return { done: await this.fail(row.state, 'Microsoft did not report an admin consent') };
    const tenantId = query.tenant;
    // Confirm the tenant exists and consented: an app-only token for it, and its organization.
    let organizationId: string | undefined;
    try {
      const token = await this.deps.graph.token({ tenantId, ...app });
      const organization = await this.graphGet<{ value?: Array<{ id: string }> }>(token, '/organization');
      organizationId = organization.value?.[0]?.id;
    } catch (error) {
      return {
        done: await this.fail(row.state, `the tenant could not be confirmed: ${(error as Error).message}`),
      };
    }
    if (!organizationId || organizationId.toLowerCase() !== tenantId.toLowerCase())
      return {
        done: await this.fail(
          row.state,
          `Microsoft named tenant ${tenantId}, but its organization is ${organizationId ?? 'unknown'}`,
        ),
      };
    await this.deps.db
      .updateTable('m365_connect_requests')
      .set({ stage: 'sign-in', m365_tenant_id: tenantId })
      .where('state', '=', row.state)
      .execute();
    const challenge = createHash('sha256').update(row.code_verifier).digest('base64url');
    const url = new URL(
      `${this.deps.graph.endpoints.loginUrl}/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize`,
    );
    url.search = new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: this.deps.publicUrl() + SIGN_IN_CALLBACK_PATH,
      response_mode: 'query',
      scope: SIGN_IN_SCOPE,
      state: row.state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      prompt: 'select_account',
    }).toString();
    return { redirect: url.toString() };
  }

  /** Microsoft's redirect after the interactive sign-in: the admin check, then the connection. */
  async signedIn(
    browserBinding: string | undefined,
    query: Record<string, string | undefined>,
  ): Promise<ConnectStatus> {
    const row = await this.pending(browserBinding, query.state, 'sign-in');
    const app = this.requireApp();
    const tenantId = row.m365_tenant_id!;
    if (query.error) return this.fail(row.state, `${query.error}: ${query.error_description ?? ''}`.trim());
    if (!query.code) return this.fail(row.state, 'Microsoft returned no authorization code');
    let upn: string;
    try {
      const response = await fetch(
        `${this.deps.graph.endpoints.loginUrl}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: app.clientId,
            client_secret: app.clientSecret,
            grant_type: 'authorization_code',
            code: query.code,
            redirect_uri: this.deps.publicUrl() + SIGN_IN_CALLBACK_PATH,
            code_verifier: row.code_verifier,
            scope: SIGN_IN_SCOPE,
          }),
        },
      );
      const body = (await response.json().catch(() => ({}))) as {
        access_token?: string;
        error?: string;
        error_description?: string;
      };
      if (!response.ok || !body.access_token)
        return this.fail(
          row.state,
          `the sign-in could not be completed: ${body.error ?? response.status} ${body.error_description ?? ''}`.trim(),
        );
      const token = body.access_token;
      // The signed-in user must belong to the consenting tenant…
      const organization = await this.graphGet<{ value?: Array<{ id: string }> }>(token, '/organization');
      if (organization.value?.[0]?.id?.toLowerCase() !== tenantId.toLowerCase())
        return this.fail(
          row.state,
          'the account that signed in does not belong to the Microsoft 365 tenant that consented',
        );
      const me = await this.graphGet<{ userPrincipalName?: string }>(token, '/me');
      upn = me.userPrincipalName ?? 'unknown';
      // …and hold a role that can grant admin consent.
      if (!(await this.isConsentingAdmin(token)))
        return this.fail(
          row.state,
          `${upn} is not an administrator of the Microsoft 365 tenant (Global Administrator or Privileged Role Administrator)`,
        );
    } catch (error) {
      return this.fail(row.state, `the sign-in could not be checked: ${(error as Error).message}`);
    }
    await this.deps.settings.recordMicrosoft365Connection(row.tenant_id, tenantId, upn);
    await this.deps.db
      .updateTable('m365_connect_requests')
      .set({ stage: 'done', outcome: JSON.stringify({ confirmedBy: upn }) })
      .where('state', '=', row.state)
      .execute();
    await this.deps.audit.record({
      tenantId: row.tenant_id,
      actor: { kind: 'system', name: `Microsoft 365 sign-in of ${upn}` },
      action: 'mail-sending.microsoft365-connect',
      target: { type: 'mail-sending', label: tenantId },
      outcome: 'success',
      details: { microsoftTenantId: tenantId, confirmedBy: upn, startedByUserId: row.user_id },
    });
    return { state: row.state, stage: 'done', microsoftTenantId: tenantId, confirmedBy: upn, error: null };
  }

  /** The connected tenant's users with a mailbox (members, enabled), for picking the sender. */
  async users(ctx: AuthContext): Promise<MicrosoftUser[]> {
    const view = await this.deps.settings.getTenant(ctx);
    const app = this.requireApp();
    if (!view.microsoft365.tenantId) invalidField('microsoft365', 'connect the Microsoft 365 tenant first');
    const token = await this.deps.graph.token({ tenantId: view.microsoft365.tenantId, ...app });
    const users: MicrosoftUser[] = [];
    let next: string | undefined =
      `${this.deps.graph.endpoints.graphUrl}/users?$select=id,userPrincipalName,mail,displayName,accountEnabled,userType&$top=999`;
    // Follow the whole nextLink until it is absent (contract section 3).
    while (next) {
      const page: { value?: Array<Record<string, unknown>>; '@odata.nextLink'?: string } =
        await this.graphGetUrl(token, next);
      for (const user of page.value ?? []) {
        if (typeof user.mail !== 'string' || !user.mail) continue;
        if (user.userType === 'Guest' || user.accountEnabled === false) continue;
        users.push({
          id: String(user.id),
          userPrincipalName: String(user.userPrincipalName ?? ''),
          mail: user.mail,
          displayName: String(user.displayName ?? ''),
        });
      }
      next = page['@odata.nextLink'];
    }
    return users.sort((a, b) => a.displayName.localeCompare(b.displayName));
  }

  /**
   * The sending mailbox as Graph knows it: a member of the connected tenant with a mailbox. The
   * address comes from Graph, never from the browser, so id and address cannot disagree.
   */
  async sender(ctx: AuthContext, userId: string): Promise<{ id: string; address: string }> {
    const view = await this.deps.settings.getTenant(ctx);
    const app = this.requireApp();
    if (!view.microsoft365.tenantId)
      invalidField('microsoft365Sender', 'connect the Microsoft 365 tenant first');
    const token = await this.deps.graph.token({ tenantId: view.microsoft365.tenantId, ...app });
    let user: { id?: string; mail?: string | null; userType?: string };
    try {
      user = await this.graphGet(token, `/users/${encodeURIComponent(userId)}?$select=id,mail,userType`);
    } catch {
      invalidField('microsoft365Sender', 'no such user in the connected Microsoft 365 tenant');
    }
    if (!user.mail || user.userType === 'Guest')
      invalidField('microsoft365Sender', 'this user has no mailbox in the connected Microsoft 365 tenant');
    return { id: user.id ?? userId, address: user.mail };
  }

  private async isConsentingAdmin(token: string): Promise<boolean> {
    let next: string | undefined = `${this.deps.graph.endpoints.graphUrl}/me/memberOf`;
    while (next) {
      const page: { value?: Array<Record<string, unknown>>; '@odata.nextLink'?: string } =
        await this.graphGetUrl(token, next);
      for (const entry of page.value ?? []) {
        if (entry['@odata.type'] !== '#microsoft.graph.directoryRole') continue;
        const template = String(entry.roleTemplateId ?? '').toLowerCase();
        const name = String(entry.displayName ?? '').toLowerCase();
        if (CONSENTING_ROLE_TEMPLATES.has(template) || CONSENTING_ROLE_NAMES.has(name)) return true;
      }
      next = page['@odata.nextLink'];
    }
    return false;
  }

  private graphGet<T>(token: string, path: string): Promise<T> {
    return this.graphGetUrl(token, `${this.deps.graph.endpoints.graphUrl}${path}`);
  }

  private async graphGetUrl<T>(token: string, url: string): Promise<T> {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json().catch(() => ({}))) as T & {
      error?: { code?: string; message?: string };
    };
    if (!response.ok)
      throw new Error(
        `Microsoft Graph answered ${response.status} (${body.error?.code ?? ''}: ${body.error?.message ?? ''})`,
      );
    return body;
  }

  /** The flow of this state, started in this browser (its Lax cookie), still at this step. */
  private async pending(
    browserBinding: string | undefined,
    state: string | undefined,
    stage: 'consent' | 'sign-in',
  ) {
    const row = state
      ? await this.deps.db
          .selectFrom('m365_connect_requests')
          .selectAll()
          .where('state', '=', state)
          .executeTakeFirst()
      : undefined;
    // A state we did not hand out, an old one, one replayed at the wrong step, or one started in
    // another browser (a link sent to a victim): nothing happens.
    const ours =
      row !== undefined &&
      browserBinding !== undefined &&
      sameHash(sha256(browserBinding), row.browser_binding);
    if (!row || !ours || row.stage !== stage || row.expires_at < this.clock())
      throw new ValidationError(
        'this Microsoft 365 sign-in does not belong to a Connect Tenant started in this browser; start again from Admin Access',
      );
    return row;
  }

  private async fail(state: string, error: string): Promise<ConnectStatus> {
    await this.deps.db
      .updateTable('m365_connect_requests')
      .set({ stage: 'failed', error })
      .where('state', '=', state)
      .execute();
    return { state, stage: 'failed', microsoftTenantId: null, confirmedBy: null, error };
  }

  private requireApp() {
    if (!this.deps.app)
      throw new ValidationError(
        'Microsoft 365 is not available: Postvault has no Microsoft app registration (microsoft.clientId)',
      );
    return this.deps.app;
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
