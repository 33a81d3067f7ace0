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
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, trustProxy: false });
    expect(config.auth).toEqual({ sessionIdleMinutes: 30, sessionMaxHours: 12, secureCookies: false });
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

  it('reads the session and proxy settings from the environment', () => {
    const config = loadConfig({
      env: {
        POSTVAULT_SESSION_IDLE_MINUTES: '15',
        POSTVAULT_SECURE_COOKIES: 'true',
        POSTVAULT_TRUST_PROXY: '10.0.0.0/8',
        POSTVAULT_SYSTEM_ADMIN_PASSWORD: 'long-enough-password',
      },
    });
    expect(config.auth).toMatchObject({ sessionIdleMinutes: 15, secureCookies: true });
    expect(config.auth.firstSystemAdminPassword).toBe('long-enough-password');
    expect(config.http.trustProxy).toBe('10.0.0.0/8');
    expect(() => loadConfig({ env: { POSTVAULT_SYSTEM_ADMIN_PASSWORD: 'short' } })).toThrow(
      /auth.firstSystemAdminPassword/,
    );
  });

  it('takes the journal domain from the environment, lower-case, and refuses what is no domain', () => {
    expect(loadConfig({ env: {} }).journal.domain).toBe('journal.localhost');
    expect(loadConfig({ env: { POSTVAULT_JOURNAL_DOMAIN: 'Journal.Example.COM.' } }).journal.domain).toBe(
      'journal.example.com',
    );
    expect(() => loadConfig({ env: { POSTVAULT_JOURNAL_DOMAIN: 'not a domain' } })).toThrow(/journal.domain/);
  });

  it('reads the gateway listeners and domain from the environment', () => {
    const defaults = loadConfig({ env: {} });
    expect(defaults.gatewaySmtp).toMatchObject({
      host: '127.0.0.1',
      port: 2526,
      maxMessageBytes: 100 * 1024 * 1024,
    });
    expect(defaults.gatewayPop3).toEqual({ host: '127.0.0.1', port: 1110 });
    expect(defaults.gateway.domain).toBe('gateway.localhost');
    const config = loadConfig({
      env: {
        POSTVAULT_GATEWAY_SMTP_PORT: '0',
        POSTVAULT_GATEWAY_POP3_PORT: '1995',
        POSTVAULT_GATEWAY_SMTP_MAX_MESSAGE_BYTES: '2048',
        POSTVAULT_GATEWAY_SMTP_TLS_CERT: '/etc/gw.crt',
        POSTVAULT_GATEWAY_SMTP_TLS_KEY: '/etc/gw.key',
        POSTVAULT_GATEWAY_DOMAIN: 'Gateway.Example.COM',
      },
    });
    expect(config.gatewaySmtp).toMatchObject({
      port: 0,
      maxMessageBytes: 2048,
      tlsCertFile: '/etc/gw.crt',
      tlsKeyFile: '/etc/gw.key',
    });
    expect(config.gatewayPop3.port).toBe(1995);
    expect(config.gateway.domain).toBe('gateway.example.com');
    expect(() => loadConfig({ env: { POSTVAULT_GATEWAY_DOMAIN: 'no_domain' } })).toThrow(/gateway.domain/);
  });
});
