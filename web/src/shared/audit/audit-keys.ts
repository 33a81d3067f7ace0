import type { Realm, AuditFilters } from '../api/types';

/** Query keys of the audit log; after any change the log may have a new entry. */
export const auditKeys = {
  all: ['audit'] as const,
  page: (realm: Realm, endpoint: string, filters: AuditFilters, before: number | undefined) =>
    ['audit', realm, endpoint, filters, before] as const,
};
