import type { ParsedMessage } from '../mime/mime.types.js';

/** Who is acting and in which tenant. Every use case takes it first. */
export interface TenantContext {
  tenantId: number;
}

export interface ArchiveItem {
  /** The exact bytes received; what is stored and what comes back out. */
  raw: Buffer;
  /** Folder inside the mailbox, '' for its root; slash-separated. */
  folderPath: string;
  /** Where the item came from, for error reports ("inbox.mbox#12"). */
  sourceRef: string;
  /**
   * The transport envelope it arrived with (a journal report's): kept with the copy, merged into an
   * earlier envelope of the same copy, and indexed so that `bcc:` finds hidden recipients.
   */
  envelope?: MessageEnvelope;
}

export type EnvelopeRecipientKind = 'to' | 'cc' | 'bcc' | 'recipient';

export interface EnvelopeRecipient {
  address: string;
  kind: EnvelopeRecipientKind;
  /** The distribution list this recipient was expanded from. */
  expandedFrom?: string;
  /** The recipient the message was originally addressed to. */
  forwardedFrom?: string;
}

export interface MessageEnvelope {
  /** SMTP address; '' for the null sender. */
  sender: string;
  /** When the transport received it (default: when it is archived). */
  receivedAt?: number;
  onBehalfOf?: string;
  recipients: EnvelopeRecipient[];
}

export type ArchiveOutcome =
  | { sourceRef: string; status: 'archived' | 'copy' | 'duplicate'; messageId: number; contentId: number }
  | { sourceRef: string; status: 'failed'; error: string };

/** The full-text document of one message, one field per FTS5 column. */
export interface FtsDocument {
  sender: string;
  recipient_to: string;
  recipient_cc: string;
  recipient_bcc: string;
  subject: string;
  body: string;
  attachment: string;
}

export interface PreparedObject {
  key: string;
  kind: 'message' | 'part';
  rawSize: number;
  /** Compressed and encrypted, ready to be written. */
  data: Uint8Array;
}

/** Everything the CPU-heavy half of ingest produces, so the writer thread only does I/O and SQL. */
export interface PreparedMessage {
  blobKey: string;
  sha256: string;
  size: number;
  parsed: Omit<ParsedMessage, 'bodyText' | 'attachments'> & {
    attachments: Array<{ filename: string; contentType: string; size: number }>;
  };
  fts: FtsDocument;
  /** The message object first, then the part objects it references (in skeleton order). */
  objects: PreparedObject[];
  partKeys: string[];
}

export interface PrepareRequest {
  raw: Uint8Array;
  tenantId: number;
  dedupKey: Uint8Array;
  dataKeyId: number;
  dataKey: Uint8Array;
  partThreshold: number;
}

export interface Preparer {
  prepare(request: PrepareRequest): Promise<PreparedMessage>;
  close(): Promise<void>;
}

export interface MessageSummary {
  id: number;
  contentId: number;
  mailboxId: number;
  folderId: number;
  mailbox: string;
  folder: string;
  date: number | null;
  from: string;
  fromName: string;
  subject: string;
  size: number;
  sha256: string;
  hasAttachments: boolean;
}

export interface VerifyProblem {
  contentId: number;
  blobKey: string;
  /** Every copy of the damaged message, as "mailbox/folder#messageId". */
  locations: string[];
  problem: string;
}
