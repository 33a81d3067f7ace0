import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postvault-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to ./data under the working directory and the ports of the design', () => {
    const config = loadConfig({ env: {}, cwd: '/srv/postvault' });
    expect(config.dataDir).toBe('/srv/postvault/data');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.journalSmtp.port).toBe(2525);
    expect(config.gatewaySmtp.port).toBe(2526);
    expect(config.gatewayPop3.port).toBe(1110);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads a config file and lets environment variables override it', () => {
    const file = join(dir, 'postvault.json');
    writeFileSync(
      file,
      JSON.stringify({ dataDir: '/var/lib/pv', http: { port: 9000, host: '0.0.0.0' }, workers: 3 }),
    );
    const fromFile = loadConfig({ env: {}, configFile: file });
    expect(fromFile).toMatchObject({
      dataDir: '/var/lib/pv',
      http: { port: 9000, host: '0.0.0.0' },
      workers: 3,
    });
    const overridden = loadConfig({
      env: { POSTVAULT_HTTP_PORT: '0', POSTVAULT_DATA_DIR: '/tmp/x' },
      configFile: file,
    });
    expect(overridden).toMatchObject({ dataDir: '/tmp/x', http: { port: 0, host: '0.0.0.0' } });
  });

  it('names the setting that is wrong', () => {
    expect(() => loadConfig({ env: { POSTVAULT_GATEWAY_POP3_PORT: '-1' } })).toThrow(/gatewayPop3\.port/);
    expect(() => loadConfig({ env: { POSTVAULT_LOG_LEVEL: 'loud' } })).toThrow(/logLevel/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(() => loadConfig({ env: {}, configFile: broken })).toThrow(/cannot read config file/);
  });
});
