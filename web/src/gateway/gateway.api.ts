import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi, useRealm } from '../shared/session/realm-context';

const BASE = '/api/v1/gateway';

export type GatewayMailboxStatus = 'active' | 'suspended';

/** docs/api-contract.md, "Gateway console": `GatewayMailbox`. Never anything secret. */
export interface GatewayMailbox {
  id: number;
  name: string;
  description: string;
  /** The SMTP address, also the POP3 user name. */
  address: string;
  status: GatewayMailboxStatus;
  messages: number;
  bytes: number;
  /** Messages from before a reset without the password: nobody can read them any more. */
  unreadableMessages: number;
  lastReceivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The mailbox password is in this answer only: the server keeps nothing that could show it again. */
export interface GatewayMailboxWithPassword {
  mailbox: GatewayMailbox;
  password: string;
}

export interface GatewayPasswordReset extends GatewayMailboxWithPassword {
  /** False after a reset without the current password: what the mailbox held is lost. */
  contentKept: boolean;
}

const keys = { mailboxes: ['gateway', 'mailboxes'] as const };

function useInvalidateMailboxes() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: keys.mailboxes });
}

export function useGatewayMailboxes() {
  const api = useApi();
  return useQuery({
    queryKey: keys.mailboxes,
    queryFn: ({ signal }) => api<{ mailboxes: GatewayMailbox[] }>(`${BASE}/mailboxes`, { signal }),
    select: (answer) => answer.mailboxes,
    // New mail changes the counts: keep the list fresh while it is open.
    refetchInterval: 15_000,
  });
}

export function useCreateGatewayMailbox() {
  const api = useApi();
  const invalidate = useInvalidateMailboxes();
  return useMutation({
    mutationFn: (body: { name: string; description?: string }) =>
      api<GatewayMailboxWithPassword>(`${BASE}/mailboxes`, { method: 'POST', body }),
    onSuccess: invalidate,
  });
}

export function useUpdateGatewayMailbox() {
  const api = useApi();
  const invalidate = useInvalidateMailboxes();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: number; name?: string; description?: string }) =>
      api<GatewayMailbox>(`${BASE}/mailboxes/${id}`, { method: 'PATCH', body }),
    onSuccess: invalidate,
  });
}

export function useSetGatewayMailboxStatus() {
  const api = useApi();
  const invalidate = useInvalidateMailboxes();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: 'suspend' | 'resume' }) =>
      api<GatewayMailbox>(`${BASE}/mailboxes/${id}/${action}`, { method: 'POST' }),
    onSuccess: invalidate,
  });
}

export function useResetGatewayMailboxPassword() {
  const api = useApi();
  const invalidate = useInvalidateMailboxes();
  return useMutation({
    mutationFn: ({ id, currentPassword }: { id: number; currentPassword?: string }) =>
      api<GatewayPasswordReset>(`${BASE}/mailboxes/${id}/reset-password`, {
        method: 'POST',
        body: currentPassword === undefined ? {} : { currentPassword },
      }),
    onSuccess: invalidate,
  });
}

export function usePurgeUnreadable() {
  const api = useApi();
  const invalidate = useInvalidateMailboxes();
  return useMutation({
    mutationFn: (id: number) =>
      api<{ messages: number; bytes: number }>(`${BASE}/mailboxes/${id}/purge-unreadable`, {
        method: 'POST',
      }),
    onSuccess: invalidate,
  });
}

export function useDeleteGatewayMailbox() {
  const api = useApi();
  const invalidate = useInvalidateMailboxes();
  return useMutation({
    mutationFn: ({ id, confirmName }: { id: number; confirmName: string }) =>
      api<void>(`${BASE}/mailboxes/${id}`, { method: 'DELETE', body: { confirmName } }),
    onSuccess: invalidate,
  });
}

/** "Reset own password": the current password in, a new random one out (shown once). */
export function useResetOwnPassword() {
  const { authPrefix, api } = useRealm();
  return useMutation({
    mutationFn: (currentPassword: string) =>
      api<{ password: string }>(`${authPrefix}/password`, { method: 'POST', body: { currentPassword } }),
  });
}
