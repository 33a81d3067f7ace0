import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIRequestContext, Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, unlabelledControls } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { corpusDir } from '../support/paths.js';
import { startPostfixCapture } from '../support/postfix-capture.js';
import { startServe } from '../support/server-process.js';

const SYSTEM_PASSWORD = 'e2e-resend-system-password';
const MESSAGE_FILE = join(corpusDir, 'tika', 'testRFC822_multipart_attachments.eml');

/** SMTP carries lines ending in CRLF; a message stored with bare LFs arrives with CRLFs. */
const toCrlf = (raw: Buffer) => Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

/**
 * Resend from Web Access in Chromium against `postvault serve` and a real Postfix: unavailable (with
 * the reason) while the system's mail server is off, available without signing in again once the
 * system administrator turns it on, and the message arrives at the SMTP peer byte for byte.
 */
describe('Web Access resend (Chromium, serve, Postfix)', { timeout: 180_000 }, () => {
  let capture: Awaited<ReturnType<typeof startPostfixCapture>>;
  let server: Awaited<ReturnType<typeof startServe>>;
  let browser: Browser;
  const pageErrors: string[] = [];

  /** A signed-in API session of its own (cookies kept by Playwright), sending the CSRF token. */
  const apiSession = async (signInPath: string, credentials: object) => {
    const context = await browser.newContext();
    const signIn = await context.request.post(`${server.url}${signInPath}`, { data: credentials });
    expect(signIn.status()).toBe(200);
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const request: APIRequestContext = context.request;
    return async (method: string, path: string, data?: object) => {
      const answer = await request.fetch(`${server.url}${path}`, {
        method,
        headers: { 'x-csrf-token': csrfToken },
        ...(data ? { data } : {}),
      });
      const body = (await answer.json().catch(() => null)) as Record<string, never>;
      if (answer.status() >= 300)
        throw new Error(`${method} ${path}: ${answer.status()} ${JSON.stringify(body)}`);
      return body as any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON the test inspects
    };
  };

  beforeAll(async () => {
    capture = await startPostfixCapture();
    server = await startServe({ POSTVAULT_SYSTEM_ADMIN_PASSWORD: SYSTEM_PASSWORD });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await capture?.stop();
  });

  it('resends a message unchanged once the administrator turns sending on, without a new sign-in', async () => {
    const system = await apiSession('/api/v1/system/auth/sign-in', {
      username: 'admin',
      password: SYSTEM_PASSWORD,
    });
    const tenant = await system('POST', '/api/v1/system/tenants', { slug: 'acme', name: 'Acme' });
    const admin = await apiSession('/api/v1/auth/sign-in', tenant.admin);
    const alice = await admin('POST', '/api/v1/admin/users', {
      name: 'alice',
      primaryAddress: 'alice@acme.test',
    });
    await admin('POST', '/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [alice.user.id],
    });
    await admin('POST', '/api/v1/admin/mailboxes', {
      name: 'alice',
      kind: 'user',
      ownerIds: [alice.user.id],
    });
    const imported = runCli(server.dataDir, [
      'import',
      '--tenant',
      'acme',
      '--mailbox',
      'alice',
      MESSAGE_FILE,
    ]);
    expect(imported.status, imported.stderr).toBe(0);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/webaccess`);
    await page.getByLabel('Login', { exact: true }).fill(alice.user.login);
    await page.getByLabel('Password', { exact: true }).fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.getByTestId('message-row').first();
    await row.waitFor();
    await row.getByRole('link').click();
    const resend = page.getByTestId('resend-button');
    await resend.waitFor();
    // The system's server is off: visibly unavailable, and why.
    await expect.poll(() => resend.getAttribute('data-available')).toBe('false');
    expect(await resend.getAttribute('aria-disabled')).toBe('true');
    await expect
      .poll(() => page.getByText(/switched off|turned off|not configured|is off/i).count())
      .toBeGreaterThan(0);
    await screenshot(page, '60-webaccess-resend-unavailable');

    await system('PUT', '/api/v1/system/mail-server', {
      enabled: true,
      host: '127.0.0.1',
      port: capture.ports.plain,
      senderAddress: 'archive@postvault.test',
    });
    // The page asks every minute and when it becomes visible again: the second, so the test need not wait.
    await page.evaluate('window.dispatchEvent(new Event("visibilitychange"))');
    await expect.poll(() => resend.getAttribute('data-available'), { timeout: 70_000 }).toBe('true');

    await resend.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Me (alice@acme.test)').waitFor();
    for (const control of await unlabelledControls(page)) pageErrors.push(`unnamed: ${control}`);
    await dialog.getByRole('button', { name: 'Send' }).click();
    await dialog.getByText('Mail queued for sending').waitFor();
    await screenshot(page, '61-webaccess-resend-queued');
    await page.keyboard.press('Escape');

    // To another address, typed in.
    await resend.click();
    await page.getByRole('radio', { name: 'Another address' }).check();
    await page.getByLabel('Email address', { exact: true }).fill('records@example.org');
    await page.getByRole('dialog').getByRole('button', { name: 'Send' }).click();
    await page.getByRole('dialog').getByText('Mail queued for sending').waitFor();

    const delivered = await capture.waitForMessages(2, 60_000);
    const original = toCrlf(readFileSync(MESSAGE_FILE));
    expect(delivered.map((m) => m.recipients).sort()).toEqual([['alice@acme.test'], ['records@example.org']]);
    for (const message of delivered) {
      expect(message.sender).toBe('archive@postvault.test');
      expect(Buffer.compare(message.raw, original), 'the resent message arrived changed').toBe(0);
    }
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
