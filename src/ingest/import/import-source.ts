import type { Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  describeError,
  isImportProblem,
  type ImportEntry,
  type ImportProblem,
  type ImportSourceOptions,
} from './import.types.js';
import { readMbox } from './mbox-reader.js';
import { readPst } from './pst-reader.js';

export type ImportFileKind = 'mbox' | 'pst' | 'eml';

/**
 * Opens a file or a directory for `postvault import`.
 *
 * Kinds are detected by content, never by extension: "From " at offset 0 is an mbox, "!BDN" is a
 * PST/OST, anything else is one message archived byte for byte (mail or not: the archive keeps what it
 * is given, and the parser reports what it cannot read).
 *
 * Folder paths:
 * - A single file: mbox messages and EML go to '' (the target folder); a PST's folders map as in
 *   readPst.
 * - A directory walk: an EML goes to its relative directory. An mbox goes to its relative directory
 *   plus its base name without extension ('Archive/2019.mbox' → 'Archive/2019'), because mail clients
 *   (Thunderbird, Apple Mail, Google Takeout) export one mbox per folder named after the folder; putting
 *   the messages beside each other would merge folders. An mbox holding a single message is a saved
 *   message with its envelope line and goes to its directory like an EML. Thunderbird's "Name.sbd" subfolder directories
 *   become "Name". A PST goes under its relative directory without its own name, so several PSTs of one
 *   mailbox (archive-2019.pst, archive-2020.pst) fill the same Inbox.
 * - Maildir: a trailing cur/new/tmp component is dropped ('Sent/cur/x' → 'Sent'). Inside a Maildir (a
 *   directory holding both cur/ and new/) only cur/ and new/ hold messages, so its tmp/ (deliveries in
 *   progress) and its own files (dovecot-uidlist, maildirfolder, subscriptions, …) are skipped, and a
 *   Maildir++ subfolder '.Work.Projects' becomes 'Work/Projects'.
 * - Thunderbird's index files (*.msf) are skipped: they are not mail and are rebuilt by the client.
 *
 * Entries are sorted by code unit (not locale), so the same tree is always imported in the same order.
 * Unreadable files and directories, symlinked directories and special files become ImportProblems.
 */
export function openImportSource(
  path: string,
  options: ImportSourceOptions = {},
): AsyncGenerator<ImportEntry> {
  return openImportSources([path], options);
}

/** Single-message files read ahead while earlier entries are being archived. */
const READ_AHEAD_FILES = 16;
/**
 * Bytes read from every file up front: its kind, and the whole of most messages. Larger files are
 * read when their turn comes, so read-ahead holds at most READ_AHEAD_FILES × HEAD_BYTES.
 */
const HEAD_BYTES = 64 * 1024;

/**
 * openImportSource over several paths, in order. File reads overlap (up to READ_AHEAD_FILES small
 * files in flight, one open/read/close each) while the entries come out in the same order as a
 * one-at-a-time walk.
 */
export async function* openImportSources(
  paths: Iterable<string>,
  options: ImportSourceOptions = {},
): AsyncGenerator<ImportEntry> {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const planned = planSources(paths)[Symbol.asyncIterator]();
  const window: Array<ImportProblem | Promise<HeadRead>> = [];
  let reading = 0;
  let planDone = false;
  const fill = async () => {
    while (!planDone && reading < READ_AHEAD_FILES) {
      const next = await planned.next();
      if (next.done) {
        planDone = true;
        break;
      }
      if ('error' in next.value) {
        window.push(next.value);
        continue;
      }
      reading += 1;
      const read = readHead(next.value, max);
      read.catch(() => undefined);
      window.push(read);
    }
  };
  try {
    await fill();
    while (window.length > 0) {
      const head = window.shift()!;
      if (!(head instanceof Promise)) {
        yield head;
        continue;
      }
      const result = await head;
      reading -= 1;
      await fill();
      yield* entriesOf(result, options, max);
    }
  } finally {
    // Stopped early: let the reads still in flight settle (each closes its own file).
    await Promise.allSettled(window);
    await planned.return?.(undefined);
  }
}

interface FilePlacement {
  inWalk: boolean;
  /** The folder of the directory the file sits in ('' at the top). */
  folderPath: string;
}

interface FileTask {
  path: string;
  sourceRef: string;
  placement: FilePlacement;
}

type HeadRead =
  { task: FileTask; entry: ImportEntry } | { task: FileTask; kind: 'mbox' | 'pst' | 'large-eml' };

/** Every file to read, in import order, and the problems met while walking; no file is read yet. */
async function* planSources(paths: Iterable<string>): AsyncGenerator<FileTask | ImportProblem> {
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      yield { sourceRef: path, error: `cannot open: ${describeError(err)}` };
      continue;
    }
    if (info.isDirectory()) yield* walkDirectory(path);
    else if (info.isFile())
      yield { path, sourceRef: basename(path), placement: { inWalk: false, folderPath: '' } };
    else yield { sourceRef: path, error: 'not a regular file or directory' };
  }
}

const kindOfHead = (head: Buffer): ImportFileKind => {
  const start = head.subarray(0, 5).toString('latin1');
  if (start === 'From ') return 'mbox';
  if (start.startsWith('!BDN')) return 'pst';
  return 'eml';
};

/** Looks at the first bytes only. */
export async function detectFileKind(path: string): Promise<ImportFileKind> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, 5, 0);
    return kindOfHead(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Scratch buffers for head reads, reused: one per read in flight. */
const spareHeads: Buffer[] = [];

/**
 * One open/read/close: the kind of the file and, for a message that fits in HEAD_BYTES (most do),
 * its bytes. Never rejects.
 */
async function readHead(task: FileTask, max: number): Promise<HeadRead> {
  const scratch = spareHeads.pop() ?? Buffer.allocUnsafeSlow(HEAD_BYTES);
  try {
    let bytesRead: number;
    const handle = await open(task.path, 'r');
    try {
      ({ bytesRead } = await handle.read(scratch, 0, HEAD_BYTES, 0));
    } finally {
      await handle.close();
    }
    const kind = kindOfHead(scratch.subarray(0, bytesRead));
    if (kind !== 'eml') return { task, kind };
    if (bytesRead > max) return { task, entry: tooLarge(task.sourceRef, max) };
    if (bytesRead === HEAD_BYTES) return { task, kind: 'large-eml' };
    // Nothing to archive, and an empty blob would only confuse deduplication and search.
    if (bytesRead === 0) return { task, entry: { sourceRef: task.sourceRef, error: 'empty file' } };
    // A buffer of its own (not a slice of a shared pool), so it travels to a worker at its size.
    const raw = Buffer.allocUnsafeSlow(bytesRead);
    scratch.copy(raw, 0, 0, bytesRead);
    return { task, entry: { raw, folderPath: task.placement.folderPath, sourceRef: task.sourceRef } };
  } catch (err) {
    return { task, entry: { sourceRef: task.sourceRef, error: `cannot read: ${describeError(err)}` } };
  } finally {
    if (spareHeads.length < READ_AHEAD_FILES) spareHeads.push(scratch);
  }
}

function tooLarge(sourceRef: string, max: number): ImportProblem {
  return { sourceRef, error: `file larger than ${max} bytes, skipped` };
}

async function* entriesOf(
  head: HeadRead,
  options: ImportSourceOptions,
  max: number,
): AsyncGenerator<ImportEntry> {
  if ('entry' in head) {
    yield head.entry;
    return;
  }
  const { task } = head;
  if (head.kind === 'mbox') {
    const folderPath = task.placement.inWalk
      ? joinFolder(task.placement.folderPath, mboxFolderName(task.path))
      : '';
    const entries = readMbox(task.path, {
      folderPath,
      sourceName: task.sourceRef,
      unquote: options.mboxUnquote,
      maxMessageBytes: options.maxMessageBytes,
    });
    if (!task.placement.inWalk) {
      yield* entries;
      return;
    }
    // A one-message mbox is a saved message with its envelope line (as in the SpamAssassin corpus):
    // it belongs to its directory like an EML file. Only an mbox of several messages is a mail
    // client's folder export that deserves a folder of its own.
    const first = await entries.next();
    if (first.done) return;
    const second = await entries.next();
    if (second.done) {
      yield isImportProblem(first.value)
        ? first.value
        : { ...first.value, folderPath: task.placement.folderPath };
      return;
    }
    yield first.value;
    yield second.value;
    yield* entries;
  } else if (head.kind === 'pst') {
    yield* readPst(task.path, { folderPrefix: task.placement.folderPath, sourceName: task.sourceRef });
  } else {
    yield* readEml(task.path, task.sourceRef, task.placement.folderPath, max);
  }
}

async function* readEml(
  path: string,
  sourceRef: string,
  folderPath: string,
  max: number,
): AsyncGenerator<ImportEntry> {
  try {
    const { size } = await stat(path);
    if (size > max) {
      yield tooLarge(sourceRef, max);
      return;
    }
    const raw = await readFile(path);
    if (raw.length === 0) yield { sourceRef, error: 'empty file' };
    else yield { raw, folderPath, sourceRef };
  } catch (err) {
    yield { sourceRef, error: `cannot read: ${describeError(err)}` };
  }
}

function mboxFolderName(path: string): string {
  const name = basename(path);
  const ext = extname(name);
  return ext && name.length > ext.length ? name.slice(0, -ext.length) : name;
}

function joinFolder(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

const MAILDIR_PARTS = new Set(['cur', 'new', 'tmp']);

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function* walkDirectory(root: string): AsyncGenerator<FileTask | ImportProblem> {
  const rootName = basename(root);
  const refOf = (path: string) => {
    const rel = relative(root, path).split(sep).join('/');
    return rel === '' ? rootName : `${rootName}/${rel}`;
  };

  async function* visit(dir: string, folderPath: string): AsyncGenerator<FileTask | ImportProblem> {
    let entries: Dirent[];
    try {
      // Entry types come with the listing: no lstat per file.
      entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => byCodeUnit(a.name, b.name));
    } catch (err) {
      yield { sourceRef: refOf(dir), error: `cannot list directory: ${describeError(err)}` };
      return;
    }
    const names = entries.map((e) => e.name);
    const isMaildir = names.includes('cur') && names.includes('new');
    for (const entry of entries) {
      const name = entry.name;
      const path = join(dir, name);
      const sourceRef = refOf(path);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        // Files behind symlinks are read; symlinked directories are not walked (loops, escaping the tree).
        try {
          const info = await stat(path);
          if (info.isDirectory()) {
            yield { sourceRef, error: 'symbolic link to a directory not followed' };
            continue;
          }
          isDirectory = false;
          isFile = info.isFile();
        } catch (err) {
          yield { sourceRef, error: `cannot open: ${describeError(err)}` };
          continue;
        }
      }
      if (isDirectory) {
        if (isMaildir && name === 'tmp') continue;
        yield* visit(path, joinFolder(folderPath, directoryFolderName(name, isMaildir)));
        continue;
      }
      if (!isFile) {
        yield { sourceRef, error: 'not a regular file' };
        continue;
      }
      if (isMaildir) continue;
      if (name.endsWith('.msf')) continue;
      yield { path, sourceRef, placement: { inWalk: true, folderPath } };
    }
  }

  yield* visit(root, '');
}

function directoryFolderName(name: string, parentIsMaildir: boolean): string {
  if (MAILDIR_PARTS.has(name)) return '';
  if (parentIsMaildir && name.startsWith('.') && name.length > 1) return name.slice(1).split('.').join('/');
  if (name.endsWith('.sbd') && name.length > 4) return name.slice(0, -4);
  return name;
}
