import type { Generated, Insertable, Selectable } from 'kysely';

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
}

export interface TenantsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  created_at: number;
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
