import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { auditKeys } from '../shared/audit/audit-keys';
import type { Encryption, MailPolicy, TestMailResult } from '../shared/sending/sending';
import { useApi } from '../shared/session/realm-context';

const BASE = '/api/v1/system';

export type SystemAuthentication = 'none' | 'password' | 'microsoft365';
export const SYSTEM_AUTHENTICATIONS: readonly SystemAuthentication[] = ['none', 'password', 'microsoft365'];

/** GET /mail-server: the system's mail server; secrets only as set / not set. */
export interface SystemMailSettings {
  /** "Use mail server": off means no mail at all, not even through tenants' own servers. */
  enabled: boolean;
  authentication: SystemAuthentication;
  host: string;
  port: number;
  encryption: Encryption;
  username: string;
  passwordSet: boolean;
  graph: { tenantId: string; clientId: string; clientSecretSet: boolean };
  senderAddress: string;
  senderName: string;
  smtputf8: boolean;
  support: { address: string; allowTenantAddress: boolean; attachSystemInfo: boolean };
  /** Has what sending needs for its authentication type. */
  complete: boolean;
  updatedAt: number;
}

/** PUT /mail-server, partial. Secrets: a string sets it, null removes it, left out keeps it. */
export interface SystemMailSettingsUpdate {
  enabled?: boolean;
  authentication?: SystemAuthentication;
  host?: string;
  port?: number;
  encryption?: Encryption;
  username?: string;
  password?: string | null;
  graph?: { tenantId?: string; clientId?: string; clientSecret?: string | null };
  senderAddress?: string;
  senderName?: string;
  smtputf8?: boolean;
  support?: { address?: string; allowTenantAddress?: boolean; attachSystemInfo?: boolean };
}

export const mailServerKeys = {
  settings: ['system', 'mail-server'] as const,
  policy: (tenantId: number) => ['system', 'tenants', tenantId, 'mail-policy'] as const,
};

export function useMailServer() {
  const api = useApi();
  return useQuery({
    queryKey: mailServerKeys.settings,
    queryFn: ({ signal }) => api<SystemMailSettings>(`${BASE}/mail-server`, { signal }),
  });
}

export function useUpdateMailServer() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SystemMailSettingsUpdate) =>
      api<SystemMailSettings>(`${BASE}/mail-server`, { method: 'PUT', body }),
    onSuccess: (settings) => {
      queryClient.setQueryData(mailServerKeys.settings, settings);
      return queryClient.invalidateQueries({ queryKey: auditKeys.all });
    },
  });
}

/** Sends a test mail through the saved settings now; the answer is the reply or the error. */
export function useSystemTestMail() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (to: string) =>
      api<TestMailResult>(`${BASE}/mail-server/test`, { method: 'POST', body: { to } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: auditKeys.all }),
  });
}

export function useTenantMailPolicy(tenantId: number) {
  const api = useApi();
  return useQuery({
    queryKey: mailServerKeys.policy(tenantId),
    queryFn: ({ signal }) => api<MailPolicy>(`${BASE}/tenants/${tenantId}/mail-policy`, { signal }),
  });
}

export function useSetTenantMailPolicy(tenantId: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Partial<MailPolicy>) =>
      api<MailPolicy>(`${BASE}/tenants/${tenantId}/mail-policy`, { method: 'PUT', body }),
    // A read still on its way (e.g. a refetch on focus) must not overwrite the answer to the change.
    onMutate: () => queryClient.cancelQueries({ queryKey: mailServerKeys.policy(tenantId) }),
    onSuccess: (policy) => {
      queryClient.setQueryData(mailServerKeys.policy(tenantId), policy);
      return queryClient.invalidateQueries({ queryKey: auditKeys.all });
    },
  });
}
