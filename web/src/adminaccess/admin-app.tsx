import {
  IconActivity,
  IconCalendarTime,
  IconGauge,
  IconInbox,
  IconKey,
  IconLifebuoy,
  IconListDetails,
  IconMailbox,
  IconMailForward,
  IconUsers,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes } from 'react-router';
import { RequireSession } from '../shared/auth/require-session';
import { NotFoundPage } from '../shared/components/not-found-page';
import { AppLayout } from '../shared/layout/app-layout';
import type { NavSection } from '../shared/layout/nav';
import { sectionRoutes } from '../shared/layout/section-routes';
import { RealmProvider, TENANT_REALM } from '../shared/session/realm-context';
import { hasRole, useCurrentSession } from '../shared/session/session.hooks';
import { TenantAuditPage } from './audit-page';
import { DashboardPage } from './dashboard-page';
import { DomainsPage } from './domains/domains-page';
import { GroupDetailPage } from './groups/group-detail-page';
import { GroupsPage } from './groups/groups-page';
import { JournalEndpointsPage } from './journal-endpoints/journal-endpoints-page';
import { MailboxesPage } from './mailboxes/mailboxes-page';
import { NoAccessPage } from './no-access-page';
import { JobRunDetailPage } from './process-log/job-run-detail-page';
import { ProcessLogPage } from './process-log/process-log-page';
import { SchedulesPage } from './schedules/schedules-page';
import { SecretsPage } from './secrets/secrets-page';
import { SendingPage } from './sending/sending-page';
import { ContactSupportPage } from './support/contact-support-page';
import { UserManagementLayout } from './user-management-layout';
import { UserDetailPage } from './users/user-detail-page';
import { UsersPage } from './users/users-page';

const BASE = '/adminaccess';

/**
 * Admin Access's main menu and routes, in menu order. A later section (Directory services, Journal
 * endpoints, Archiving profiles, Folder synchronizations, Schedules, Compliance, Sending
 * mails, Setup wizard) is one more entry in this list: id, label (a literal key under "nav" in
 * en.json and de.json), icon, the path its menu entry opens, the roles that see it, its routes and,
 * optionally, a layout around them.
 */
export const ADMIN_SECTIONS: readonly NavSection[] = [
  {
    id: 'dashboard',
    label: (t) => t('nav.dashboard'),
    icon: IconGauge,
    to: 'dashboard',
    roles: ['admin'],
    routes: [{ path: 'dashboard', element: <DashboardPage /> }],
  },
  {
    id: 'user-management',
    label: (t) => t('nav.userManagement'),
    icon: IconUsers,
    to: 'users',
    roles: ['admin'],
    // The heading and the Users, Groups and Domains links, around all five pages.
    layout: <UserManagementLayout />,
    routes: [
      { path: 'users', element: <UsersPage /> },
      { path: 'users/:userId', element: <UserDetailPage /> },
      { path: 'groups', element: <GroupsPage /> },
      { path: 'groups/:groupId', element: <GroupDetailPage /> },
      { path: 'domains', element: <DomainsPage /> },
    ],
  },
  {
    id: 'mailboxes',
    label: (t) => t('nav.mailboxes'),
    icon: IconMailbox,
    to: 'mailboxes',
    roles: ['admin'],
    routes: [{ path: 'mailboxes', element: <MailboxesPage /> }],
  },
  {
    // Archiving (the menu has no groups yet; later archiving sections follow this entry).
    id: 'journal-endpoints',
    label: (t) => t('nav.journalEndpoints'),
    icon: IconInbox,
    to: 'journal-endpoints',
    roles: ['admin'],
    routes: [
      { path: 'journal-endpoints', element: <JournalEndpointsPage /> },
      // The dashboard links a silent endpoint here: the list, with that endpoint's dialog open.
      { path: 'journal-endpoints/:endpointId', element: <JournalEndpointsPage /> },
    ],
  },
  {
    // When the background jobs run on their own, and "Run now" for each runnable configuration.
    id: 'schedules',
    label: (t) => t('nav.schedules'),
    icon: IconCalendarTime,
    to: 'schedules',
    roles: ['admin'],
    routes: [{ path: 'schedules', element: <SchedulesPage /> }],
  },
  {
    // How mail of this tenant leaves (its own SMTP server or Microsoft 365 mailbox, or the system's).
    id: 'sending',
    label: (t) => t('nav.sending'),
    icon: IconMailForward,
    to: 'sending',
    roles: ['admin'],
    routes: [{ path: 'sending', element: <SendingPage /> }],
  },
  {
    // What the processes behind the archiving sections report; auditors may read it too.
    id: 'process-log',
    label: (t) => t('nav.processLog'),
    icon: IconActivity,
    to: 'process-log',
    roles: ['admin', 'auditor'],
    routes: [
      { path: 'process-log', element: <ProcessLogPage /> },
      { path: 'process-log/runs/:runId', element: <JobRunDetailPage /> },
    ],
  },
  {
    id: 'secrets',
    label: (t) => t('nav.secrets'),
    icon: IconKey,
    to: 'secrets',
    roles: ['admin'],
    routes: [{ path: 'secrets', element: <SecretsPage /> }],
  },
  {
    id: 'audit',
    label: (t) => t('nav.auditLog'),
    icon: IconListDetails,
    to: 'audit',
    roles: ['auditor'],
    routes: [{ path: 'audit', element: <TenantAuditPage /> }],
  },
  {
    id: 'support',
    label: (t) => t('nav.support'),
    icon: IconLifebuoy,
    to: 'support',
    roles: ['admin'],
    routes: [{ path: 'support', element: <ContactSupportPage /> }],
  },
];

export function AdminApp() {
  const { t } = useTranslation();
  const faceName = t('faces.adminaccess');
  return (
    <RealmProvider config={TENANT_REALM}>
      <RequireSession faceName={faceName}>
        <AdminRoutes faceName={faceName} />
      </RequireSession>
    </RealmProvider>
  );
}

function AdminRoutes({ faceName }: { faceName: string }) {
  const session = useCurrentSession();
  if (!hasRole(session, ['admin', 'auditor'])) return <NoAccessPage />;
  const sections = ADMIN_SECTIONS.filter((section) => hasRole(session, section.roles));
  const home = sections[0]?.to ?? 'dashboard';
  return (
    <AppLayout faceName={faceName} base={BASE} sections={sections}>
      <Routes>
        <Route index element={<Navigate to={home} replace />} />
        {sectionRoutes(sections)}
        <Route path="*" element={<NotFoundPage home={`${BASE}/${home}`} />} />
      </Routes>
    </AppLayout>
  );
}
