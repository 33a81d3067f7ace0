import nodemailer from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, unlabelledControls } from '../support/browser.js';
import { freePort, startServe } from '../support/server-process.js';

/**
 * The newcomer's path through both consoles in headless Chromium against `postvault serve`:
 * the system administrator creates a tenant; its admin signs in, reads the dashboard, creates a
 * group with the Reader role and a user, adds a journal endpoint, watches a message to it show up in the
 * process log, switches to German and signs out. Every page visited is kept as a screenshot under
 * test-artifacts/screenshots.
 */
const SYSTEM_PASSWORD = 'e2e-system-password';

describe('System console and Admin Access in Chromium', { timeout: 180_000 }, () => {
  let server: Awaited<ReturnType<typeof startServe>>;
  let browser: Browser;
  let journalSmtpPort: number;
  const pageErrors: string[] = [];
  let tenantAdmin: { login: string; password: string } | undefined;

  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  };

  /** Every page we look at: a screenshot for people, and a check that each control has a name. */
  const unnamed: string[] = [];
  const capture = async (page: Page, name: string) => {
    await screenshot(page, name);
    for (const control of await unlabelledControls(page)) unnamed.push(`${name}: ${control}`);
  };

  const signIn = async (page: Page, field: 'Username' | 'Login', name: string, password: string) => {
    await page.getByLabel(field, { exact: true }).fill(name);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    journalSmtpPort = await freePort();
    server = await startServe({
      POSTVAULT_SYSTEM_ADMIN_PASSWORD: SYSTEM_PASSWORD,
      POSTVAULT_JOURNAL_SMTP_PORT: String(journalSmtpPort),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('lets the system administrator create a tenant and shows its admin credentials once', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/system`);
    await expect.poll(() => page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    await capture(page, '01-system-sign-in');
    await signIn(page, 'Username', 'admin', 'wrong-password');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/not correct/);
    await signIn(page, 'Username', 'admin', SYSTEM_PASSWORD);
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await capture(page, '02-system-tenants-empty');

    await page.getByRole('button', { name: 'Create tenant' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Acme Ltd');
    await dialog.getByLabel('Slug', { exact: true }).fill('acme');
    await dialog.getByLabel('Maximum users', { exact: true }).fill('25');
    await capture(page, '03-system-create-tenant');
    await dialog.getByRole('button', { name: 'Create tenant' }).click();

    // Mantine's modal root is a layout-less wrapper: wait for what it shows.
    const shown = page.getByTestId('shown-once-password');
    await shown.waitFor();
    tenantAdmin = {
      login: (await page.getByTestId('shown-once-login').innerText()).trim(),
      password: (await page.getByTestId('shown-once-password').innerText()).trim(),
    };
    expect(tenantAdmin.login).toBe('admin@acme');
    await capture(page, '04-system-tenant-created');
    await page.keyboard.press('Escape');
    expect(await shown.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByTestId('tenant-row-acme').waitFor();
    await capture(page, '05-system-tenants');

    await page.getByTestId('tenant-row-acme').getByRole('link').first().click();
    await page.getByRole('button', { name: 'Suspend tenant' }).waitFor();
    await capture(page, '06-system-tenant-detail');
    await page.goto(`${server.url}/system/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await page.getByText('tenant.create').first().waitFor();
    await capture(page, '07-system-audit-log');
    await page.close();
  });

  it('lets the tenant admin sign in, read the dashboard, create a Reader group and a user, switch to German and sign out', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/adminaccess`);
    if (!tenantAdmin) throw new Error('the first test did not create the tenant');
    await signIn(page, 'Login', tenantAdmin.login, tenantAdmin.password);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByTestId('dashboard-tenant-name').innerText()).toContain('Acme Ltd');
    const inconsistencies = page.getByTestId('inconsistencies');
    await inconsistencies.waitFor();
    expect(await inconsistencies.innerText()).toMatch(/admin/i);
    await capture(page, '10-admin-dashboard');

    // A user first, so that the group can take them as a member.
    await page.getByRole('link', { name: 'User Management' }).click();
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('button', { name: 'Create user' }).click();
    const userDialog = page.getByRole('dialog');
    await userDialog.getByLabel('Name', { exact: true }).fill('jane');
    await userDialog.getByLabel('Display name', { exact: true }).fill('Jane Doe');
    await userDialog.getByLabel('Primary email address', { exact: true }).fill('jane@acme.example');
    await capture(page, '11-admin-create-user');
    await userDialog.getByRole('button', { name: 'Create user' }).click();
    await page.getByTestId('shown-once-password').waitFor();
    const janePassword = (await page.getByTestId('shown-once-password').innerText()).trim();
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByRole('cell', { name: 'jane@acme', exact: false }).first().waitFor();
    await capture(page, '12-admin-users');

    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('button', { name: 'Create group' }).click();
    const groupDialog = page.getByRole('dialog');
    await groupDialog.getByLabel('Name', { exact: true }).fill('Readers');
    await groupDialog.getByLabel('Description', { exact: true }).fill('Everyone who reads their archive');
    await groupDialog.getByRole('combobox', { name: 'Members' }).click();
    await page.getByRole('option', { name: /jane/ }).click();
    await page.keyboard.press('Escape');
    await groupDialog.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('cell', { name: 'Readers' }).waitFor();
    await capture(page, '13-admin-groups');

    // The wrench: give the group the Reader role.
    await page
      .getByRole('row', { name: /Readers/ })
      .getByRole('button', { name: 'Edit roles' })
      .click();
    const rolesDialog = page.getByRole('dialog');
    await rolesDialog.getByRole('checkbox', { name: 'Reader' }).check();
    await capture(page, '14-admin-group-roles');
    await rolesDialog.getByRole('button', { name: 'Save' }).click();
    await rolesDialog.waitFor({ state: 'hidden' });
    await expect.poll(async () => page.getByRole('row', { name: /Readers/ }).innerText()).toMatch(/Reader/);

    // The user now holds the Reader role: the server agrees.
    const session = await fetch(`${server.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'jane@acme', password: janePassword }),
    }).then((r) => r.json() as Promise<{ roles: string[] }>);
    expect(session.roles).toEqual(['reader']);

    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await capture(page, '15-admin-domains');
    for (const [link, name] of [
      ['Archive mailboxes', '16-admin-mailboxes'],
      ['Secrets', '17-admin-secrets'],
    ] as const) {
      await page.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { name: link }).first().waitFor();
      await capture(page, name);
    }

    // A journal endpoint with a new journal mailbox made by "+"; the address to copy stays on screen.
    await page.getByRole('link', { name: 'Journal endpoints' }).click();
    await page.getByRole('heading', { name: 'Journal endpoints' }).first().waitFor();
    await page.getByRole('button', { name: 'Add journal endpoint' }).click();
    const journalDialog = page.getByRole('dialog');
    await journalDialog.getByLabel('Name', { exact: true }).fill('Microsoft 365');
    await journalDialog.getByRole('button', { name: 'Create a new journal mailbox' }).click();
    await journalDialog.getByLabel('Name of the new journal mailbox', { exact: true }).fill('Journal');
    await journalDialog.getByRole('button', { name: 'Create mailbox' }).click();
    await expect
      .poll(() => journalDialog.getByRole('combobox', { name: 'Journal mailbox' }).inputValue())
      .toBe('Journal');
    await capture(page, '17a-admin-journal-endpoint-form');
    await journalDialog.getByRole('button', { name: 'Add journal endpoint' }).click();
    const address = page.getByTestId('journal-endpoint-address');
    await address.waitFor();
    const journalAddress = (await address.innerText()).trim();
    expect(journalAddress).toMatch(/^[a-z2-7]{20}@journal\.localhost$/);
    await capture(page, '17b-admin-journal-endpoint-saved');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'Microsoft 365', exact: true }).waitFor();
    await capture(page, '17c-admin-journal-endpoints');

    // The process log, open while a message that is not a journal report arrives: its warning shows
    // up by itself (the page refreshes every 10 s), with every detail and a copy as JSON.
    await page.getByRole('link', { name: 'Process log' }).click();
    await page.getByRole('heading', { name: 'Process log' }).first().waitFor();
    // Runs first; the intake's messages are on the Messages tab.
    await page.getByRole('tab', { name: 'Messages' }).click();
    await page.getByTestId('empty-state').waitFor();
    const smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: journalSmtpPort,
      secure: false,
      ignoreTLS: true,
    });
    await smtp.sendMail({
      envelope: { from: 'journal@contoso.test', to: [journalAddress] },
      raw:
        'From: Jane <jane@contoso.test>\r\nTo: bob@contoso.test\r\nSubject: Not a journal report\r\n' +
        'Message-ID: <e2e-process-log@contoso.test>\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\nHello.\r\n',
    });
    smtp.close();
    const logRow = page.getByTestId('process-log-row').first();
    await logRow.waitFor({ timeout: 20_000 });
    expect(await logRow.innerText()).toMatch(
      /Warning[\s\S]*Journal intake[\s\S]*Microsoft 365[\s\S]*Not a journal report/i,
    );
    await capture(page, '17d-admin-process-log');
    await page.getByLabel('Minimum severity', { exact: true }).selectOption('error');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByTestId('empty-state').waitFor();
    await page.getByRole('button', { name: 'Reset filters' }).click();
    await logRow.waitFor();

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await logRow.getByRole('button', { name: 'Show details' }).click();
    const entryDialog = page.getByRole('dialog');
    const details = entryDialog.getByTestId('process-log-entry-details');
    await details.waitFor();
    expect(JSON.parse(await details.innerText())).toMatchObject({ mailFrom: 'journal@contoso.test' });
    await capture(page, '17e-admin-process-log-entry');
    await entryDialog.getByRole('button', { name: 'Copy as JSON' }).click();
    await entryDialog.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = JSON.parse((await page.evaluate('navigator.clipboard.readText()')) as string);
    expect(copied).toMatchObject({
      process: 'journal-intake',
      subjectName: 'Microsoft 365',
      severity: 'warning',
      details: { mailFrom: 'journal@contoso.test' },
    });
    await entryDialog.getByRole('button', { name: 'Close' }).first().click();
    await entryDialog.waitFor({ state: 'hidden' });

    // German, and it sticks: a reload and a new sign-in keep it.
    await page.getByTestId('language-switcher').click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('link', { name: 'Benutzerverwaltung' }).waitFor();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await capture(page, '18-admin-dashboard-de');
    await page.reload();
    await page.getByRole('link', { name: 'Benutzerverwaltung' }).waitFor();

    const sessionCookie = (await page.context().cookies()).find((c) => c.name === 'pv_session');
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Abmelden' }).click();
    await page.getByRole('button', { name: 'Anmelden' }).waitFor();
    await capture(page, '19-admin-signed-out-de');
    // Signed out on the server too: the old cookie no longer opens a session.
    expect(sessionCookie).toBeDefined();
    const replay = await fetch(`${server.url}/api/v1/auth/session`, {
      headers: { cookie: `pv_session=${sessionCookie!.value}` },
    });
    expect(replay.status).toBe(401);
    expect((await page.context().cookies()).find((c) => c.name === 'pv_session')).toBeUndefined();
    await page.close();
  });

  it(
    'lets the tenant admin schedule the integrity check from the clock icon, watch it run and read its log',
    { timeout: 300_000 },
    async () => {
      expect(tenantAdmin).toBeDefined();
      const page = await newPage();
      await page.goto(`${server.url}/adminaccess`);
      await signIn(page, 'Login', tenantAdmin!.login, tenantAdmin!.password);
      // The admin chose German in the test before: wait until it applies, then back to English for
      // the labels below (switching earlier races the session's language and loses the menu).
      await page.getByRole('link', { name: 'Benutzerverwaltung' }).waitFor();
      await page.getByTestId('language-switcher').click();
      await page.getByRole('menuitem', { name: 'English' }).click();
      await page.getByRole('link', { name: 'Schedules' }).click();
      await page.getByRole('heading', { name: 'Schedules' }).first().waitFor();
      await capture(page, '20-admin-schedules-empty');

      // Once, at the first full minute at least 60 s ahead (the rule for a once schedule), in the
      // browser's own time zone, which the dialog preselects.
      const at = await page.evaluate(() => {
        const when = new Date(Math.ceil((Date.now() + 75_000) / 60_000) * 60_000);
        const two = (n: number) => String(n).padStart(2, '0');
        return {
          date: `${when.getFullYear()}-${two(when.getMonth() + 1)}-${two(when.getDate())}`,
          time: `${two(when.getHours())}:${two(when.getMinutes())}`,
          epoch: when.getTime(),
        };
      });
      await page.getByRole('button', { name: 'Schedule Archive integrity' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Repeats', { exact: true }).click();
      await page.getByRole('option', { name: 'Once', exact: true }).click();
      await dialog.getByLabel('Date', { exact: true }).fill(at.date);
      await dialog.getByLabel('Time', { exact: true }).fill(at.time);
      await capture(page, '21-admin-schedule-form');
      await dialog.getByRole('button', { name: 'Add schedule' }).click();
      await dialog.waitFor({ state: 'hidden' });
      const row = page.locator('[data-testid^="schedule-"]').filter({ hasText: 'Archive integrity' }).first();
      await row.waitFor();
      expect(await row.innerText()).toContain('Once on');

      // Run now: the last run's outcome appears on the row and opens the run in the process log.
      await row.getByRole('button', { name: 'Run Archive integrity now' }).click();
      const lastRun = row.getByRole('link', { name: /Last run of Archive integrity: Succeeded/ });
      await lastRun.waitFor({ timeout: 30_000 });
      await capture(page, '22-admin-schedules');
      await lastRun.click();
      const detail = page.getByTestId('job-run-detail');
      await detail.waitFor();
      await expect.poll(() => detail.getAttribute('data-status')).toBe('succeeded');
      expect(await page.getByTestId('job-run-message').allInnerTexts()).toEqual(
        expect.arrayContaining([expect.stringContaining('Started'), expect.stringContaining('Finished')]),
      );
      await capture(page, '23-admin-job-run');
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      await page.getByRole('button', { name: 'Copy as JSON' }).click();
      const copied = JSON.parse((await page.evaluate('navigator.clipboard.readText()')) as string);
      expect(copied).toMatchObject({
        run: {
          jobType: 'integrity-check',
          configName: 'Archive integrity',
          trigger: 'manual',
          status: 'succeeded',
        },
      });

      // The schedule fires by itself at its time: a second run, triggered by the schedule.
      await page.getByRole('link', { name: 'All runs' }).click();
      const rows = page.getByTestId('job-run-row');
      const deadline = at.epoch + 90_000;
      for (;;) {
        const statuses = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
        if (statuses.length === 2 && statuses.every((s) => s === 'succeeded')) break;
        if (Date.now() > deadline) throw new Error(`the schedule did not run: ${JSON.stringify(statuses)}`);
        await page.waitForTimeout(3_000);
        await page.reload();
        await rows.first().waitFor();
      }
      expect(await rows.first().innerText()).toMatch(/Schedule/);
      await capture(page, '24-admin-process-log-runs');
      await page.close();

      // The System console sees the tenant's runs too.
      const system = await newPage();
      await system.goto(`${server.url}/system/job-runs`);
      await signIn(system, 'Username', 'admin', SYSTEM_PASSWORD);
      await system.getByTestId('job-run-row').first().waitFor();
      expect(await system.getByTestId('job-run-row').count()).toBe(2);
      await capture(system, '25-system-job-runs');
      await system.close();
    },
  );

  it('signs in with the keyboard alone', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/system`);
    await page.getByLabel('Username', { exact: true }).waitFor();
    // Focus starts in the first field; Tab moves on, Enter submits.
    expect(await page.evaluate('document.activeElement === document.querySelector("input")')).toBe(true);
    expect(await page.getByLabel('Username', { exact: true }).evaluate((el) => el.matches(':focus'))).toBe(
      true,
    );
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(SYSTEM_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.close();
  });

  it('raised no errors in the pages and named every control', () => {
    expect(pageErrors).toEqual([]);
    expect(unnamed).toEqual([]);
  });
});
