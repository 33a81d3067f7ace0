import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { applyLanguage } from '../../i18n';
import { isApiError } from '../api/client';
import type { Language, Role, Session, SignInBody, TotpSetup } from '../api/types';
import { endSession, removeUserData, sessionKey, useRealm } from './realm-context';

/** The current session of the realm: a Session, null when signed out. */
export function useSession() {
  const { realm, authPrefix, api } = useRealm();
  return useQuery({
    queryKey: sessionKey(realm),
    queryFn: async ({ signal }) => {
      try {
        return await api<Session>(`${authPrefix}/session`, { signal });
      } catch (error) {
        if (isApiError(error) && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** The session below a RequireSession guard, where it is known to exist. */
export function useCurrentSession(): Session {
  const { data } = useSession();
  if (!data) throw new Error('useCurrentSession must be used below RequireSession');
  return data;
}

export function hasRole(session: Session, roles: readonly Role[] | undefined): boolean {
  return !roles || roles.length === 0 || roles.some((role) => session.roles.includes(role));
}

function useSetSession() {
  const { realm } = useRealm();
  const queryClient = useQueryClient();
  return (session: Session | null) => queryClient.setQueryData(sessionKey(realm), session);
}

/** Signs in; the user's saved language is applied by RequireSession once the session is set. */
export function useSignIn() {
  const { authPrefix, api } = useRealm();
  const queryClient = useQueryClient();
  const setSession = useSetSession();
  return useMutation({
    mutationFn: (body: SignInBody) =>
      api<Session>(`${authPrefix}/sign-in`, { method: 'POST', body, withoutCsrf: true, signIn: true }),
    onSuccess: (session) => {
      // Nothing cached for an earlier session (another user, another tenant) may show for this one.
      removeUserData(queryClient);
      setSession(session);
    },
  });
}

export function useSignOut() {
  const { realm, authPrefix, api } = useRealm();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await api<void>(`${authPrefix}/sign-out`, { method: 'POST' });
      } catch (error) {
        // Already signed out is what we wanted.
        if (!(isApiError(error) && error.status === 401)) throw error;
      }
    },
    onSuccess: () => endSession(queryClient, realm),
  });
}

/**
 * Changes the UI language. Signed in, the choice is saved with the user (PUT {prefix}/language);
 * signed out, it is kept in this browser only.
 */
export function useChangeLanguage() {
  const { authPrefix, api } = useRealm();
  const { data: session } = useSession();
  const setSession = useSetSession();
  return useMutation({
    mutationFn: async (language: Language) => {
      if (!session) return null;
      return api<Session>(`${authPrefix}/language`, { method: 'PUT', body: { language } });
    },
    onSuccess: (updated, language) => {
      // Signed in, RequireSession applies the saved language of the updated session.
      if (updated) setSession(updated);
      else applyLanguage(language);
    },
  });
}

export function useChangePassword() {
  const { authPrefix, api } = useRealm();
  return useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) =>
      api<void>(`${authPrefix}/password`, { method: 'POST', body }),
  });
}

export function useTotpSetup() {
  const { authPrefix, api } = useRealm();
  return useMutation({
    mutationFn: () => api<TotpSetup>(`${authPrefix}/totp/setup`, { method: 'POST' }),
  });
}

export function useTotpEnable() {
  const { realm, authPrefix, api } = useRealm();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (code: string) =>
      api<{ recoveryCodes: string[] }>(`${authPrefix}/totp/enable`, { method: 'POST', body: { code } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionKey(realm) }),
  });
}

export function useTotpDisable() {
  const { realm, authPrefix, api } = useRealm();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (password: string) =>
      api<void>(`${authPrefix}/totp/disable`, { method: 'POST', body: { password } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionKey(realm) }),
  });
}
