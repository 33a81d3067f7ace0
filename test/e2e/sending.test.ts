import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, unlabelledControls } from '../support/browser.js';
import { startPostfixCapture } from '../support/postfix-capture.js';
import { startServe } from '../support/server-process.js';

const SYSTEM_PASSWORD = 'e2e-sending-system-password';

/**
 * Mail sending through the consoles in Chromium against `postvault serve` and a real Postfix: the
 * system administrator sets up the Email server and sends a test mail; a new tenant's admin gets
 * their sign-in details by mail (the queue runs in serve); the tenant admin sees how their mail
 * leaves and contacts support.
 */
describe('mail sending in the consoles (Chromium, Postfix)', { timeout: 180_000 }, () => {
  let capture: Awaited<ReturnType<typeof startPostfixCapture>>;
  let server: Awaited<ReturnType<typeof startServe>>;
  let browser: Browser;
  const pageErrors: string[] = [];
  const unnamed: string[] = [];

  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  };
  const capturePage = async (page: Page, name: string) => {
    await screenshot(page, name);
    for (const control of await unlabelledControls(page)) unnamed.push(`${name}: ${control}`);
  };

  beforeAll(async () => {
    capture = await startPostfixCapture();
    server = await startServe({
      POSTVAULT_SYSTEM_ADMIN_PASSWORD: SYSTEM_PASSWORD,
      POSTVAULT_SMTP_CA_FILE: capture.certificateFile,
    });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await capture?.stop();
  });

  it('lets the system administrator set up the Email server, send a test mail and mail a new admin', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/system/mail-server`);
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(SYSTEM_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Email server' }).first().waitFor();
    await capturePage(page, '30-system-mail-server-off');

    const form = page.getByTestId('mail-server-form');
    const useServer = form.getByRole('switch', { name: 'Use mail server' });
    await useServer.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => useServer.isChecked()).toBe(true);
    await form.getByLabel('Mail server', { exact: true }).fill('127.0.0.1');
    await form.getByLabel('Port', { exact: true }).fill(String(capture.ports.plain));
    await form.getByLabel('Sender address', { exact: true }).fill('archive@postvault.test');
    await form.getByLabel('Sender name', { exact: true }).fill('Postvault Archive');
    await form.getByLabel('Mail address for support requests', { exact: true }).fill('support@vendor.test');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(() => page.getByTestId('mail-server-status').getAttribute('data-status'))
      .toBe('active');
    await capturePage(page, '31-system-mail-server-active');

    await page.getByRole('button', { name: 'Send test mail' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Recipient address', { exact: true }).fill('ops@example.org');
    await dialog.getByRole('button', { name: 'Send test mail' }).click();
    const result = dialog.getByTestId('test-mail-result');
    await result.waitFor();
    expect(await result.getAttribute('data-sent')).toBe('true');
    expect(await dialog.getByTestId('test-mail-response').innerText()).toMatch(/250 2\.0\.0 Ok: queued as/);
    await capturePage(page, '32-system-test-mail-sent');
    const [test] = await capture.waitForMessages(1);
    expect(test!.recipients).toEqual(['ops@example.org']);
    expect(test!.raw.toString()).toContain('Subject: Postvault test mail');
    await page.keyboard.press('Escape');

    // A tenant whose admin gets the sign-in details by mail: serve's queue sends them.
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const create = page.getByRole('dialog');
    await create.getByLabel('Name', { exact: true }).fill('Initech');
    await create.getByLabel("Administrator's email address", { exact: true }).fill('boss@initech.test');
    await create.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByTestId('shown-once-password').waitFor();
    expect(await page.getByTestId('credentials-mail').getAttribute('data-queued')).toBe('true');
    const created = {
      admin: {
        login: (await page.getByTestId('shown-once-login').innerText()).trim(),
        password: (await page.getByTestId('shown-once-password').innerText()).trim(),
      },
    };
    await capturePage(page, '33-system-tenant-created-mailed');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    const [, credentials] = await capture.waitForMessages(2);
    expect(credentials!.recipients).toEqual(['boss@initech.test']);
    expect(credentials!.raw.toString()).toContain(`Password: ${created.admin.password}`);
    capture.clear();

    // The tenant detail page holds what the tenant may do.
    await page.getByRole('link', { name: 'Initech' }).click();
    await page.getByTestId('tenant-mail-policy').waitFor();
    await capturePage(page, '33-system-tenant-mail-policy');
    await page.close();

    // The tenant admin: mail leaves through the system's server; Contact support reaches the vendor.
    const admin = await newPage();
    await admin.goto(`${server.url}/adminaccess`);
    await admin.getByLabel('Login', { exact: true }).fill(created.admin.login);
    await admin.getByLabel('Password', { exact: true }).fill(created.admin.password);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('link', { name: 'Sending mails' }).click();
    const status = admin.getByTestId('sending-status');
    await status.waitFor();
    expect(await status.getAttribute('data-available')).toBe('true');
    expect(await status.getAttribute('data-via')).toBe('system');
    await capturePage(admin, '34-admin-sending-mails');
    // The configure dialog, with the SMTP fields shown: every control has a name.
    await admin.getByRole('button', { name: 'Configure' }).click();
    const configure = admin.getByRole('dialog');
    await configure.getByRole('radio', { name: 'SMTP' }).check();
    await configure.getByLabel('Mail server', { exact: true }).waitFor();
    await capturePage(admin, '34b-admin-sending-configure');
    await configure.getByRole('button', { name: 'Cancel' }).click();
    await configure.waitFor({ state: 'hidden' });

    await admin.getByRole('link', { name: 'Contact support' }).click();
    const support = admin.getByTestId('support-form');
    await support.getByLabel('Subject', { exact: true }).fill('Export question');
    await support.getByLabel('Message', { exact: true }).fill('How do I export a mailbox as MBOX?');
    await support.getByRole('button', { name: 'Send request' }).click();
    const sent = admin.getByTestId('support-request-sent');
    await sent.waitFor();
    expect(await sent.getAttribute('data-to')).toBe('support@vendor.test');
    await capturePage(admin, '35-admin-support-sent');
    const [request] = await capture.waitForMessages(1, 30_000);
    expect(request!.recipients).toEqual(['support@vendor.test']);
    expect(request!.raw.toString()).toMatch(/^Subject: \[initech\] Export question\r$/m);
    expect(request!.raw.toString()).toContain('system-information.json');
    await admin.close();
  });

  it('raised no errors in the pages and named every control', () => {
    expect(pageErrors).toEqual([]);
    expect(unnamed).toEqual([]);
  });
});
