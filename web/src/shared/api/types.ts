// Shapes of the HTTP API v1 as described in docs/api-contract.md. Timestamps are epoch milliseconds.

export type Role = 'admin' | 'reader' | 'auditor' | 'compliance';
export const ROLES: readonly Role[] = ['admin', 'reader', 'auditor', 'compliance'];

export type Language = 'en' | 'de';
export const LANGUAGES: readonly Language[] = ['en', 'de'];

export type Realm = 'system' | 'tenant' | 'gateway';

export interface Session {
  realm: Realm;
  user: { id: number; login: string; displayName: string; language: Language; totpEnabled: boolean };
  tenant: { id: number; slug: string; name: string } | null;
  roles: Role[];
  csrfToken: string;
  expiresAt: number;
}

export interface SignInBody {
  username?: string;
  login?: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
  trustDevice?: boolean;
}

export interface TotpSetup {
  secret: string;
  otpauthUri: string;
  qrCodeDataUrl: string;
}

export interface Quotas {
  maxUsers: number | null;
  maxMailboxes: number | null;
  maxStorageBytes: number | null;
}

export interface Usage {
  users: number;
  mailboxes: number;
  messages: number;
  storageBytes: number;
}

export type TenantStatus = 'active' | 'suspended';

export interface TenantSummary {
  id: number;
  slug: string;
  name: string;
  status: TenantStatus;
  createdAt: number;
  quotas: Quotas;
  usage: Usage;
}

export interface Credentials {
  login: string;
  password: string;
}

export type Origin = 'local' | 'entra' | 'ldap';

export interface UserRef {
  id: number;
  login: string;
  displayName: string;
}

export interface GroupRef {
  id: number;
  name: string;
}

export interface User {
  id: number;
  name: string;
  login: string;
  displayName: string;
  origin: Origin;
  disabled: boolean;
  provisioned: boolean;
  primaryAddress: string | null;
  addresses: string[];
  groups: GroupRef[];
  roles: Role[];
  totpEnabled: boolean;
  lastSignInAt: number | null;
  createdAt: number;
}

export interface Group {
  id: number;
  name: string;
  description: string;
  origin: Origin;
  members: UserRef[];
  roles: Role[];
  createdAt: number;
}

export interface Domain {
  id: number;
  name: string;
  origin: Origin;
  createdAt: number;
}

export type MailboxKind = 'user' | 'journal' | 'shared';
export const MAILBOX_KINDS: readonly MailboxKind[] = ['user', 'journal', 'shared'];

export interface Mailbox {
  id: number;
  name: string;
  kind: MailboxKind;
  primaryAddress: string | null;
  secondaryAddresses: string[];
  owners: UserRef[];
  sharedWith: GroupRef[];
  messages: number;
  storageBytes: number;
  createdAt: number;
}

export type SecretKind = 'password' | 'certificate';

export interface Secret {
  id: number;
  name: string;
  kind: SecretKind;
  username: string | null;
  isSet: true;
  inUse: boolean;
  usedBy: string[];
  createdAt: number;
  updatedAt: number;
}

export interface VolumeFigure {
  messages: number;
  bytes: number;
}

export type InconsistencyCode =
  | 'ONLY_PROVISIONED_ADMIN'
  | 'GROUP_WITHOUT_ROLES'
  | 'USER_WITHOUT_READER'
  | 'MORE_GROUPS_WITHOUT_ROLES'
  | 'MORE_USERS_WITHOUT_READER'
  | 'JOURNAL_ENDPOINT_SILENT'
  | 'STORAGE_ABOVE_90';

export interface Inconsistency {
  code: InconsistencyCode | (string & {});
  params: Record<string, string | number | null | undefined>;
  link: string;
}

export interface Dashboard {
  tenant: { id: number; slug: string; name: string; status: TenantStatus };
  quotas: Quotas;
  usage: Usage;
  counts: { users: number; groups: number; mailboxes: number; messages: number };
  volume: {
    last24h: VolumeFigure;
    last30d: VolumeFigure;
    allTime: VolumeFigure;
    daily: Array<{ day: string } & VolumeFigure>;
  };
  /** Job runs running now, and runs queued in the last 24 hours that failed. */
  jobs: { running: number; failed24h: number };
  inconsistencies: Inconsistency[];
}

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEntry {
  id: number;
  seq: number;
  at: number;
  actor: { kind: string; id: number | null; name: string };
  ip: string | null;
  action: string;
  target: { type: string; id: string | null; label: string | null } | null;
  outcome: AuditOutcome;
  details: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextBefore: number | null;
}

export interface AuditFilters {
  action?: string;
  actor?: string;
  outcome?: AuditOutcome;
  from?: number;
  to?: number;
}
