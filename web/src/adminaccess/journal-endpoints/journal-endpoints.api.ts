import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { auditKeys } from '../../shared/audit/audit-keys';
import { useApi } from '../../shared/session/realm-context';
import { adminKeys } from '../admin.api';

const BASE = '/api/v1/admin/journal-endpoints';

/** docs/api-contract.md, `JournalEndpoint`. */
export interface JournalEndpoint {
  id: number;
  name: string;
  /** `<token>@<journal domain>`: where the mail system sends its journal reports. */
  address: string;
  mailbox: { id: number; name: string };
  enabled: boolean;
  messages24h: number;
  messages30d: number;
  lastReceivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface JournalEndpointFields {
  name?: string;
  mailboxId?: number;
  enabled?: boolean;
}

/** Under adminKeys.all, so any Admin Access change refetches it, and it refetches the rest. */
export const journalEndpointKeys = { all: [...adminKeys.all, 'journal-endpoints'] as const };

function useInvalidate() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: adminKeys.all }),
      queryClient.invalidateQueries({ queryKey: auditKeys.all }),
    ]);
}

export function useJournalEndpoints() {
  const api = useApi();
  return useQuery({
    queryKey: journalEndpointKeys.all,
    queryFn: ({ signal }) => api<{ journalEndpoints: JournalEndpoint[] }>(BASE, { signal }),
    select: (answer) => answer.journalEndpoints,
  });
}

export function useSaveJournalEndpoint() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, ...body }: JournalEndpointFields & { id?: number }) =>
      id === undefined
        ? api<JournalEndpoint>(BASE, { method: 'POST', body })
        : api<JournalEndpoint>(`${BASE}/${id}`, { method: 'PATCH', body }),
    onSuccess: invalidate,
  });
}

export function useRegenerateJournalAddress() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => api<JournalEndpoint>(`${BASE}/${id}/regenerate-address`, { method: 'POST' }),
    onSuccess: invalidate,
  });
}

export function useDeleteJournalEndpoint() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}
