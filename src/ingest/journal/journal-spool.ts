import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Transaction } from 'kysely';
import { fsyncDirectory, writeFully } from '../../core/durable-file.js';
import type { Db } from '../../db/database.js';
import type { Database } from '../../db/schema.js';

/** What the spool keeps of one accepted message for one journal mailbox. */
export interface SpoolRecord {
  tenantId: number;
  mailboxId: number;
  /** The endpoints (of this mailbox) the message was addressed to. */
  endpointIds: number[];
  /** Random; bound into the encryption, so a record's data cannot be swapped for another's. */
  ref: string;
  peer: string;
  mailFrom: string;
  receivedAt: number;
  /** Size of the message as received. */
  size: number;
  /** The message, encrypted under the tenant's data key (object codec, uncompressed). */
  data: Buffer;
}

/** Where a group of appended records lies: what the drain reads back. */
export interface SpoolRange {
  segment: string;
  offset: number;
  length: number;
  /** Index of the first record in its segment; the others follow. */
  firstIndex: number;
  count: number;
  /** Sum of the records' message sizes. */
  bytes: number;
  /** When the earliest of them was received. */
  firstReceivedAt: number;
}

export interface JournalSpoolOptions {
  /** Called before bytes are written to a segment; throw to simulate ENOSPC and the like. */
  beforeWrite?: (path: string) => void | Promise<void>;
  /** A segment takes appends until it holds this many bytes. */
  segmentBytes?: number;
}

const SUFFIX = '.spool';
/** header length, data length, CRC-32 of both. */
const FRAME = 12;

interface Segment {
  name: string;
  /** Records written (and, for the active segment, still growing). */
  records: number;
  done: number;
  active: boolean;
  /** Bytes after the last whole record (a crash mid-append, or damage): kept, not deleted. */
  trailingBytes: number;
}

/**
 * The journal intake's spool: messages acknowledged to the sender (250) and not archived yet,
 * appended to segment files under `<dataDir>/spool/journal`. An append is durable when it
 * resolves: one write and one fdatasync in libuv's thread pool (plus one folder fsync when a
 * segment is created), so the event loop keeps serving while the disk works. Each record is framed
 * with its lengths and a CRC-32; a crash mid-append leaves a torn tail that nobody was told 250
 * for, and reading stops there.
 *
 * Which records the archive has taken is kept in the database (journal_spool_done) by the
 * archive's own transaction; a full segment whose records are all taken is removed.
 */
export class JournalSpool {
  readonly dir: string;
  private readonly segmentBytes: number;
  private active: { segment: Segment; handle: FileHandle; size: number } | null = null;
  private readonly segments = new Map<string, Segment>();
  private sequence = 0;
  private closed = false;

  constructor(
    dataDir: string,
    private readonly db: Db,
    private readonly options: JournalSpoolOptions = {},
  ) {
    this.dir = join(dataDir, 'spool', 'journal');
    this.segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
  }

  /** Appends the records as one group; one caller at a time. Durable when the promise resolves. */
  async append(records: readonly SpoolRecord[]): Promise<SpoolRange> {
    const active = await this.activeSegment();
    const frames: Buffer[] = [];
    let bytes = 0;
    for (const { data, ...header } of records) {
      const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
      const frame = Buffer.alloc(FRAME);
      frame.writeUInt32BE(headerBytes.length, 0);
      frame.writeUInt32BE(data.length, 4);
      frame.writeUInt32BE(crc32(data, crc32(headerBytes)), 8);
      frames.push(frame, headerBytes, data);
      bytes += header.size;
    }
    const chunk = Buffer.concat(frames);
    const path = join(this.dir, active.segment.name);
    const offset = active.size;
    try {
      await this.options.beforeWrite?.(path);
      await writeFully(active.handle, chunk, offset);
      await active.handle.datasync();
    } catch (error) {
      // Whatever part of the group reached the file is a torn tail: never reuse this segment.
      await this.rotate();
      throw error;
    }
    active.size += chunk.length;
    const firstIndex = active.segment.records;
    active.segment.records += records.length;
    if (active.size >= this.segmentBytes) await this.rotate();
    return {
      segment: active.segment.name,
      offset,
      length: chunk.length,
      firstIndex,
      count: records.length,
      bytes,
      firstReceivedAt: Math.min(...records.map((r) => r.receivedAt)),
    };
  }

  private async activeSegment() {
    if (this.active) return this.active;
    if (this.closed) throw new Error('the journal spool is closed');
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${(this.sequence++).toString().padStart(6, '0')}${SUFFIX}`;
    const handle = await open(join(this.dir, name), 'wx', 0o600);
    // The segment's name must survive a crash before anything in it is acknowledged.
    await fsyncDirectory(this.dir);
    const segment: Segment = { name, records: 0, done: 0, active: true, trailingBytes: 0 };
    this.segments.set(name, segment);
    this.active = { segment, handle, size: 0 };
    return this.active;
  }

  private async rotate(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = null;
    active.segment.active = false;
    await active.handle.close().catch(() => undefined);
    await this.removeIfDone(active.segment);
  }

  /**
   * The segments an earlier run left (all of them closed), each read up to its last whole record, as
   * ranges of records not yet archived; markers of segments that are gone are cleared. `problems`
   * names segments that could not be read or have bytes after their last whole record: the former
   * are set aside as `.damaged`, the latter are once their records are archived.
   */
  async recover(): Promise<{ ranges: SpoolRange[]; problems: string[] }> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith(SUFFIX)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw error;
    }
    const existing = new Set(names);
    const marked = await this.db.selectFrom('journal_spool_done').select('file').distinct().execute();
    const gone = marked.map((m) => m.file).filter((f) => !existing.has(f));
    for (let i = 0; i < gone.length; i += 400)
      await this.db
        .deleteFrom('journal_spool_done')
        .where('file', 'in', gone.slice(i, i + 400))
        .execute();

    const ranges: SpoolRange[] = [];
    const problems: string[] = [];
    for (const name of names) {
      if (this.segments.has(name)) continue;
      let scan: Awaited<ReturnType<typeof readFrames>>;
      try {
        const handle = await open(join(this.dir, name), 'r');
        try {
          scan = await readFrames(handle);
        } finally {
          await handle.close();
        }
      } catch (error) {
        await this.setAside(name);
        problems.push(
          `spool segment ${name} could not be read (${(error as Error).message}); kept as ${name}.damaged`,
        );
        continue;
      }
      const { frames, trailingBytes } = scan;
      const done = await this.doneRecords(name, 0, frames.length);
      const segment: Segment = {
        name,
        records: frames.length,
        done: done.size,
        active: false,
        trailingBytes,
      };
      this.segments.set(name, segment);
      if (trailingBytes > 0)
        problems.push(
          `spool segment ${name} has ${trailingBytes} bytes after its last whole record (a crash while writing, which was never acknowledged, or damage); it is kept as ${name}.damaged once its ${frames.length} records are archived`,
        );
      frames.forEach((frame, index) => {
        if (!done.has(index))
          ranges.push({
            segment: name,
            offset: frame.offset,
            length: frame.length,
            firstIndex: index,
            count: 1,
            bytes: frame.size,
            firstReceivedAt: frame.receivedAt,
          });
      });
      await this.removeIfDone(segment);
    }
    return { ranges, problems };
  }

  /** The records of a range, each with its index in the segment. */
  async read(range: SpoolRange): Promise<Array<{ index: number; record: SpoolRecord }>> {
    const handle = await open(join(this.dir, range.segment), 'r');
    const bytes = Buffer.alloc(range.length);
    try {
      const { bytesRead } = await handle.read(bytes, 0, range.length, range.offset);
      if (bytesRead !== range.length)
        throw new Error(`spool segment ${range.segment} is shorter than recorded`);
    } finally {
      await handle.close();
    }
    const records: Array<{ index: number; record: SpoolRecord }> = [];
    let offset = 0;
    for (let i = 0; i < range.count; i++) {
      const frame = parseFrame(bytes, offset);
      if (!frame)
        throw new Error(`spool segment ${range.segment}: record ${range.firstIndex + i} is damaged`);
      const header = JSON.parse(frame.header.toString('utf8')) as Omit<SpoolRecord, 'data'>;
      records.push({ index: range.firstIndex + i, record: { ...header, data: frame.data } });
      offset = frame.end;
    }
    return records;
  }

  /** Indexes among [first, first + count) of a segment's records that the archive has taken. */
  async doneRecords(segment: string, first: number, count: number): Promise<Set<number>> {
    const rows = await this.db
      .selectFrom('journal_spool_done')
      .select('record')
      .where('file', '=', segment)
      .where('record', '>=', first)
      .where('record', '<', first + count)
      .execute();
    return new Set(rows.map((r) => r.record));
  }

  /** Inside the archive's transaction: these records are archived. */
  async markDoneIn(trx: Transaction<Database>, done: ReadonlyArray<{ file: string; record: number }>) {
    for (let i = 0; i < done.length; i += 400)
      await trx
        .insertInto('journal_spool_done')
        .values(done.slice(i, i + 400))
        .onConflict((oc) => oc.doNothing())
        .execute();
  }

  /** markDoneIn in a transaction of its own (records given up on, e.g. of a deleted tenant). */
  async markDone(done: ReadonlyArray<{ file: string; record: number }>): Promise<void> {
    await this.db.transaction().execute((trx) => this.markDoneIn(trx, done));
  }

  /** After a range is archived: a closed segment with nothing left goes, then its markers. */
  async released(range: SpoolRange): Promise<void> {
    const segment = this.segments.get(range.segment);
    if (!segment) return;
    segment.done += range.count;
    await this.removeIfDone(segment);
  }

  private async removeIfDone(segment: Segment): Promise<void> {
    if (segment.active || segment.done < segment.records) return;
    this.segments.delete(segment.name);
    if (segment.trailingBytes > 0) await this.setAside(segment.name);
    else
      await unlink(join(this.dir, segment.name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    // Without this a power loss could bring the segment back after its markers are gone.
    await fsyncDirectory(this.dir);
    // A crash before this leaves markers of a missing segment; recover() clears them.
    await this.db.deleteFrom('journal_spool_done').where('file', '=', segment.name).execute();
  }

  /** Renames a segment out of the spool's way, for a person to look at; nothing is deleted. */
  private async setAside(name: string): Promise<void> {
    await rename(join(this.dir, name), join(this.dir, `${name}.damaged`)).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      },
    );
  }

  /** Closes the active segment (shutdown); its records stay for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    const active = this.active;
    this.active = null;
    if (!active) return;
    active.segment.active = false;
    await active.handle.close();
  }
}

function parseFrame(bytes: Buffer, offset: number) {
  if (offset + FRAME > bytes.length) return null;
  const headerLength = bytes.readUInt32BE(offset);
  const dataLength = bytes.readUInt32BE(offset + 4);
  const checksum = bytes.readUInt32BE(offset + 8);
  // Zeros (a file extended but never written) would pass the checksum: a record always has a header.
  if (headerLength === 0) return null;
  const headerStart = offset + FRAME;
  const dataStart = headerStart + headerLength;
  const end = dataStart + dataLength;
  if (end > bytes.length) return null;
  const header = bytes.subarray(headerStart, dataStart);
  const data = bytes.subarray(dataStart, end);
  if (crc32(data, crc32(header)) !== checksum) return null;
  return { header, data, end };
}

/** Every whole record of a segment, up to the first torn or damaged one, and what follows it. */
async function readFrames(handle: FileHandle) {
  const { size } = await handle.stat();
  const bytes = Buffer.alloc(size);
  const { bytesRead } = await handle.read(bytes, 0, size, 0);
  const frames: Array<{ offset: number; length: number; size: number; receivedAt: number }> = [];
  let offset = 0;
  for (;;) {
    const frame = parseFrame(bytes, offset);
    if (!frame) break;
    let header: { size: number; receivedAt: number };
    try {
      header = JSON.parse(frame.header.toString('utf8')) as { size: number; receivedAt: number };
    } catch {
      break;
    }
    frames.push({ offset, length: frame.end - offset, size: header.size, receivedAt: header.receivedAt });
    offset = frame.end;
  }
  return { frames, trailingBytes: bytesRead - offset };
}
