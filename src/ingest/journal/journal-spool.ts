import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Transaction } from 'kysely';
import { writeFileDurably } from '../../core/durable-file.js';
import { IntegrityError } from '../../core/errors.js';
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

export interface SpoolFile {
  name: string;
  records: SpoolRecord[];
}

const MAGIC = Buffer.from('PVSPOOL1\n', 'latin1');
const SUFFIX = '.spool';

export interface JournalSpoolOptions {
  /** Called before a spool file's bytes are written; throw to simulate ENOSPC and the like. */
  beforeWrite?: (tempPath: string) => void | Promise<void>;
}

/**
 * The journal intake's spool: messages acknowledged to the sender (250) and not yet archived.
 * Each group of messages accepted together is one file under `<dataDir>/spool/journal`, written
 * durably off the event loop (temp file, fsync, rename, folder fsync), named so that names sort by
 * age. Which records the archive has taken is kept in the database (journal_spool_done) by the
 * archive's own transaction; a file whose records are all taken is removed.
 */
export class JournalSpool {
  readonly dir: string;
  private sequence = 0;

  constructor(
    dataDir: string,
    private readonly db: Db,
    private readonly options: JournalSpoolOptions = {},
  ) {
    this.dir = join(dataDir, 'spool', 'journal');
  }

  /** Writes one file with every record; durable when the promise resolves. Returns its name. */
  async write(records: readonly SpoolRecord[]): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${(this.sequence++).toString().padStart(8, '0')}${SUFFIX}`;
    const chunks: Buffer[] = [MAGIC];
    for (const { data, ...header } of records) {
      const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
      const lengths = Buffer.alloc(8);
      lengths.writeUInt32BE(headerBytes.length, 0);
      lengths.writeUInt32BE(data.length, 4);
      chunks.push(lengths, headerBytes, data);
    }
    await writeFileDurably(join(this.dir, name), [Buffer.concat(chunks)], this.options.beforeWrite);
    return name;
  }

  /** Spool file names, oldest first. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => n.endsWith(SUFFIX) && !n.startsWith('.')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async read(name: string): Promise<SpoolFile> {
    const bytes = await readFile(join(this.dir, name));
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC))
      throw new IntegrityError(`spool file ${name} does not start with the spool header`);
    const records: SpoolRecord[] = [];
    let offset = MAGIC.length;
    while (offset < bytes.length) {
      if (offset + 8 > bytes.length) throw new IntegrityError(`spool file ${name} is truncated`);
      const headerLength = bytes.readUInt32BE(offset);
      const dataLength = bytes.readUInt32BE(offset + 4);
      const headerStart = offset + 8;
      const dataStart = headerStart + headerLength;
      if (dataStart + dataLength > bytes.length) throw new IntegrityError(`spool file ${name} is truncated`);
      const header = JSON.parse(bytes.subarray(headerStart, dataStart).toString('utf8')) as Omit<
        SpoolRecord,
        'data'
      >;
      records.push({ ...header, data: bytes.subarray(dataStart, dataStart + dataLength) });
      offset = dataStart + dataLength;
    }
    return { name, records };
  }

  /** Indexes of the file's records the archive has already taken. */
  async doneRecords(name: string): Promise<Set<number>> {
    const rows = await this.db
      .selectFrom('journal_spool_done')
      .select('record')
      .where('file', '=', name)
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

  /**
   * Removes a fully archived file, then its markers. A crash in between leaves markers of a file
   * that no longer exists, which forgetOrphans clears.
   */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await this.db.deleteFrom('journal_spool_done').where('file', '=', name).execute();
  }

  /** Clears markers of files that are gone (start-up). */
  async forgetOrphans(existing: readonly string[]): Promise<void> {
    const present = new Set(existing);
    const files = await this.db.selectFrom('journal_spool_done').select('file').distinct().execute();
    const gone = files.map((f) => f.file).filter((f) => !present.has(f));
    for (let i = 0; i < gone.length; i += 400)
      await this.db
        .deleteFrom('journal_spool_done')
        .where('file', 'in', gone.slice(i, i + 400))
        .execute();
  }
}
