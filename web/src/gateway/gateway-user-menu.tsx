import { Button, Menu, Text } from '@mantine/core';
import { IconChevronDown, IconLogout, IconSettings, IconUserCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shared/components/error-alert';
import { useCurrentSession, useSignOut } from '../shared/session/session.hooks';
import { SettingsDialog } from './settings-dialog';

/** The menu under the user name in the upper right corner: Settings and Sign out. */
export function GatewayUserMenu() {
  const { t } = useTranslation();
  const session = useCurrentSession();
  const signOut = useSignOut();
  const [settings, setSettings] = useState(false);
  return (
    <>
      <Menu position="bottom-end" withinPortal width={240}>
        <Menu.Target>
          <Button
            variant="subtle"
            color="gray"
            leftSection={<IconUserCircle size={20} aria-hidden />}
            rightSection={<IconChevronDown size={14} aria-hidden />}
            aria-label={session.user.login}
            data-testid="user-menu"
          >
            <Text span size="sm" maw={180} truncate visibleFrom="sm">
              {session.user.login}
            </Text>
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{session.user.login}</Menu.Label>
          <Menu.Item leftSection={<IconSettings size={16} aria-hidden />} onClick={() => setSettings(true)}>
            {t('userMenu.settings')}
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item leftSection={<IconLogout size={16} aria-hidden />} onClick={() => signOut.mutate()}>
            {t('userMenu.signOut')}
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      {signOut.error && (
        <div className="pv-floating-error">
          <ErrorAlert error={signOut.error} />
        </div>
      )}
      {settings && <SettingsDialog onClose={() => setSettings(false)} />}
    </>
  );
}
