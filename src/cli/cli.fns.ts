import { Option } from 'commander';
import type { App } from '../app.js';
import type { AuthContext } from '../tenancy/access.js';
import { DEFAULT_TENANT_SLUG } from '../tenancy/tenant.service.js';

/** The operator at the machine: owns no mailbox and passes every role check; audited as such. */
export const OPERATOR = { kind: 'system' as const, name: 'postvault CLI' };

export const tenantOption = () => new Option('--tenant <slug>', 'tenant slug').default(DEFAULT_TENANT_SLUG);

/** The operator acting in the tenant named by `slug`. */
export async function operatorIn(app: App, slug: string): Promise<AuthContext> {
  return { tenantId: (await app.tenants.findBySlug(slug)).id, actor: OPERATOR };
}

/** `2026-11-24 10:00` (UTC), or `empty` when there is no time. */
export const formatMinute = (ms: number | null, empty: string) =>
  ms === null ? empty : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
