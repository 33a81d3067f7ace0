import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { runCli } from '../support/cli.js';
import { cliPath, corpusDir, projectRoot } from '../support/paths.js';
import { tempDir } from '../support/temp-app.js';

describe('the postvault command line', () => {
  const data = tempDir();
  afterAll(() => data.remove());

  it.each([
    [[]],
    [['serve']],
    [['import']],
    [['export']],
    [['search']],
    [['verify']],
    [['stats']],
    [['keys']],
    [['keys', 'rotate-data']],
    [['keys', 'rotate-master']],
    [['system-admin', 'add']],
    [['system-admin', 'reset']],
    [['tenant', 'create']],
    [['tenant', 'list']],
    [['audit', 'verify']],
  ])('prints help for %j', (command) => {
    const result = runCli(data.path, [...command, '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: postvault/);
  });

  it('lists the environment variables in the top-level help', () => {
    const help = runCli(data.path, ['--help']).stdout;
    for (const name of [
      'POSTVAULT_DATA_DIR',
      'POSTVAULT_MASTER_KEY',
      'POSTVAULT_HTTP_PORT',
      'POSTVAULT_JOURNAL_SMTP_PORT',
    ]) {
      expect(help).toContain(name);
    }
  });

  it('rejects a malformed query with its position, never a crash', () => {
    const result = runCli(data.path, ['search', 'subject:"unclosed']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^postvault: .*position 9/);
  });

  it('finds a message that has no header at all by the words it contains', () => {
    const file = join(corpusDir, 'mime4j', 'malformedHeader-noheader.msg');
    expect(runCli(data.path, ['import', '--mailbox', 'odd', file]).status).toBe(0);
    const hits = runCli(data.path, ['search', '--json', '--mailbox', 'odd', 'recognized', 'headers'])
      .stdout.trim()
      .split('\n');
    expect(hits).toHaveLength(1);
    expect(JSON.parse(hits[0]!)).toMatchObject({ mailbox: 'odd', folder: '' });
  });

  it('reports invalid configuration by setting name', () => {
    expect(() => loadConfig({ env: { POSTVAULT_HTTP_PORT: '70000' } })).toThrow(/http\.port/);
    const result = runCli(data.path, ['stats'], { POSTVAULT_HTTP_PORT: 'eighty' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/invalid configuration: http\.port/);
  });

  it('takes its settings from --config FILE', () => {
    const other = tempDir('postvault-config-');
    try {
      const file = join(other.path, 'postvault.json');
      writeFileSync(file, JSON.stringify({ dataDir: join(other.path, 'archive') }));
      const result = spawnSync(process.execPath, [cliPath, '--config', file, 'stats'], {
        cwd: projectRoot,
        env: { ...process.env, POSTVAULT_DATA_DIR: '', POSTVAULT_LOG_LEVEL: 'warn' },
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
      expect(existsSync(join(other.path, 'archive', 'master.key'))).toBe(true);
    } finally {
      other.remove();
    }
  });

  it('serve starts the HTTP listener and answers /healthz', async () => {
    const child = spawn(process.execPath, [cliPath, 'serve'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        POSTVAULT_DATA_DIR: data.path,
        POSTVAULT_HTTP_PORT: '18089',
        POSTVAULT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('/healthz')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      expect(output).toContain('http://127.0.0.1:18089');
      const response = await fetch('http://127.0.0.1:18089/healthz');
      expect(await response.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
