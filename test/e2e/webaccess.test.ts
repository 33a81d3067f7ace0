import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, unlabelledControls } from '../support/browser.js';
import { openTempHttp, type TempHttp } from '../support/http.js';
import { corpusDir } from '../support/paths.js';

/**
 * Web Access in headless Chromium against the real HTTP server (in-process, listening on a loopback
 * port, serving the built web app): a Reader signs in, browses the folder tree, searches with the
 * query language and with the advanced form, reads a plain-text, an HTML and a journal message,
 * downloads one as EML, exports ZIP and MBOX, sees Resend unavailable, switches to German and signs
 * out. Screenshots go to test-artifacts/screenshots.
 */

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const corpus = (path: string) => readFileSync(join(corpusDir, path));

// Real mail from the shared corpus.
const PLAIN = 'tika/testRFC822_x-.eml'; // text/plain: "[jira] Commented: (TIKA-461) RFC822 messages not parsed"
const HTML = 'mailparser/nodemailer.eml'; // HTML and text, attachments: "Nodemailer is unicode friendly ✔"
const JOURNALED = 'tika/testRFC822_dkim.eml'; // "Is dinner ready?", archived from a journal report
const BULK = 250; // more than one page of the list (200)

/** SYNTHETIC: an HTML newsletter with a remote (tracking) image, for "Load external content". */
const NEWSLETTER = Buffer.from(
  [
    'From: Vendor News <news@vendor.test>',
    'To: jane@acme.test',
    'Subject: Spring newsletter',
    'Date: Wed, 03 Apr 2024 09:00:00 +0000',
    'Message-ID: <newsletter@vendor.test>',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p>Spring offers</p><img src="https://tracker.example/p.gif" alt=""></body></html>',
    '',
  ].join('\r\n'),
);

/** A small synthetic message for the bulk folder. */
const bulkMessage = (n: number) =>
  Buffer.from(
    [
      `From: Sender ${n} <sender${n}@bulk.test>`,
      'To: jane@acme.test',
      `Subject: Bulk message ${String(n).padStart(3, '0')}`,
      `Date: ${new Date(Date.UTC(2023, 0, 1) + n * 3_600_000).toUTCString().replace(/GMT$/, '+0000')}`,
      `Message-ID: <bulk-${n}@bulk.test>`,
      '',
      `Body of bulk message ${n}.`,
      '',
    ].join('\r\n'),
  );

describe('Web Access in Chromium', { timeout: 180_000 }, () => {
  let http: TempHttp;
  let url: string;
  let browser: Browser;
  const reader = { login: '', password: '' };
  const outsider = { login: '', password: '' };
  const ids: Record<string, number> = {};
  const pageErrors: string[] = [];
  const unnamed: string[] = [];

  const newPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  };
  const capture = async (page: Page, name: string) => {
    await screenshot(page, name);
    for (const control of await unlabelledControls(page)) unnamed.push(`${name}: ${control}`);
  };
  const signIn = async (page: Page, login: string, password: string) => {
    await page.getByLabel('Login', { exact: true }).fill(login);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };
  const downloaded = async (download: Download) => readFileSync((await download.path())!);
  const rows = (page: Page) => page.getByTestId('message-row');
  const query = (page: Page) => new URL(page.url()).searchParams;

  beforeAll(async () => {
    http = await openTempHttp();
    const acme = await http.tenantWithAdmin('acme', 'Acme Ltd');
    const admin = acme.admin;
    const user = async (name: string) => {
      const created = await admin.post('/api/v1/admin/users', { name, primaryAddress: `${name}@acme.test` });
      expect(created.status).toBe(201);
      return {
        id: created.body.user.id as number,
        login: created.body.user.login,
        password: created.body.password,
      };
    };
    const jane = await user('jane');
    const olaf = await user('olaf');
    Object.assign(reader, { login: jane.login, password: jane.password });
    Object.assign(outsider, { login: olaf.login, password: olaf.password });
    const group = await admin.post('/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [jane.id],
    });
    expect(group.status).toBe(201);
    const mailbox = async (body: object) => {
      const created = await admin.post('/api/v1/admin/mailboxes', body);
      expect(created.status).toBe(201);
      return created.body.id as number;
    };
    const own = await mailbox({ name: 'Jane Doe', kind: 'user', ownerIds: [jane.id] });
    const journal = await mailbox({ name: 'Journal', kind: 'journal', sharedGroupIds: [group.body.id] });

    const tenantId = acme.tenant.id as number;
    const archive = async (
      mailboxId: number,
      items: Array<{ name: string; raw: Buffer; folder: string; envelope?: object }>,
    ) => {
      const outcomes = await http.app.archive.archiveBatch(
        { tenantId },
        mailboxId,
        items.map((item) => ({
          raw: item.raw,
          folderPath: item.folder,
          sourceRef: item.name,
          ...(item.envelope ? { envelope: item.envelope as never } : {}),
        })),
      );
      outcomes.forEach((outcome, n) => {
        if (outcome.status === 'failed') throw new Error(outcome.error);
        ids[items[n]!.name] = outcome.messageId;
      });
    };
    await archive(own, [
      { name: 'plain', raw: corpus(PLAIN), folder: 'Inbox/Projects' },
      { name: 'html', raw: corpus(HTML), folder: 'Inbox' },
      { name: 'spam', raw: corpus('mailparser/spam.eml'), folder: 'Inbox' },
      { name: 'newsletter', raw: NEWSLETTER, folder: 'Inbox' },
      ...Array.from({ length: BULK }, (_, n) => ({ name: `bulk${n}`, raw: bulkMessage(n), folder: 'Bulk' })),
    ]);
    // A journal report's copy: its envelope names a Bcc recipient the headers do not show.
    await archive(journal, [
      {
        name: 'journaled',
        raw: corpus(JOURNALED),
        folder: '',
        envelope: {
          sender: 'joe@football.example.com',
          recipients: [
            { address: 'suzie@shopping.example.net', kind: 'to' },
            { address: 'auditor@acme.test', kind: 'bcc' },
            { address: 'eve@acme.test', kind: 'to', expandedFrom: 'family@acme.test' },
          ],
        },
      },
    ]);

    await http.server.listen({ port: 0, host: '127.0.0.1' });
    const address = http.server.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await http?.close();
  });

  it('lets a Reader browse, search, read and download, and resend once sending is set up', async () => {
    const page = await newPage();
    await page.goto(`${url}/webaccess`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await capture(page, '40-webaccess-sign-in');
    await signIn(page, reader.login, reader.password);

    // The tree: My Archive with the own mailbox (open), Shares with the journal mailbox.
    const tree = page.getByTestId('folder-tree');
    await tree.getByRole('heading', { name: 'My Archive' }).waitFor();
    await tree.getByRole('heading', { name: 'Shares' }).waitFor();
    await rows(page).first().waitFor();
    expect(await page.title()).toBe('All messages · Postvault');
    await capture(page, '41-webaccess-all-messages');

    // A folder below a folder: open Inbox's branch, then Projects.
    await tree.getByRole('button', { name: 'Show folders of Inbox' }).click();
    await tree.getByRole('link', { name: /^Projects/ }).click();
    await expect.poll(() => query(page).get('folderId')).not.toBeNull();
    expect(query(page).get('mailboxId')).not.toBeNull();
    await page.getByTestId('list-title').getByText('Projects').waitFor();
    await expect.poll(() => rows(page).count()).toBe(1);

    // Open the plain-text message in the reading pane.
    await rows(page).first().getByRole('link').click();
    const view = page.getByTestId('message-view');
    await view.waitFor();
    expect(query(page).get('message')).toBe(String(ids['plain']));
    expect(await view.getByTestId('message-subject').innerText()).toContain('TIKA-461');
    expect(await view.getByTestId('message-text').innerText()).toMatch(/RFC822/);
    expect(await view.getByTestId('message-html').count()).toBe(0);
    // Sending is off: Resend is shown, disabled, with the reason.
    const resend = view.getByTestId('resend-button');
    expect(await resend.getAttribute('aria-disabled')).toBe('true');
    expect(await view.getByTestId('resend-unavailable').innerText()).toMatch(/Mail cannot be sent/);
    await capture(page, '42-webaccess-plain-message');

    // Download (EML): the archived bytes, unchanged.
    const [eml] = await Promise.all([
      page.waitForEvent('download'),
      view.getByTestId('download-eml').click(),
    ]);
    expect(eml.suggestedFilename()).toMatch(/\.eml$/);
    expect(sha256(await downloaded(eml))).toBe(sha256(corpus(PLAIN)));

    // Show source: the raw message in a monospace block.
    await view.getByRole('button', { name: 'Show source' }).click();
    const source = page.getByTestId('message-source');
    await source.waitFor();
    expect(await source.innerText()).toContain('Subject: [jira] Commented: (TIKA-461)');
    await capture(page, '43-webaccess-source');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).last().click();
    await source.waitFor({ state: 'hidden' });

    // The query language: the search is in the address, matches are marked, a reload keeps it.
    const box = page.getByTestId('search-input');
    await box.fill('nodemailer myself');
    await box.press('Enter');
    await expect.poll(() => query(page).get('q')).toBe('nodemailer myself');
    expect(query(page).get('message')).toBeNull();
    await expect.poll(() => rows(page).count()).toBe(0);
    // Still inside the Projects folder: nothing there. Show all messages, keeping nothing.
    await page.getByTestId('empty-state').waitFor();
    await page.getByRole('link', { name: 'Show all messages' }).click();
    await box.fill('nodemailer myself');
    await box.press('Enter');
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(query(page).get('mailboxId')).toBeNull();
    expect(await rows(page).first().locator('mark').first().innerText()).toMatch(/nodemailer/i);
    await page.reload();
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await box.inputValue()).toBe('nodemailer myself');
    await capture(page, '44-webaccess-search');
    await page.getByRole('button', { name: 'Search help' }).click();
    const help = page.getByTestId('search-help');
    await help.waitFor();
    expect(await help.innerText()).toContain('has:attachment');
    await page.waitForTimeout(300); // the drawer slides in
    await capture(page, '44b-webaccess-search-help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    // The HTML message: a sandboxed frame, never with scripts or the page's origin.
    await rows(page).first().getByRole('link').click();
    const frame = view.getByTestId('message-html');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    expect(await frame.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(await frame.getAttribute('src')).toBe(`/api/v1/webaccess/messages/${ids['html']}/html`);
    await expect
      .poll(async () => {
        const content = page.frames().find((f) => f.url().includes(`/messages/${ids['html']}/html`));
        return content ? content.locator('body').innerText() : '';
      })
      .toMatch(/\S/);
    expect(await view.getByTestId('attachments').getByRole('link').count()).toBeGreaterThanOrEqual(3);
    await capture(page, '45-webaccess-html-message');
    // The words searched for are marked in the text view (the HTML stays as the sender wrote it).
    await view.getByTestId('matches-in-text').waitFor();
    await view.getByText('Text', { exact: true }).click();
    await view.getByTestId('message-text').waitFor();
    expect(await view.getByTestId('message-html').count()).toBe(0);
    expect(await view.getByTestId('message-text').locator('mark').first().innerText()).toBe('myself');

    // Remote content stays blocked until asked for, and only for that message.
    await box.fill('subject:nodemailer OR subject:newsletter');
    await box.press('Enter');
    await expect.poll(() => rows(page).count()).toBe(2);
    const row = (id: number) => page.locator(`[data-testid="message-row"][data-message-id="${id}"]`);
    const htmlUrl = (id: number) => `/api/v1/webaccess/messages/${id}/html`;
    await row(ids['newsletter']!).getByRole('link').click();
    await expect.poll(() => frame.getAttribute('src')).toBe(htmlUrl(ids['newsletter']!));
    await view.getByRole('button', { name: 'Load external content' }).click();
    await expect.poll(() => frame.getAttribute('src')).toBe(`${htmlUrl(ids['newsletter']!)}?external=1`);
    expect(await frame.getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    await row(ids['html']!).getByRole('link').click();
    await expect.poll(() => frame.getAttribute('src')).toBe(htmlUrl(ids['html']!));
    await row(ids['newsletter']!).getByRole('link').click();
    await expect.poll(() => frame.getAttribute('src')).toBe(htmlUrl(ids['newsletter']!));
    await view.getByRole('button', { name: 'Load external content' }).waitFor();

    // A bad query: the server's message names the position.
    await box.fill('subject:(budget');
    await box.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/position \d+/);
    await capture(page, '46-webaccess-bad-query');

    // Advanced search writes the query language into the box (and the address).
    await page.getByRole('button', { name: 'Advanced search' }).click();
    const form = page.getByTestId('advanced-search');
    await form.getByLabel('From', { exact: true }).fill('andris');
    await form.getByLabel('Subject', { exact: true }).fill('unicode friendly');
    await form.getByLabel('Dated after', { exact: true }).fill('2016-01-01');
    await form.getByLabel('Has attachment', { exact: true }).check();
    await form.getByLabel('Folder', { exact: true }).fill('Inbox');
    await page.keyboard.press('Escape');
    expect(await form.getByTestId('advanced-preview').innerText()).toBe(
      'from:andris subject:"unicode friendly" after:2016-01-01 has:attachment folder:"Inbox"',
    );
    await capture(page, '47-webaccess-advanced-search');
    await form.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => query(page).get('q'))
      .toBe('from:andris subject:"unicode friendly" after:2016-01-01 has:attachment folder:"Inbox"');
    expect(await box.inputValue()).toBe(
      'from:andris subject:"unicode friendly" after:2016-01-01 has:attachment folder:"Inbox"',
    );
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-message-id')).toBe(String(ids['html']));

    // The journal copy, in Shares: its envelope lists the Bcc recipient.
    await tree.getByRole('link', { name: /^Journal/ }).click();
    await page.getByTestId('list-title').getByText('Journal', { exact: true }).waitFor();
    await box.fill('');
    await box.press('Enter');
    await expect.poll(() => query(page).get('q')).toBeNull();
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().getAttribute('data-message-id')).toBe(String(ids['journaled']));
    await rows(page).first().getByRole('link').click();
    const envelope = view.getByTestId('envelope');
    await envelope.waitFor();
    const bcc = envelope.locator('tr[data-kind="bcc"]');
    expect(await bcc.innerText()).toMatch(/Bcc[\s\S]*auditor@acme\.test/i);
    expect(await envelope.innerText()).toContain('expanded from family@acme.test');
    // A shared mailbox, not the reader's own: the page says that reading it is audited.
    await view.getByTestId('not-owned').waitFor();
    await capture(page, '48-webaccess-journal-message');

    // Sending is set up meanwhile: Resend turns on by itself, without a new sign-in (availability is
    // asked every minute and when the window comes back into view).
    const system = await http.systemClient();
    const mailServer = await system.put('/api/v1/system/mail-server', {
      enabled: true,
      authentication: 'none',
      host: '127.0.0.1',
      port: 1,
      encryption: 'none',
      senderAddress: 'archive@postvault.test',
    });
    expect(mailServer.status).toBe(200);
    await page.evaluate("window.dispatchEvent(new Event('visibilitychange'))");
    const resendButton = view.getByTestId('resend-button');
    await expect.poll(() => resendButton.getAttribute('data-available')).toBe('true');
    expect(await resendButton.getAttribute('aria-disabled')).toBeNull();
    expect(await view.getByTestId('resend-unavailable').count()).toBe(0);
    await resendButton.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: 'Another address' }).check();
    await dialog.getByLabel('Email address', { exact: true }).fill('not an address');
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    await dialog.getByText('Enter an email address such as name@example.com.').waitFor();
    await dialog.getByRole('radio', { name: 'Me (jane@acme.test)' }).check();
    await capture(page, '48b-webaccess-resend');
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    const sent = dialog.getByTestId('resend-sent');
    await sent.waitFor();
    expect(await sent.innerText()).toContain('jane@acme.test');
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await sent.waitFor({ state: 'detached' });

    // Its own page works directly too.
    await page.goto(`${url}/webaccess/messages/${ids['journaled']}`);
    await page.getByRole('heading', { level: 1, name: 'Is dinner ready?' }).waitFor();
    expect(await page.title()).toBe('Is dinner ready? · Postvault');
    await page.getByTestId('envelope').waitFor();
    await page.close();
  });

  it('scrolls through more than a page, sorts by a column, and exports ZIP and MBOX', async () => {
    const page = await newPage();
    await page.goto(`${url}/webaccess`);
    await signIn(page, reader.login, reader.password);
    const tree = page.getByTestId('folder-tree');
    await tree.getByRole('link', { name: /^Bulk/ }).click();
    await expect.poll(() => query(page).get('folderId')).not.toBeNull();
    await page.getByTestId('list-title').getByText('Bulk', { exact: true }).waitFor();
    const list = page.getByTestId('message-list');
    await list.waitFor();
    await expect.poll(() => list.getAttribute('data-rows')).toBe('200');
    // Only the rows in view are in the page.
    expect(await rows(page).count()).toBeLessThan(60);
    expect(await rows(page).first().innerText()).toContain(`Bulk message ${BULK - 1}`);
    // The keyboard moves between rows; Enter opens one.
    await rows(page).first().getByRole('link').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    // A string: this project compiles without the DOM library (see test/support/browser.ts).
    const focusedRow = () =>
      page.evaluate("document.activeElement?.closest('[data-row-index]')?.getAttribute('data-row-index')");
    await expect.poll(focusedRow).toBe('2');
    await page.keyboard.press('Enter');
    await expect.poll(() => query(page).get('message')).toBe(String(ids[`bulk${BULK - 3}`]));
    await page
      .getByTestId('message-view')
      .getByText(`Body of bulk message ${BULK - 3}.`)
      .waitFor();
    await page.getByRole('link', { name: 'Close message' }).click();
    await expect.poll(() => query(page).get('message')).toBeNull();

    // Scrolling to the end loads the next page by its cursor.
    await page.locator('.pv-wa-list-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(() => list.getAttribute('data-rows')).toBe(String(BULK));
    await page.locator('.pv-wa-list-scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(() => rows(page).last().innerText()).toContain('Bulk message 000');

    // Sort by subject, A to Z, then Z to A: in the address.
    await page.getByTestId('sort-subject').click();
    await expect.poll(() => query(page).get('sort')).toBe('subject');
    await expect.poll(() => rows(page).first().innerText()).toContain('Bulk message 000');
    await page.getByTestId('sort-subject').click();
    await expect.poll(() => query(page).get('order')).toBe('desc');
    await expect.poll(() => rows(page).first().innerText()).toContain(`Bulk message ${BULK - 1}`);
    expect(await page.getByRole('columnheader', { name: 'Subject' }).getAttribute('aria-sort')).toBe(
      'descending',
    );

    // Two rows selected, exported as ZIP: the browser downloads it, the panel shows it done.
    await rows(page).nth(0).getByRole('checkbox').check();
    await rows(page).nth(1).getByRole('checkbox').check();
    await page.getByTestId('selection-count').getByText('2 selected').waitFor();
    await page.getByTestId('export-menu').click();
    await capture(page, '49-webaccess-export-menu');
    const [zip] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'Export selected as ZIP (EML files)' }).click(),
    ]);
    const zipBytes = await downloaded(zip);
    expect(zipBytes.subarray(0, 2).toString()).toBe('PK');
    const progress = page.getByTestId('export-progress').first();
    await expect.poll(() => progress.getAttribute('data-status')).toBe('done');
    expect(await progress.getByTestId('export-progress-text').innerText()).toMatch(/^2 of 2 messages/);
    await capture(page, '50-webaccess-export-done');

    // Every result of the folder as MBOX.
    await page.getByTestId('export-menu').click();
    const [mbox] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'Export all results as MBOX' }).click(),
    ]);
    const mboxText = (await downloaded(mbox)).toString('utf8');
    expect(mboxText.startsWith('From ')).toBe(true);
    expect(mboxText.match(/^Subject: Bulk message /gm)).toHaveLength(BULK);
    const mboxProgress = page.locator('[data-testid="export-progress"][data-format="mbox"]');
    await expect.poll(() => mboxProgress.getAttribute('data-status')).toBe('done');

    // On a wide screen the message opens beside the list.
    await page.setViewportSize({ width: 1700, height: 950 });
    await rows(page).nth(2).getByRole('link').click();
    await page.getByTestId('message-view').waitFor();
    const [listBox, paneBox] = await Promise.all([
      page.locator('.pv-wa-list-pane').boundingBox(),
      page.getByTestId('reading-pane').boundingBox(),
    ]);
    expect(paneBox!.x).toBeGreaterThan(listBox!.x + listBox!.width - 1);
    await capture(page, '50b-webaccess-wide');
    await page.close();
  });

  it('switches to German at once and signs out; a user without the Reader role sees no access', async () => {
    const page = await newPage();
    await page.goto(`${url}/webaccess`);
    await signIn(page, reader.login, reader.password);
    await page.getByTestId('folder-tree').getByRole('heading', { name: 'My Archive' }).waitFor();
    await page.getByTestId('language-switcher').click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { name: 'Mein Archiv' }).waitFor();
    await page.getByRole('heading', { name: 'Freigaben' }).waitFor();
    await page.getByRole('button', { name: 'Erweiterte Suche' }).waitFor();
    await rows(page).first().getByRole('link').click();
    await page.getByRole('button', { name: 'Quelltext anzeigen' }).waitFor();
    await page.getByRole('button', { name: 'Mail erneut senden' }).waitFor();
    await capture(page, '51-webaccess-german');
    // Saved with the user: a reload stays German.
    await page.reload();
    await page.getByRole('heading', { name: 'Mein Archiv' }).waitFor();
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Abmelden' }).click();
    await page.getByRole('button', { name: 'Anmelden' }).waitFor();
    await capture(page, '52-webaccess-signed-out-de');
    // Back to English for the next sign-in on this browser.
    await page.getByTestId('language-switcher').click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    await signIn(page, outsider.login, outsider.password);
    await page.getByRole('heading', { name: 'No access to Web Access' }).waitFor();
    await capture(page, '53-webaccess-no-access');
    await page.close();
  });

  it('raised no errors in the pages and named every control', () => {
    expect(pageErrors).toEqual([]);
    expect(unnamed).toEqual([]);
  });
});
