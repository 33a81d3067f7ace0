import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchiveService } from '../../archive/archive.service.js';
import type { ArchiveItem, TenantContext } from '../../archive/archive.types.js';
import { normalizeFolderPath } from '../../archive/archive.service.js';
import { openImportSources } from './import-source.js';
import type { ImportProblem } from './import.types.js';

export interface ImportSummary {
  archived: number;
  copies: number;
  duplicates: number;
  failed: ImportProblem[];
  bytes: number;
}

export interface ImportOptions {
  mailbox: string;
  folder?: string;
  paths: string[];
  onProgress?: (summary: ImportSummary) => void;
}

/** Messages per group: one fsync round and one transaction per group. */
const GROUP_MESSAGES = 128;
/** Bytes per group, so a run of large messages does not pile up in memory. */
const GROUP_BYTES = 16 * 1024 * 1024;
/** Groups in flight: one committing while the next ones are parsed on the worker threads. */
const GROUPS_IN_FLIGHT = 3;

/**
 * `postvault import`: reads EML files, folders, MBOX and PST files and archives every message.
 * Re-running the same import archives nothing twice (ingest is idempotent per folder).
 */
export class FileImportService {
  constructor(private readonly archive: Pick<ArchiveService, 'ensureMailbox' | 'archiveBatch'>) {}

  async totalBytes(paths: string[]): Promise<number> {
    const sizes = await mapConcurrently(paths, STAT_CONCURRENCY, async (path) => {
      const info = await stat(path).catch(() => null);
      if (info?.isFile()) return info.size;
      if (info?.isDirectory()) return directoryBytes(path);
      return 0;
    });
    return sizes.reduce((a, b) => a + b, 0);
  }

  async importPaths(ctx: TenantContext, options: ImportOptions): Promise<ImportSummary> {
    const mailbox = await this.archive.ensureMailbox(ctx, options.mailbox);
    const summary: ImportSummary = { archived: 0, copies: 0, duplicates: 0, failed: [], bytes: 0 };
    const base = normalizeFolderPath(options.folder ?? '');
    const inFlight = new Set<Promise<void>>();

    const flush = async (group: ArchiveItem[]) => {
      const task = this.archive
        .archiveBatch(ctx, mailbox.id, group)
        .then(
          (outcomes) => {
            for (const outcome of outcomes) {
              if (outcome.status === 'failed')
                summary.failed.push({ sourceRef: outcome.sourceRef, error: outcome.error });
              else if (outcome.status === 'archived') summary.archived += 1;
              else if (outcome.status === 'copy') summary.copies += 1;
              else summary.duplicates += 1;
            }
          },
          (error: unknown) => {
            // The whole group failed (store or database error): nothing of it was acknowledged.
            const message = error instanceof Error ? error.message : String(error);
            for (const item of group) summary.failed.push({ sourceRef: item.sourceRef, error: message });
          },
        )
        .then(() => {
          for (const item of group) summary.bytes += item.raw.length;
          options.onProgress?.(summary);
        });
      const tracked = task.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= GROUPS_IN_FLIGHT) await Promise.race(inFlight);
    };

    // One group spans paths: importing thousands of single-message files must not cost a commit each.
    let group: ArchiveItem[] = [];
    let groupBytes = 0;
    // One source over all paths, so file reads overlap across paths too.
    for await (const entry of openImportSources(options.paths)) {
      if (!('raw' in entry)) {
        summary.failed.push(entry);
        continue;
      }
      const folderPath = normalizeFolderPath([base, entry.folderPath].filter(Boolean).join('/'));
      group.push({ raw: entry.raw, folderPath, sourceRef: entry.sourceRef });
      groupBytes += entry.raw.length;
      if (group.length >= GROUP_MESSAGES || groupBytes >= GROUP_BYTES) {
        await flush(group);
        group = [];
        groupBytes = 0;
      }
    }
    if (group.length > 0) await flush(group);
    await Promise.all(inFlight);
    return summary;
  }
}

async function directoryBytes(path: string): Promise<number> {
  const files = (await readdir(path, { withFileTypes: true, recursive: true })).filter((e) => e.isFile());
  const sizes = await mapConcurrently(files, STAT_CONCURRENCY, (entry) =>
    stat(join(entry.parentPath, entry.name)).then(
      (info) => info.size,
      () => 0,
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** fs calls in flight while sizing the input for the progress bar. */
const STAT_CONCURRENCY = 16;

async function mapConcurrently<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
