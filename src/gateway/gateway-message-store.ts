import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
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

/**
 * Each message in a segment is a frame (integers big-endian):
 *
 *   offset  size  field
 *   0       4     magic "PVGF"
 *   4       4     length of the encrypted message
 *   8       4     CRC-32 of the encrypted message followed by bytes 12..60
 *   12      24    uid (ASCII)
 *   36      8     octets as received (plaintext size)
 *   44      8     received at (ms since the epoch)
 *   52      8     first 8 bytes of the public key it is encrypted for
 *   60      ...   the encrypted message (PVGM)
 *
 * A row points at the encrypted message; the frame lets start-up recover messages whose rows were
 * not written yet (they are recorded behind the 250) and tells a torn tail from a whole frame.
 */
const FRAME_MAGIC = Buffer.from('PVGF', 'latin1');
export const FRAME_HEADER_SIZE = 60;
const KEY_PREFIX = 8;

function frameHeader(
  uid: string,
  size: number,
  receivedAt: number,
  publicKey: Uint8Array,
  dataLength: number,
  dataCrc: number,
): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  FRAME_MAGIC.copy(header, 0);
  header.writeUInt32BE(dataLength, 4);
  header.write(uid, 12, 24, 'latin1');
  header.writeDoubleBE(size, 36);
  header.writeDoubleBE(receivedAt, 44);
  Buffer.from(publicKey).copy(header, 52, 0, KEY_PREFIX);
  header.writeUInt32BE(crc32(header.subarray(12), dataCrc), 8);
  return header;
}

/** A whole frame found by recovery. */
export interface RecoveredFrame {
  mailboxId: number;
  segment: string;
  uid: string;
  size: number;
  receivedAt: number;
  /** Hex of the first bytes of the public key it is encrypted for. */
  keyPrefix: string;
  /** Where its encrypted message starts, and its length. */
  offset: number;
  storedSize: number;
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
  /** Octets as received. */
  readonly size: number;
  readonly receivedAt: number;
  /** Length of the encrypted message (without its frame header). */
  readonly storedSize: number;
  /** The whole frame (header and encrypted bytes), when small. */
  readonly frame: readonly Buffer[] | null;
  /** The segment of its own, when large. */
  readonly spilledSegment: string | null;
}

/** A message being encrypted; nothing of it is visible until a group commit records it. */
export interface EncryptedMessageWriter {
  readonly uid: string;
  write(plain: Uint8Array): Promise<void>;
  /** Encrypts the rest. A spilled message is then durable in its own segment (but not yet listed). */
  finish(receivedAt: number): Promise<SealedMessage>;
  /** Removes what was written (idempotent; also after a failed write or a finished, unrecorded message). */
  abort(): Promise<void>;
}

/** Where a placed message's bytes are. */
export interface Placement {
  segment: string;
  /** Where the encrypted message starts (after its frame header). */
  offset: number;
  /** Where its frame ends. */
  end: number;
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
  /** Bytes handed out: groups still being written hold their ranges below it. */
  size: number;
  /** Groups being written to it now. */
  writing: number;
}

/** What the database says is stored, for start-up recovery. */
export interface StoredState {
  mailboxIds: ReadonlySet<number>;
  /**
   * Per mailbox: segment name → where its last recorded frame ends, whether it is being removed
   * (its messages are all deleted), and whether any message of it is left.
   */
  segments: ReadonlyMap<
    number,
    ReadonlyMap<string, { recordedEnd: number; removing: boolean; used: boolean }>
  >;
  /** Per mailbox: uids of messages stored as files of their own. */
  legacy: ReadonlyMap<number, ReadonlySet<string>>;
}

export interface RecoveryReport {
  removedFiles: number;
  removedFolders: number;
  /** Whole frames after the recorded ones: acknowledged (or nearly) before a crash; to be recorded. */
  recovered: RecoveredFrame[];
  /** Segments cut back to their last whole frame (a torn append: never acknowledged). */
  truncatedSegments: number;
  truncatedBytes: number;
  /** Segment rows whose file is gone now (removed, or nothing in it): the caller deletes them. */
  goneSegments: Array<{ mailboxId: number; name: string }>;
  /** Recorded segments whose file is missing or shorter than recorded (damage: reported, not hidden). */
  problems: string[];
}

/**
 * Encrypted gateway mail under `<dataDir>/gateway/<mailboxId>/`. Plaintext never touches the disk:
 * intake encrypts as the SMTP data streams in, for the mailbox's public key.
 *
 * Messages are appended to the mailbox's active **segment** (`<name>.pvgs`): every message that is
 * ready while one group is on its way to the disk goes into the next group, and a group costs one
 * synchronous-data write per mailbox (O_DSYNC: write and fdatasync in one call; plus a folder fsync
 * when a segment is created), all in libuv's thread pool. The database rows, written by the same group's transaction after the sync, say where
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
  private readonly creating = new Map<number, Promise<ActiveSegment>>();
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
    let plainBytes = 0;
    let dataCrc = 0;
    // A spilled message's encrypted bytes go after room for its frame header, written at finish.
    let spill: { name: string; temp: string; handle: FileHandle; position: number } | null = null;
    let state: 'writing' | 'finished' | 'aborted' = 'writing';

    const toSpill = async (chunks: Buffer[]) => {
      for (const chunk of chunks) {
        await writeFully(spill!.handle, chunk, spill!.position);
        spill!.position += chunk.length;
      }
    };
    const take = async (chunks: Buffer[]) => {
      for (const chunk of chunks) dataCrc = crc32(chunk, dataCrc);
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
      spill = { name, temp, handle: await open(temp, 'wx', 0o600), position: FRAME_HEADER_SIZE };
      const pending = held;
      held = [];
      heldBytes = 0;
      await toSpill(pending);
    };

    return {
      uid,
      write: async (plain) => {
        if (state !== 'writing') throw new Error('the message writer has finished');
        plainBytes += plain.byteLength;
        await take(encryptor.push(plain));
      },
      finish: async (receivedAt) => {
        if (state !== 'writing') throw new Error('the message writer has finished');
        await take(encryptor.finish());
        state = 'finished';
        if (!spill) {
          const header = frameHeader(uid, plainBytes, receivedAt, publicKey, heldBytes, dataCrc);
          return {
            uid,
            mailboxId,
            publicKey,
            size: plainBytes,
            receivedAt,
            storedSize: heldBytes,
            frame: [header, ...held],
            spilledSegment: null,
          };
        }
        const storedSize = spill.position - FRAME_HEADER_SIZE;
        const header = frameHeader(uid, plainBytes, receivedAt, publicKey, storedSize, dataCrc);
        await writeFully(spill.handle, header, 0);
        // fdatasync also writes the size a new file needs to be read back; it skips only times.
        await spill.handle.datasync();
        await spill.handle.close();
        await rename(spill.temp, this.segmentPath(mailboxId, spill.name));
        return {
          uid,
          mailboxId,
          publicKey,
          size: plainBytes,
          receivedAt,
          storedSize,
          frame: null,
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
          // Finished and renamed, but it will not be acknowledged: no frame of it may be recovered.
          await unlink(this.segmentPath(mailboxId, spill.name)).catch(() => undefined);
        }
      },
    };
  }

  /**
   * Makes a group of finished messages durable: per mailbox, the in-memory ones are appended to its
   * active segment with one O_DSYNC write (mailboxes in parallel); folders where a segment
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
          placement: {
            segment: m.spilledSegment,
            offset: FRAME_HEADER_SIZE,
            end: FRAME_HEADER_SIZE + m.storedSize,
            newSegment: true,
            open: false,
          },
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
            // The group's range is taken before the write, so that another group can be written
            // beside it (GatewayCommitQueue keeps two under way).
            const offsets: number[] = [];
            const start = segment.size;
            let position = start;
            const chunks: Buffer[] = [];
            for (const i of group) {
              offsets.push(position);
              position += FRAME_HEADER_SIZE + messages[i]!.storedSize;
              chunks.push(...messages[i]!.frame!);
            }
            segment.size = position;
            segment.writing += 1;
            try {
              await this.options.beforeWrite?.(this.segmentPath(mailboxId, segment.name));
              // The segment is open with O_DSYNC: each write returns once its bytes are on the disk
              // (write and fdatasync in one call, so one trip through libuv's thread pool).
              await writeFully(segment.handle, Buffer.concat(chunks), start);
            } catch (error) {
              // What reached the file is bytes no row points to; append no more to this segment.
              await this.retire(mailboxId, segment);
              throw error;
            } finally {
              segment.writing -= 1;
            }
            group.forEach((i, n) => {
              results[i] = {
                ok: true,
                placement: {
                  segment: segment.name,
                  offset: offsets[n]! + FRAME_HEADER_SIZE,
                  end: offsets[n]! + FRAME_HEADER_SIZE + messages[i]!.storedSize,
                  newSegment: created,
                  open: true,
                },
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
    const pending = this.creating.get(mailboxId);
    if (pending) {
      const segment = await pending;
      if (segment.key === key && this.active.get(mailboxId) === segment) return { segment, created: true };
      return this.activeSegment(mailboxId, key);
    }
    const creation = (async () => {
      if (current) await this.retire(mailboxId, current);
      const dir = this.mailboxDir(mailboxId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = newSegmentName();
      const handle = await open(
        this.segmentPath(mailboxId, name),
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC,
        0o600,
      );
      const segment: ActiveSegment = { mailboxId, name, key, handle, size: 0, writing: 0 };
      this.active.set(mailboxId, segment);
      return segment;
    })();
    this.creating.set(mailboxId, creation);
    try {
      return { segment: await creation, created: true };
    } finally {
      this.creating.delete(mailboxId);
    }
  }

  /**
   * Stops appending to the mailbox's active segment (if any). Its row must then be closed and, if it
   * holds no message, the file removed: see `takeRetired`. Only between groups (GatewayCommitQueue).
   */
  async retire(mailboxId: number, only?: ActiveSegment): Promise<void> {
    const segment = this.active.get(mailboxId);
    if (!segment || (only && segment !== only)) return;
    this.active.delete(mailboxId);
    this.retired.push({ mailboxId, name: segment.name });
    await segment.handle.close().catch(() => undefined);
  }

  /** Retires every segment that reached its size: call after the group's rows are committed. */
  async retireFull(): Promise<void> {
    for (const segment of [...this.active.values()])
      if (segment.size >= this.segmentBytes && segment.writing === 0) await this.retire(segment.mailboxId);
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
   * Start-up recovery, when nothing else writes here. Removes temp files (a crash mid-intake: never
   * acknowledged), segments being removed, message files no row refers to, folders of mailboxes that
   * are gone. Reads each segment after its last recorded frame: whole frames are returned to be
   * recorded (intake records behind the 250, so they may have been acknowledged); a torn tail after
   * them is cut off. A segment without a row is read from its start the same way (created, or
   * spilled, and acknowledged before its first record) and removed if it holds no whole frame.
   */
  async recover(state: StoredState): Promise<RecoveryReport> {
    // Every segment is closed now (the state was read after closing their rows).
    await this.close();
    this.retired = [];
    const report: RecoveryReport = {
      removedFiles: 0,
      removedFolders: 0,
      recovered: [],
      truncatedSegments: 0,
      truncatedBytes: 0,
      goneSegments: [],
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
      const segments = state.segments.get(mailboxId) ?? new Map();
      const legacy = state.legacy.get(mailboxId) ?? new Set<string>();
      let removedHere = 0;
      const seen = new Set<string>();
      for (const name of await readdir(dir)) {
        const path = join(dir, name);
        if (!name.startsWith('.') && name.endsWith(SEGMENT_SUFFIX)) {
          const segment = name.slice(0, -SEGMENT_SUFFIX.length);
          seen.add(segment);
          const known = segments.get(segment);
          if (known?.removing) {
            report.goneSegments.push({ mailboxId, name: segment });
          } else {
            const recordedEnd = known?.recordedEnd ?? 0;
            const found = await this.readFrames(mailboxId, segment, recordedEnd, report);
            if (found > 0 || known?.used) continue;
            if (known) report.goneSegments.push({ mailboxId, name: segment });
          }
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
      for (const [segment, known] of segments) {
        if (seen.has(segment)) continue;
        if (known.used)
          report.problems.push(`gateway segment ${folder}/${segment}${SEGMENT_SUFFIX} is missing`);
        else report.goneSegments.push({ mailboxId, name: segment });
      }
    }
    if (report.removedFolders > 0) await fsyncDirectory(this.root);
    return report;
  }

  /**
   * The whole frames of a segment after `from` (into report.recovered), and the segment cut back to
   * the last of them. Returns how many were found.
   */
  private async readFrames(
    mailboxId: number,
    segment: string,
    from: number,
    report: RecoveryReport,
  ): Promise<number> {
    const path = this.segmentPath(mailboxId, segment);
    const handle = await open(path, 'r+');
    try {
      const { size } = await handle.stat();
      if (size < from) {
        report.problems.push(
          `gateway segment ${mailboxId}/${segment} holds ${size} bytes, ${from} are recorded`,
        );
        return 0;
      }
      let offset = from;
      let found = 0;
      const header = Buffer.alloc(FRAME_HEADER_SIZE);
      while (offset + FRAME_HEADER_SIZE <= size) {
        await handle.read(header, 0, FRAME_HEADER_SIZE, offset);
        if (!header.subarray(0, 4).equals(FRAME_MAGIC)) break;
        const length = header.readUInt32BE(4);
        if (offset + FRAME_HEADER_SIZE + length > size) break;
        const data = Buffer.alloc(length);
        await handle.read(data, 0, length, offset + FRAME_HEADER_SIZE);
        if (crc32(header.subarray(12), crc32(data)) !== header.readUInt32BE(8)) break;
        report.recovered.push({
          mailboxId,
          segment,
          uid: header.toString('latin1', 12, 36),
          size: header.readDoubleBE(36),
          receivedAt: header.readDoubleBE(44),
          keyPrefix: header.toString('hex', 52, 60),
          offset: offset + FRAME_HEADER_SIZE,
          storedSize: length,
        });
        found += 1;
        offset += FRAME_HEADER_SIZE + length;
      }
      // (A segment with nothing whole from its start is removed by the caller instead.)
      if (size > offset && (found > 0 || from > 0)) {
        await handle.truncate(offset);
        await handle.datasync();
        report.truncatedSegments += 1;
        report.truncatedBytes += size - offset;
      }
      return found;
    } finally {
      await handle.close();
    }
  }
}
