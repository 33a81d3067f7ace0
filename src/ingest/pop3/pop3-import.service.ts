import type { ArchiveService } from '../../archive/archive.service.js';
import { normalizeFolderPath } from '../../archive/archive.service.js';
import type { ArchiveItem, TenantContext } from '../../archive/archive.types.js';
import { Pop3Error, type Pop3Listing } from '../../connectors/pop3/pop3-client.js';
import type { ImportSummary } from '../import/file-import.service.js';
import { describeError } from '../import/import.types.js';

/** What the import needs of a logged-in POP3 session (the Pop3Client; a fake in tests). */
export interface Pop3Maildrop {
  listing(): Promise<Pop3Listing[]>;
  retr(number: number): Promise<Buffer>;
  dele(number: number): Promise<void>;
  /** Ends the session; the server removes the messages marked with DELE. */
  quit(): Promise<void>;
  /** Ends the connection without QUIT: nothing is deleted. */
  destroy(): void;
}

export interface Pop3ImportOptions {
  mailbox: string;
  folder?: string;
  /** Messages per POP3 session: its deletions are committed on the server at its QUIT. */
  sessionMessages?: number;
  /** Octets (LIST sizes) per POP3 session, at least one message. */
  sessionBytes?: number;
  /** Once, after the first listing: what there is to import. */
  onStart?: (total: { messages: number; bytes: number }) => void;
  onProgress?: (summary: Pop3ImportSummary) => void;
}

export interface Pop3ImportSummary extends ImportSummary {
  /** Archived and removed from the server (its QUIT confirmed the deletions). */
  deleted: number;
  /**
   * Archived but still on the server (a DELE or QUIT was refused, or the connection dropped before
   * QUIT): the next run archives them again as duplicates, and deletes them then.
   */
  notDeleted: number;
  /** POP3 sessions (logins) used. */
  sessions: number;
  /** Why the import stopped before the maildrop was done (a dropped connection, a failed login). */
  interrupted: string | null;
}

export const DEFAULT_SESSION_MESSAGES = 1000;
export const DEFAULT_SESSION_BYTES = 256 * 1024 * 1024;
/** Messages per archive batch: one fsync round and one transaction each (as the file import). */
const GROUP_MESSAGES = 128;
const GROUP_BYTES = 16 * 1024 * 1024;
/** Batches being archived while the next messages are retrieved. */
const GROUPS_IN_FLIGHT = 3;

interface Retrieved {
  item: ArchiveItem;
  message: Pop3Listing;
}

/**
 * `postvault import pop3://…`: takes every message out of a POP3 maildrop (a gateway mailbox) into
 * an archive mailbox, and deletes on the server only the messages whose archiving is committed
 * (archiveBatch resolved with archived, copy or duplicate). A message the archive refuses stays on
 * the server and is reported.
 *
 * Big maildrops are taken in sessions of `sessionMessages`: each ends with QUIT, so what was
 * archived is also removed from the server as the import goes. A connection that drops loses the
 * deletions of its session only (POP3 deletes at QUIT): those messages are archived already, and
 * the next run archives them again as duplicates (ingest is idempotent) and deletes them.
 */
export class Pop3ImportService {
  constructor(private readonly archive: Pick<ArchiveService, 'ensureMailbox' | 'archiveBatch'>) {}

  async importMaildrop(
    ctx: TenantContext,
    open: () => Promise<Pop3Maildrop>,
    options: Pop3ImportOptions,
  ): Promise<Pop3ImportSummary> {
    const mailbox = await this.archive.ensureMailbox(ctx, options.mailbox);
    const folderPath = normalizeFolderPath(options.folder ?? '');
    const sessionMessages = Math.max(1, options.sessionMessages ?? DEFAULT_SESSION_MESSAGES);
    const sessionBytes = Math.max(1, options.sessionBytes ?? DEFAULT_SESSION_BYTES);
    const summary: Pop3ImportSummary = {
      archived: 0,
      copies: 0,
      duplicates: 0,
      failed: [],
      bytes: 0,
      deleted: 0,
      notDeleted: 0,
      sessions: 0,
      interrupted: null,
    };
    /** UIDs archived or failed in this run: a later session does not take them again. */
    const handled = new Set<string>();
    let started = false;

    for (;;) {
      let maildrop: Pop3Maildrop;
      try {
        maildrop = await open();
      } catch (error) {
        // The first login failing is the whole import failing (wrong password, no server).
        if (!started) throw error;
        summary.interrupted = describeError(error);
        break;
      }
      summary.sessions += 1;
      let listing: Pop3Listing[];
      try {
        listing = await maildrop.listing();
      } catch (error) {
        maildrop.destroy();
        if (!started) throw error;
        summary.interrupted = describeError(error);
        break;
      }
      // Without UIDL, message numbers mean nothing in the next session: everything in this one.
      const byUid = listing.every((m) => m.uid !== null);
      const todo = byUid ? listing.filter((m) => !handled.has(m.uid!)) : listing;
      if (!started) {
        started = true;
        options.onStart?.({ messages: todo.length, bytes: todo.reduce((sum, m) => sum + m.size, 0) });
      }
      if (todo.length === 0) {
        await maildrop.quit().catch(() => undefined);
        break;
      }
      const batch = byUid ? takeSession(todo, sessionMessages, sessionBytes) : todo;
      const { marked, error } = await this.runSession(ctx, mailbox.id, maildrop, batch, folderPath, summary, {
        handled,
        onProgress: options.onProgress,
      });
      if (error !== null) {
        // Nothing marked in this session is deleted: the connection is gone or unusable.
        maildrop.destroy();
        summary.notDeleted += marked;
        summary.interrupted = error;
        break;
      }
      try {
        await maildrop.quit();
        summary.deleted += marked;
      } catch (quitError) {
        summary.notDeleted += marked;
        summary.interrupted = `the server did not confirm the deletions at QUIT: ${describeError(quitError)}`;
        break;
      }
      options.onProgress?.(summary);
      if (batch.length === todo.length) break;
    }
    return summary;
  }

  /**
   * Retrieves the batch, archives it in groups while retrieving further, and marks with DELE each
   * message whose group was committed. Returns how many were marked, and what stopped the session
   * early (a lost connection), if anything did.
   */
  private async runSession(
    ctx: TenantContext,
    mailboxId: number,
    maildrop: Pop3Maildrop,
    batch: Pop3Listing[],
    folderPath: string,
    summary: Pop3ImportSummary,
    run: { handled: Set<string>; onProgress?: (summary: Pop3ImportSummary) => void },
  ): Promise<{ marked: number; error: string | null }> {
    let marked = 0;
    let stop: string | null = null;
    const inFlight = new Set<Promise<void>>();
    const fail = (message: Pop3Listing, error: string) => {
      summary.failed.push({ sourceRef: sourceRef(message), error });
      if (message.uid !== null) run.handled.add(message.uid);
    };

    const archiveGroup = async (group: Retrieved[]) => {
      let committed: Retrieved[] = [];
      try {
        const outcomes = await this.archive.archiveBatch(
          ctx,
          mailboxId,
          group.map((g) => g.item),
        );
        group.forEach((entry, i) => {
          const outcome = outcomes[i];
          if (!outcome || outcome.sourceRef !== entry.item.sourceRef) {
            fail(entry.message, 'the archive gave no outcome for this message');
          } else if (outcome.status === 'failed') {
            fail(entry.message, outcome.error);
          } else {
            if (outcome.status === 'archived') summary.archived += 1;
            else if (outcome.status === 'copy') summary.copies += 1;
            else summary.duplicates += 1;
            if (entry.message.uid !== null) run.handled.add(entry.message.uid);
            committed.push(entry);
          }
        });
      } catch (error) {
        // The whole group failed (store or database error): nothing of it is committed.
        for (const entry of group) fail(entry.message, describeError(error));
        committed = [];
      }
      for (const entry of group) summary.bytes += entry.item.raw.length;
      run.onProgress?.(summary);
      for (const entry of committed) {
        if (stop !== null) {
          summary.notDeleted += 1;
          continue;
        }
        try {
          await maildrop.dele(entry.message.number);
          marked += 1;
        } catch (error) {
          if (error instanceof Pop3Error && error.reply !== undefined) {
            // Archived, but the server would not mark it: it stays there, and is a duplicate next time.
            summary.notDeleted += 1;
          } else {
            summary.notDeleted += 1;
            stop ??= describeError(error);
          }
        }
      }
    };

    const flush = async (group: Retrieved[]) => {
      const task = archiveGroup(group);
      const tracked = task.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= GROUPS_IN_FLIGHT) await Promise.race(inFlight);
    };

    let group: Retrieved[] = [];
    let groupBytes = 0;
    for (const message of batch) {
      if (stop !== null) break;
      let raw: Buffer;
      try {
        raw = await maildrop.retr(message.number);
      } catch (error) {
        if (error instanceof Pop3Error && error.reply !== undefined) {
          // The server cannot give this one (e.g. damaged): it stays there; go on with the rest.
          fail(message, describeError(error));
          run.onProgress?.(summary);
          continue;
        }
        stop = describeError(error);
        break;
      }
      group.push({ item: { raw, folderPath, sourceRef: sourceRef(message) }, message });
      groupBytes += raw.length;
      if (group.length >= GROUP_MESSAGES || groupBytes >= GROUP_BYTES) {
        await flush(group);
        group = [];
        groupBytes = 0;
      }
    }
    // What was retrieved is archived even when the connection dropped: it is not deleted, so the
    // next run finds it again as a duplicate.
    if (group.length > 0) await flush(group);
    await Promise.all(inFlight);
    return { marked, error: stop };
  }
}

function sourceRef(message: Pop3Listing): string {
  return message.uid === null
    ? `message ${message.number}`
    : `message ${message.number} (UIDL ${message.uid})`;
}

/** The first messages of the listing up to the session limits (at least one). */
function takeSession(todo: Pop3Listing[], messages: number, bytes: number): Pop3Listing[] {
  let total = 0;
  let count = 0;
  while (count < todo.length && count < messages) {
    if (count > 0 && total + todo[count]!.size > bytes) break;
    total += todo[count]!.size;
    count += 1;
  }
  return todo.slice(0, count);
}
