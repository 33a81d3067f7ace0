import { IconMailbox } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes } from 'react-router';
import { RequireSession } from '../shared/auth/require-session';
import { NotFoundPage } from '../shared/components/not-found-page';
import { AppLayout } from '../shared/layout/app-layout';
import type { NavSection } from '../shared/layout/nav';
import { sectionRoutes } from '../shared/layout/section-routes';
import { GATEWAY_REALM, RealmProvider } from '../shared/session/realm-context';
import { GatewayUserMenu } from './gateway-user-menu';
import { MailboxesPage } from './mailboxes-page';

const BASE = '/gateway';

/** The Gateway console's main menu and routes. */
export const GATEWAY_SECTIONS: readonly NavSection[] = [
  {
    id: 'mailboxes',
    label: (t) => t('nav.gatewayMailboxes'),
    icon: IconMailbox,
    to: 'mailboxes',
    routes: [{ path: 'mailboxes', element: <MailboxesPage /> }],
  },
];

/** `/gateway`: gateway mailboxes, for the Gateway console's own accounts (realm 'gateway'). */
export function GatewayApp() {
  const { t } = useTranslation();
  const faceName = t('faces.gateway');
  return (
    <RealmProvider config={GATEWAY_REALM}>
      <RequireSession faceName={faceName}>
        <AppLayout faceName={faceName} base={BASE} sections={GATEWAY_SECTIONS} userMenu={<GatewayUserMenu />}>
          <Routes>
            <Route index element={<Navigate to="mailboxes" replace />} />
            {sectionRoutes(GATEWAY_SECTIONS)}
            <Route path="*" element={<NotFoundPage home={BASE} />} />
          </Routes>
        </AppLayout>
      </RequireSession>
    </RealmProvider>
  );
}
