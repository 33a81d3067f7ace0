import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from '../api/client';
import type { Realm, Session } from '../api/types';

export interface RealmConfig {
  realm: Realm;
  /** Prefix of the session endpoints of this realm. */
  authPrefix: string;
}

export const SYSTEM_REALM: RealmConfig = { realm: 'system', authPrefix: '/api/v1/system/auth' };
export const TENANT_REALM: RealmConfig = { realm: 'tenant', authPrefix: '/api/v1/auth' };
export const GATEWAY_REALM: RealmConfig = { realm: 'gateway', authPrefix: '/api/v1/gateway/auth' };

export const sessionKey = (realm: Realm) => ['session', realm] as const;

/**
 * Drops every cached answer but the sessions. The caches of the pages (['admin', …], ['audit', …], …)
 * are not keyed by tenant or user, so whoever signs in next must not see the last person's data.
 */
export function removeUserData(queryClient: QueryClient): void {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'session' });
}

/** The realm's session is over (signed out, expired or replaced): nothing of it may stay in memory. */
export function endSession(queryClient: QueryClient, realm: Realm): void {
  // First the session, so the guard swaps the pages for the sign-in form in one render; then the rest.
  queryClient.setQueryData(sessionKey(realm), null);
  removeUserData(queryClient);
}

interface RealmContextValue extends RealmConfig {
  api: ApiClient;
}

const RealmContext = createContext<RealmContextValue | null>(null);

/** Binds the pages below it to one realm: which session they use and which CSRF token they send. */
export function RealmProvider({ config, children }: { config: RealmConfig; children: ReactNode }) {
  const queryClient = useQueryClient();
  const value = useMemo<RealmContextValue>(() => {
    const key = sessionKey(config.realm);
    const api = createApiClient({
      csrfToken: () => queryClient.getQueryData<Session | null>(key)?.csrfToken,
      onUnauthenticated: () => endSession(queryClient, config.realm),
    });
    return { ...config, api };
  }, [config, queryClient]);
  return <RealmContext.Provider value={value}>{children}</RealmContext.Provider>;
}

export function useRealm(): RealmContextValue {
  const value = useContext(RealmContext);
  if (!value) throw new Error('useRealm must be used below a RealmProvider');
  return value;
}

export function useApi(): ApiClient {
  return useRealm().api;
}
