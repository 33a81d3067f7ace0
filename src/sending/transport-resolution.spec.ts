import { describe, expect, it } from 'vitest';
import {
  resolveSendingRoute,
  type SendingRoute,
  type SystemAuthentication,
  type TenantSendingType,
} from './transport-resolution.js';

/**
 * The whole matrix: system switch on/off, system server complete or not (and its kind), tenant may
 * use the system's server, tenant may configure its own, tenant type and whether it is complete.
 * The expected route is written out per case from the rule in issue 8, not computed the same way.
 */
const booleans = [true, false] as const;
const systemKinds: SystemAuthentication[] = ['none', 'password', 'microsoft365'];
const tenantTypes: TenantSendingType[] = ['none', 'smtp', 'microsoft365'];

function expected(
  enabled: boolean,
  systemComplete: boolean,
  auth: SystemAuthentication,
  mayUse: boolean,
  mayConfigure: boolean,
  type: TenantSendingType,
  tenantComplete: boolean,
): string {
  if (!enabled) return 'unavailable: SYSTEM_SENDING_OFF';
  if (mayConfigure && type === 'smtp' && tenantComplete) return 'tenant-smtp';
  if (mayConfigure && type === 'microsoft365' && tenantComplete) return 'tenant-microsoft365';
  if (!mayUse) return 'unavailable: SYSTEM_SERVER_NOT_ALLOWED';
  if (!systemComplete) return 'unavailable: NOT_CONFIGURED';
  return auth === 'microsoft365' ? 'system-microsoft365' : 'system-smtp';
}

const show = (route: SendingRoute) =>
  route.available ? `${route.via}-${route.kind}` : `unavailable: ${route.reason}`;

describe('resolveSendingRoute: the resolution matrix', () => {
  const cases: Array<[boolean, boolean, SystemAuthentication, boolean, boolean, TenantSendingType, boolean]> =
    [];
  for (const enabled of booleans)
    for (const systemComplete of booleans)
      for (const auth of systemKinds)
        for (const mayUse of booleans)
          for (const mayConfigure of booleans)
            for (const type of tenantTypes)
              for (const tenantComplete of booleans)
                cases.push([enabled, systemComplete, auth, mayUse, mayConfigure, type, tenantComplete]);

  it('covers every combination (2 × 2 × 3 × 2 × 2 × 3 × 2 = 288)', () => {
    expect(cases).toHaveLength(288);
  });

  it.each(cases)(
    'system on=%s complete=%s auth=%s · may use system=%s · may configure=%s · tenant %s complete=%s',
    (enabled, systemComplete, auth, mayUse, mayConfigure, type, tenantComplete) => {
      const route = resolveSendingRoute(
        { enabled, complete: systemComplete, authentication: auth },
        { mayUseSystemServer: mayUse, mayConfigureOwn: mayConfigure },
        { type, complete: tenantComplete },
      );
      expect(show(route)).toBe(
        expected(enabled, systemComplete, auth, mayUse, mayConfigure, type, tenantComplete),
      );
    },
  );

  it('sends nothing when the system switch is off, even with a complete own server', () => {
    expect(
      resolveSendingRoute(
        { enabled: false, complete: true, authentication: 'none' },
        { mayUseSystemServer: true, mayConfigureOwn: true },
        { type: 'smtp', complete: true },
      ),
    ).toEqual({ available: false, reason: 'SYSTEM_SENDING_OFF' });
  });

  it('ignores an own configuration the system no longer allows, and falls back to the system server', () => {
    expect(
      resolveSendingRoute(
        { enabled: true, complete: true, authentication: 'password' },
        { mayUseSystemServer: true, mayConfigureOwn: false },
        { type: 'microsoft365', complete: true },
      ),
    ).toEqual({ available: true, via: 'system', kind: 'smtp' });
  });
});
