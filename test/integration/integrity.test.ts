import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { corpusDir } from '../support/paths.js';
import { storedObjects } from '../support/stored-objects.js';
import { tempDir } from '../support/temp-app.js';

const files = [
  'tika/testRFC822_date_utf8',
  'mime4j/russian-headers.msg',
  'tika/testRFC822_multipart_attachments.eml',
].map((f) => join(corpusDir, f));

describe('damaged storage and keys', () => {
  let data: ReturnType<typeof tempDir>;

  beforeEach(() => {
    data = tempDir();
    expect(runCli(data.path, ['import', '--mailbox', 'alice', '--folder', 'Inbox', ...files]).status).toBe(0);
  });
  afterEach(() => data.remove());

  const ids = () =>
    runCli(data.path, ['search', '--json', 'size>0'])
      .stdout.trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);

  it('names the message whose object has a flipped byte, and refuses to hand it out', async () => {
    const objects = await storedObjects(data.path);
    expect(objects).toHaveLength(3);
    // Small messages share one pack: the flip lands inside one of them and damages only that one.
    const victim = objects[0]!;
    const bytes = readFileSync(victim.path);
    bytes[victim.offset + Math.floor(victim.length / 2)]! ^= 0x01;
    writeFileSync(victim.path, bytes);

    const verify = runCli(data.path, ['verify']);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/3 messages checked, 1 damaged or missing/);
    const damaged = /DAMAGED alice\/Inbox#(\d+): .*integrity/.exec(verify.stdout);
    expect(damaged).not.toBeNull();

    const out = join(data.path, 'export');
    const exported = runCli(data.path, ['export', '--mailbox', 'alice', '--format', 'eml', '--out', out]);
    expect(exported.status).toBe(2);
    expect(exported.stderr).toMatch(new RegExp(`message ${damaged![1]} failed its integrity check`));
    expect(exported.stderr).not.toMatch(/at .*\.js/); // a clear message, not a stack trace
    expect(ids()).toHaveLength(3); // search still works: the index does not depend on the object
  });

  it('names the message whose object is missing', async () => {
    // A pack cut short loses its last object, and only that one.
    const objects = await storedObjects(data.path);
    const last = objects.at(-1)!;
    expect(objects.filter((o) => o.path === last.path)).toHaveLength(3);
    truncateSync(last.path, last.offset + 1);
    const verify = runCli(data.path, ['verify']);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/3 messages checked, 1 damaged or missing/);
    expect(verify.stdout).toMatch(/DAMAGED alice\/Inbox#\d+: .*missing/);
  });

  it('names every message of a pack that is gone', async () => {
    rmSync((await storedObjects(data.path))[0]!.path);
    const verify = runCli(data.path, ['verify']);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/3 messages checked, 3 damaged or missing/);
    expect(verify.stdout.match(/DAMAGED alice\/Inbox#\d+: .*missing/g)).toHaveLength(3);
  });

  it('stops at start with a clear error when the master key is wrong or damaged', () => {
    const wrongKey = Buffer.alloc(32, 7).toString('base64');
    const wrong = runCli(data.path, ['stats'], { POSTVAULT_MASTER_KEY: wrongKey });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/master key does not open this data folder's keys/);

    writeFileSync(join(data.path, 'master.key'), 'not a key\n');
    const damaged = runCli(data.path, ['stats']);
    expect(damaged.status).toBe(2);
    expect(damaged.stderr).toMatch(/master\.key/);
  });

  it('keeps every message readable across data-key and master-key rotation', () => {
    expect(runCli(data.path, ['keys', 'rotate-data']).stdout).toMatch(/new data key 2 is active/);
    const more = join(corpusDir, 'mime4j', 'qp-body.msg');
    expect(runCli(data.path, ['import', '--mailbox', 'alice', more]).status).toBe(0);
    const keyBefore = readFileSync(join(data.path, 'master.key'), 'utf8');
    expect(runCli(data.path, ['keys', 'rotate-master']).stdout).toMatch(/tenant keys re-wrapped/);
    expect(readFileSync(join(data.path, 'master.key'), 'utf8')).not.toBe(keyBefore);
    const verify = runCli(data.path, ['verify']);
    expect(verify.stdout).toMatch(/4 messages checked, 0 damaged or missing/);
    const out = join(data.path, 'export');
    expect(runCli(data.path, ['export', '--mailbox', 'alice', '--format', 'eml', '--out', out]).status).toBe(
      0,
    );
    const exported = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const originals = new Set([...files, more].map((f) => readFileSync(f).toString('base64')));
    for (const entry of exported)
      expect(originals.has(readFileSync(join(entry.parentPath, entry.name)).toString('base64'))).toBe(true);
    expect(exported).toHaveLength(4);
  });
});
