/**
 * Which way a tenant's mail leaves Postvault. The rule (issue 8, shared/reference 002/004):
 * nothing is sent when the system's "Use mail server" switch is off, for any tenant; otherwise the
 * tenant's own configuration when the system lets it configure one and it has one; otherwise the
 * system's server when the tenant may use it and it is configured; otherwise sending is unavailable.
 */
export type TenantSendingType = 'none' | 'smtp' | 'microsoft365';
export type SystemAuthentication = 'none' | 'password' | 'microsoft365';

export interface SystemSendingState {
  /** "Use mail server": off means no mail at all. */
  enabled: boolean;
  /** The system's server has what it needs to send (address, sender; credentials for its type). */
  complete: boolean;
  authentication: SystemAuthentication;
}

export interface TenantSendingPolicy {
  /** Set by the system administrator per tenant. */
  mayUseSystemServer: boolean;
  mayConfigureOwn: boolean;
}

export interface TenantSendingState {
  type: TenantSendingType;
  /** The tenant's own configuration of that type has what it needs. */
  complete: boolean;
}

export type SendingRoute =
  | { available: true; via: 'tenant'; kind: 'smtp' | 'microsoft365' }
  | { available: true; via: 'system'; kind: 'smtp' | 'microsoft365' }
  | { available: false; reason: UnavailableReason };

export type UnavailableReason =
  /** The system's "Use mail server" is off. */
  | 'SYSTEM_SENDING_OFF'
  /** No usable own configuration, and the tenant may not use the system's server. */
  | 'SYSTEM_SERVER_NOT_ALLOWED'
  /** No usable own configuration, and the system's server is not configured completely. */
  | 'NOT_CONFIGURED';

export function resolveSendingRoute(
  system: SystemSendingState,
  policy: TenantSendingPolicy,
  tenant: TenantSendingState,
): SendingRoute {
  if (!system.enabled) return { available: false, reason: 'SYSTEM_SENDING_OFF' };
  if (policy.mayConfigureOwn && tenant.type !== 'none' && tenant.complete)
    return { available: true, via: 'tenant', kind: tenant.type };
  if (!policy.mayUseSystemServer) return { available: false, reason: 'SYSTEM_SERVER_NOT_ALLOWED' };
  if (!system.complete) return { available: false, reason: 'NOT_CONFIGURED' };
  return {
    available: true,
    via: 'system',
    kind: system.authentication === 'microsoft365' ? 'microsoft365' : 'smtp',
  };
}
