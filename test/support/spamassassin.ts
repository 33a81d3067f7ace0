import { copyFileSync, linkSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spamAssassinDir } from './paths.js';

/** The 6,046 real messages of the SpamAssassin corpus (the .json files beside them are metadata). */
export function spamAssassinFiles(): string[] {
  return readdirSync(spamAssassinDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((group) =>
      readdirSync(join(spamAssassinDir, group.name))
        .filter((name) => name.endsWith('.txt'))
        .map((name) => join(spamAssassinDir, group.name, name)),
    )
    .sort();
}

/** Links (or copies) the corpus messages into `target/<group>/` so the CLI can import one folder. */
export function stageSpamAssassin(target: string): number {
  const files = spamAssassinFiles();
  for (const file of files) {
    const group = file.split('/').at(-2)!;
    mkdirSync(join(target, group), { recursive: true });
    const destination = join(target, group, file.split('/').at(-1)!);
    try {
      linkSync(file, destination);
    } catch {
      copyFileSync(file, destination);
    }
  }
  return files.length;
}
