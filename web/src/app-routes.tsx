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

/**
 * One single-page app for every face. Each face is a subtree with its own realm, session, layout
 * and menu. The faces still to come plug in here, e.g.
 *   <Route path="/webaccess/*" element={<WebAccessApp />} />   (tenant realm, Reader role)
 */
export function AppRoutes() {
  return (
    <Suspense fallback={<LoadingState fullPage />}>
      <Routes>
        <Route path="/system/*" element={<SystemApp />} />
        <Route path="/adminaccess/*" element={<AdminApp />} />
        <Route path="/gateway/*" element={<GatewayApp />} />
        {/* /webaccess/* goes here. */}
        <Route path="*" element={<Navigate to="/adminaccess" replace />} />
      </Routes>
    </Suspense>
  );
}
