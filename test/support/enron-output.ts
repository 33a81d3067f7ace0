import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

export const pstTestdata = join(projectRoot, 'node_modules', 'pst-extractor', 'example', 'testdata');

export interface ExpectedPst {
  /** Folder paths in walk order, the IPM subtree mapped to ''. */
  folders: string[];
  /** Subjects per folder path, in order. */
  subjects: Map<string, string[]>;
}

/**
 * pst-extractor's example output: per file a tree of " |- name" lines, " | " per extra level, with
 * "Sender: …, Subject: …" lines for the items of the folder above them.
 */
export function expectedFromOutputTxt(file: string): ExpectedPst {
  const lines = readFileSync(join(pstTestdata, 'output.txt'), 'utf8').split(/\r?\n/);
  const start = lines.findIndex((l) => l === `./testdata/${file}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith(`./testdata/${file} processed in`));
  const stack: string[] = [];
  const folders: string[] = [];
  const subjects = new Map<string, string[]>();
  const normalise = (names: string[]) => {
    const path = names.join('/');
    for (const top of ['Top of Personal Folders', 'Root - Mailbox/IPM_SUBTREE']) {
      if (path === top) return '';
      if (path.startsWith(`${top}/`)) return path.slice(top.length + 1);
    }
    return path;
  };
  for (const line of lines.slice(start + 1, end)) {
    const at = line.indexOf(' |- ');
    if (at === -1) continue;
    const depth = at / 3 + 1;
    const text = line.slice(at + 4);
    const item = /^Sender: .*?, Subject: ?(.*)$/.exec(text);
    if (item) {
      const folder = normalise(stack.slice(0, depth - 1));
      subjects.set(folder, [...(subjects.get(folder) ?? []), item[1]!.trim()]);
    } else {
      stack.length = depth - 1;
      stack.push(text);
      folders.push(normalise(stack));
    }
  }
  return { folders, subjects };
}
