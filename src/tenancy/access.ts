import { ForbiddenError } from '../core/errors.js';
import type { Role } from '../db/schema.js';

/** Who is acting. Every use case receives it, checks access first, and the audit log records it. */
export type Actor =
  | { kind: 'user'; id: number; name: string; roles: readonly Role[] }
  | { kind: 'system-admin'; id: number; name: string }
  /** A Gateway console account: gateway mailboxes only, nothing of the tenants or the installation. */
  | { kind: 'gateway-admin'; id: number; name: string }
  /** The CLI run by the operator on the machine, or Postvault itself (schedules, intake). */
  | { kind: 'system'; name: string };

/** A use case's first argument: the tenant it acts in, who acts, and from where. */
export interface AuthContext {
  tenantId: number;
  actor: Actor;
  ip?: string;
}

/**
 * The installation's own actors: system administrators and the operator (or Postvault itself).
 * They pass every tenant-side check; gateway administrators are not among them.
 */
export function isInstallationActor(actor: Actor): boolean {
  return actor.kind === 'system-admin' || actor.kind === 'system';
}

/** Tenant-side roles come from the user's groups; system administrators and the operator pass. */
export function hasRole(ctx: AuthContext, role: Role): boolean {
  if (ctx.actor.kind === 'user') return ctx.actor.roles.includes(role);
  return isInstallationActor(ctx.actor);
}

export function requireRole(ctx: AuthContext, role: Role, what: string): void {
  if (!hasRole(ctx, role)) {
    throw new ForbiddenError(`${what} needs the ${role} role`, { role });
  }
}

export function requireSystemAdmin(ctx: Pick<AuthContext, 'actor'>, what: string): void {
  if (!isInstallationActor(ctx.actor)) throw new ForbiddenError(`${what} is for system administrators`);
}

/** Gateway mailboxes: gateway administrators and the operator (the CLI). */
export function requireGatewayAdmin(ctx: Pick<AuthContext, 'actor'>, what: string): void {
  if (ctx.actor.kind !== 'gateway-admin' && ctx.actor.kind !== 'system')
    throw new ForbiddenError(`${what} is for gateway administrators`);
}
