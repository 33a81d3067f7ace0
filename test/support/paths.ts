import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const corpusDir = join(projectRoot, '..', 'shared', 'corpus');
export const spamAssassinDir = join(projectRoot, 'node_modules', '@stdlib', 'datasets-spam-assassin', 'data');
export const enronPst = join(
  projectRoot,
  'node_modules',
  'pst-extractor',
  'example',
  'testdata',
  'enron.pst',
);
export const enronExpected = join(
  projectRoot,
  'node_modules',
  'pst-extractor',
  'example',
  'testdata',
  'output.txt',
);
export const cliPath = join(projectRoot, 'dist', 'cli.js');
