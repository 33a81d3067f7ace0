/** One message found in an import source, ready to be archived as-is. */
export interface ImportItem {
  /** The exact bytes to archive. */
  raw: Buffer;
  /** '' for the target folder itself, else 'Sub/Folder' relative to it. */
  folderPath: string;
  /** Human-readable origin for error reports: 'file.mbox#12', 'enron.pst:/Inbox/3'. */
  sourceRef: string;
}

/**
 * Something in the source that could not be turned into a message. Sources report these inline and
 * carry on, so that one unreadable file or corrupt item never stops an import of thousands.
 */
export interface ImportProblem {
  sourceRef: string;
  error: string;
}

export type ImportEntry = ImportItem | ImportProblem;

export function isImportProblem(entry: ImportEntry): entry is ImportProblem {
  return 'error' in entry;
}

export interface ImportSourceOptions {
  /**
   * mbox unquoting: 'mboxrd' (default) turns '>From ' back into 'From ' and '>>From ' into '>From ';
   * 'none' keeps every line as stored (use for mboxo files known to contain real '>From ' lines).
   */
  mboxUnquote?: MboxUnquote;
  /**
   * Larger messages (a single EML file, one mbox message) become an ImportProblem instead of being
   * held in memory. Default 256 MiB.
   */
  maxMessageBytes?: number;
}

export type MboxUnquote = 'mboxrd' | 'none';

export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
