import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Credentials, Quotas, TenantSummary } from '../shared/api/types';
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

/** Keeps the list and the detail of a tenant in step after a change. */
function useStoreTenant() {
  const queryClient = useQueryClient();
  return (tenant: TenantSummary) => {
    queryClient.setQueryData(keys.tenant(tenant.id), tenant);
    void queryClient.invalidateQueries({ queryKey: keys.tenants, exact: true });
  };
}

export function useCreateTenant() {
  const api = useApi();
  const store = useStoreTenant();
  return useMutation({
    mutationFn: (body: { slug: string; name: string; quotas?: Quotas }) =>
      api<{ tenant: TenantSummary; admin: Credentials }>(`${BASE}/tenants`, { method: 'POST', body }),
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
  return useMutation({
    mutationFn: () => api<Credentials>(`${BASE}/tenants/${tenantId}/reset-admin`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.tenants }),
  });
}

export function useDeleteTenant(tenantId: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (confirmSlug: string) =>
      api<void>(`${BASE}/tenants/${tenantId}`, { method: 'DELETE', body: { confirmSlug } }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: keys.tenant(tenantId) });
      return queryClient.invalidateQueries({ queryKey: keys.tenants, exact: true });
    },
  });
}
