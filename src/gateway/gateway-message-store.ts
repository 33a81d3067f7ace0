import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDirectory, writeFully } from '../core/durable-file.js';
import { MessageEncryptor } from './gateway-crypto.js';

const SUFFIX = '.pvgm';
const TEMP_PREFIX = '.tmp-';
const UID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 24 characters of base32 (120 random bits): the POP3 UIDL and the file's name. */
export function newMessageUid(): string {
  const bytes = randomBytes(24);
  let uid = '';
  for (const b of bytes) uid += UID_ALPHABET[b & 31]!;
  return uid;
}

/** A message being encrypted into a temp file; nothing is visible until commit. */
export interface EncryptedMessageWriter {
  readonly uid: string;
  write(plain: Uint8Array): Promise<void>;
  /**
   * Encrypts the rest, fsyncs the file and renames it into place. The rename is durable once the
   * returned folder is fsynced (GatewayCommitQueue does that for many messages at once).
   */
  commit(): Promise<{ storedSize: number; folder: string }>;
  /** Removes the temp file (idempotent; also after a failed write). */
  abort(): Promise<void>;
}

export interface GatewayMessageStoreOptions {
  /** Called before a message file is written; throw to simulate ENOSPC and the like (tests). */
  beforeWrite?: (tempPath: string) => void | Promise<void>;
}

/**
 * Encrypted message files under `<dataDir>/gateway/<mailboxId>/<uid>.pvgm`. Plaintext never touches
 * the disk: intake encrypts chunk by chunk into a temp file in the mailbox's own folder, then fsync,
 * rename, folder fsync. The database row is written after that, so a file without a row (a crash in
 * between, or a delete that removed the row first) is garbage that `cleanup` removes at start.
 */
export class GatewayMessageStore {
  readonly root: string;

  constructor(
    dataDir: string,
    private readonly options: GatewayMessageStoreOptions = {},
  ) {
    this.root = join(dataDir, 'gateway');
  }

  private mailboxDir(mailboxId: number): string {
    return join(this.root, String(mailboxId));
  }

  private path(mailboxId: number, uid: string): string {
    return join(this.mailboxDir(mailboxId), `${uid}${SUFFIX}`);
  }

  async createWriter(mailboxId: number, publicKey: Uint8Array): Promise<EncryptedMessageWriter> {
    const dir = this.mailboxDir(mailboxId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const uid = newMessageUid();
    const temp = join(dir, `${TEMP_PREFIX}${uid}${SUFFIX}`);
    const final = this.path(mailboxId, uid);
    await this.options.beforeWrite?.(temp);
    const handle = await open(temp, 'wx', 0o600);
    const encryptor = new MessageEncryptor(publicKey);
    let position = 0;
    let closed = false;
    const append = async (chunks: Buffer[]) => {
      for (const chunk of chunks) {
        await writeFully(handle, chunk, position);
        position += chunk.length;
      }
    };
    const close = async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return {
      uid,
      write: (plain) => append(encryptor.push(plain)),
      async commit() {
        await append(encryptor.finish());
        // fdatasync also writes the size a new file needs to be read back; it skips only times.
        await handle.datasync();
        await close();
        await rename(temp, final);
        return { storedSize: position, folder: dir };
      },
      async abort() {
        await close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
      },
    };
  }

  /** The encrypted bytes of a message. */
  openRead(mailboxId: number, uid: string): Readable {
    return createReadStream(this.path(mailboxId, uid));
  }

  /** Removes message files (their rows are already gone); one folder fsync for all. */
  async deleteMessages(mailboxId: number, uids: readonly string[]): Promise<void> {
    for (const uid of uids) {
      await unlink(this.path(mailboxId, uid)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    if (uids.length > 0) await fsyncDirectory(this.mailboxDir(mailboxId)).catch(() => undefined);
  }

  /** A deleted mailbox's folder, with everything in it. */
  async deleteMailbox(mailboxId: number): Promise<void> {
    await rm(this.mailboxDir(mailboxId), { recursive: true, force: true });
    await fsyncDirectory(this.root).catch(() => undefined);
  }

  /**
   * Removes what no row refers to: temp files (a crash mid-intake: never acknowledged), message
   * files without a row (a crash between rename and insert, or between a row's delete and its
   * file's), and folders of mailboxes that are gone. Run when nothing else writes here (start-up).
   */
  async cleanup(keep: Map<number, Set<string>>): Promise<{ removedFiles: number; removedFolders: number }> {
    let removedFiles = 0;
    let removedFolders = 0;
    let folders: string[];
    try {
      folders = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { removedFiles, removedFolders };
      throw error;
    }
    for (const folder of folders) {
      const mailboxId = /^\d+$/.test(folder) ? Number(folder) : NaN;
      const uids = keep.get(mailboxId);
      const dir = join(this.root, folder);
      if (!uids) {
        if (!(await stat(dir)).isDirectory()) continue;
        await rm(dir, { recursive: true, force: true });
        removedFolders += 1;
        continue;
      }
      let removedHere = 0;
      for (const name of await readdir(dir)) {
        const isMessage = name.endsWith(SUFFIX) && !name.startsWith('.');
        if (isMessage && uids.has(name.slice(0, -SUFFIX.length))) continue;
        await unlink(join(dir, name)).catch(() => undefined);
        removedHere += 1;
      }
      if (removedHere > 0) await fsyncDirectory(dir);
      removedFiles += removedHere;
    }
    if (removedFolders > 0) await fsyncDirectory(this.root);
    return { removedFiles, removedFolders };
  }
}
