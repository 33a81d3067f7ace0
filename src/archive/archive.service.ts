import type { Metrics } from '../core/metrics.js';
import { createHash } from 'node:crypto';
import { blobKeyOf } from '../core/keys.js';
import { IntegrityError, KeyError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Transaction } from 'kysely';
import type { ArchiveMailbox, Database } from '../db/schema.js';
import { decodeObject, readObjectHeader } from '../store/object-codec.js';
import { reassemble } from '../store/skeleton.js';
import type { BlobLocator, BlobStore } from '../store/store.types.js';
import type { TenantService } from '../tenancy/tenant.service.js';
import type { ArchiveRepository, IngestCommit, NewBlob } from './archive.repository.js';
import type {
  ArchiveItem,
  ArchiveOutcome,
  MessageSummary,
  PreparedMessage,
  Preparer,
  TenantContext,
  VerifyProblem,
} from './archive.types.js';
import { objectAad } from './prepare-message.js';

export interface ArchiveServiceDeps {
  repository: ArchiveRepository;
  blobs: BlobStore;
  tenants: Pick<TenantService, 'keyringFor'>;
  preparer: Preparer;
  partThreshold: number;
  clock?: () => number;
  /** Counts outcomes for /metrics. */
  metrics?: Pick<Metrics, 'ingestMessages' | 'ingestBytes'>;
}

export interface ArchiveBatchOptions {
  /**
   * Runs inside the transaction that records the group, with the indexes of the items stored
   * (archived, copy or duplicate): a source that must remember what it archived (the journal
   * intake deleting spooled messages, counting them) does it here, so that a crash cannot keep one
   * without the other.
   */
  inCommit?: (trx: Transaction<Database>, storedIndexes: number[]) => Promise<void>;
}

export function normalizeFolderPath(path: string): string {
  return path
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .join('/');
}

const toJson = (value: unknown) => JSON.stringify(value);

/**
 * Archive mailboxes and the messages in them: ingest (dedup, store, index in one call), retrieval
 * with integrity checks, verification. Protocol adapters and the CLI call this; it knows nothing
 * about where messages come from.
 */
export class ArchiveService {
  private readonly clock: () => number;
  /** Commits run one after another so that the dedup check and the insert see the same state. */
  private commitChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ArchiveServiceDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async findMailbox(ctx: TenantContext, name: string): Promise<ArchiveMailbox> {
    const mailbox = await this.deps.repository.findMailboxByName(ctx.tenantId, name);
    if (!mailbox) throw new NotFoundError(`archive mailbox "${name}" does not exist`);
    return mailbox;
  }

  async ensureMailbox(
    ctx: TenantContext,
    name: string,
    kind: ArchiveMailbox['kind'] = 'user',
  ): Promise<ArchiveMailbox> {
    const trimmed = name.trim();
    if (!trimmed) throw new ValidationError('a mailbox name is required');
    const existing = await this.deps.repository.findMailboxByName(ctx.tenantId, trimmed);
    if (existing) return existing;
    return this.deps.repository.insertMailbox({
      tenant_id: ctx.tenantId,
      name: trimmed,
      kind,
      created_at: this.clock(),
    });
  }

  listMailboxes(ctx: TenantContext) {
    return this.deps.repository.findMailboxes(ctx.tenantId);
  }

  listFolders(ctx: TenantContext, mailboxId: number) {
    return this.deps.repository.findFolders(ctx.tenantId, mailboxId);
  }

  private async ensureFolder(ctx: TenantContext, mailboxId: number, path: string): Promise<number> {
    const normalized = normalizeFolderPath(path);
    const existing = await this.deps.repository.findFolder(ctx.tenantId, mailboxId, normalized);
    if (existing) return existing.id;
    await this.deps.repository.insertFolder({
      tenant_id: ctx.tenantId,
      mailbox_id: mailboxId,
      path: normalized,
      created_at: this.clock(),
    });
    const created = await this.deps.repository.findFolder(ctx.tenantId, mailboxId, normalized);
    return created!.id;
  }

  /**
   * Archives a group of messages into one mailbox. When the promise resolves, every item reported
   * as archived/copy/duplicate is durably stored and indexed; an item that failed is reported with
   * its error and nothing of it is kept. Idempotent: the same bytes in the same folder are archived
   * once, whatever happens in between.
   */
  async archiveBatch(
    ctx: TenantContext,
    mailboxId: number,
    items: ArchiveItem[],
    options: ArchiveBatchOptions = {},
  ): Promise<ArchiveOutcome[]> {
    if (!(await this.deps.repository.findMailboxById(ctx.tenantId, mailboxId))) {
      throw new NotFoundError(`archive mailbox ${mailboxId} does not exist`);
    }
    const keyring = await this.deps.tenants.keyringFor(ctx.tenantId);
    const folderIds = new Map<string, number>();
    for (const item of items) {
      const path = normalizeFolderPath(item.folderPath);
      if (!folderIds.has(path)) folderIds.set(path, await this.ensureFolder(ctx, mailboxId, path));
    }
    const keyed = items.map((item) => ({
      item,
      blobKey: blobKeyOf(keyring.dedupKey, item.raw),
      folderId: folderIds.get(normalizeFolderPath(item.folderPath))!,
    }));

    // Parse and encrypt only what the archive does not have yet; the commit re-checks under the lock.
    const known = new Set(
      (
        await this.deps.repository.findContentsByBlobKeys(ctx.tenantId, unique(keyed.map((k) => k.blobKey)))
      ).map((c) => c.blob_key),
    );
    const dataKey = keyring.dataKeys.get(keyring.activeDataKeyId)!;
    const prepared = new Map<string, Promise<PreparedMessage>>();
    for (const { item, blobKey } of keyed) {
      // An envelope for a known message still needs the message's index document, to add to it.
      if ((known.has(blobKey) && !item.envelope) || prepared.has(blobKey)) continue;
      const promise = this.deps.preparer.prepare({
        raw: item.raw,
        tenantId: ctx.tenantId,
        dedupKey: keyring.dedupKey,
        dataKeyId: keyring.activeDataKeyId,
        dataKey,
        partThreshold: this.deps.partThreshold,
      });
      promise.catch(() => undefined);
      prepared.set(blobKey, promise);
    }
    const preparedResults = new Map<string, PreparedMessage | Error>();
    for (const [blobKey, promise] of prepared) {
      preparedResults.set(
        blobKey,
        await promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
      );
    }

    // Objects are written before joining the commit queue, so one group's fsyncs overlap another
    // group's commit. Deciding what to write here (rather than under the commit lock) can only
    // write an object twice when two groups race on it: same key, same plaintext, harmless.
    const knownParts = await this.deps.repository.findExistingBlobKeys(
      ctx.tenantId,
      unique(
        [...preparedResults.values()].flatMap((r) =>
          r instanceof Error ? [] : r.objects.slice(1).map((o) => o.key),
        ),
      ),
    );
    const written = new Set<string>();
    const objectsToWrite: Array<{ key: string; data: Uint8Array }> = [];
    for (const [blobKey, result] of preparedResults) {
      if (result instanceof Error || known.has(blobKey)) continue;
      for (const [i, object] of result.objects.entries()) {
        if (written.has(object.key) || (i > 0 && knownParts.has(object.key))) continue;
        written.add(object.key);
        objectsToWrite.push({ key: object.key, data: object.data });
      }
    }
    const locators = await this.deps.blobs.putMany(ctx.tenantId, objectsToWrite);

    const run = this.commitChain.then(() =>
      this.commitPrepared(ctx, mailboxId, keyed, preparedResults, locators, options),
    );
    this.commitChain = run.catch(() => undefined);
    const outcomes = await run;
    this.count(outcomes, items);
    return outcomes;
  }

  private count(outcomes: ArchiveOutcome[], items: ArchiveItem[]): void {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    const perOutcome = new Map<string, number>();
    let archivedBytes = 0;
    outcomes.forEach((outcome, i) => {
      perOutcome.set(outcome.status, (perOutcome.get(outcome.status) ?? 0) + 1);
      if (outcome.status === 'archived') archivedBytes += items[i]!.raw.length;
    });
    for (const [outcome, count] of perOutcome) metrics.ingestMessages.inc({ outcome }, count);
    if (archivedBytes > 0) metrics.ingestBytes.inc(archivedBytes);
  }

  private async commitPrepared(
    ctx: TenantContext,
    mailboxId: number,
    keyed: Array<{ item: ArchiveItem; blobKey: string; folderId: number }>,
    preparedResults: Map<string, PreparedMessage | Error>,
    /** Objects archiveBatch has already stored durably, and where. */
    written: ReadonlyMap<string, BlobLocator>,
    options: ArchiveBatchOptions,
  ): Promise<ArchiveOutcome[]> {
    const { repository, blobs } = this.deps;
    const tenantId = ctx.tenantId;
    const now = this.clock();
    const existingContents = new Map(
      (await repository.findContentsByBlobKeys(tenantId, unique(keyed.map((k) => k.blobKey)))).map((c) => [
        c.blob_key,
        c,
      ]),
    );
    const existingCopies = new Set(
      (
        await repository.findCopies(
          tenantId,
          [...existingContents.values()].map((c) => c.id),
        )
      ).map((c) => `${c.folder_id}:${c.content_id}`),
    );

    const commit: IngestCommit = {
      newBlobs: [],
      partRefIncrements: new Map(),
      newContents: [],
      newCopies: [],
      envelopes: [],
      archivedAt: now,
    };
    const newContentByKey = new Map<string, IngestCommit['newContents'][number]>();
    const placed = new Set<string>();
    type Pending = {
      pending: string;
      blobKey: string;
      folderId: number;
      status: 'archived' | 'copy' | 'duplicate';
    };
    const outcomes: Array<ArchiveOutcome | Pending> = [];
    const objectsToWrite: Array<{ key: string; data: Uint8Array }> = [];
    const newObjects: Array<PreparedMessage['objects'][number]> = [];
    const candidatePartKeys = new Set<string>();
    for (const [blobKey, result] of preparedResults) {
      if (!(result instanceof Error) && !existingContents.has(blobKey))
        for (const key of result.partKeys) candidatePartKeys.add(key);
    }
    const existingParts = await repository.findExistingBlobKeys(tenantId, [...candidatePartKeys]);
    const newParts = new Set<string>();

    for (const { item, blobKey, folderId } of keyed) {
      const existing = existingContents.get(blobKey);
      if (existing) {
        if (item.envelope) {
          const prepared = preparedResults.get(blobKey);
          if (!prepared || prepared instanceof Error) {
            outcomes.push({
              sourceRef: item.sourceRef,
              status: 'failed',
              error: `cannot index the envelope: ${prepared?.message ?? 'message not prepared'}`,
            });
            continue;
          }
          // The content's document is rebuilt from this second reading: if text extraction ran out
          // of time now but not the first time, the rebuilt document would lose attachment text.
          // Fail instead; the caller retries (journal intake: with back-off, on a quieter machine).
          const before = new Set(JSON.parse(existing.problems_json) as string[]);
          const newTimeout = prepared.parsed.problems.find((p) => /timed out/.test(p) && !before.has(p));
          if (newTimeout) {
            outcomes.push({
              sourceRef: item.sourceRef,
              status: 'failed',
              error: `re-reading the message to index its envelope: ${newTimeout}`,
            });
            continue;
          }
          commit.envelopes.push({
            contentId: existing.id,
            blobKey,
            folderId,
            envelope: item.envelope,
            baseFts: prepared.fts,
          });
        }
        const copyKey = `${folderId}:${existing.id}`;
        if (existingCopies.has(copyKey) || placed.has(copyKey)) {
          outcomes.push({ pending: item.sourceRef, blobKey, folderId, status: 'duplicate' });
          continue;
        }
        placed.add(copyKey);
        commit.newCopies.push({
          contentId: existing.id,
          blobKey,
          size: existing.size,
          mailboxId,
          folderId,
          sortDate: existing.date ?? now,
        });
        outcomes.push({ pending: item.sourceRef, blobKey, folderId, status: 'copy' });
        continue;
      }
      const prepared = preparedResults.get(blobKey);
      if (!prepared || prepared instanceof Error) {
        outcomes.push({
          sourceRef: item.sourceRef,
          status: 'failed',
          error: prepared?.message ?? 'not prepared',
        });
        continue;
      }
      let entry = newContentByKey.get(blobKey);
      if (!entry) {
        const messageObject = prepared.objects[0]!;
        objectsToWrite.push({ key: messageObject.key, data: messageObject.data });
        newObjects.push(messageObject);
        for (const object of prepared.objects.slice(1)) {
          if (existingParts.has(object.key) || newParts.has(object.key)) continue;
          newParts.add(object.key);
          objectsToWrite.push({ key: object.key, data: object.data });
          newObjects.push(object);
        }
        for (const key of prepared.partKeys)
          commit.partRefIncrements.set(key, (commit.partRefIncrements.get(key) ?? 0) + 1);
        const p = prepared.parsed;
        entry = {
          content: {
            blob_key: blobKey,
            sha256: prepared.sha256,
            size: prepared.size,
            message_id: p.messageId,
            date: p.date,
            from_addr: p.from[0]?.address ?? '',
            from_name: p.from[0]?.name ?? '',
            to_json: toJson(p.to),
            cc_json: toJson(p.cc),
            bcc_json: toJson(p.bcc),
            reply_to_json: toJson(p.replyTo),
            subject: p.subject,
            has_attachments: p.attachments.length > 0 ? 1 : 0,
            attachments_json: toJson(p.attachments),
            problems_json: toJson(p.problems),
            created_at: now,
          },
          partKeys: prepared.partKeys,
          fts: prepared.fts,
          placements: [],
        };
        newContentByKey.set(blobKey, entry);
        commit.newContents.push(entry);
      }
      if (item.envelope)
        commit.envelopes.push({ blobKey, folderId, envelope: item.envelope, baseFts: prepared.fts });
      const copyKey = `${folderId}:new:${blobKey}`;
      if (placed.has(copyKey)) {
        outcomes.push({ pending: item.sourceRef, blobKey, folderId, status: 'duplicate' });
        continue;
      }
      placed.add(copyKey);
      entry.placements.push({ mailboxId, folderId, sortDate: prepared.parsed.date ?? now });
      outcomes.push({
        pending: item.sourceRef,
        blobKey,
        folderId,
        status: entry.placements.length > 1 ? 'copy' : 'archived',
      });
    }

    // Objects first, then the rows that point at them: a crash in between leaves unreferenced
    // objects (harmless: the retry writes them again, a later compaction can drop the orphaned
    // pack) and never a row without its object. Almost all
    // were written by archiveBatch; what is left is a part whose row went away since it looked.
    const locators = new Map(written);
    for (const [key, locator] of await blobs.putMany(
      tenantId,
      objectsToWrite.filter((o) => !written.has(o.key)),
    ))
      locators.set(key, locator);
    for (const object of newObjects) commit.newBlobs.push(blobOf(object, locators.get(object.key)!));
    const { inCommit } = options;
    if (inCommit) {
      const stored = outcomes.flatMap((o, i) => ('pending' in o ? [i] : []));
      commit.inCommit = (trx) => inCommit(trx, stored);
    }
    const result = await repository.commitIngest(tenantId, commit);

    return outcomes.map((o) => {
      if (!('pending' in o)) return o;
      const contentId = existingContents.get(o.blobKey)?.id ?? result.contentIds.get(o.blobKey)!;
      // A duplicate's copy was written by an earlier run, so its id is not in this commit's result.
      const messageId = result.messageIds.get(`${o.folderId}:${contentId}`) ?? -1;
      return { sourceRef: o.pending, status: o.status, contentId, messageId };
    });
  }

  async findMessage(ctx: TenantContext, messageId: number): Promise<MessageSummary> {
    const row = await this.deps.repository.findMessage(ctx.tenantId, messageId);
    if (!row) throw new NotFoundError(`message ${messageId} does not exist`);
    return toSummary(row);
  }

  /** The exact archived bytes, checked against the SHA-256 recorded at ingest. */
  async readMessage(ctx: TenantContext, messageId: number): Promise<Buffer> {
    const summary = await this.deps.repository.findMessage(ctx.tenantId, messageId);
    if (!summary) throw new NotFoundError(`message ${messageId} does not exist`);
    return this.readContent(ctx, summary.blobKey, summary.sha256, `message ${messageId}`);
  }

  private async readObject(ctx: TenantContext, key: string, locator: BlobLocator | null | undefined) {
    // No row, no locator: the object is as good as missing (the store would say the same).
    if (locator == null) throw new IntegrityError(`object ${key} is missing: no blobs row names it`);
    const stored = await this.deps.blobs.get(ctx.tenantId, key, locator);
    let keyring = await this.deps.tenants.keyringFor(ctx.tenantId);
    // Another process (`postvault keys rotate-data`) may have added a data key since we cached ours.
    if (!keyring.dataKeys.has(readObjectHeader(stored).keyId)) {
      keyring = await this.deps.tenants.keyringFor(ctx.tenantId, { reload: true });
    }
    return decodeObject(
      stored,
      (keyId) => {
        const k = keyring.dataKeys.get(keyId);
        if (!k) throw new IntegrityError(`object ${key} names unknown key ${keyId}`);
        return k;
      },
      objectAad(ctx.tenantId, key),
    );
  }

  private async readContent(
    ctx: TenantContext,
    blobKey: string,
    sha256: string,
    label: string,
    /** The message object's locator when the caller has it already (verify reads it with the page). */
    knownLocator?: BlobLocator | null,
  ): Promise<Buffer> {
    const { repository } = this.deps;
    try {
      const locator =
        knownLocator !== undefined
          ? knownLocator
          : (await repository.findBlobLocators(ctx.tenantId, [blobKey])).get(blobKey);
      const object = await this.readObject(ctx, blobKey, locator);
      let partLocators: Map<string, BlobLocator> | undefined;
      const readPart = async (partKey: string) => {
        partLocators ??= await repository.findPartLocators(ctx.tenantId, blobKey);
        return (await this.readObject(ctx, partKey, partLocators.get(partKey))).plain;
      };
      const raw = object.kind === 'skeleton' ? await reassemble(object.plain, readPart) : object.plain;
      if (createHash('sha256').update(raw).digest('hex') !== sha256) {
        throw new IntegrityError(`SHA-256 of ${label} does not match the value recorded at ingest`);
      }
      return raw;
    } catch (error) {
      // A KeyError here means the object names a key id this tenant does not have: a damaged
      // header, as the master key was already checked at start.
      if (error instanceof IntegrityError || error instanceof KeyError) {
        throw new IntegrityError(`${label} failed its integrity check: ${error.message}`, { blobKey });
      }
      throw error;
    }
  }

  /**
   * Re-reads every object of the tenant, checks each GCM tag and the SHA-256 of each reassembled
   * message, and names every damaged or missing one by message.
   */
  async verify(
    ctx: TenantContext,
    onProgress?: (done: number) => void,
  ): Promise<{ checked: number; problems: VerifyProblem[] }> {
    const problems: VerifyProblem[] = [];
    let afterId = 0;
    let checked = 0;
    while (true) {
      const page = await this.deps.repository.findContentsAfter(ctx.tenantId, afterId, 500);
      if (page.length === 0) break;
      for (const content of page) {
        afterId = content.id;
        try {
          await this.readContent(
            ctx,
            content.blob_key,
            content.sha256,
            `content ${content.id}`,
            content.locator,
          );
        } catch (error) {
          const locations = await this.deps.repository.findLocations(ctx.tenantId, content.id);
          problems.push({
            contentId: content.id,
            blobKey: content.blob_key,
            locations: locations.map((l) => `${l.mailbox}/${l.folder}#${l.id}`),
            problem: (error as Error).message,
          });
        }
        checked += 1;
      }
      onProgress?.(checked);
    }
    return { checked, problems };
  }

  /** Counts from the database, and what the blob store takes on disk (packs and files). */
  async stats(ctx: TenantContext) {
    const [counts, usage] = await Promise.all([
      this.deps.repository.countStats(ctx.tenantId),
      this.deps.blobs.usage(ctx.tenantId),
    ]);
    return {
      ...counts,
      diskBytes: usage.allocatedBytes,
      objectFiles: usage.objectFiles,
      packFiles: usage.packFiles,
    };
  }

  indexBytes() {
    return this.deps.repository.indexBytes();
  }
}

function blobOf(
  object: {
    key: string;
    kind: 'message' | 'part';
    rawSize: number;
    data: Uint8Array;
  },
  locator: BlobLocator,
): NewBlob {
  return {
    key: object.key,
    kind: object.kind,
    rawSize: object.rawSize,
    storedSize: object.data.byteLength,
    locator,
  };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

export function toSummary(row: {
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
  hasAttachments: number;
}): MessageSummary {
  return {
    id: row.id,
    contentId: row.contentId,
    mailboxId: row.mailboxId,
    folderId: row.folderId,
    mailbox: row.mailbox,
    folder: row.folder,
    date: row.date,
    from: row.from,
    fromName: row.fromName,
    subject: row.subject,
    size: row.size,
    sha256: row.sha256,
    hasAttachments: row.hasAttachments === 1,
  };
}
