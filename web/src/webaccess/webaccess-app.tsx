import './webaccess.css';
import { useTranslation } from 'react-i18next';
import { Route, Routes } from 'react-router';
import { RequireSession } from '../shared/auth/require-session';
import { NotFoundPage } from '../shared/components/not-found-page';
import { AppLayout } from '../shared/layout/app-layout';
import { RealmProvider, TENANT_REALM } from '../shared/session/realm-context';
import { hasRole, useCurrentSession } from '../shared/session/session.hooks';
import { ArchivePage } from './archive-page';
import { ExportsProvider } from './exports';
import { FolderTree } from './folder-tree';
import { BASE } from './list-state';
import { MessagePage } from './message-page';
import { WebAccessNoAccessPage } from './no-access-page';

/**
 * Web Access: tenant users with the Reader or the Compliance role find, read, download, export and
 * resend their archived mail. The folder tree is the left side; the list and the open message the
 * page.
 */
export function WebAccessApp() {
  const { t } = useTranslation();
  const faceName = t('faces.webaccess');
  return (
    <RealmProvider config={TENANT_REALM}>
      <RequireSession faceName={faceName}>
        <WebAccessRoutes faceName={faceName} />
      </RequireSession>
    </RealmProvider>
  );
}

function WebAccessRoutes({ faceName }: { faceName: string }) {
  const session = useCurrentSession();
  if (!hasRole(session, ['reader', 'compliance'])) return <WebAccessNoAccessPage />;
  return (
    <ExportsProvider>
      <AppLayout
        faceName={faceName}
        base={BASE}
        sections={[]}
        navbar={(closeNav) => <FolderTree onNavigate={closeNav} />}
        navbarWidth={290}
        padding="md"
      >
        <Routes>
          <Route index element={<ArchivePage />} />
          <Route path="messages/:messageId" element={<MessagePage />} />
          <Route path="*" element={<NotFoundPage home={BASE} />} />
        </Routes>
      </AppLayout>
    </ExportsProvider>
  );
}
