import type { Icon } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import type { Role } from '../api/types';

/**
 * One section of a face: its entry in the left main menu and the routes it renders. A face's menu and
 * its routes are both built from its list of sections, so a new section is one more entry in that list.
 */
export interface NavSection {
  id: string;
  /** A function so that the translation keys stay literal (test/web/i18n.test.ts checks them). */
  label: (t: TFunction) => string;
  icon: Icon;
  /** Where the menu entry leads, relative to the face (e.g. "users"). */
  to: string;
  /** Shown and routed only for sessions with at least one of these roles; none = everyone. */
  roles?: readonly Role[];
  /** Routes relative to the face (e.g. "groups/:groupId"); the first segments mark the entry active. */
  routes: ReadonlyArray<{ path: string; element: ReactNode }>;
  /**
   * Optional frame around all of the section's routes (it renders react-router's <Outlet/> where the
   * page goes), e.g. a heading and tab-like links. It stays mounted while moving between the routes.
   */
  layout?: ReactNode;
}

/** True when the location belongs to one of the section's routes. */
export function isSectionActive(section: NavSection, base: string, pathname: string): boolean {
  return section.routes.some((route) => {
    const first = route.path.split('/')[0] ?? '';
    if (first === '' || first.startsWith(':') || first === '*') return false;
    const prefix = `${base}/${first}`;
    return pathname === prefix || pathname.startsWith(`${prefix}/`);
  });
}
