import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';

export function tempDir(prefix = 'postvault-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A real app on a throwaway data folder (SQLite file, blob folder, master key), preparing in-thread. */
export async function openTempApp(
  dataDir: string,
  env: Record<string, string> = {},
  options: Parameters<typeof openApp>[1] = {},
): Promise<App> {
  const config = loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'silent', ...env } });
  return openApp(config, { workers: 0, ...options });
}
