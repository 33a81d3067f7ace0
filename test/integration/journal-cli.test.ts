import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/temp-app.js';

const ENV = { POSTVAULT_JOURNAL_DOMAIN: 'journal.example.com' };
const ADDRESS = /SMTP address: ([a-z2-7]{20}@journal\.example\.com)/;

describe('journal endpoints from the command line', () => {
  let dir: ReturnType<typeof tempDir>;
  const cli = (...args: string[]) => runCli(dir.path, args, ENV);

  beforeAll(() => {
    dir = tempDir('postvault-journal-cli-');
    expect(cli('tenant', 'create', 'acme', 'Acme Ltd').status).toBe(0);
  });
  afterAll(() => dir.remove());

  it('adds an endpoint with its journal mailbox and prints the address; list, disable, enable, remove', () => {
    const added = cli(
      'journal-endpoint',
      'add',
      '--tenant',
      'acme',
      '--name',
      'M365',
      '--mailbox',
      'Journal',
    );
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(added.stdout).toContain('the new journal mailbox Journal');
    const address = ADDRESS.exec(added.stdout)?.[1];
    expect(address).toBeDefined();
    // A second endpoint into the same, now existing, mailbox.
    const second = cli(
      'journal-endpoint',
      'add',
      '--tenant',
      'acme',
      '--name',
      'Exchange',
      '--mailbox',
      'Journal',
    );
    expect(second.stdout).toContain('the journal mailbox Journal');
    expect(
      cli('journal-endpoint', 'add', '--tenant', 'acme', '--name', 'M365', '--mailbox', 'Journal').status,
    ).toBe(2);

    const listed = cli('journal-endpoint', 'list', '--tenant', 'acme');
    expect(listed.stdout).toMatch(new RegExp(`M365\\s+enabled\\s+${address}`));
    expect(cli('journal-endpoint', 'list').stdout).toBe('No journal endpoints.\n');

    expect(cli('journal-endpoint', 'disable', 'M365', '--tenant', 'acme').stdout).toBe(
      'Disabled journal endpoint M365.\n',
    );
    const json = JSON.parse(cli('journal-endpoint', 'list', '--tenant', 'acme', '--json').stdout) as Array<{
      name: string;
      enabled: boolean;
      address: string;
      mailbox: { name: string };
    }>;
    expect(json.map((e) => [e.name, e.enabled, e.mailbox.name])).toEqual([
      ['Exchange', true, 'Journal'],
      ['M365', false, 'Journal'],
    ]);
    expect(cli('journal-endpoint', 'enable', 'M365', '--tenant', 'acme').status).toBe(0);

    const regenerated = cli('journal-endpoint', 'regenerate-address', 'M365', '--tenant', 'acme');
    expect(regenerated.stdout).toMatch(/New SMTP address of M365: [a-z2-7]{20}@journal\.example\.com/);
    expect(regenerated.stdout).not.toContain(address);

    expect(cli('journal-endpoint', 'remove', 'M365', '--tenant', 'acme').stdout).toBe(
      'Removed journal endpoint M365.\n',
    );
    const missing = cli('journal-endpoint', 'remove', 'M365', '--tenant', 'acme');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no journal endpoint named M365');
    expect(cli('journal-endpoint', 'list', '--tenant', 'acme').stdout).not.toContain('M365');
  });

  it('explains itself', () => {
    const help = cli('journal-endpoint', 'add', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--mailbox <name>');
    expect(help.stdout).toContain('created when missing');
    expect(cli('journal-endpoint', '--help').stdout).toMatch(/disable \[options\] <name>/);
  });
});
