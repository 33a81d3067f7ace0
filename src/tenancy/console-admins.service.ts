import type { AuditRecorder } from '../compliance/audit-log.types.js';
import { SYSTEM_AUDIT_CHAIN } from '../compliance/audit-log.types.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Actor } from './access.js';
import type { ConsoleRealm, IdentityRepository } from './identity.repository.js';
import { checkPasswordRule, generatePassword, hashPassword } from './passwords.js';

/** The name of the account made at first start, in the System console and the Gateway console. */
export const FIRST_CONSOLE_ADMIN = 'admin';

/** How each realm's accounts are called in messages and in the audit log. */
const NAMES: Record<ConsoleRealm, { noun: string; audit: string }> = {
  system: { noun: 'system administrator', audit: 'system-admin' },
  gateway: { noun: 'gateway administrator', audit: 'gateway-admin' },
};

/**
 * The installation's own console accounts, one service per realm: the system administrators
 * (/system) and the gateway administrators (/gateway). Both are created at first start and by
 * `postvault system-admin` / `postvault gateway-admin`.
 */
export class ConsoleAdminService {
  constructor(
    private readonly realm: ConsoleRealm,
    private readonly identities: Pick<
      IdentityRepository,
      | 'countConsoleAdmins'
      | 'findConsoleAdmin'
      | 'insertConsoleAdmin'
      | 'updateSubject'
      | 'deleteSessionsOf'
      | 'replaceRecoveryCodes'
    >,
    private readonly audit: AuditRecorder,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * At first start there is nobody to sign in to the console: create `admin` with the configured
   * password, or a generated one that the caller prints once. Returns undefined when admins exist.
   */
  async ensureFirstAdmin(configuredPassword?: string) {
    if ((await this.identities.countConsoleAdmins(this.realm)) > 0) return undefined;
    const password = configuredPassword ?? generatePassword();
    await this.addOrReset(
      FIRST_CONSOLE_ADMIN,
      { password, mode: 'add' },
      { kind: 'system', name: 'first start' },
    );
    return { username: FIRST_CONSOLE_ADMIN, password, generated: configuredPassword === undefined };
  }

  /**
   * `add` creates a new administrator (refused when the name exists); `reset` gives an existing
   * one a new password, ends their sessions and turns off their second factor, since a reset is
   * how someone who lost the phone gets back in.
   */
  async addOrReset(username: string, options: { password?: string; mode: 'add' | 'reset' }, actor: Actor) {
    const { noun, audit } = NAMES[this.realm];
    const name = username.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
      throw new ValidationError(
        `"${username}" is not a valid name: use letters, digits, dot, dash, underscore`,
      );
    }
    const existing = await this.identities.findConsoleAdmin(this.realm, name);
    if (options.mode === 'add' && existing) throw new ConflictError(`${name} exists; use reset`);
    if (options.mode === 'reset' && !existing) throw new NotFoundError(`no ${noun} ${name}`);
    const password = options.password ?? generatePassword();
    checkPasswordRule(password, 'password');
    const passwordHash = await hashPassword(password);
    if (existing) {
      await this.identities.updateSubject(existing, {
        passwordHash,
        totpEnabled: false,
        totpSecret: null,
        totpLastStep: null,
      });
      await this.identities.replaceRecoveryCodes(existing, []);
      await this.identities.deleteSessionsOf(existing);
    } else {
      await this.identities.insertConsoleAdmin(this.realm, name, passwordHash, this.clock());
    }
    await this.audit.record({
      tenantId: SYSTEM_AUDIT_CHAIN,
      actor,
      action: existing ? `${audit}.password.reset` : `${audit}.create`,
      target: { type: audit, label: name },
      outcome: 'success',
    });
    return { username: name, password, created: !existing };
  }
}
