import {
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Text,
  type AppShellProps,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconArchive,
  IconBuilding,
  IconChevronDown,
  IconKey,
  IconLogout,
  IconShieldLock,
  IconUserCircle,
} from '@tabler/icons-react';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { ChangePasswordModal } from '../auth/change-password-modal';
import { TwoFactorModal } from '../auth/two-factor-modal';
import { ErrorAlert } from '../components/error-alert';
import { hasRole, useCurrentSession, useSignOut } from '../session/session.hooks';
import { LanguageSwitcher } from './language-switcher';
import { isSectionActive, type NavSection } from './nav';

interface AppLayoutProps {
  /** "System console", "Admin Access", … */
  faceName: string;
  /** The face's root path, e.g. "/adminaccess". */
  base: string;
  sections: readonly NavSection[];
  /** The menu under the user's name; by default password, two-factor authentication and sign out. */
  userMenu?: ReactNode;
  /**
   * More of the left side, below the sections (e.g. Web Access's folder tree); `closeNav` closes the
   * menu on small screens, for links that lead away.
   */
  navbar?: (closeNav: () => void) => ReactNode;
  /** The left side's width in pixels (default 260). */
  navbarWidth?: number;
  /** The page's padding (default "lg"). */
  padding?: AppShellProps['padding'];
  children: ReactNode;
}

/** Header (product, face, tenant, language, user menu), left main menu and the page. */
export function AppLayout(props: AppLayoutProps) {
  const { faceName, base, sections, userMenu, navbar, navbarWidth = 260, padding = 'lg', children } = props;
  const { t } = useTranslation();
  const session = useCurrentSession();
  const location = useLocation();
  const [navOpened, { toggle: toggleNav, close: closeNav }] = useDisclosure(false);
  const visible = sections.filter((section) => hasRole(session, section.roles));
  const mainRef = useRef<HTMLElement>(null);
  const firstPage = useRef(true);

  // After a change of page, keyboard and screen-reader users start at the new page's content. When
  // the focus is still on something in the page that stayed (e.g. the Users, Groups and Domains links
  // of User Management, which stay while the page below them changes), it stays there.
  useEffect(() => {
    if (firstPage.current) {
      firstPage.current = false;
      return;
    }
    const main = mainRef.current;
    const focused = document.activeElement;
    if (main && focused instanceof HTMLElement && focused !== main && main.contains(focused)) return;
    main?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: navbarWidth, breakpoint: 'sm', collapsed: { mobile: !navOpened } }}
      padding={padding}
    >
      <a href="#main-content" className="pv-skip-link">
        {t('layout.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navOpened}
              onClick={toggleNav}
              hiddenFrom="sm"
              size="sm"
              aria-label={t('layout.toggleNavigation')}
            />
            <IconArchive size={26} aria-hidden />
            <Text fw={700} visibleFrom="xs">
              {t('app.productName')}
            </Text>
            <Text c="dimmed" visibleFrom="xs" aria-hidden>
              /
            </Text>
            <Text fw={500} truncate data-testid="face-name" style={{ whiteSpace: 'nowrap' }}>
              {faceName}
            </Text>
            {session.tenant && (
              <Badge
                variant="light"
                size="lg"
                leftSection={<IconBuilding size={14} aria-hidden />}
                visibleFrom="md"
                data-testid="tenant-name"
              >
                {session.tenant.name}
              </Badge>
            )}
          </Group>
          <Group gap="xs" wrap="nowrap">
            <LanguageSwitcher />
            {userMenu ?? <UserMenu />}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('layout.mainMenu')}>
        <AppShell.Section grow component={ScrollArea}>
          {visible.map((section) => {
            const SectionIcon = section.icon;
            const active = isSectionActive(section, base, location.pathname);
            return (
              <NavLink
                key={section.id}
                component={Link}
                to={`${base}/${section.to}`}
                label={section.label(t)}
                leftSection={<SectionIcon size={20} stroke={1.6} aria-hidden />}
                active={active}
                aria-current={active ? 'page' : undefined}
                onClick={closeNav}
              />
            );
          })}
          {navbar?.(closeNav)}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id="main-content" tabIndex={-1} ref={mainRef}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}

type Dialog = 'password' | 'totp' | null;

function UserMenu() {
  const { t } = useTranslation();
  const session = useCurrentSession();
  const signOut = useSignOut();
  const [dialog, setDialog] = useState<Dialog>(null);
  return (
    <>
      <Menu position="bottom-end" withinPortal width={260}>
        <Menu.Target>
          <Button
            variant="subtle"
            color="gray"
            leftSection={<IconUserCircle size={20} aria-hidden />}
            rightSection={<IconChevronDown size={14} aria-hidden />}
            aria-label={session.user.displayName || session.user.login}
            data-testid="user-menu"
          >
            <Text span size="sm" maw={180} truncate visibleFrom="sm">
              {session.user.displayName || session.user.login}
            </Text>
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{session.user.login}</Menu.Label>
          <Menu.Item leftSection={<IconKey size={16} aria-hidden />} onClick={() => setDialog('password')}>
            {t('userMenu.changePassword')}
          </Menu.Item>
          <Menu.Item leftSection={<IconShieldLock size={16} aria-hidden />} onClick={() => setDialog('totp')}>
            {t('userMenu.twoFactor')}
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
      {dialog === 'password' && <ChangePasswordModal onClose={() => setDialog(null)} />}
      {dialog === 'totp' && <TwoFactorModal onClose={() => setDialog(null)} />}
    </>
  );
}
