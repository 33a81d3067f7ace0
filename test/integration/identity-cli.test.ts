import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { cliPath, projectRoot } from '../support/paths.js';
import { startServe } from '../support/server-process.js';

const signIn = (url: string, path: string, body: Record<string, string>) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.status);

describe('system administrators and tenants from the command line', () => {
  let server: Awaited<ReturnType<typeof startServe>>;
  let firstPassword: string;

  beforeAll(async () => {
    server = await startServe();
    const deadline = Date.now() + 30_000;
    while (!server.output().includes('Admin Access:') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    firstPassword = /password \(shown once, keep it\): (\S+)/.exec(server.output())?.[1] ?? '';
  }, 90_000);

  afterAll(async () => {
    await server.stop();
  });

  it('serve creates the first system administrator at first start and prints the password once', async () => {
    expect(server.output()).toContain('first system administrator: admin');
    expect(server.output()).toContain(`${server.url}/system`);
    expect(firstPassword.length).toBeGreaterThanOrEqual(16);
    expect(
      await signIn(server.url, '/api/v1/system/auth/sign-in', { username: 'admin', password: firstPassword }),
    ).toBe(200);
  });

  it('system-admin add prints a generated password; reset takes one from stdin', async () => {
    const added = runCli(server.dataDir, ['system-admin', 'add', 'ops']);
    expect(added.status).toBe(0);
    const password = /Password \(shown once\): (\S+)/.exec(added.stdout)?.[1];
    expect(password).toBeDefined();
    expect(
      await signIn(server.url, '/api/v1/system/auth/sign-in', { username: 'ops', password: password! }),
    ).toBe(200);
    expect(runCli(server.dataDir, ['system-admin', 'add', 'ops']).status).toBe(2);

    const reset = spawnSync(process.execPath, [cliPath, 'system-admin', 'reset', 'ops', '--password-stdin'], {
      cwd: projectRoot,
      env: { ...process.env, POSTVAULT_DATA_DIR: server.dataDir, POSTVAULT_LOG_LEVEL: 'warn' },
      input: 'a-chosen-password-1\n',
      encoding: 'utf8',
    });
    expect(reset.status).toBe(0);
    expect(reset.stdout).not.toContain('a-chosen-password-1');
    expect(
      await signIn(server.url, '/api/v1/system/auth/sign-in', { username: 'ops', password: password! }),
    ).toBe(401);
    expect(
      await signIn(server.url, '/api/v1/system/auth/sign-in', {
        username: 'ops',
        password: 'a-chosen-password-1',
      }),
    ).toBe(200);
  });

  it('serve creates the first gateway administrator too, with a password of its own, printed once', async () => {
    const output = server.output();
    expect(output).toContain(`Gateway console: ${server.url}/gateway`);
    expect(output).toContain('first gateway administrator: admin');
    const passwords = [...output.matchAll(/password \(shown once, keep it\): (\S+)/g)].map((m) => m[1]);
    expect(passwords).toHaveLength(2);
    const gatewayPassword = passwords[1]!;
    expect(gatewayPassword).not.toBe(firstPassword);
    const gatewaySignIn = '/api/v1/gateway/auth/sign-in';
    expect(await signIn(server.url, gatewaySignIn, { username: 'admin', password: gatewayPassword })).toBe(
      200,
    );
    // Two separate accounts: neither password opens the other console.
    expect(await signIn(server.url, gatewaySignIn, { username: 'admin', password: firstPassword })).toBe(401);
    expect(
      await signIn(server.url, '/api/v1/system/auth/sign-in', {
        username: 'admin',
        password: gatewayPassword,
      }),
    ).toBe(401);
  });

  it('gateway-admin add prints a generated password; reset gives a lost one a new password', async () => {
    const gatewaySignIn = '/api/v1/gateway/auth/sign-in';
    const added = runCli(server.dataDir, ['gateway-admin', 'add', 'mail-ops']);
    expect(added.status).toBe(0);
    expect(added.stdout).toContain('Added gateway administrator mail-ops.');
    const password = /Password \(shown once\): (\S+)/.exec(added.stdout)?.[1];
    expect(await signIn(server.url, gatewaySignIn, { username: 'mail-ops', password: password! })).toBe(200);
    // Not a system administrator.
    expect(
      await signIn(server.url, '/api/v1/system/auth/sign-in', { username: 'mail-ops', password: password! }),
    ).toBe(401);
    expect(runCli(server.dataDir, ['gateway-admin', 'add', 'mail-ops']).status).toBe(2);

    const reset = runCli(server.dataDir, ['gateway-admin', 'reset', 'mail-ops']);
    expect(reset.status).toBe(0);
    const newPassword = /Password \(shown once\): (\S+)/.exec(reset.stdout)?.[1];
    expect(newPassword).toBeDefined();
    expect(await signIn(server.url, gatewaySignIn, { username: 'mail-ops', password: password! })).toBe(401);
    expect(await signIn(server.url, gatewaySignIn, { username: 'mail-ops', password: newPassword! })).toBe(
      200,
    );
    const unknown = runCli(server.dataDir, ['gateway-admin', 'reset', 'nobody']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no gateway administrator nobody');
  });

  it('tenant create provisions admin@slug; CLI reads of mail are audited; audit verify finds the chains intact', async () => {
    const created = runCli(server.dataDir, ['tenant', 'create', 'acme', 'Acme Ltd']);
    expect(created.status).toBe(0);
    const password = /Password \(shown once\): (\S+)/.exec(created.stdout)?.[1];
    expect(created.stdout).toContain('sign in as admin@acme');
    expect(
      await signIn(server.url, '/api/v1/auth/sign-in', { login: 'admin@acme', password: password! }),
    ).toBe(200);
    expect(runCli(server.dataDir, ['tenant', 'list']).stdout).toMatch(/acme\s+active/);

    expect(runCli(server.dataDir, ['search', '--tenant', 'acme', 'anything']).status).toBe(0);
    const verified = runCli(server.dataDir, ['audit', 'verify', '--json']);
    expect(verified.status).toBe(0);
    const report = JSON.parse(verified.stdout) as { ok: boolean; chains: Array<{ entries: number }> };
    expect(report.ok).toBe(true);
    // system chain: admins, tenant creation, sign-ins; acme: provisioning, sign-in, the search.
    expect(report.chains.length).toBeGreaterThanOrEqual(2);
  });
});
