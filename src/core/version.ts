import { readFileSync } from 'node:fs';

/** Postvault's version, from package.json (dist/ and src/ both sit one level below it). */
export const POSTVAULT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
