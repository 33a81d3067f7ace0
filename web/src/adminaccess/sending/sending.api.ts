import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { auditKeys } from '../../shared/audit/audit-keys';
import type { Encryption, MailPolicy, SendingRoute, TestMailResult } from '../../shared/sending/sending';
import { useApi } from '../../shared/session/realm-context';
import { adminKeys } from '../admin.api';

const BASE = '/api/v1/admin';
/** How often an open Connect Tenant asks where it stands. */
export const CONNECT_POLL_MS = 2_000;

export type TenantSendingType = 'none' | 'smtp' | 'microsoft365';

/** GET /sending: the tenant's mail sending, what the system allows and how mail leaves now. */
export interface TenantSending {
  type: TenantSendingType;
  smtp: { host: string; port: number; encryption: Encryption; username: string; passwordSet: boolean };
  senderAddress: string;
  senderName: string;
  smtputf8: boolean;
  microsoft365: {
    /** Postvault has a Microsoft app registration, so Connect Tenant can be offered. */
    available: boolean;
    /** The connected Microsoft 365 tenant ('' when none). */
    tenantId: string;
    /** The sending mailbox (a user of that tenant). */
    senderId: string;
    senderAddress: string;
    /** Who confirmed the connection. */
    connectedBy: string;
  };
  policy: MailPolicy;
  route: SendingRoute;
  /** The tenant's own support address; it may set one only when the system allows it. */
  support: { address: string; tenantAddressAllowed: boolean };
  updatedAt: number;
}

/** PUT /sending, partial; smtp.password: a string sets it, null removes it, left out keeps it. */
export interface TenantSendingUpdate {
  type?: TenantSendingType;
  smtp?: {
    host?: string;
    port?: number;
    encryption?: Encryption;
    username?: string;
    password?: string | null;
  };
  senderAddress?: string;
  senderName?: string;
  smtputf8?: boolean;
  microsoft365Sender?: { id: string; address: string };
  supportAddress?: string;
}

export type ConnectStage = 'consent' | 'sign-in' | 'done' | 'failed';

export interface ConnectStatus {
  state: string;
  stage: ConnectStage;
  microsoftTenantId: string | null;
  confirmedBy: string | null;
  error: string | null;
}

export interface MicrosoftUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  displayName: string;
}

/** Under adminKeys.all, so any Admin Access change refetches them. */
export const sendingKeys = {
  all: [...adminKeys.all, 'sending'] as const,
  microsoftUsers: [...adminKeys.all, 'sending', 'microsoft365-users'] as const,
  connect: (state: string) => [...adminKeys.all, 'sending', 'connect', state] as const,
};

function useInvalidate() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: adminKeys.all }),
      queryClient.invalidateQueries({ queryKey: auditKeys.all }),
    ]);
}

export function useSending() {
  const api = useApi();
  return useQuery({
    queryKey: sendingKeys.all,
    queryFn: ({ signal }) => api<TenantSending>(`${BASE}/sending`, { signal }),
  });
}

export function useUpdateSending() {
  const api = useApi();
  const queryClient = useQueryClient();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: TenantSendingUpdate) => api<TenantSending>(`${BASE}/sending`, { method: 'PUT', body }),
    onSuccess: (sending) => {
      queryClient.setQueryData(sendingKeys.all, sending);
      return invalidate();
    },
  });
}

/** Sends a test mail the way the tenant sends now; the answer is the reply or the error. */
export function useTenantTestMail() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (to: string) => api<TestMailResult>(`${BASE}/sending/test`, { method: 'POST', body: { to } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: auditKeys.all }),
  });
}

/** Starts Connect Tenant: the URL to open in a new tab and the state to poll with. */
export function useStartConnect() {
  const api = useApi();
  return useMutation({
    mutationFn: () =>
      api<{ state: string; url: string }>(`${BASE}/sending/microsoft365/connect`, { method: 'POST' }),
  });
}

/** Where a Connect Tenant stands, asked every 2 seconds until it is done or failed. */
export function useConnectStatus(state: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: sendingKeys.connect(state ?? ''),
    queryFn: ({ signal }) =>
      api<ConnectStatus>(`${BASE}/sending/microsoft365/connect/${encodeURIComponent(state!)}`, { signal }),
    enabled: state !== null,
    refetchInterval: (query) => {
      const stage = query.state.data?.stage;
      return stage === 'done' || stage === 'failed' || query.state.error ? false : CONNECT_POLL_MS;
    },
    refetchIntervalInBackground: true,
    retry: false,
  });
}

/** The connected Microsoft 365 tenant's users with a mailbox, to pick the sending mailbox from. */
export function useMicrosoftUsers(enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: sendingKeys.microsoftUsers,
    queryFn: ({ signal }) =>
      api<{ users: MicrosoftUser[] }>(`${BASE}/sending/microsoft365/users`, { signal }),
    select: (answer) => answer.users,
    enabled,
    retry: false,
  });
}

/** POST /support-requests: queued (202) to the support address, which the answer names. */
export function useContactSupport() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { subject: string; message: string; replyTo?: string }) =>
      api<{ id: number; to: string }>(`${BASE}/support-requests`, { method: 'POST', body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: auditKeys.all }),
  });
}
