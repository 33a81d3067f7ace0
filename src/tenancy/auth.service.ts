import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { AuditActor, AuditRecorder } from '../compliance/audit-log.types.js';
import { SYSTEM_AUDIT_CHAIN } from '../compliance/audit-log.types.js';
import {
  ConflictError,
  ForbiddenError,
  PostvaultError,
  UnauthenticatedError,
  ValidationError,
} from '../core/errors.js';
import { openForSystem, openForTenant, sealForSystem, sealForTenant } from '../core/sealed.js';
import type { Realm, Role } from '../db/schema.js';
import type { Actor, AuthContext } from './access.js';
import type { IdentityRepository, Subject } from './identity.repository.js';
import {
  checkPasswordRule,
  decoyPasswordHash,
  generatePassword,
  hashPassword,
  verifyPassword,
} from './passwords.js';
import { SignInThrottle } from './sign-in-throttle.js';
import type { TenantService } from './tenant.service.js';

export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];
export const TRUSTED_DEVICE_DAYS = 14;
const RECOVERY_CODE_COUNT = 10;

/** What the consoles know about the signed-in person (docs/api-contract.md, "Session"). */
export interface SessionView {
  realm: Realm;
  user: { id: number; login: string; displayName: string; language: string; totpEnabled: boolean };
  tenant: { id: number; slug: string; name: string } | null;
  roles: Role[];
  csrfToken: string;
  expiresAt: number;
}

/** A resolved session: what the HTTP layer attaches to the request. */
export interface ActiveSession {
  tokenHash: string;
  view: SessionView;
  auth: AuthContext;
  subject: Subject;
}

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export interface SignInRequest {
  /** `username` (system, gateway) or `name@slug` (tenant). */
  login: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
  trustDevice?: boolean;
  /** The trusted-device cookie, when the browser has one. */
  trustedDeviceToken?: string;
}

export interface SignInResult {
  sessionToken: string;
  active: ActiveSession;
  /** Set when the person asked to trust this device: the cookie to store for 14 days. */
  trustedDeviceToken?: string;
}

export interface AuthSettings {
  sessionIdleMs: number;
  sessionMaxMs: number;
}

/** Signals the second sign-in step; the HTTP layer answers 401 TOTP_REQUIRED. */
export class TotpRequiredError extends UnauthenticatedError {
  override name = 'TotpRequiredError';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');
const WRONG_CREDENTIALS = 'the sign-in name or password is wrong';

/**
 * Sign-in, sessions and the signed-in person's own settings (password, language, second factor)
 * for every realm. Sessions live in the database (only a hash of the token), so signing out
 * or disabling a user ends them everywhere at once.
 */
export class AuthService {
  private readonly throttle: SignInThrottle;

  constructor(
    private readonly deps: {
      identities: IdentityRepository;
      tenants: Pick<TenantService, 'findBySlug' | 'findById' | 'keyringFor'>;
      audit: AuditRecorder;
      masterKey: Buffer;
      settings: AuthSettings;
      clock?: () => number;
    },
  ) {
    this.throttle = new SignInThrottle(deps.identities, this.now);
  }

  private readonly now = () => (this.deps.clock ?? Date.now)();

  async signIn(realm: Realm, request: SignInRequest, client: ClientInfo): Promise<SignInResult> {
    const login = request.login.trim().toLowerCase();
    const keys = { account: SignInThrottle.accountKey(realm, login), ip: SignInThrottle.ipKey(client.ip) };
    return this.throttle.serialize(keys.account, () =>
      this.attemptSignIn(realm, login, keys, request, client),
    );
  }

  private async attemptSignIn(
    realm: Realm,
    login: string,
    keys: { account: string; ip: string },
    request: SignInRequest,
    client: ClientInfo,
  ): Promise<SignInResult> {
    await this.throttle.check(keys);
    const found = await this.findSubject(realm, login);
    // Attempts on a tenant's accounts, known or not, belong to that tenant's log.
    const chain = found?.tenantId ?? SYSTEM_AUDIT_CHAIN;
    const fail = async (reason: string, actor: AuditActor): Promise<never> => {
      await this.throttle.recordFailure(keys);
      await this.deps.audit.record({
        tenantId: chain,
        actor,
        ip: client.ip,
        action: 'auth.sign-in',
        outcome: 'failure',
        details: { login, reason },
      });
      throw new UnauthenticatedError(WRONG_CREDENTIALS);
    };
    const subject = found?.subject;
    // Unknown accounts cost the same argon2 work as known ones.
    const passwordOk = await verifyPassword(
      subject?.passwordHash ?? (await decoyPasswordHash()),
      request.password,
    );
    if (!subject) return fail('unknown account', { kind: 'anonymous', name: login });
    const actor = this.actorOf(subject, []);
    if (!passwordOk || !subject.passwordHash) return fail('wrong password', actor);
    if (subject.disabled) return fail('account disabled', actor);
    if (found!.suspended) {
      await this.deps.audit.record({
        tenantId: chain,
        actor,
        ip: client.ip,
        action: 'auth.sign-in',
        outcome: 'denied',
        details: { reason: 'tenant suspended' },
      });
      throw new ForbiddenError('this customer is suspended; ask your provider');
    }
    let trustedDeviceToken: string | undefined;
    if (subject.totpEnabled) {
      const trusted =
        request.trustedDeviceToken !== undefined &&
        (await this.deps.identities.isTrustedDevice(sha256(request.trustedDeviceToken), subject, this.now()));
      if (!trusted) {
        if (!request.totpCode && !request.recoveryCode) {
          throw new TotpRequiredError('enter the code from your authenticator app or a recovery code');
        }
        const secondFactorOk = request.totpCode
          ? await this.acceptTotp(subject, request.totpCode)
          : await this.deps.identities.useRecoveryCode(
              subject,
              sha256(normaliseRecoveryCode(request.recoveryCode!)),
              this.now(),
            );
        if (!secondFactorOk) return fail('wrong second factor', actor);
        if (request.trustDevice) {
          trustedDeviceToken = newToken();
          await this.deps.identities.insertTrustedDevice({
            token_hash: sha256(trustedDeviceToken),
            realm,
            subject_id: subject.id,
            expires_at: this.now() + TRUSTED_DEVICE_DAYS * 24 * 3_600_000,
          });
        }
      }
    }
    await this.throttle.recordSuccess(keys);
    const now = this.now();
    await this.deps.identities.updateSubject(subject, { lastSignInAt: now });
    const sessionToken = newToken();
    const tokenHash = sha256(sessionToken);
    await this.deps.identities.insertSession({
      token_hash: tokenHash,
      realm,
      tenant_id: subject.tenantId,
      subject_id: subject.id,
      csrf_token: newToken(),
      created_at: now,
      last_seen_at: now,
      expires_at: now + this.deps.settings.sessionMaxMs,
      ip: client.ip,
      user_agent: client.userAgent.slice(0, 500),
    });
    const active = await this.resolveSession(realm, sessionToken);
    if (!active) throw new PostvaultError('the new session could not be read back');
    await this.deps.audit.record({
      tenantId: chain,
      actor: active.auth.actor,
      ip: client.ip,
      action: 'auth.sign-in',
      outcome: 'success',
      details: { secondFactor: subject.totpEnabled },
    });
    return { sessionToken, active, trustedDeviceToken };
  }

  /** The session behind a cookie, or undefined when it is unknown, expired, or its owner is gone. */
  async resolveSession(realm: Realm, token: string): Promise<ActiveSession | undefined> {
    const tokenHash = sha256(token);
    const row = await this.deps.identities.findSession(tokenHash, realm);
    if (!row) return undefined;
    const now = this.now();
    if (row.expires_at <= now || row.last_seen_at + this.deps.settings.sessionIdleMs <= now) {
      await this.deps.identities.deleteSession(tokenHash);
      return undefined;
    }
    const subject =
      realm === 'tenant'
        ? await this.deps.identities.findUserById(row.tenant_id!, row.subject_id)
        : await this.deps.identities.findConsoleAdminById(realm, row.subject_id);
    if (!subject || subject.disabled) return undefined;
    let tenant: SessionView['tenant'] = null;
    let roles: Role[] = [];
    if (subject.tenantId !== null) {
      const record = await this.deps.tenants.findById(subject.tenantId);
      if (record.status !== 'active') return undefined;
      tenant = { id: record.id, slug: record.slug, name: record.name };
      roles = await this.deps.identities.rolesOfUser(subject.tenantId, subject.id);
    }
    // Only write when it matters, so a burst of requests is not a burst of writes.
    if (now - row.last_seen_at > 30_000) await this.deps.identities.touchSession(tokenHash, now);
    return {
      tokenHash,
      subject,
      view: {
        realm,
        user: {
          id: subject.id,
          login: subject.login,
          displayName: subject.displayName,
          language: subject.language,
          totpEnabled: subject.totpEnabled,
        },
        tenant,
        roles,
        csrfToken: row.csrf_token,
        expiresAt: Math.min(row.expires_at, now + this.deps.settings.sessionIdleMs),
      },
      auth: { tenantId: subject.tenantId ?? SYSTEM_AUDIT_CHAIN, actor: this.actorOf(subject, roles) },
    };
  }

  async signOut(session: ActiveSession, client: ClientInfo): Promise<void> {
    await this.deps.identities.deleteSession(session.tokenHash);
    await this.audit(session, client, 'auth.sign-out');
  }

  async changePassword(
    session: ActiveSession,
    input: { currentPassword: string; newPassword: string },
    client: ClientInfo,
  ): Promise<void> {
    const subject = session.subject;
    if (!subject.passwordHash) {
      throw new ConflictError('this account signs in through its directory; change the password there');
    }
    if (!(await verifyPassword(subject.passwordHash, input.currentPassword))) {
      await this.audit(session, client, 'auth.password.change', 'failure');
      throw new ValidationError('the current password is wrong', {
        issues: [{ path: 'currentPassword', message: 'the current password is wrong' }],
      });
    }
    checkPasswordRule(input.newPassword);
    await this.deps.identities.updateSubject(subject, {
      passwordHash: await hashPassword(input.newPassword),
    });
    // Anyone else signed in with the old password is signed out.
    await this.deps.identities.deleteSessionsOf(subject, session.tokenHash);
    await this.audit(session, client, 'auth.password.change');
  }

  /**
   * The Gateway console's "Reset own password": a new random password, given once, in exchange for
   * the current one. Wrong guesses count against the account and the address like failed sign-ins.
   */
  async resetOwnPassword(
    session: ActiveSession,
    currentPassword: string,
    client: ClientInfo,
  ): Promise<{ password: string }> {
    const subject = session.subject;
    if (!subject.passwordHash) {
      throw new ConflictError('this account signs in through its directory; change the password there');
    }
    const keys = {
      account: SignInThrottle.accountKey(subject.realm, subject.login),
      ip: SignInThrottle.ipKey(client.ip),
    };
    return this.throttle.serialize(keys.account, async () => {
      await this.throttle.check(keys);
      if (!(await verifyPassword(subject.passwordHash!, currentPassword))) {
        await this.throttle.recordFailure(keys);
        await this.audit(session, client, 'auth.password.reset', 'failure');
        throw new ValidationError('the current password is wrong', {
          issues: [{ path: 'currentPassword', message: 'the current password is wrong' }],
        });
      }
      const password = generatePassword();
      await this.deps.identities.updateSubject(subject, { passwordHash: await hashPassword(password) });
      // Anyone else signed in with the old password is signed out; this session stays.
      await this.deps.identities.deleteSessionsOf(subject, session.tokenHash);
      await this.audit(session, client, 'auth.password.reset');
      return { password };
    });
  }

  async setLanguage(session: ActiveSession, language: Language): Promise<void> {
    await this.deps.identities.updateSubject(session.subject, { language });
  }

  /** Starts TOTP enrolment: a new secret, not active until `enableTotp` sees a correct code. */
  async setUpTotp(session: ActiveSession) {
    const subject = session.subject;
    if (subject.totpEnabled) throw new ConflictError('two-factor sign-in is already on; turn it off first');
    const secret = new Secret({ size: 20 });
    await this.deps.identities.updateSubject(subject, {
      totpSecret: await this.seal(subject, secret.bytes),
      totpLastStep: null,
    });
    const totp = this.totpFor(subject, secret);
    const otpauthUri = totp.toString();
    return { secret: secret.base32, otpauthUri, qrCodeDataUrl: await QRCode.toDataURL(otpauthUri) };
  }

  async enableTotp(
    session: ActiveSession,
    code: string,
    client: ClientInfo,
  ): Promise<{ recoveryCodes: string[] }> {
    const subject = await this.reload(session.subject);
    if (subject.totpEnabled) throw new ConflictError('two-factor sign-in is already on');
    if (!subject.totpSecret) throw new ConflictError('start the set-up first');
    if (!(await this.acceptTotp(subject, code))) {
      throw new ValidationError('the code does not match; check the time on your phone and try again', {
        issues: [{ path: 'code', message: 'the code does not match' }],
      });
    }
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, () =>
      randomBytes(5)
        .toString('hex')
        .replace(/(.{5})(.{5})/, '$1-$2'),
    );
    await this.deps.identities.replaceRecoveryCodes(
      subject,
      recoveryCodes.map((code) => sha256(normaliseRecoveryCode(code))),
    );
    await this.deps.identities.updateSubject(subject, { totpEnabled: true });
    await this.audit(session, client, 'auth.totp.enable');
    return { recoveryCodes };
  }

  async disableTotp(session: ActiveSession, password: string, client: ClientInfo): Promise<void> {
    const subject = session.subject;
    if (!subject.passwordHash || !(await verifyPassword(subject.passwordHash, password))) {
      throw new ValidationError('the password is wrong', {
        issues: [{ path: 'password', message: 'the password is wrong' }],
      });
    }
    await this.deps.identities.updateSubject(subject, { totpEnabled: false, totpSecret: null });
    await this.deps.identities.replaceRecoveryCodes(subject, []);
    await this.audit(session, client, 'auth.totp.disable');
  }

  /** Sessions past their idle or absolute limit; called now and then by the server. */
  purgeExpired(): Promise<void> {
    return this.deps.identities.deleteExpiredSessions(this.now(), this.deps.settings.sessionIdleMs);
  }

  /** The account behind a login, and the tenant it names even when the account does not exist. */
  private async findSubject(
    realm: Realm,
    login: string,
  ): Promise<{ subject?: Subject; tenantId: number; suspended: boolean } | undefined> {
    if (realm !== 'tenant') {
      const subject = await this.deps.identities.findConsoleAdmin(realm, login);
      return { subject, tenantId: SYSTEM_AUDIT_CHAIN, suspended: false };
    }
    const at = login.lastIndexOf('@');
    if (at <= 0) return undefined;
    const tenant = await this.deps.tenants.findBySlug(login.slice(at + 1)).catch(() => undefined);
    if (!tenant) return undefined;
    const subject = await this.deps.identities.findUser(tenant.id, login.slice(0, at));
    return { subject, tenantId: tenant.id, suspended: tenant.status !== 'active' };
  }

  private actorOf(subject: Subject, roles: Role[]): Actor {
    switch (subject.realm) {
      case 'system':
        return { kind: 'system-admin', id: subject.id, name: subject.login };
      case 'gateway':
        return { kind: 'gateway-admin', id: subject.id, name: subject.login };
      case 'tenant':
        return { kind: 'user', id: subject.id, name: subject.login, roles };
    }
  }

  private async reload(subject: Subject): Promise<Subject> {
    const fresh =
      subject.realm === 'tenant'
        ? await this.deps.identities.findUserById(subject.tenantId!, subject.id)
        : await this.deps.identities.findConsoleAdminById(subject.realm, subject.id);
    if (!fresh) throw new UnauthenticatedError('the account no longer exists');
    return fresh;
  }

  private totpFor(subject: Subject, secret: Secret) {
    return new TOTP({
      issuer: 'Postvault',
      label: subject.login,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      secret,
    });
  }

  /**
   * True when the code matches the current time step (or one step either side, for clock drift)
   * and that step is later than the last one accepted: a code that was seen works no more.
   */
  private async acceptTotp(subject: Subject, code: string): Promise<boolean> {
    if (!subject.totpSecret) return false;
    const bytes = await this.openSealed(subject, subject.totpSecret);
    const totp = this.totpFor(subject, new Secret({ buffer: new Uint8Array(bytes).buffer }));
    const now = this.now();
    const delta = totp.validate({ token: code.replace(/\s/g, ''), timestamp: now, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / totp.period) + delta;
    if (subject.totpLastStep !== null && step <= subject.totpLastStep) return false;
    await this.deps.identities.updateSubject(subject, { totpLastStep: step });
    return true;
  }

  private async seal(subject: Subject, bytes: Uint8Array): Promise<Buffer> {
    const context = `totp:${subject.realm}:${subject.id}`;
    return subject.tenantId === null
      ? sealForSystem(this.deps.masterKey, Buffer.from(bytes), context)
      : sealForTenant(await this.deps.tenants.keyringFor(subject.tenantId), Buffer.from(bytes), context);
  }

  private async openSealed(subject: Subject, sealed: Buffer): Promise<Buffer> {
    const context = `totp:${subject.realm}:${subject.id}`;
    if (subject.tenantId === null) return openForSystem(this.deps.masterKey, sealed, context);
    return openForTenant(await this.deps.tenants.keyringFor(subject.tenantId), sealed, context);
  }

  private async audit(
    session: ActiveSession,
    client: ClientInfo,
    action: string,
    outcome: 'success' | 'failure' = 'success',
  ) {
    await this.deps.audit.record({
      tenantId: session.auth.tenantId,
      actor: session.auth.actor,
      ip: client.ip,
      action,
      outcome,
    });
  }
}

function normaliseRecoveryCode(code: string): string {
  return code
    .trim()
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '');
}
