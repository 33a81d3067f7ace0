import type { Actor } from '../tenancy/access.js';

/** The chain of the installation itself: system administrators' actions and sign-ins. */
export const SYSTEM_AUDIT_CHAIN = 0;

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** Someone not (yet) known: a failed sign-in for an unknown account. */
export type AuditActor = Actor | { kind: 'anonymous'; name: string };

export interface AuditEvent {
  /** The tenant's chain, or SYSTEM_AUDIT_CHAIN. */
  tenantId: number;
  actor: AuditActor;
  ip?: string;
  /** Dotted verb, e.g. `user.create`, `group.roles.set`, `auth.sign-in`, `mailbox.read`. */
  action: string;
  target?: { type: string; id?: string | number; label?: string };
  outcome: AuditOutcome;
  /** What changed (never a password or secret). */
  details?: Record<string, unknown>;
}

/** The one thing every other capability needs from the audit log. */
export interface AuditRecorder {
  record(event: AuditEvent): Promise<void>;
}
