import { Tabs } from '@mantine/core';
import { IconUsers, IconUsersGroup, IconWorldWww } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { PageHeader } from '../shared/components/page-header';

export type UserManagementTab = 'users' | 'groups' | 'domains';

/** The h1 of User Management and its tabs; each tab is a route of its own. */
export function UserManagementTabs({ active }: { active: UserManagementTab }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  // A tab leads to its list, also from a detail page under it (/adminaccess/groups/4 → Groups).
  const open = (tab: string | null) => {
    if (tab && pathname !== `/adminaccess/${tab}`) void navigate(`/adminaccess/${tab}`);
  };
  return (
    <>
      <PageHeader title={t('nav.userManagement')} />
      <Tabs
        value={active}
        // Arrow keys move the focus, Enter or Space opens the tab (manual activation).
        activateTabWithKeyboard={false}
        mb="lg"
      >
        <Tabs.List aria-label={t('nav.userManagement')}>
          <Tabs.Tab
            value="users"
            onClick={() => open('users')}
            leftSection={<IconUsers size={16} aria-hidden />}
          >
            {t('users.title')}
          </Tabs.Tab>
          <Tabs.Tab
            value="groups"
            onClick={() => open('groups')}
            leftSection={<IconUsersGroup size={16} aria-hidden />}
          >
            {t('groups.title')}
          </Tabs.Tab>
          <Tabs.Tab
            value="domains"
            onClick={() => open('domains')}
            leftSection={<IconWorldWww size={16} aria-hidden />}
          >
            {t('domains.title')}
          </Tabs.Tab>
        </Tabs.List>
      </Tabs>
    </>
  );
}
