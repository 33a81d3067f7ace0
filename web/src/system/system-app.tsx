import { IconActivity, IconBuildingSkyscraper, IconListDetails, IconMailCog } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes } from 'react-router';
import { AuditLogPage } from '../shared/audit/audit-log-page';
import { RequireSession } from '../shared/auth/require-session';
import { AppLayout } from '../shared/layout/app-layout';
import type { NavSection } from '../shared/layout/nav';
import { sectionRoutes } from '../shared/layout/section-routes';
import { NotFoundPage } from '../shared/components/not-found-page';
import { RealmProvider, SYSTEM_REALM } from '../shared/session/realm-context';
import { SystemJobRunDetailPage, SystemJobRunsPage } from './job-runs-pages';
import { MailServerPage } from './mail-server-page';
import { SYSTEM_AUDIT_ENDPOINT } from './system.api';
import { TenantDetailPage } from './tenant-detail-page';
import { TenantsPage } from './tenants-page';

const BASE = '/system';

/** The System console's main menu and routes; a new section is one more entry. */
export const SYSTEM_SECTIONS: readonly NavSection[] = [
  {
    id: 'tenants',
    label: (t) => t('nav.tenants'),
    icon: IconBuildingSkyscraper,
    to: 'tenants',
    routes: [
      { path: 'tenants', element: <TenantsPage /> },
      { path: 'tenants/:tenantId', element: <TenantDetailPage /> },
    ],
  },
  {
    // Every tenant's background job runs (and the installation's), to follow and cancel them.
    id: 'job-runs',
    label: (t) => t('nav.jobRuns'),
    icon: IconActivity,
    to: 'job-runs',
    routes: [
      { path: 'job-runs', element: <SystemJobRunsPage /> },
      { path: 'job-runs/:runId', element: <SystemJobRunDetailPage /> },
    ],
  },
  {
    // The system's mail server: how Postvault sends mail for tenants without their own.
    id: 'mail-server',
    label: (t) => t('nav.mailServer'),
    icon: IconMailCog,
    to: 'mail-server',
    routes: [{ path: 'mail-server', element: <MailServerPage /> }],
  },
  {
    id: 'audit',
    label: (t) => t('nav.auditLog'),
    icon: IconListDetails,
    to: 'audit',
    routes: [{ path: 'audit', element: <AuditLogPage endpoint={SYSTEM_AUDIT_ENDPOINT} /> }],
  },
];

export function SystemApp() {
  const { t } = useTranslation();
  const faceName = t('faces.system');
  return (
    <RealmProvider config={SYSTEM_REALM}>
      <RequireSession faceName={faceName}>
        <AppLayout faceName={faceName} base={BASE} sections={SYSTEM_SECTIONS}>
          <Routes>
            <Route index element={<Navigate to="tenants" replace />} />
            {sectionRoutes(SYSTEM_SECTIONS)}
            <Route path="*" element={<NotFoundPage home={BASE} />} />
          </Routes>
        </AppLayout>
      </RequireSession>
    </RealmProvider>
  );
}
