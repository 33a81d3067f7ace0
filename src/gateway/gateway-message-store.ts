import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDirectory, writeFully } from '../core/durable-file.js';
import { MessageEncryptor } from './gateway-crypto.js';

/** A message in a file of its own (how intake stored mail before segments; still read). */
const LEGACY_SUFFIX = '.pvgm';
const SEGMENT_SUFFIX = '.pvgs';
const TEMP_PREFIX = '.tmp-';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function randomBase32(length: number): string {
  let out = '';
  for (const b of randomBytes(length)) out += BASE32[b & 31]!;
  return out;
}

/** 24 characters of base32 (120 random bits): the POP3 UIDL, stable for the life of the message. */
export function newMessageUid(): string {
  return randomBase32(24);
}

/** Segment names sort by creation time; the random part keeps two processes' names apart. */
function newSegmentName(): string {
  return `${Date.now().toString().padStart(15, '0')}-${randomBase32(10)}`;
}

/**
 * One recipient's encrypted copy, complete and ready to be placed by a group commit. Small ones are
 * held in memory and appended to the mailbox's active segment; a large one was spilled, as it
 * streamed, into a segment of its own that is already written, fdatasync'ed and renamed.
 */
export interface SealedMessage {
  readonly uid: string;
  readonly mailboxId: number;
  /** The public key it is encrypted for; the commit checks it is still the mailbox's. */
  readonly publicKey: Uint8Array;
  readonly storedSize: number;
  /** The encrypted bytes, when small. */
  readonly chunks: readonly Buffer[] | null;
  /** The segment of its own, when large. */
  readonly spilledSegment: string | null;
}

/** A message being encrypted; nothing of it is visible until a group commit records it. */
export interface EncryptedMessageWriter {
  readonly uid: string;
  write(plain: Uint8Array): Promise<void>;
  /** Encrypts the rest. A spilled message is then durable in its own segment (but not yet listed). */
  finish(): Promise<SealedMessage>;
  /** Removes what was written (idempotent; also after a failed write or a finished, unrecorded message). */
  abort(): Promise<void>;
}

/** Where a placed message's bytes are. */
export interface Placement {
  segment: string;
  offset: number;
  /** The segment was created for this group (its row is inserted with the messages'). */
  newSegment: boolean;
  /** Spilled messages' segments are closed from the start: nothing is appended to them. */
  open: boolean;
}

export type PlaceResult = { ok: true; placement: Placement } | { ok: false; error: unknown };

/** A segment this process stopped appending to: its row must be closed (and the file removed if empty). */
export interface RetiredSegment {
  mailboxId: number;
  name: string;
}

export interface GatewayMessageStoreOptions {
  /** Called before bytes are written to a segment or spill file; throw to simulate ENOSPC (tests). */
  beforeWrite?: (path: string) => void | Promise<void>;
  /** A segment takes appends until it holds this many bytes. */
  segmentBytes?: number;
  /** A message whose encrypted bytes exceed this goes to a segment of its own as it streams. */
  spillBytes?: number;
}

interface ActiveSegment {
  mailboxId: number;
  name: string;
  /** Hex of the public key its messages were encrypted for: a new key (a reset) starts a new segment. */
  key: string;
  handle: FileHandle;
  size: number;
}

/** What the database says is stored, for start-up recovery. */
export interface StoredState {
  mailboxIds: ReadonlySet<number>;
  /** Per mailbox: segment name → the end of its last recorded message (0: none). */
  segments: ReadonlyMap<number, ReadonlyMap<string, number>>;
  /** Per mailbox: uids of messages stored as files of their own. */
  legacy: ReadonlyMap<number, ReadonlySet<string>>;
}

export interface RecoveryReport {
  removedFiles: number;
  removedFolders: number;
  /** Segments cut back to their last recorded message (bytes of a group whose rows never committed). */
  truncatedSegments: number;
  truncatedBytes: number;
  /** Segment rows without messages: the caller deletes them. */
  emptySegments: Array<{ mailboxId: number; name: string }>;
  /** Recorded segments whose file is missing or shorter than recorded (damage: reported, not hidden). */
  problems: string[];
}

/**
 * Encrypted gateway mail under `<dataDir>/gateway/<mailboxId>/`. Plaintext never touches the disk:
 * intake encrypts as the SMTP data streams in, for the mailbox's public key.
 *
 * Messages are appended to the mailbox's active **segment** (`<name>.pvgs`): every message that is
 * ready while one group is on its way to the disk goes into the next group, and a group costs one
 * write and one fdatasync per mailbox (plus a folder fsync when a segment is created), all in libuv's
 * thread pool. The database rows, written by the same group's transaction after the sync, say where
 * each message is: (segment, offset, stored size). Bytes no row points to (a crash before the commit,
 * a failed group) are never served; start-up cuts them off a segment's end. A message larger than
 * `spillBytes` encrypted is written, as it streams, to a segment of its own (temp file, fdatasync,
 * rename), so memory stays bounded whatever the size.
 *
 * A segment is removed once it is closed (no process appends to it any more; see the
 * `gateway_segments` rows) and none of its messages is left.
 */
export class GatewayMessageStore {
  readonly root: string;
  private readonly segmentBytes: number;
  private readonly spillBytes: number;
  private readonly active = new Map<number, ActiveSegment>();
  private retired: RetiredSegment[] = [];

  constructor(
    dataDir: string,
    private readonly options: GatewayMessageStoreOptions = {},
  ) {
    this.root = join(dataDir, 'gateway');
    this.segmentBytes = options.segmentBytes ?? 8 * 1024 * 1024;
    this.spillBytes = options.spillBytes ?? 256 * 1024;
  }

  private mailboxDir(mailboxId: number): string {
    return join(this.root, String(mailboxId));
  }

  segmentPath(mailboxId: number, segment: string): string {
    return join(this.mailboxDir(mailboxId), `${segment}${SEGMENT_SUFFIX}`);
  }

  private legacyPath(mailboxId: number, uid: string): string {
    return join(this.mailboxDir(mailboxId), `${uid}${LEGACY_SUFFIX}`);
  }

  createWriter(mailboxId: number, publicKey: Uint8Array): EncryptedMessageWriter {
    const uid = newMessageUid();
    const encryptor = new MessageEncryptor(publicKey);
    const dir = this.mailboxDir(mailboxId);
    const { beforeWrite } = this.options;
    const spillBytes = this.spillBytes;
    let held: Buffer[] = [];
    let heldBytes = 0;
    let spill: { name: string; temp: string; handle: FileHandle; position: number } | null = null;
    let state: 'writing' | 'finished' | 'aborted' = 'writing';

    const toSpill = async (chunks: Buffer[]) => {
      for (const chunk of chunks) {
        await writeFully(spill!.handle, chunk, spill!.position);
        spill!.position += chunk.length;
      }
    };
    const take = async (chunks: Buffer[]) => {
      if (spill) return toSpill(chunks);
      for (const chunk of chunks) {
        held.push(chunk);
        heldBytes += chunk.length;
      }
      if (heldBytes <= spillBytes) return;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = newSegmentName();
      const temp = join(dir, `${TEMP_PREFIX}${name}${SEGMENT_SUFFIX}`);
      await beforeWrite?.(temp);
      spill = { name, temp, handle: await open(temp, 'wx', 0o600), position: 0 };
      const pending = held;
      held = [];
      heldBytes = 0;
      await toSpill(pending);
    };

    return {
      uid,
      write: async (plain) => {
        if (state !== 'writing') throw new Error('the message writer has finished');
        await take(encryptor.push(plain));
      },
      finish: async () => {
        if (state !== 'writing') throw new Error('the message writer has finished');
        await take(encryptor.finish());
        state = 'finished';
        if (!spill)
          return { uid, mailboxId, publicKey, storedSize: heldBytes, chunks: held, spilledSegment: null };
        // fdatasync also writes the size a new file needs to be read back; it skips only times.
        await spill.handle.datasync();
        await spill.handle.close();
        await rename(spill.temp, this.segmentPath(mailboxId, spill.name));
        return {
          uid,
          mailboxId,
          publicKey,
          storedSize: spill.position,
          chunks: null,
          spilledSegment: spill.name,
        };
      },
      abort: async () => {
        const was = state;
        state = 'aborted';
        held = [];
        if (!spill || was === 'aborted') return;
        if (was === 'writing') {
          await spill.handle.close().catch(() => undefined);
          await unlink(spill.temp).catch(() => undefined);
        } else {
          // Finished and renamed, but no row will point at it.
          await unlink(this.segmentPath(mailboxId, spill.name)).catch(() => undefined);
        }
      },
    };
  }

  /**
   * Makes a group of finished messages durable: per mailbox, the in-memory ones are appended to its
   * active segment with one write and one fdatasync (mailboxes in parallel); folders where a segment
   * appeared (a new active segment, a spilled message's rename) are fsynced once each. Resolves with
   * each message's place, or its error; only then may their rows be committed. One call at a time
   * (GatewayCommitQueue).
   */
  async place(messages: readonly SealedMessage[]): Promise<PlaceResult[]> {
    const results: PlaceResult[] = new Array<PlaceResult>(messages.length);
    const byMailbox = new Map<number, number[]>();
    const folders = new Set<string>();
    messages.forEach((m, i) => {
      if (m.spilledSegment) {
        results[i] = {
          ok: true,
          placement: { segment: m.spilledSegment, offset: 0, newSegment: true, open: false },
        };
        folders.add(this.mailboxDir(m.mailboxId));
        return;
      }
      const list = byMailbox.get(m.mailboxId) ?? [];
      list.push(i);
      byMailbox.set(m.mailboxId, list);
    });

    await Promise.all(
      [...byMailbox].map(async ([mailboxId, indexes]) => {
        // Messages for another public key than the segment's (a reset) go after a new segment's start.
        const byKey = new Map<string, number[]>();
        for (const i of indexes) {
          const key = Buffer.from(messages[i]!.publicKey).toString('hex');
          byKey.set(key, [...(byKey.get(key) ?? []), i]);
        }
        for (const [key, group] of byKey) {
          try {
            const { segment, created } = await this.activeSegment(mailboxId, key);
            if (created) folders.add(this.mailboxDir(mailboxId));
            const offsets: number[] = [];
            let position = segment.size;
            const chunks: Buffer[] = [];
            for (const i of group) {
              offsets.push(position);
              position += messages[i]!.storedSize;
              chunks.push(...messages[i]!.chunks!);
            }
            try {
              await this.options.beforeWrite?.(this.segmentPath(mailboxId, segment.name));
              await writeFully(segment.handle, Buffer.concat(chunks), segment.size);
              await segment.handle.datasync();
            } catch (error) {
              // What reached the file is bytes no row points to; append no more to this segment.
              await this.retire(mailboxId);
              throw error;
            }
            segment.size = position;
            group.forEach((i, n) => {
              results[i] = {
                ok: true,
                placement: { segment: segment.name, offset: offsets[n]!, newSegment: created, open: true },
              };
            });
          } catch (error) {
            for (const i of group) results[i] = { ok: false, error };
          }
        }
      }),
    );

    // A new name in a folder must survive a crash before any row points into it.
    const failedFolders = new Map<string, unknown>();
    for (const folder of folders) {
      try {
        await fsyncDirectory(folder);
      } catch (error) {
        failedFolders.set(folder, error);
      }
    }
    if (failedFolders.size > 0)
      messages.forEach((m, i) => {
        const error = failedFolders.get(this.mailboxDir(m.mailboxId));
        const result = results[i]!;
        if (error !== undefined && result.ok && result.placement.newSegment)
          results[i] = { ok: false, error };
      });
    return results;
  }

  private async activeSegment(
    mailboxId: number,
    key: string,
  ): Promise<{ segment: ActiveSegment; created: boolean }> {
    const current = this.active.get(mailboxId);
    if (current && current.key === key) return { segment: current, created: false };
    if (current) await this.retire(mailboxId);
    const dir = this.mailboxDir(mailboxId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = newSegmentName();
    const handle = await open(this.segmentPath(mailboxId, name), 'wx', 0o600);
    const segment: ActiveSegment = { mailboxId, name, key, handle, size: 0 };
    this.active.set(mailboxId, segment);
    return { segment, created: true };
  }

  /**
   * Stops appending to the mailbox's active segment (if any). Its row must then be closed and, if it
   * holds no message, the file removed: see `takeRetired`. Only between groups (GatewayCommitQueue).
   */
  async retire(mailboxId: number): Promise<void> {
    const segment = this.active.get(mailboxId);
    if (!segment) return;
    this.active.delete(mailboxId);
    this.retired.push({ mailboxId, name: segment.name });
    await segment.handle.close().catch(() => undefined);
  }

  /** Retires every segment that reached its size: call after the group's rows are committed. */
  async retireFull(): Promise<void> {
    for (const segment of [...this.active.values()])
      if (segment.size >= this.segmentBytes) await this.retire(segment.mailboxId);
  }

  /** Segments retired since the last call. */
  takeRetired(): RetiredSegment[] {
    const retired = this.retired;
    this.retired = [];
    return retired;
  }

  /** The encrypted bytes of a message (PVGM). */
  openRead(
    mailboxId: number,
    message: { uid: string; segment: string | null; segment_offset: number | null; stored_size: number },
  ): Readable {
    if (message.segment === null) return createReadStream(this.legacyPath(mailboxId, message.uid));
    const start = message.segment_offset ?? 0;
    return createReadStream(this.segmentPath(mailboxId, message.segment), {
      start,
      end: start + message.stored_size - 1,
    });
  }

  /**
   * Removes segments none of whose messages is left (their rows are gone already) and message files
   * of their own; one folder fsync for all.
   */
  async removeFiles(mailboxId: number, segments: readonly string[], legacyUids: readonly string[] = []) {
    const paths = [
      ...segments.map((s) => this.segmentPath(mailboxId, s)),
      ...legacyUids.map((uid) => this.legacyPath(mailboxId, uid)),
    ];
    for (const path of paths)
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    if (paths.length > 0) await fsyncDirectory(this.mailboxDir(mailboxId)).catch(() => undefined);
  }

  /** A deleted mailbox's folder, with everything in it. */
  async deleteMailbox(mailboxId: number): Promise<void> {
    const segment = this.active.get(mailboxId);
    if (segment) {
      this.active.delete(mailboxId);
      await segment.handle.close().catch(() => undefined);
    }
    await rm(this.mailboxDir(mailboxId), { recursive: true, force: true });
    await fsyncDirectory(this.root).catch(() => undefined);
  }

  /** Closes the active segments (shutdown); their rows are closed at the next start. */
  async close(): Promise<void> {
    const segments = [...this.active.values()];
    this.active.clear();
    for (const segment of segments) await segment.handle.close().catch(() => undefined);
  }

  /**
   * Start-up recovery, when nothing else writes here: removes temp files (a crash mid-intake: never
   * acknowledged), segments and message files no row refers to (a crash before their group's
   * commit, or after a delete's commit), folders of mailboxes that are gone; cuts each segment back
   * to the end of its last recorded message (a group whose rows never committed: never
   * acknowledged, never served).
   */
  async recover(state: StoredState): Promise<RecoveryReport> {
    // Every segment is closed now (the state was read after closing their rows).
    await this.close();
    this.retired = [];
    const report: RecoveryReport = {
      removedFiles: 0,
      removedFolders: 0,
      truncatedSegments: 0,
      truncatedBytes: 0,
      emptySegments: [],
      problems: [],
    };
    let folders: string[];
    try {
      folders = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      folders = [];
    }
    for (const folder of folders) {
      const mailboxId = /^\d+$/.test(folder) ? Number(folder) : NaN;
      const dir = join(this.root, folder);
      if (!state.mailboxIds.has(mailboxId)) {
        if (!(await stat(dir)).isDirectory()) continue;
        await rm(dir, { recursive: true, force: true });
        report.removedFolders += 1;
        continue;
      }
      const segments = state.segments.get(mailboxId) ?? new Map<string, number>();
      const legacy = state.legacy.get(mailboxId) ?? new Set<string>();
      let removedHere = 0;
      const seen = new Set<string>();
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        if (!name.startsWith('.') && name.endsWith(SEGMENT_SUFFIX)) {
          const segment = name.slice(0, -SEGMENT_SUFFIX.length);
          seen.add(segment);
          const end = segments.get(segment);
          if (end !== undefined && end > 0) {
            const handle = await open(path, 'r+');
            try {
              const { size } = await handle.stat();
              if (size > end) {
                await handle.truncate(end);
                await handle.datasync();
                report.truncatedSegments += 1;
                report.truncatedBytes += size - end;
              } else if (size < end) {
                report.problems.push(
                  `gateway segment ${folder}/${name} holds ${size} bytes, its messages end at ${end}`,
                );
              }
            } finally {
              await handle.close();
            }
            continue;
          }
          if (end === 0) report.emptySegments.push({ mailboxId, name: segment });
        } else if (
          !name.startsWith('.') &&
          name.endsWith(LEGACY_SUFFIX) &&
          legacy.has(name.slice(0, -LEGACY_SUFFIX.length))
        ) {
          continue;
        }
        await unlink(path).catch(() => undefined);
        removedHere += 1;
      }
      if (removedHere > 0) await fsyncDirectory(dir);
      report.removedFiles += removedHere;
      for (const [segment, end] of segments) {
        if (seen.has(segment)) continue;
        if (end === 0) report.emptySegments.push({ mailboxId, name: segment });
        else report.problems.push(`gateway segment ${folder}/${segment}${SEGMENT_SUFFIX} is missing`);
      }
    }
    if (report.removedFolders > 0) await fsyncDirectory(this.root);
    return report;
  }
}
