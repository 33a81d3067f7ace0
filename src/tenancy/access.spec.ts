import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../core/errors.js';
import { hasRole, requireGatewayAdmin, requireSystemAdmin, type Actor } from './access.js';

const actors: Record<Actor['kind'], Actor> = {
  user: { kind: 'user', id: 1, name: 'jane@acme', roles: ['admin'] },
  'system-admin': { kind: 'system-admin', id: 1, name: 'admin' },
  'gateway-admin': { kind: 'gateway-admin', id: 1, name: 'admin' },
  system: { kind: 'system', name: 'postvault CLI' },
};
const passes = (check: () => void) => {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof ForbiddenError) return false;
    throw error;
  }
};

describe('access checks', () => {
  it('lets a gateway administrator pass no tenant role and no System console check', () => {
    const ctx = { tenantId: 1, actor: actors['gateway-admin'] };
    for (const role of ['admin', 'reader', 'auditor', 'compliance'] as const)
      expect(hasRole(ctx, role)).toBe(false);
    expect(passes(() => requireSystemAdmin(ctx, 'this'))).toBe(false);
    expect(passes(() => requireGatewayAdmin(ctx, 'this'))).toBe(true);
  });

  it('keeps gateway mailboxes to gateway administrators and the operator', () => {
    const allowed = Object.values(actors)
      .filter((actor) => passes(() => requireGatewayAdmin({ actor }, 'this')))
      .map((actor) => actor.kind);
    expect(allowed).toEqual(['gateway-admin', 'system']);
  });

  it('still lets system administrators and the operator pass tenant roles; users by their groups', () => {
    expect(hasRole({ tenantId: 1, actor: actors['system-admin'] }, 'compliance')).toBe(true);
    expect(hasRole({ tenantId: 1, actor: actors.system }, 'auditor')).toBe(true);
    expect(hasRole({ tenantId: 1, actor: actors.user }, 'admin')).toBe(true);
    expect(hasRole({ tenantId: 1, actor: actors.user }, 'reader')).toBe(false);
    expect(passes(() => requireSystemAdmin({ actor: actors.user }, 'this'))).toBe(false);
  });
});
