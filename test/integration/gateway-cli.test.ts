import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTempApp, tempDir } from '../support/temp-app.js';
import { runCli } from '../support/cli.js';

const ENV = { POSTVAULT_GATEWAY_DOMAIN: 'gateway.example.com' };
const ADDRESS = /SMTP address: ([a-z2-7]{20}@gateway\.example\.com)/;
const PASSWORD = /Password \(shown once[^)]*\): ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})/;

describe('gateway mailboxes from the command line', () => {
  let dir: ReturnType<typeof tempDir>;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli(dir.path, args, { ...ENV, ...env });
  const gateway = (...args: string[]) => cli(['gateway', 'mailbox', ...args]);

  beforeAll(() => {
    dir = tempDir('postvault-gateway-cli-');
  });
  afterAll(() => dir.remove());

  it('creates a mailbox and prints its address and password once; lists, suspends, resumes', () => {
    const created = gateway(
      'create',
      '--name',
      'Office 365 Journal',
      '--description',
      'Journal of example.com',
    );
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    const address = ADDRESS.exec(created.stdout)?.[1];
    const password = PASSWORD.exec(created.stdout)?.[1];
    expect(address).toBeDefined();
    expect(password).toBeDefined();
    expect(created.stdout).toContain('not stored anywhere');
    // The password is in no file of the data folder.
    const db = readFileSync(join(dir.path, 'postvault.sqlite')).toString('latin1');
    expect(db).not.toContain(password!.replace(/-/g, ''));

    expect(gateway('create', '--name', 'Office 365 Journal').status).toBe(2);
    const json = JSON.parse(gateway('create', '--name', 'Second', '--json').stdout) as Record<string, string>;
    expect(Object.keys(json).sort()).toEqual(['address', 'id', 'name', 'password']);

    expect(gateway('list').stdout).toMatch(
      new RegExp(`Office 365 Journal\\s+active\\s+${address}  0 messages, 0 bytes, last received never`),
    );
    expect(gateway('suspend', address!).stdout).toBe('Suspended gateway mailbox Office 365 Journal.\n');
    const listed = JSON.parse(gateway('list', '--json').stdout) as Array<{ name: string; status: string }>;
    expect(listed.map((m) => [m.name, m.status])).toEqual([
      ['Office 365 Journal', 'suspended'],
      ['Second', 'active'],
    ]);
    expect(gateway('resume', 'Office 365 Journal').stdout).toBe(
      'Resumed gateway mailbox Office 365 Journal.\n',
    );
    const missing = gateway('suspend', 'Nope');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('there is no gateway mailbox Nope');
  });

  it('resets a password with the current one from the environment, or forgets the content', async () => {
    const created = gateway('create', '--name', 'Resettable');
    const password = PASSWORD.exec(created.stdout)![1]!;
    // A message in it, delivered through the service (the SMTP path has its own tests).
    const app = await openTempApp(dir.path, ENV);
    try {
      const mailbox = await app.gateway.service.find({ actor: { kind: 'system', name: 't' } }, 'Resettable');
      await app.gateway.service.deliver([mailbox.id], [Buffer.from('Subject: hi\r\n\r\nhello\r\n')]);
    } finally {
      await app.close();
    }

    const wrong = gateway('reset-password', 'Resettable', '--yes');
    expect(wrong.status).toBe(2); // no password on standard input and none in the environment
    const bad = cli(['gateway', 'mailbox', 'reset-password', 'Resettable'], {
      POSTVAULT_GATEWAY_PASSWORD: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('wrong mailbox password');

    const kept = cli(['gateway', 'mailbox', 'reset-password', 'Resettable'], {
      POSTVAULT_GATEWAY_PASSWORD: password,
    });
    expect(kept.stderr).toBe('');
    expect(kept.stdout).toContain('its mail stays readable with it');
    const second = PASSWORD.exec(kept.stdout)![1]!;
    expect(second).not.toBe(password);

    const refused = gateway('reset-password', 'Resettable', '--forget-content');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const forgotten = gateway('reset-password', 'Resettable', '--forget-content', '--yes');
    expect(forgotten.status).toBe(0);
    expect(forgotten.stdout).toContain('the 1 messages it held can no longer be read');
    expect(PASSWORD.exec(forgotten.stdout)![1]).not.toBe(second);
    expect(gateway('list').stdout).toContain('1 unreadable (purge-unreadable)');

    expect(gateway('purge-unreadable', 'Resettable', '--yes').stdout).toBe(
      'Removed 1 unreadable messages (22 bytes) from Resettable.\n',
    );
    expect(gateway('purge-unreadable', 'Resettable').stdout).toBe(
      'Gateway mailbox Resettable holds no unreadable messages.\n',
    );
  });

  it('deletes a mailbox only when confirmed', () => {
    gateway('create', '--name', 'Doomed');
    const unconfirmed = gateway('delete', 'Doomed');
    expect(unconfirmed.status).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes');
    expect(gateway('delete', 'Doomed', '--yes').stdout).toBe(
      'Deleted gateway mailbox Doomed and its 0 messages.\n',
    );
    expect(gateway('list').stdout).not.toContain('Doomed');
  });

  it('explains itself', () => {
    const help = gateway('reset-password', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--forget-content');
    expect(help.stdout).toContain('POSTVAULT_GATEWAY_PASSWORD');
    expect(cli(['gateway', 'mailbox', '--help']).stdout).toMatch(/purge-unreadable \[options\] <mailbox>/);
  });
});
