import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { runCli } from '../support/cli.js';
import { expectedFromOutputTxt } from '../support/enron-output.js';
import { enronPst } from '../support/paths.js';
import { tempDir } from '../support/temp-app.js';

describe('the Enron PST shipped with pst-extractor, imported with the CLI', () => {
  const data = tempDir();
  const expected = expectedFromOutputTxt('enron.pst');

  beforeAll(() => {
    const result = runCli(data.path, ['import', '--mailbox', 'enron', '--folder', 'PST', enronPst]);
    expect(result.stderr).not.toMatch(/failures/);
    expect(result.status).toBe(0);
  });
  afterAll(() => data.remove());

  it('archives the folder tree and the message count per folder of output.txt', async () => {
    const app = await openApp(
      loadConfig({ env: { POSTVAULT_DATA_DIR: data.path, POSTVAULT_LOG_LEVEL: 'silent' } }),
      {
        workers: 0,
      },
    );
    try {
      const rows = await app.database.db
        .selectFrom('messages as m')
        .innerJoin('folders as f', 'f.id', 'm.folder_id')
        .select(['f.path as path', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('f.path')
        .execute();
      const actual = Object.fromEntries(rows.map((r) => [r.path, Number(r.n)]));
      const wanted = Object.fromEntries(
        [...expected.subjects].map(([folder, subjects]) => [
          ['PST', folder].filter(Boolean).join('/'),
          subjects.length,
        ]),
      );
      expect(actual).toEqual(wanted);
      expect(Object.values(actual).reduce((a, b) => a + b, 0)).toBe(71);
    } finally {
      await app.close();
    }
  });

  it('finds PST messages by subject, and a second import stores nothing', () => {
    const hits = runCli(data.path, ['search', '--json', '--mailbox', 'enron', 'subject:"New OBA\'s"'])
      .stdout.trim()
      .split('\n');
    expect(hits.length).toBeGreaterThan(0);
    expect((JSON.parse(hits[0]!) as { subject: string }).subject).toMatch(/New OBA's/);
    const again = runCli(data.path, ['import', '--mailbox', 'enron', '--folder', 'PST', enronPst]);
    expect(again.stdout).toMatch(/0 new, 0 copies of archived messages, 71 already archived, 0 failed/);
  });
});
