import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_FILE = 'master.key';
export const NEXT_MASTER_KEY_FILE = 'master.key.next';

function writeDurably(path: string, content: string): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeFileSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Rotates the master key in three durable steps so that a crash at any point leaves a data folder
 * that opens: the new key is saved as master.key.next, the tenant keys are re-wrapped in one
 * transaction, then master.key.next replaces master.key. `openApp` finishes an interrupted rotation.
 */
export async function replaceMasterKeyFile(
  dataDir: string,
  rewrap: (newKey: Buffer) => Promise<number>,
): Promise<number> {
  const newKey = randomBytes(32);
  const next = join(dataDir, NEXT_MASTER_KEY_FILE);
  writeDurably(next, newKey.toString('base64') + '\n');
  fsyncDirectory(dataDir);
  const count = await rewrap(newKey);
  completeMasterKeyRotation(dataDir);
  return count;
}

export function completeMasterKeyRotation(dataDir: string): void {
  renameSync(join(dataDir, NEXT_MASTER_KEY_FILE), join(dataDir, MASTER_KEY_FILE));
  fsyncDirectory(dataDir);
}

export function hasPendingMasterKey(dataDir: string): boolean {
  return existsSync(join(dataDir, NEXT_MASTER_KEY_FILE));
}
