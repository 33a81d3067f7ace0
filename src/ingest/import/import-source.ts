import { lstat, open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  describeError,
  type ImportEntry,
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
 *   the messages beside each other would merge folders. Thunderbird's "Name.sbd" subfolder directories
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
export async function* openImportSource(
  path: string,
  options: ImportSourceOptions = {},
): AsyncGenerator<ImportEntry> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    yield { sourceRef: path, error: `cannot open: ${describeError(err)}` };
    return;
  }
  if (info.isDirectory()) {
    yield* walkDirectory(path, options);
  } else if (info.isFile()) {
    yield* readFileEntry(path, basename(path), { inWalk: false, folderPath: '' }, options);
  } else {
    yield { sourceRef: path, error: 'not a regular file or directory' };
  }
}

/** Looks at the first bytes only. */
export async function detectFileKind(path: string): Promise<ImportFileKind> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, 5, 0);
    const start = head.subarray(0, bytesRead).toString('latin1');
    if (start === 'From ') return 'mbox';
    if (start.startsWith('!BDN')) return 'pst';
    return 'eml';
  } finally {
    await handle.close();
  }
}

interface FilePlacement {
  inWalk: boolean;
  /** The folder of the directory the file sits in ('' at the top). */
  folderPath: string;
}

async function* readFileEntry(
  path: string,
  sourceRef: string,
  placement: FilePlacement,
  options: ImportSourceOptions,
): AsyncGenerator<ImportEntry> {
  let kind: ImportFileKind;
  try {
    kind = await detectFileKind(path);
  } catch (err) {
    yield { sourceRef, error: `cannot read: ${describeError(err)}` };
    return;
  }
  if (kind === 'mbox') {
    const folderPath = placement.inWalk ? joinFolder(placement.folderPath, mboxFolderName(path)) : '';
    yield* readMbox(path, {
      folderPath,
      sourceName: sourceRef,
      unquote: options.mboxUnquote,
      maxMessageBytes: options.maxMessageBytes,
    });
  } else if (kind === 'pst') {
    yield* readPst(path, { folderPrefix: placement.folderPath, sourceName: sourceRef });
  } else {
    yield* readEml(
      path,
      sourceRef,
      placement.folderPath,
      options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    );
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
      yield { sourceRef, error: `file larger than ${max} bytes, skipped` };
      return;
    }
    const raw = await readFile(path);
    // Nothing to archive, and an empty blob would only confuse deduplication and search.
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

async function* walkDirectory(root: string, options: ImportSourceOptions): AsyncGenerator<ImportEntry> {
  const rootName = basename(root);
  const refOf = (path: string) => {
    const rel = relative(root, path).split(sep).join('/');
    return rel === '' ? rootName : `${rootName}/${rel}`;
  };

  async function* visit(dir: string, folderPath: string): AsyncGenerator<ImportEntry> {
    let names: string[];
    try {
      names = (await readdir(dir)).sort(byCodeUnit);
    } catch (err) {
      yield { sourceRef: refOf(dir), error: `cannot list directory: ${describeError(err)}` };
      return;
    }
    const isMaildir = names.includes('cur') && names.includes('new');
    for (const name of names) {
      const path = join(dir, name);
      const sourceRef = refOf(path);
      let info;
      try {
        // Files behind symlinks are read; symlinked directories are not walked (loops, escaping the tree).
        const link = await lstat(path);
        info = link.isSymbolicLink() ? await stat(path) : link;
        if (link.isSymbolicLink() && info.isDirectory()) {
          yield { sourceRef, error: 'symbolic link to a directory not followed' };
          continue;
        }
      } catch (err) {
        yield { sourceRef, error: `cannot open: ${describeError(err)}` };
        continue;
      }
      if (info.isDirectory()) {
        if (isMaildir && name === 'tmp') continue;
        yield* visit(path, joinFolder(folderPath, directoryFolderName(name, isMaildir)));
        continue;
      }
      if (!info.isFile()) {
        yield { sourceRef, error: 'not a regular file' };
        continue;
      }
      if (isMaildir) continue;
      if (name.endsWith('.msf')) continue;
      yield* readFileEntry(path, sourceRef, { inWalk: true, folderPath }, options);
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
