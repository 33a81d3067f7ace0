import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Credentials, Quotas, TenantSummary } from '../shared/api/types';
import { auditKeys } from '../shared/audit/audit-keys';
import { useApi } from '../shared/session/realm-context';

const BASE = '/api/v1/system';
export const SYSTEM_AUDIT_ENDPOINT = `${BASE}/audit`;

const keys = {
  tenants: ['system', 'tenants'] as const,
  tenant: (id: number) => ['system', 'tenants', id] as const,
};

export function useTenants() {
  const api = useApi();
  return useQuery({
    queryKey: keys.tenants,
    queryFn: ({ signal }) => api<{ tenants: TenantSummary[] }>(`${BASE}/tenants`, { signal }),
    select: (answer) => answer.tenants,
  });
}

export function useTenant(tenantId: number) {
  const api = useApi();
  return useQuery({
    queryKey: keys.tenant(tenantId),
    queryFn: ({ signal }) => api<TenantSummary>(`${BASE}/tenants/${tenantId}`, { signal }),
    enabled: Number.isInteger(tenantId),
  });
}

/** After any change the audit log is refetched too: the change is its newest entry. */
function useInvalidateAudit() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: auditKeys.all });
}

/** Keeps the list and the detail of a tenant (and the audit log) in step after a change. */
function useStoreTenant() {
  const queryClient = useQueryClient();
  const invalidateAudit = useInvalidateAudit();
  return (tenant: TenantSummary) => {
    queryClient.setQueryData(keys.tenant(tenant.id), tenant);
    void queryClient.invalidateQueries({ queryKey: keys.tenants, exact: true });
    void invalidateAudit();
  };
}

/** Whether the new admin's sign-in details could be queued for mailing. */
export interface CredentialsMail {
  to: string;
  queued: boolean;
  error: string | null;
}

export function useCreateTenant() {
  const api = useApi();
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (body: { slug: string; name: string; quotas?: Quotas; adminEmail?: string }) =>
      api<{ tenant: TenantSummary; admin: Credentials; credentialsMail?: CredentialsMail }>(
        `${BASE}/tenants`,
        {
          method: 'POST',
          body,
        },
      ),
    onSuccess: (answer) => store(answer.tenant),
  });
}

export function useUpdateTenant(tenantId: number) {
  const api = useApi();
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (body: { name?: string; quotas?: Quotas }) =>
      api<TenantSummary>(`${BASE}/tenants/${tenantId}`, { method: 'PATCH', body }),
    onSuccess: store,
  });
}

export function useSetTenantStatus(tenantId: number) {
  const api = useApi();
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (action: 'suspend' | 'resume') =>
      api<TenantSummary>(`${BASE}/tenants/${tenantId}/${action}`, { method: 'POST' }),
    onSuccess: store,
  });
}

export function useResetTenantAdmin(tenantId: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  const invalidateAudit = useInvalidateAudit();
  return useMutation({
    mutationFn: () => api<Credentials>(`${BASE}/tenants/${tenantId}/reset-admin`, { method: 'POST' }),
    onSuccess: () =>
      Promise.all([queryClient.invalidateQueries({ queryKey: keys.tenants }), invalidateAudit()]),
  });
}

export function useDeleteTenant(tenantId: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  const invalidateAudit = useInvalidateAudit();
  return useMutation({
    mutationFn: (confirmSlug: string) =>
      api<void>(`${BASE}/tenants/${tenantId}`, { method: 'DELETE', body: { confirmSlug } }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: keys.tenant(tenantId) });
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.tenants, exact: true }),
        invalidateAudit(),
      ]);
    },
  });
}
