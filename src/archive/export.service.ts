import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Db } from '../db/database.js';
import type { SearchService } from '../search/search.service.js';
import type { AuthContext } from '../tenancy/access.js';
import type { ArchiveService } from './archive.service.js';
import { mboxPieces } from './mbox-writer.js';
import { requireWebAccess, type WebAccessService } from './web-access.service.js';

export type ExportFormat = 'zip' | 'mbox';

export interface ExportSelection {
  format: ExportFormat;
  messageIds?: number[];
  search?: { q: string; mailboxId?: number; folderId?: number };
}

export interface ExportStatus {
  id: string;
  format: ExportFormat;
  status: 'ready' | 'running' | 'done' | 'failed';
  messages: number;
  written: number;
  bytes: number;
  bytesWritten: number;
  error: string | null;
}

interface ExportJob extends ExportStatus {
  tenantId: number;
  /** Only the user who asked may follow and download it. */
  owner: string;
  messageIds: number[];
  /** Mailboxes in the export the user does not own, for the audit entry. */
  notOwned: string[];
  createdAt: number;
}

export const MAX_EXPORT_MESSAGES = 100_000;
/** fflate writes no ZIP64: its entry counts are 16-bit. */
const MAX_ZIP_ENTRIES = 65_535;
/** Exports prepared and not yet downloaded, per user: each holds its list of ids in memory. */
const MAX_PENDING_PER_USER = 3;
/** fflate writes no ZIP64: a ZIP stays below 4 GiB; MBOX has no such limit. */
const MAX_ZIP_BYTES = 4 * 1024 ** 3 - 256 * 1024 ** 2;
/** An export not downloaded within this time is forgotten. */
const EXPORT_TTL_MS = 60 * 60_000;

/**
 * Exports of a selection or of a whole search result as one ZIP of EML files or one MBOX, streamed
 * message by message (the archive is never held in memory) with progress the UI can poll. Kept in
 * this process: the download must reach the process that counted the export (decision 0011).
 */
export class ExportService {
  private readonly jobs = new Map<string, ExportJob>();

  constructor(
    private readonly deps: {
      db: Db;
      archive: ArchiveService;
      search: SearchService;
      webAccess: WebAccessService;
      clock?: () => number;
    },
  ) {}

  async create(ctx: AuthContext, selection: ExportSelection): Promise<ExportStatus> {
    requireWebAccess(ctx);
    this.forgetExpired();
    const ids = selection.messageIds
      ? await this.checkedSelection(ctx, selection.messageIds)
      : await this.searchSelection(ctx, selection.search ?? { q: '' });
    if (ids.length === 0) throw new ValidationError('there is nothing to export: the selection is empty');
    const totals = await this.totals(ctx, ids);
    if (selection.format === 'zip' && totals.bytes > MAX_ZIP_BYTES)
      throw new ValidationError('a ZIP export is limited to 3.75 GiB; export this selection as MBOX');
    if (selection.format === 'zip' && ids.length > MAX_ZIP_ENTRIES)
      throw new ValidationError(
        `a ZIP export holds at most ${MAX_ZIP_ENTRIES} messages; export this selection as MBOX`,
      );
    const pending = [...this.jobs.values()].filter(
      (j) => j.tenantId === ctx.tenantId && j.owner === actorKey(ctx) && j.status === 'ready',
    );
    if (pending.length >= MAX_PENDING_PER_USER)
      throw new ConflictError(
        `you have ${pending.length} exports prepared and not downloaded; download them or wait an hour`,
      );
    const job: ExportJob = {
      id: randomBytes(16).toString('base64url'),
      format: selection.format,
      status: 'ready',
      messages: ids.length,
      written: 0,
      bytes: totals.bytes,
      bytesWritten: 0,
      error: null,
      tenantId: ctx.tenantId,
      owner: actorKey(ctx),
      messageIds: ids,
      notOwned: totals.notOwned,
      createdAt: this.now(),
    };
    this.jobs.set(job.id, job);
    return statusOf(job);
  }

  status(ctx: AuthContext, exportId: string): ExportStatus {
    return statusOf(this.job(ctx, exportId));
  }

  /** The export's bytes as a stream; each export downloads once. */
  async download(
    ctx: AuthContext,
    exportId: string,
  ): Promise<{ filename: string; contentType: string; stream: Readable }> {
    const job = this.job(ctx, exportId);
    if (job.status !== 'ready')
      throw new ConflictError('this export was downloaded already; start a new one');
    // Access is checked again: a share or a role may have been taken away since it was prepared.
    await this.checkedSelection(ctx, job.messageIds);
    if (job.notOwned.length > 0)
      await this.deps.webAccess.auditExport(ctx, {
        format: job.format,
        messages: job.messages,
        mailboxes: job.notOwned,
      });
    job.status = 'running';
    const stamp = new Date(this.now()).toISOString().slice(0, 10);
    const pieces = job.format === 'zip' ? this.zipPieces(ctx, job) : this.mboxPieces(ctx, job);
    const counted = (async function* () {
      try {
        yield* pieces;
      } catch (error) {
        // A destroyed stream aborts the generator: that is the browser leaving, not a failure of ours.
        if ((error as Error).name !== 'AbortError') job.error = (error as Error).message;
        throw error;
      }
    })();
    const stream = Readable.from(counted, { objectMode: false });
    // Done only when the last byte was read, not when it was buffered; a browser that goes away
    // mid-download destroys the stream, which closes without ending.
    stream.once('end', () => {
      job.status = 'done';
    });
    stream.once('close', () => {
      if (job.status === 'done') return;
      job.status = 'failed';
      job.error ??= 'the download was interrupted';
    });
    return {
      filename: `postvault-export-${stamp}.${job.format}`,
      contentType: job.format === 'zip' ? 'application/zip' : 'application/mbox',
      stream,
    };
  }

  private async *mboxPieces(ctx: AuthContext, job: ExportJob): AsyncGenerator<Buffer> {
    for (const id of job.messageIds) {
      const { raw, summary } = await this.read(ctx, id);
      yield* mboxPieces({
        raw,
        from: summary.from || undefined,
        date: summary.date === null ? undefined : new Date(summary.date),
      });
      job.written += 1;
      job.bytesWritten += raw.length;
    }
  }

  private async *zipPieces(ctx: AuthContext, job: ExportJob): AsyncGenerator<Buffer> {
    const ready: Buffer[] = [];
    let failure: Error | null = null;
    const zip = new Zip((error, chunk) => {
      if (error) failure = error;
      else ready.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    const flush = function* () {
      if (failure) throw failure;
      while (ready.length > 0) yield ready.shift()!;
    };
    let n = 0;
    for (const id of job.messageIds) {
      const { raw, summary } = await this.read(ctx, id);
      // Stored, not deflated: mail is exported at disk speed, and most attachments are compressed already.
      const entry = new ZipPassThrough(
        `${String(++n).padStart(5, '0')}-${fileNamePart(summary.subject)}.eml`,
      );
      const date = summary.date ?? 0;
      if (date >= Date.UTC(1980, 0, 2) && date < Date.UTC(2099, 11, 31)) entry.mtime = date;
      zip.add(entry);
      entry.push(raw, true);
      yield* flush();
      job.written += 1;
      job.bytesWritten += raw.length;
    }
    zip.end();
    yield* flush();
  }

  private async read(ctx: AuthContext, messageId: number) {
    const [raw, summary] = await Promise.all([
      this.deps.archive.readMessage(ctx, messageId),
      this.deps.archive.findMessage(ctx, messageId),
    ]);
    return { raw, summary };
  }

  /** Every id must be a message the user may read; one that is not is named (as "not found"). */
  private async checkedSelection(ctx: AuthContext, messageIds: number[]): Promise<number[]> {
    const ids = [...new Set(messageIds)];
    if (ids.length > MAX_EXPORT_MESSAGES)
      throw new ValidationError(`an export holds at most ${MAX_EXPORT_MESSAGES} messages`);
    const { mailboxIds } = await this.deps.webAccess.scope(ctx, undefined, undefined);
    const found = new Set<number>();
    for (const chunk of chunks(ids, 500)) {
      if (mailboxIds.length === 0) break;
      const rows = await this.deps.db
        .selectFrom('messages')
        .select('id')
        .where('tenant_id', '=', ctx.tenantId)
        .where('id', 'in', chunk)
        .where('mailbox_id', 'in', mailboxIds)
        .execute();
      for (const row of rows) found.add(row.id);
    }
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw new NotFoundError(`message ${missing} does not exist`);
    return ids;
  }

  private async searchSelection(ctx: AuthContext, search: NonNullable<ExportSelection['search']>) {
    const scope = await this.deps.webAccess.scope(ctx, search.mailboxId, search.folderId);
    const ids: number[] = [];
    const hits = this.deps.search.iterate(ctx, {
      query: search.q,
      mailboxIds: scope.mailboxIds,
      ...(search.folderId !== undefined ? { folderId: search.folderId } : {}),
    });
    for await (const hit of hits) {
      if (ids.length === MAX_EXPORT_MESSAGES)
        throw new ValidationError(
          `the search finds more than ${MAX_EXPORT_MESSAGES} messages; narrow it down (for example by date) and export in parts`,
        );
      ids.push(hit.id);
    }
    return ids;
  }

  private async totals(ctx: AuthContext, ids: number[]): Promise<{ bytes: number; notOwned: string[] }> {
    const { owned } = await this.deps.webAccess.scope(ctx, undefined, undefined);
    let bytes = 0;
    const notOwned = new Set<string>();
    for (const chunk of chunks(ids, 500)) {
      const rows = await this.deps.db
        .selectFrom('messages as m')
        .innerJoin('message_contents as c', 'c.id', 'm.content_id')
        .innerJoin('archive_mailboxes as mb', 'mb.id', 'm.mailbox_id')
        .select(['c.size', 'm.mailbox_id', 'mb.name'])
        .where('m.tenant_id', '=', ctx.tenantId)
        .where('m.id', 'in', chunk)
        .execute();
      for (const row of rows) {
        bytes += row.size;
        if (!owned.has(row.mailbox_id)) notOwned.add(row.name);
      }
    }
    return { bytes, notOwned: [...notOwned].sort() };
  }

  private job(ctx: AuthContext, exportId: string): ExportJob {
    const job = this.jobs.get(exportId);
    if (!job || job.tenantId !== ctx.tenantId || job.owner !== actorKey(ctx))
      throw new NotFoundError(`export ${exportId} does not exist`);
    return job;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [id, job] of this.jobs)
      if (job.status !== 'running' && now - job.createdAt > EXPORT_TTL_MS) this.jobs.delete(id);
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }
}

function statusOf(job: ExportJob): ExportStatus {
  const { id, format, status, messages, written, bytes, bytesWritten, error } = job;
  return { id, format, status, messages, written, bytes, bytesWritten, error };
}

function actorKey(ctx: AuthContext): string {
  return ctx.actor.kind === 'system' ? `system:${ctx.actor.name}` : `${ctx.actor.kind}:${ctx.actor.id}`;
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * A subject as a file name (in a ZIP, or a downloaded EML): no path separators, control or
 * reserved characters, no trailing dots or spaces that Windows would strip.
 */
export function fileNamePart(subject: string, maxLength = 60): string {
  const cleaned = subject
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, maxLength)
    .replace(/[. ]+$/, '');
  return cleaned || 'message';
}
