/**
 * The contexts (associated data) the system mail server's secrets are sealed with under the master
 * key. Shared with the master-key rotation, which re-seals them (TenantService.rewrapUnder).
 */
export const SYSTEM_PASSWORD_CONTEXT = 'system-mail:password';
export const SYSTEM_CLIENT_SECRET_CONTEXT = 'system-mail:graph-client-secret';
