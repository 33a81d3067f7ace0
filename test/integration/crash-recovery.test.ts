import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../support/cli.js';
import { stageSpamAssassin } from '../support/spamassassin.js';
import { tempDir } from '../support/temp-app.js';

function archivedCount(dataDir: string): number {
  const file = join(dataDir, 'postvault.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select count(*) as n from messages').get() as { n: number }).n;
  } catch {
    return 0; // schema not created yet
  } finally {
    db.close();
  }
}

describe('kill -9 during an import, then the same import again', () => {
  const data = tempDir();
  const staged = tempDir('postvault-sa-');

  beforeAll(() => {
    stageSpamAssassin(staged.path);
  });
  afterAll(() => {
    data.remove();
    staged.remove();
  });

  it('archives every message exactly once and verifies clean', async () => {
    const child = spawnCli(data.path, ['import', '--mailbox', 'sa', staged.path]);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (archivedCount(data.path) >= 300) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const afterKill = archivedCount(data.path);
    // The kill landed mid-import: some groups committed, others not.
    expect(afterKill).toBeGreaterThanOrEqual(300);
    expect(afterKill).toBeLessThan(6046);

    const rerun = runCli(data.path, ['import', '--mailbox', 'sa', staged.path]);
    expect(rerun.status).toBe(0);
    const match = /(\d+) new, 0 copies of archived messages, (\d+) already archived, 0 failed/.exec(
      rerun.stdout,
    );
    expect(match).not.toBeNull();
    expect(Number(match![1]) + Number(match![2])).toBe(6046);
    expect(Number(match![2])).toBe(afterKill);

    const stats = JSON.parse(runCli(data.path, ['stats', '--json']).stdout) as {
      tenants: Array<{ messages: number; distinctMessages: number }>;
    };
    expect(stats.tenants[0]).toMatchObject({ messages: 6046, distinctMessages: 6046 });
    const verify = runCli(data.path, ['verify']);
    expect(verify.stdout).toMatch(/6046 messages checked, 0 damaged or missing/);
    expect(verify.status).toBe(0);
  });
});
