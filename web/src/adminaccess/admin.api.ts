import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type {
  Dashboard,
  Domain,
  Group,
  Mailbox,
  MailboxKind,
  Role,
  Secret,
  SecretKind,
  User,
} from '../shared/api/types';
import { auditKeys } from '../shared/audit/audit-keys';
import { useApi } from '../shared/session/realm-context';

const BASE = '/api/v1/admin';
export const TENANT_AUDIT_ENDPOINT = '/api/v1/audit';

export const adminKeys = {
  all: ['admin'] as const,
  dashboard: ['admin', 'dashboard'] as const,
  users: ['admin', 'users'] as const,
  user: (id: number) => ['admin', 'users', id] as const,
  groups: ['admin', 'groups'] as const,
  group: (id: number) => ['admin', 'groups', id] as const,
  domains: ['admin', 'domains'] as const,
  mailboxes: ['admin', 'mailboxes'] as const,
  secrets: ['admin', 'secrets'] as const,
};

/**
 * After any change everything of Admin Access is refetched: users show their groups and roles,
 * groups their members, mailboxes their owners, the dashboard all of it. The lists are small. The
 * audit log too: the change is its newest entry.
 */
function useInvalidateAdmin() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: adminKeys.all }),
      queryClient.invalidateQueries({ queryKey: auditKeys.all }),
    ]);
}

export function useDashboard() {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.dashboard,
    queryFn: ({ signal }) => api<Dashboard>(`${BASE}/dashboard`, { signal }),
  });
}

// Users

export interface UserCreate {
  name: string;
  displayName?: string;
  primaryAddress?: string;
  addresses?: string[];
  password?: string;
}

export interface UserUpdate {
  displayName?: string;
  primaryAddress?: string | null;
  addresses?: string[];
  disabled?: boolean;
}

export function useUsers() {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.users,
    queryFn: ({ signal }) => api<{ users: User[] }>(`${BASE}/users`, { signal }),
    select: (answer) => answer.users,
  });
}

export function useUser(userId: number) {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.user(userId),
    queryFn: ({ signal }) => api<User>(`${BASE}/users/${userId}`, { signal }),
    enabled: Number.isInteger(userId),
  });
}

export function useCreateUser() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (body: UserCreate) =>
      api<{ user: User; password?: string }>(`${BASE}/users`, { method: 'POST', body }),
    onSuccess: invalidate,
  });
}

export function useUpdateUser() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: ({ id, ...body }: UserUpdate & { id: number }) =>
      api<User>(`${BASE}/users/${id}`, { method: 'PATCH', body }),
    onSuccess: invalidate,
  });
}

export function useDeleteUser() {
  const api = useApi();
  const queryClient = useQueryClient();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/users/${id}`, { method: 'DELETE' }),
    onSuccess: (_answer, id) => {
      queryClient.removeQueries({ queryKey: adminKeys.user(id) });
      return invalidate();
    },
  });
}

export function useResetUserPassword() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      api<{ password: string }>(`${BASE}/users/${id}/reset-password`, { method: 'POST' }),
    // Nothing shown of the user changes; the audit log has a new entry.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: auditKeys.all }),
  });
}

export function useResetUserTotp() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/users/${id}/reset-totp`, { method: 'POST' }),
    onSuccess: invalidate,
  });
}

// Groups

export interface GroupFields {
  name: string;
  description?: string;
  memberIds?: number[];
}

export function useGroups() {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.groups,
    queryFn: ({ signal }) => api<{ groups: Group[] }>(`${BASE}/groups`, { signal }),
    select: (answer) => answer.groups,
  });
}

export function useGroup(groupId: number) {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.group(groupId),
    queryFn: ({ signal }) => api<Group>(`${BASE}/groups/${groupId}`, { signal }),
    enabled: Number.isInteger(groupId),
  });
}

export function useCreateGroup() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (body: GroupFields & { roles?: Role[] }) =>
      api<Group>(`${BASE}/groups`, { method: 'POST', body }),
    onSuccess: invalidate,
  });
}

export function useUpdateGroup() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: ({ id, ...body }: Partial<GroupFields> & { id: number }) =>
      api<Group>(`${BASE}/groups/${id}`, { method: 'PATCH', body }),
    onSuccess: invalidate,
  });
}

export function useSetGroupRoles() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: ({ id, roles }: { id: number; roles: Role[] }) =>
      api<Group>(`${BASE}/groups/${id}/roles`, { method: 'PUT', body: { roles } }),
    onSuccess: invalidate,
  });
}

export function useDeleteGroup() {
  const api = useApi();
  const queryClient = useQueryClient();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/groups/${id}`, { method: 'DELETE' }),
    onSuccess: (_answer, id) => {
      queryClient.removeQueries({ queryKey: adminKeys.group(id) });
      return invalidate();
    },
  });
}

// Domains

export function useDomains() {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.domains,
    queryFn: ({ signal }) => api<{ domains: Domain[] }>(`${BASE}/domains`, { signal }),
    select: (answer) => answer.domains,
  });
}

export function useCreateDomain() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (name: string) => api<Domain>(`${BASE}/domains`, { method: 'POST', body: { name } }),
    onSuccess: invalidate,
  });
}

export function useDeleteDomain() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/domains/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

// Archive mailboxes

export interface MailboxFields {
  name: string;
  kind: MailboxKind;
  primaryAddress?: string | null;
  secondaryAddresses?: string[];
  ownerIds?: number[];
  sharedGroupIds?: number[];
}

export function useMailboxes() {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.mailboxes,
    queryFn: ({ signal }) => api<{ mailboxes: Mailbox[] }>(`${BASE}/mailboxes`, { signal }),
    select: (answer) => answer.mailboxes,
  });
}

export function useSaveMailbox() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: ({ id, ...body }: MailboxFields & { id?: number }) =>
      id === undefined
        ? api<Mailbox>(`${BASE}/mailboxes`, { method: 'POST', body })
        : api<Mailbox>(`${BASE}/mailboxes/${id}`, { method: 'PATCH', body }),
    onSuccess: invalidate,
  });
}

export function useDeleteMailbox() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/mailboxes/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

// Secrets

export interface SecretFields {
  name?: string;
  kind?: SecretKind;
  username?: string;
  password?: string;
  certificate?: string;
  certificatePassword?: string;
}

export function useSecrets() {
  const api = useApi();
  return useQuery({
    queryKey: adminKeys.secrets,
    queryFn: ({ signal }) => api<{ secrets: Secret[] }>(`${BASE}/secrets`, { signal }),
    select: (answer) => answer.secrets,
  });
}

export function useSaveSecret() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: ({ id, ...body }: SecretFields & { id?: number }) =>
      id === undefined
        ? api<Secret>(`${BASE}/secrets`, { method: 'POST', body })
        : api<Secret>(`${BASE}/secrets/${id}`, { method: 'PATCH', body }),
    onSuccess: invalidate,
  });
}

export function useDeleteSecret() {
  const api = useApi();
  const invalidate = useInvalidateAdmin();
  return useMutation({
    mutationFn: (id: number) => api<void>(`${BASE}/secrets/${id}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}
