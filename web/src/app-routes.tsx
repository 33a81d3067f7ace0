import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { LoadingState } from './shared/components/loading-state';

// Each face is its own chunk: an Admin Access user never downloads the System console.
const SystemApp = lazy(() => import('./system/system-app').then((module) => ({ default: module.SystemApp })));
const AdminApp = lazy(() =>
  import('./adminaccess/admin-app').then((module) => ({ default: module.AdminApp })),
);
const GatewayApp = lazy(() =>
  import('./gateway/gateway-app').then((module) => ({ default: module.GatewayApp })),
);
const WebAccessApp = lazy(() =>
  import('./webaccess/webaccess-app').then((module) => ({ default: module.WebAccessApp })),
);

/**
 * One single-page app for every face. Each face is a subtree with its own realm, session, layout
 * and menu.
 */
export function AppRoutes() {
  return (
    <Suspense fallback={<LoadingState fullPage />}>
      <Routes>
        <Route path="/system/*" element={<SystemApp />} />
        <Route path="/adminaccess/*" element={<AdminApp />} />
        <Route path="/webaccess/*" element={<WebAccessApp />} />
        <Route path="/gateway/*" element={<GatewayApp />} />
        <Route path="*" element={<Navigate to="/adminaccess" replace />} />
      </Routes>
    </Suspense>
  );
}
