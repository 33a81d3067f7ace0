import type { Icon } from '@tabler/icons-react';
import { IconUsers, IconUsersGroup, IconWorldWww } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation } from 'react-router';
import { PageHeader } from '../shared/components/page-header';

export type UserManagementTab = 'users' | 'groups' | 'domains';

const TABS: ReadonlyArray<{ id: UserManagementTab; icon: Icon; label: (t: TFunction) => string }> = [
  { id: 'users', icon: IconUsers, label: (t) => t('users.title') },
  { id: 'groups', icon: IconUsersGroup, label: (t) => t('groups.title') },
  { id: 'domains', icon: IconWorldWww, label: (t) => t('domains.title') },
];

const BASE = '/adminaccess';

/**
 * The frame of User Management's pages: its h1 and a row of links that look like tabs (Users, Groups,
 * Domains), each leading to a route of its own, and below them the page. It stays mounted while the
 * pages below it change, so the link just clicked keeps the keyboard focus.
 */
export function UserManagementLayout() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  // A detail page belongs to its list's tab (/adminaccess/groups/4 → Groups).
  const active = TABS.find(
    (tab) => pathname === `${BASE}/${tab.id}` || pathname.startsWith(`${BASE}/${tab.id}/`),
  );
  const title = t('nav.userManagement');
  return (
    <>
      <PageHeader title={title} documentTitle={active ? `${active.label(t)} · ${title}` : title} />
      <nav aria-label={title} className="pv-tab-links">
        {TABS.map((tab) => {
          const TabIcon = tab.icon;
          const to = `${BASE}/${tab.id}`;
          const isActive = tab === active;
          return (
            <Link
              key={tab.id}
              to={to}
              className="pv-tab-link"
              data-active={isActive || undefined}
              // The list itself is the current page; on a detail page below it, its tab is the current
              // location.
              aria-current={isActive ? (pathname === to ? 'page' : 'location') : undefined}
            >
              <TabIcon size={16} aria-hidden />
              {tab.label(t)}
            </Link>
          );
        })}
      </nav>
      <Outlet />
    </>
  );
}
