import { useQueryClient } from '@tanstack/react-query';
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

export const sessionKey = (realm: Realm) => ['session', realm] as const;

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
      onUnauthenticated: () => queryClient.setQueryData(key, null),
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
