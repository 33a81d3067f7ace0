/** An address as it appears in a header, decoded (RFC 2047 / RFC 6532). */
export interface MailAddress {
  name: string;
  address: string;
}

export interface AttachmentInfo {
  filename: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** Text extracted for the index (PDF, DOCX, XLSX, text parts, TNEF contents); empty when none. */
  text: string;
}

/**
 * What the archive keeps about a message besides its bytes: the fields shown in lists and the text
 * that goes into the full-text index. Produced by `parseMessage`, never throws: whatever could not
 * be understood is listed in `problems` and the rest is filled as far as possible.
 */
export interface ParsedMessage {
  messageId: string | null;
  /** Date header as epoch milliseconds, or null when missing or unparseable. */
  date: number | null;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  replyTo: MailAddress[];
  subject: string;
  /** Plain text of the body (text/plain parts, or HTML converted to text when there is none). */
  bodyText: string;
  attachments: AttachmentInfo[];
  /** Human-readable parse problems, e.g. "no header/body separator", "PDF text extraction timed out". */
  problems: string[];
}

/** Caps applied to each attachment's text extraction; exceeding one records a problem instead of throwing. */
export interface ExtractionLimits {
  /** Largest attachment (decoded bytes) handed to an extractor; larger ones are skipped. */
  maxInputBytes: number;
  /** Wall-clock budget per attachment in milliseconds. */
  timeoutMs: number;
  /** Extraction stops once an attachment's text reaches this many characters. */
  maxTextChars: number;
}
