import { Route } from 'react-router';
import type { NavSection } from './nav';

/** The <Route>s of a face's sections (for its <Routes>), each section's inside its layout if it has one. */
export function sectionRoutes(sections: readonly NavSection[]) {
  return sections.flatMap((section) => {
    const routes = section.routes.map((route) => (
      <Route key={`${section.id}:${route.path}`} path={route.path} element={route.element} />
    ));
    return section.layout ? (
      <Route key={section.id} element={section.layout}>
        {routes}
      </Route>
    ) : (
      routes
    );
  });
}
