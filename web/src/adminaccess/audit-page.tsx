import { AuditLogPage } from '../shared/audit/audit-log-page';
import { TENANT_AUDIT_ENDPOINT } from './admin.api';

export function TenantAuditPage() {
  return <AuditLogPage endpoint={TENANT_AUDIT_ENDPOINT} />;
}
