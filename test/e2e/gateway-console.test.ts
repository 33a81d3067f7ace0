import nodemailer from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, unlabelledControls } from '../support/browser.js';
import { curlPop3 } from '../support/pop3-clients.js';
import { freePort, startServe } from '../support/server-process.js';

/**
 * The Gateway console in headless Chromium against `postvault serve`, the way the MailStore Gateway
 * manual walks through it: sign in, create a mailbox (Finish only after the warning is confirmed),
 * receive a message at its SMTP address, suspend and resume it, reset its password with and without
 * the current one, switch to German in Settings, delete the mailbox, reset the own password and sign
 * out. Screenshots go to test-artifacts/screenshots.
 */
const GATEWAY_PASSWORD = 'e2e-gateway-password';
const MAILBOX_PASSWORD = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$/;

describe('Gateway console in Chromium', { timeout: 240_000 }, () => {
  let server: Awaited<ReturnType<typeof startServe>>;
  let browser: Browser;
  let page: Page;
  let smtpPort: number;
  let pop3Port: number;
  const pageErrors: string[] = [];
  const unnamed: string[] = [];
  /** Every mailbox password the console showed: none may be in the server's output. */
  const shownPasswords: string[] = [];
  let address = '';
  let mailboxPassword = '';

  const capture = async (name: string) => {
    await screenshot(page, name);
    for (const control of await unlabelledControls(page)) unnamed.push(`${name}: ${control}`);
  };
  const row = () =>
    page.locator('[data-testid^="gateway-mailbox-"]').filter({ hasText: 'Office 365 Journal' });
  const send = (subject: string) => {
    const smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    return smtp
      .sendMail({
        envelope: { from: 'journal@contoso.test', to: [address] },
        raw:
          `From: Journal <journal@contoso.test>\r\nTo: ${address}\r\nSubject: ${subject}\r\n` +
          `Message-ID: <${subject.replace(/\W/g, '')}@contoso.test>\r\n\r\nHello.\r\n`,
      })
      .finally(() => smtp.close());
  };
  /** The password dialog: Finish works only after the warning is ticked. Returns the password. */
  const finishPasswordDialog = async (name: string) => {
    const shown = page.getByTestId('gateway-mailbox-password');
    await shown.waitFor();
    const password = (await shown.innerText()).trim();
    expect(password).toMatch(MAILBOX_PASSWORD);
    shownPasswords.push(password);
    const finish = page.getByRole('button', { name: 'Finish' });
    expect(await finish.isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    expect(await shown.isVisible()).toBe(true);
    await capture(name);
    await page.getByRole('checkbox', { name: "I've read and understood the above warning" }).check();
    expect(await finish.isEnabled()).toBe(true);
    await finish.click();
    await shown.waitFor({ state: 'hidden' });
    return password;
  };
  const messagesShown = async () => {
    await page.reload();
    await row().waitFor();
    return (await row().getByTestId('gateway-mailbox-messages').innerText()).trim();
  };

  beforeAll(async () => {
    smtpPort = await freePort();
    pop3Port = await freePort();
    server = await startServe({
      POSTVAULT_GATEWAY_ADMIN_PASSWORD: GATEWAY_PASSWORD,
      POSTVAULT_GATEWAY_SMTP_PORT: String(smtpPort),
      POSTVAULT_GATEWAY_POP3_PORT: String(pop3Port),
      // Request logs on: they must not carry a password.
      POSTVAULT_LOG_LEVEL: 'info',
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('prints where the Gateway console is and who signs in first', () => {
    expect(server.output()).toContain(`Gateway console: ${server.url}/gateway`);
    expect(server.output()).toContain('first gateway administrator: admin');
    expect(server.output()).toContain('password: the one in POSTVAULT_GATEWAY_ADMIN_PASSWORD');
  });

  it('signs the gateway administrator in and creates a mailbox whose password is shown once, behind the warning', async () => {
    await page.goto(`${server.url}/gateway`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Gateway console').first().isVisible()).toBe(true);
    await capture('g01-gateway-sign-in');
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/not correct/);
    await page.getByLabel('Password', { exact: true }).fill(GATEWAY_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Mailboxes', exact: true }).waitFor();
    await page.getByTestId('empty-state').waitFor();
    await capture('g02-gateway-empty');

    await page.getByRole('button', { name: 'Create mailbox' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Office 365 Journal');
    await dialog
      .getByLabel('Description', { exact: true })
      .fill('Target for journal emails from Office 365 domain example.com');
    await capture('g03-gateway-create');
    await dialog.getByRole('button', { name: 'Create mailbox' }).click();
    address = (await page.getByTestId('gateway-mailbox-address').innerText()).trim();
    expect(address).toMatch(/^[a-z2-7]{20}@gateway\.localhost$/);
    mailboxPassword = await finishPasswordDialog('g04-gateway-created');
    await row().waitFor();
    expect(await row().innerText()).toContain(address);
    expect(await row().innerText()).toMatch(/Active/i);
    await capture('g05-gateway-mailboxes');
  });

  it('counts a message delivered to the SMTP address; suspended, the mailbox refuses mail until resumed', async () => {
    await send('First journal report');
    await expect.poll(messagesShown, { timeout: 20_000 }).toBe('1');
    expect(await row().innerText()).not.toMatch(/Never/);

    await row().getByRole('button', { name: 'Suspend mailbox' }).click();
    await row().getByText('Suspended').waitFor();
    await capture('g06-gateway-suspended');
    await expect(send('While suspended')).rejects.toThrow(/450/);
    await row().getByRole('button', { name: 'Resume mailbox' }).click();
    await row().getByText('Active').waitFor();
    await send('Second journal report');
    await expect.poll(messagesShown, { timeout: 20_000 }).toBe('2');
  });

  it('resets the mailbox password with the current one: the mail stays, only the new password fetches it', async () => {
    await row().getByRole('button', { name: 'Reset mailbox password' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByLabel('Current mailbox password', { exact: true })
      .fill('BBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBB');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await dialog.getByText("This is not the mailbox's current password.").waitFor();
    await dialog.getByLabel('Current mailbox password', { exact: true }).fill(mailboxPassword);
    await capture('g07-gateway-reset-form');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await page.getByTestId('content-kept').waitFor();
    const newPassword = await finishPasswordDialog('g08-gateway-reset-done');
    expect(newPassword).not.toBe(mailboxPassword);

    const withNew = await curlPop3(pop3Port, address, newPassword, '');
    expect(withNew.status).toBe(0);
    expect(withNew.stdout.toString().trim().split(/\r?\n/)).toHaveLength(2);
    const withOld = await curlPop3(pop3Port, address, mailboxPassword, '');
    expect(withOld.status).not.toBe(0);
    mailboxPassword = newPassword;
  });

  it('resets without the current password: it says the mail is lost, before and after, and offers to purge it', async () => {
    await row().getByRole('button', { name: 'Reset mailbox password' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('checkbox', { name: "I don't have the current password" }).check();
    const warning = page.getByTestId('content-lost-warning');
    await warning.waitFor();
    expect(await warning.innerText()).toMatch(/2 messages in it now can then never be read again/);
    await capture('g09-gateway-reset-without-password');
    await dialog.getByRole('button', { name: 'Reset password' }).click();
    await page.getByTestId('content-lost').waitFor();
    expect(await page.getByTestId('content-lost').innerText()).toMatch(
      /2 messages received before the reset/,
    );
    mailboxPassword = await finishPasswordDialog('g10-gateway-reset-lost');

    const purge = page.getByRole('dialog');
    await purge.getByText(/Nobody can ever read them again/).waitFor();
    await capture('g11-gateway-purge');
    await purge.getByRole('button', { name: 'Purge' }).click();
    await purge.waitFor({ state: 'hidden' });
    await expect.poll(messagesShown, { timeout: 20_000 }).toBe('0');
    const listed = await curlPop3(pop3Port, address, mailboxPassword, '');
    expect(listed.status).toBe(0);
    expect(listed.stdout.toString().trim()).toBe('');
  });

  it('switches to German in Settings, at once and for good, and deletes the mailbox by its name', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog');
    await settings.getByLabel('Language', { exact: true }).click();
    await page.getByRole('option', { name: 'Deutsch' }).click();
    await settings.getByText('Eigenes Passwort zurücksetzen').waitFor();
    await page.getByRole('heading', { name: 'Postfächer', exact: true }).waitFor();
    await capture('g12-gateway-settings-de');
    await settings.getByRole('button', { name: 'OK' }).click();
    await settings.waitFor({ state: 'hidden' });
    await page.reload();
    await page.getByRole('button', { name: 'Postfach erstellen' }).waitFor();
    expect(await row().innerText()).toMatch(/Aktiv/i);
    await capture('g13-gateway-mailboxes-de');

    await row().getByRole('button', { name: 'Weitere Aktionen für Office 365 Journal' }).click();
    await page.getByRole('menuitem', { name: 'Postfach löschen' }).click();
    const confirm = page.getByRole('dialog');
    const remove = confirm.getByRole('button', { name: 'Postfach löschen' });
    expect(await remove.isDisabled()).toBe(true);
    await confirm
      .getByLabel('Zur Bestätigung Office 365 Journal eingeben', { exact: true })
      .fill('Office 365 Journal');
    await capture('g14-gateway-delete-de');
    await remove.click();
    await page.getByTestId('empty-state').waitFor();
    await expect(send('After deletion')).rejects.toThrow(/550/);
  });

  it('resets the own password to a new random one (the current one confirms it) and signs out', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Einstellungen' }).click();
    await page.getByRole('button', { name: 'Eigenes Passwort zurücksetzen' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Aktuelles Passwort', { exact: true }).fill(GATEWAY_PASSWORD);
    await capture('g15-gateway-reset-own-password-de');
    await dialog.getByRole('button', { name: 'Passwort zurücksetzen' }).click();
    const shown = page.getByTestId('shown-once-password');
    await shown.waitFor();
    const ownPassword = (await shown.innerText()).trim();
    expect(ownPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    await capture('g16-gateway-new-own-password-de');
    await page.getByRole('button', { name: 'Ich habe es gespeichert' }).click();
    await page.getByRole('button', { name: 'OK' }).click();

    const signIn = (password: string) =>
      fetch(`${server.url}/api/v1/gateway/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      }).then((r) => r.status);
    expect(await signIn(GATEWAY_PASSWORD)).toBe(401);
    expect(await signIn(ownPassword)).toBe(200);

    const cookie = (await page.context().cookies()).find((c) => c.name === 'pv_gateway');
    expect(cookie).toBeDefined();
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Abmelden' }).click();
    await page.getByRole('button', { name: 'Anmelden' }).waitFor();
    await capture('g17-gateway-signed-out-de');
    const replay = await fetch(`${server.url}/api/v1/gateway/mailboxes`, {
      headers: { cookie: `pv_gateway=${cookie!.value}` },
    });
    expect(replay.status).toBe(401);
  });

  it('raised no errors in the pages, named every control, and logged no password', () => {
    expect(pageErrors).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(shownPasswords.length).toBe(3);
    for (const password of shownPasswords) expect(server.output()).not.toContain(password);
  });
});
