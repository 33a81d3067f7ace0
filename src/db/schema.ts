import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Metadata tables. Every tenant-owned row carries `tenant_id`; repositories take the tenant id as
 * their first argument so that nothing queries across tenants by accident.
 *
 * Content and placement are split on purpose: `message_contents` holds one row per distinct message
 * (per tenant) with its parsed headers and full-text entry, `messages` holds one slim row per copy
 * (mailbox + folder). A second copy of a message therefore costs one small row and nothing in the
 * index or the blob store.
 */
export interface Database {
  tenants: TenantsTable;
  tenant_keys: TenantKeysTable;
  archive_mailboxes: ArchiveMailboxesTable;
  folders: FoldersTable;
  blobs: BlobsTable;
  blob_parts: BlobPartsTable;
  message_contents: MessageContentsTable;
  messages: MessagesTable;
  system_admins: SystemAdminsTable;
  users: UsersTable;
  user_addresses: UserAddressesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_roles: GroupRolesTable;
  domains: DomainsTable;
  secrets: SecretsTable;
  mailbox_addresses: MailboxAddressesTable;
  mailbox_owners: MailboxOwnersTable;
  mailbox_shares: MailboxSharesTable;
  sessions: SessionsTable;
  trusted_devices: TrustedDevicesTable;
  recovery_codes: RecoveryCodesTable;
  sign_in_throttle: SignInThrottleTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
  mailbox_counts: MailboxCountsTable;
  volume_hourly: VolumeHourlyTable;
  journal_endpoints: JournalEndpointsTable;
  journal_endpoint_hourly: JournalEndpointHourlyTable;
  message_envelopes: MessageEnvelopesTable;
  message_envelope_recipients: MessageEnvelopeRecipientsTable;
  process_log: ProcessLogTable;
  journal_spool_done: JournalSpoolDoneTable;
  schedules: SchedulesTable;
  job_runs: JobRunsTable;
  system_mail_settings: SystemMailSettingsTable;
  tenant_mail_settings: TenantMailSettingsTable;
  m365_connect_requests: M365ConnectRequestsTable;
  outgoing_mail: OutgoingMailTable;
  gateway_mailboxes: GatewayMailboxesTable;
  gateway_messages: GatewayMessagesTable;
  gateway_segments: GatewaySegmentsTable;
  gateway_admins: GatewayAdminsTable;
}

export interface TenantsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  created_at: number;
  status: ColumnType<'active' | 'suspended', 'active' | 'suspended' | undefined>;
  /** Quotas; null means unlimited. */
  max_users: number | null;
  max_mailboxes: number | null;
  max_storage_bytes: number | null;
  /** Mail sending (System console): may use the system's server / may configure its own. */
  may_use_system_mail: ColumnType<number, number | undefined, number>;
  may_configure_own_mail: ColumnType<number, number | undefined, number>;
}

export interface TenantKeysTable {
  tenant_id: number;
  /** 'dedup' (never rotated: blob keys depend on it) or 'data' (rotatable). */
  purpose: 'dedup' | 'data';
  key_id: number;
  /** The key wrapped (AES-256-GCM) by the installation's master key. */
  wrapped: Buffer;
  active: number;
  created_at: number;
}

export interface ArchiveMailboxesTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  kind: 'user' | 'journal' | 'shared';
  created_at: number;
  primary_address: string | null;
}

export interface FoldersTable {
  id: Generated<number>;
  tenant_id: number;
  mailbox_id: number;
  /** Slash-separated path, '' for the mailbox root. */
  path: string;
  created_at: number;
}

export interface BlobsTable {
  tenant_id: number;
  /** HMAC-SHA-256 (hex) of the object's plaintext under the tenant's dedup key. */
  key: string;
  kind: 'message' | 'part';
  raw_size: number;
  stored_size: number;
  /**
   * Where the blob store put the object (BlobStore's opaque locator: `f`, or `p:<pack>:<offset>:<length>`
   * for the filesystem store); every read passes it back.
   */
  locator: string;
  /** Messages copies (for 'message') or skeletons (for 'part') referencing this object. */
  ref_count: number;
  created_at: number;
}

export interface BlobPartsTable {
  tenant_id: number;
  message_key: string;
  ordinal: number;
  part_key: string;
}

export interface MessageContentsTable {
  /** Also the rowid of the full-text entry in `message_fts`. */
  id: Generated<number>;
  tenant_id: number;
  blob_key: string;
  sha256: string;
  size: number;
  message_id: string | null;
  date: number | null;
  from_addr: string;
  from_name: string;
  /** JSON arrays of {name,address}. */
  to_json: string;
  cc_json: string;
  bcc_json: string;
  reply_to_json: string;
  subject: string;
  has_attachments: number;
  /** JSON array of {filename, contentType, size}. */
  attachments_json: string;
  /** JSON array of strings; '[]' when the message parsed cleanly. */
  problems_json: string;
  created_at: number;
}

export interface MessagesTable {
  id: Generated<number>;
  tenant_id: number;
  mailbox_id: number;
  folder_id: number;
  content_id: number;
  /** Sort key for "newest first": the Date header, or the archive time when there is none. */
  sort_date: number;
  archived_at: number;
}

export type Tenant = Selectable<TenantsTable>;
export type ArchiveMailbox = Selectable<ArchiveMailboxesTable>;
export type Folder = Selectable<FoldersTable>;
export type MessageContent = Selectable<MessageContentsTable>;
export type NewMessageContent = Insertable<MessageContentsTable>;

/** Where an identity comes from: created here, or synchronized from a directory. */
export type IdentityOrigin = 'local' | 'entra' | 'ldap';
export type Role = 'admin' | 'reader' | 'auditor' | 'compliance';
export const ROLES: readonly Role[] = ['admin', 'reader', 'auditor', 'compliance'];
/**
 * A session or credential belongs to a system administrator, to a tenant's user, or to a gateway
 * administrator (the Gateway console's own accounts).
 */
export type Realm = 'system' | 'tenant' | 'gateway';

export interface SystemAdminsTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  language: ColumnType<string, string | undefined>;
  /** The TOTP secret, sealed under the master key; null until enrolment starts. */
  totp_secret: Buffer | null;
  totp_enabled: ColumnType<number, number | undefined>;
  /** The last accepted TOTP time step: a code is good once. */
  totp_last_step: ColumnType<number | null, number | null | undefined>;
  created_at: number;
  last_sign_in_at: number | null;
}

/** The Gateway console's accounts: the same shape as system_admins, a separate realm. */
export type GatewayAdminsTable = SystemAdminsTable;

export interface UsersTable {
  id: Generated<number>;
  tenant_id: number;
  /** The part before the @ of the login name@slug. */
  name: string;
  display_name: string;
  origin: IdentityOrigin;
  external_id: string | null;
  /** argon2id PHC string; null for users that sign in through their directory. */
  password_hash: string | null;
  disabled: ColumnType<number, number | undefined>;
  /** 1 for the admin created with the tenant. */
  provisioned: ColumnType<number, number | undefined>;
  language: ColumnType<string, string | undefined>;
  totp_secret: Buffer | null;
  totp_enabled: ColumnType<number, number | undefined>;
  totp_last_step: ColumnType<number | null, number | null | undefined>;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
}

export interface UserAddressesTable {
  tenant_id: number;
  user_id: number;
  address: string;
  is_primary: number;
}

export interface GroupsTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  description: ColumnType<string, string | undefined>;
  origin: IdentityOrigin;
  external_id: string | null;
  created_at: number;
}

export interface GroupMembersTable {
  tenant_id: number;
  group_id: number;
  user_id: number;
}

export interface GroupRolesTable {
  tenant_id: number;
  group_id: number;
  role: Role;
}

export interface DomainsTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  origin: IdentityOrigin;
  created_at: number;
}

export interface SecretsTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  kind: 'password' | 'certificate';
  username: string | null;
  /** The secret material (password, or certificate and its passphrase), sealed under the tenant's data key. */
  sealed: Buffer;
  created_at: number;
  updated_at: number;
}

export interface MailboxAddressesTable {
  tenant_id: number;
  mailbox_id: number;
  address: string;
}

export interface MailboxOwnersTable {
  tenant_id: number;
  mailbox_id: number;
  user_id: number;
}

export interface MailboxSharesTable {
  tenant_id: number;
  mailbox_id: number;
  group_id: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie's token: a stolen database does not yield live sessions. */
  token_hash: string;
  realm: Realm;
  tenant_id: number | null;
  subject_id: number;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string;
  user_agent: string;
}

export interface TrustedDevicesTable {
  token_hash: string;
  realm: Realm;
  subject_id: number;
  expires_at: number;
}

export interface RecoveryCodesTable {
  realm: Realm;
  subject_id: number;
  code_hash: string;
  used_at: number | null;
}

export interface SignInThrottleTable {
  key: string;
  failures: number;
  last_failure_at: number;
  blocked_until: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  /** 0 for the installation's chain (system administrators), else the tenant's id. */
  tenant_id: number;
  seq: number;
  at: number;
  actor_kind: 'system-admin' | 'gateway-admin' | 'user' | 'system' | 'anonymous';
  actor_id: number | null;
  actor_name: string;
  ip: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  outcome: 'success' | 'failure' | 'denied';
  /** JSON object. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  tenant_id: number;
  seq: number;
  hash: string;
}

export type SystemAdmin = Selectable<SystemAdminsTable>;
export type User = Selectable<UsersTable>;
export type Group = Selectable<GroupsTable>;
export type Session = Selectable<SessionsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;

/**
 * Counters the ingest commit keeps in the same transaction as the message rows: messages and
 * original bytes per archive mailbox, and per tenant and hour of archiving. Whatever deletes
 * message rows must subtract here too.
 */
export interface MailboxCountsTable {
  mailbox_id: number;
  tenant_id: number;
  messages: number;
  bytes: number;
}

export interface VolumeHourlyTable {
  tenant_id: number;
  /** Hours since the epoch (archived_at / 3,600,000). */
  hour: number;
  messages: number;
  bytes: number;
}

/**
 * Where a tenant's mail system sends journal reports: `<address_token>@<journal domain>`. The token
 * is unique across the installation, so the intake finds the tenant from the recipient alone.
 */
export interface JournalEndpointsTable {
  id: Generated<number>;
  tenant_id: number;
  name: string;
  /** The archive mailbox the reports' messages go to; it cannot be deleted while an endpoint uses it. */
  mailbox_id: number;
  /** Lower-case base32, the local part of the endpoint's SMTP address. */
  address_token: string;
  enabled: ColumnType<number, number | undefined>;
  created_at: number;
  updated_at: number;
  last_received_at: ColumnType<number | null, number | null | undefined>;
}

/** Messages an endpoint received per hour, kept by the intake (recordReceived). */
export interface JournalEndpointHourlyTable {
  endpoint_id: number;
  /** Hours since the epoch (received at / 3,600,000). */
  hour: number;
  messages: number;
  /** 1 once the intake has written the hour's summary to the process log. */
  summarized: ColumnType<number, number | undefined, number>;
}

export type JournalEndpoint = Selectable<JournalEndpointsTable>;

export interface MessageEnvelopesTable {
  /** The copy (messages.id) this envelope belongs to. */
  message_id: number;
  tenant_id: number;
  content_id: number;
  /** SMTP address; '' for the null sender of a non-delivery report. */
  sender: string;
  on_behalf_of: string | null;
  /** How many reports carried this message (one per recipient group is normal). */
  reports: number;
  first_received_at: number;
  last_received_at: number;
}

export interface MessageEnvelopeRecipientsTable {
  message_id: number;
  tenant_id: number;
  content_id: number;
  kind: 'to' | 'cc' | 'bcc' | 'recipient';
  address: string;
  /** '' when the recipient was not expanded from a list. */
  expanded_from: ColumnType<string, string | undefined, string>;
  /** '' when the message was not forwarded to this recipient. */
  forwarded_from: ColumnType<string, string | undefined, string>;
}

export interface ProcessLogTable {
  id: Generated<number>;
  /** null: the installation's own processes (System console). */
  tenant_id: number | null;
  /** What wrote it, e.g. 'journal-intake'. */
  process: string;
  /** The configuration it is about (a journal endpoint's id), when there is one. */
  subject_id: number | null;
  subject_name: string;
  severity: 'info' | 'warning' | 'error';
  message: string;
  details_json: string;
  created_at: number;
  /** The job run it belongs to, when it was written by one. */
  run_id: ColumnType<number | null, number | null | undefined, number | null>;
}

export type ProcessLogRow = Selectable<ProcessLogTable>;

export interface JournalSpoolDoneTable {
  /** A spool file's name (under <dataDir>/spool/journal). */
  file: string;
  /** The record's index in that file. */
  record: number;
}

export interface SchedulesTable {
  id: Generated<number>;
  /** null: an installation-wide job (System console). */
  tenant_id: number | null;
  job_type: string;
  config_id: number | null;
  /** A Recurrence (src/jobs/recurrence.ts). */
  recurrence_json: string;
  time_zone: string;
  enabled: ColumnType<number, number | undefined, number>;
  /** null: nothing left to run (a 'once' schedule that ran). */
  next_run_at: number | null;
  last_run_id: number | null;
  created_at: number;
  updated_at: number;
}

export type JobStatus =
  'queued' | 'running' | 'succeeded' | 'warnings' | 'failed' | 'cancelled' | 'interrupted' | 'skipped';

export interface JobRunsTable {
  id: Generated<number>;
  tenant_id: number | null;
  /** Shown to admins and in logs; unique across the installation. */
  request_id: string;
  job_type: string;
  config_id: number | null;
  config_name: string;
  trigger: 'schedule' | 'manual' | 'intake' | 'restart';
  schedule_id: number | null;
  status: JobStatus;
  attempt: ColumnType<number, number | undefined, number>;
  /** A queued run waits until then (retry back-off). */
  not_before: number;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** { done, total, note } while running. */
  progress_json: string | null;
  counters_json: ColumnType<string, string | undefined, string>;
  cancel_requested: ColumnType<number, number | undefined, number>;
  /** The interrupted run this one re-queues. */
  retried_from: number | null;
  error: string | null;
  /** The worst severity among the run's process-log messages. */
  severity: ColumnType<
    'info' | 'warning' | 'error',
    'info' | 'warning' | 'error' | undefined,
    'info' | 'warning' | 'error'
  >;
}

export type JobRun = Selectable<JobRunsTable>;

export type SmtpEncryption = 'none' | 'starttls' | 'tls';

export interface SystemMailSettingsTable {
  /** Always 1. */
  id: number;
  enabled: number;
  authentication: 'none' | 'password' | 'microsoft365';
  host: string;
  port: number;
  encryption: SmtpEncryption;
  username: string;
  /** Sealed under the master key (context system-mail:password). */
  password_sealed: Buffer | null;
  graph_tenant_id: string;
  graph_client_id: string;
  graph_client_secret_sealed: Buffer | null;
  sender_address: string;
  sender_name: string;
  smtputf8: number;
  support_address: string;
  allow_tenant_support_address: number;
  attach_system_info: number;
  updated_at: number;
}

export interface TenantMailSettingsTable {
  tenant_id: number;
  type: 'none' | 'smtp' | 'microsoft365';
  smtp_host: string;
  smtp_port: number;
  smtp_encryption: SmtpEncryption;
  /** Empty: no authentication. */
  smtp_username: string;
  /** Sealed with the tenant's data key (context mail:smtp-password). */
  smtp_password_sealed: Buffer | null;
  sender_address: string;
  sender_name: string;
  smtputf8: number;
  /** The connected Microsoft 365 tenant (GUID), confirmed by "Connect Tenant". */
  m365_tenant_id: string;
  /** The mailbox mail is sent from: its Graph user id and address. */
  m365_sender_id: string;
  m365_sender_address: string;
  /** The Microsoft 365 admin who confirmed the connection. */
  m365_connected_by: string;
  support_address: string;
  updated_at: number;
}

export interface M365ConnectRequestsTable {
  /** Random; handed to Microsoft as `state` and checked on the way back. */
  state: string;
  tenant_id: number;
  user_id: number;
  /** 'consent' → 'sign-in' → 'done' | 'failed'. */
  stage: 'consent' | 'sign-in' | 'done' | 'failed';
  m365_tenant_id: string | null;
  /** PKCE verifier of the interactive sign-in. */
  code_verifier: string;
  /**
   * SHA-256 (hex) of a random value kept in a SameSite=Lax cookie of the browser that started the
   * flow: Microsoft's redirects back are cross-site, so the Strict session cookie does not come along.
   */
  browser_binding: string;
  /** JSON of what was confirmed (tenant id, admin) when done. */
  outcome: string | null;
  error: string | null;
  created_at: number;
  expires_at: number;
}

export type OutgoingMailStatus = 'queued' | 'sending' | 'sent' | 'failed';

export interface OutgoingMailTable {
  id: Generated<number>;
  /** null: the system's own mail (test mail of the System console). */
  tenant_id: number | null;
  purpose: 'test' | 'support' | 'resend' | 'credentials';
  mail_from: string;
  recipients_json: string;
  /** 1: message_sealed holds the parts of a message composed at send time; 0: exact bytes. */
  composed: ColumnType<number, number | undefined, number>;
  /** The message, sealed (tenant key, or master key when tenant_id is null); emptied once ended. */
  message_sealed: Buffer;
  size: number;
  status: OutgoingMailStatus;
  attempts: ColumnType<number, number | undefined, number>;
  not_before: number;
  last_error: string | null;
  /** How it went out (or was tried): 'tenant-smtp', 'system-microsoft365', … */
  transport: string | null;
  /** Who asked for it (for the process log). */
  requested_by: string;
  created_at: number;
  finished_at: number | null;
}

export type GatewayMailboxStatus = 'active' | 'suspended';

/** A gateway mailbox (installation-wide). The password is nowhere; it opens locked_private_key. */
export interface GatewayMailboxesTable {
  id: Generated<number>;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  /** Random; the SMTP address and POP3 user name is `<local_part>@<gateway domain>`. */
  local_part: string;
  status: ColumnType<GatewayMailboxStatus, GatewayMailboxStatus | undefined, GatewayMailboxStatus>;
  /** X25519 public key: what intake encrypts for. */
  public_key: Buffer;
  /** The private key locked under the password (gateway-crypto.ts, format PVGK). */
  locked_private_key: Buffer;
  kdf_opslimit: number;
  /** Bytes. */
  kdf_memlimit: number;
  /** Raised when a reset without the current password makes a new key pair. */
  key_generation: ColumnType<number, number | undefined, number>;
  created_at: number;
  updated_at: number;
  last_received_at: number | null;
}

export interface GatewayMessagesTable {
  id: Generated<number>;
  mailbox_id: number;
  /** POP3 UIDL (and, when segment is null, the file name <uid>.pvgm). */
  uid: string;
  /** The mailbox key generation the message was encrypted for. */
  key_generation: number;
  /** Octets as received (plaintext). */
  size: number;
  /** Octets of the encrypted message (PVGM). */
  stored_size: number;
  received_at: number;
  /**
   * The segment file `<dataDir>/gateway/<mailbox_id>/<segment>.pvgs` holding the encrypted bytes at
   * segment_offset (inside their frame); null for a message stored as a file of its own, `<uid>.pvgm`.
   */
  segment: ColumnType<string | null, string | null | undefined, never>;
  segment_offset: ColumnType<number | null, number | null | undefined, never>;
}

/** A segment file of a gateway mailbox: open while a process appends to it, then closed. */
export interface GatewaySegmentsTable {
  mailbox_id: number;
  name: string;
  /** 1 while a process appends to it, 0 once closed, -1 while its file is being removed. */
  open: number;
  /** Where its last recorded frame ends; start-up recovers the whole frames after it. */
  recorded_end: ColumnType<number, number | undefined, number>;
  created_at: number;
}

export type GatewayMailbox = Selectable<GatewayMailboxesTable>;
export type GatewayMessage = Selectable<GatewayMessagesTable>;
