import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { openTempHttp, type TempHttp } from '../support/http.js';
import { projectRoot } from '../support/paths.js';

/**
 * The hostile-mail corpus (test/fixtures/hostile-mail, see its README) in Chromium. Every message is
 * imported into a Reader's mailbox and looked at three ways, each of which must hold on its own:
 * - as Web Access shows it: the sandboxed frame of `GET /api/v1/webaccess/messages/:id/html` in the
 *   reading pane (when the built web app has no Web Access page yet: a frame with the same sandbox
 *   put into a page of the app's origin);
 * - the same URL opened as a top-level page, where only the response's CSP (`sandbox`) holds;
 * - the served markup rendered without CSP or sandbox: the sanitizer alone.
 * Nothing in a message may run a script (the payloads set `__pvPwned` and open a dialog), reach any
 * host (every request is recorded; those to hosts other than Postvault's are aborted), navigate the
 * app, or open a window but by a click on a link. Then "Load external content" must let remote
 * images, styles and fonts through, and still no script. A table of the cases is printed; every
 * failure names its case and what happened.
 */
const FIXTURES = join(projectRoot, 'test', 'fixtures', 'hostile-mail');
const SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';
const LABEL = 'X-Postvault-Test: synthetic hostile mail for the Web Access sandbox test (not real mail)';
/** Time for what a document does after `load` (autofocus, SMIL, refresh, lazy loads). */
const SETTLE_MS = 150;
/** Remote content that must be requested once external content is allowed. */
const MUST_LOAD_EXTERNALLY: Record<string, RegExp> = {
  'remote-images-tracking': /\/34\/newsletter-header\.png$/,
  'multipart-related-cid': /\/45\/remote-next-to-cid\.png$/,
  'css-url-remote': /\/20\/background\.png$/,
  'css-font-face': /\/21\/font2\.ttf$/,
};

interface Case {
  file: string;
  /** NN-name */
  key: string;
  name: string;
  /** X-Postvault-Test-Checks: remote, click, hover, cid, parts, headers */
  checks: Set<string>;
  raw: Buffer;
  messageId: number;
  hasHtml: boolean;
  hasExternalContent: boolean;
  attachments: Array<{ index: number; contentType: string }>;
}

interface Recorded {
  seq: number;
  url: string;
  type: string;
  navigation: boolean;
  page: Page | undefined;
  frame: Frame | undefined;
  /** The tab being clicked when a request came from no known page (a new window's first one). */
  hint: Bucket | undefined;
  request: Request;
}

/** What happened in one tab while it showed one case (popups it opened included). */
interface Bucket {
  page: Page;
  start: number;
  popups: Page[];
  dialogs: string[];
}

interface Row {
  key: string;
  frame: string;
  top: string;
  alone: string;
  external: string;
}

const header = (raw: Buffer, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(raw.toString('latin1'))?.[1]?.trim() ?? '';

function loadCorpus() {
  return readdirSync(FIXTURES)
    .filter((file) => /^\d\d-[a-z0-9-]+\.eml$/.test(file))
    .sort()
    .map((file) => {
      const raw = readFileSync(join(FIXTURES, file));
      return {
        file,
        key: file.replace(/\.eml$/, ''),
        name: file.replace(/^\d\d-|\.eml$/g, ''),
        checks: new Set(header(raw, 'X-Postvault-Test-Checks').split(/\s+/).filter(Boolean)),
        raw,
      };
    });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A promise's outcome as a boolean: `.then(...both)`. */
const both = [() => true, () => false] as const;

describe('hostile mail in Web Access (Chromium)', { timeout: 180_000 }, () => {
  let http: TempHttp;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;
  let postvaultHost: string;
  let useUi = false;
  let closing = false;
  const corpus = loadCorpus();
  const cases: Case[] = [];
  const requests: Recorded[] = [];
  /** The bucket each tab (and each popup) currently writes to. */
  const current = new Map<Page, Bucket>();
  const appPages = new Set<Page>();
  /** Pages this test opens itself (not popups). */
  const ownPages = new WeakSet<Page>();
  const pageErrors: string[] = [];
  /** Failures, each naming the case, where and what happened; all are reported together. */
  const problems: string[] = [];
  const notes: string[] = [];
  const rows = new Map<string, Row>();
  /** Message documents looked at, and those Playwright could evaluate in (to read their own flag). */
  let judged = 0;
  let openedByRowClick = 0;
  let readable = 0;

  const isPostvault = (url: string) => URL.canParse(url) && new URL(url).host === postvaultHost;
  const isWeb = (url: string) => /^https?:/i.test(url);
  /** Stopped by the document's Content-Security-Policy: never left the renderer. */
  const stoppedByCsp = (r: Recorded) => r.request.failure()?.errorText === 'csp';

  const watched = new WeakSet<Page>();
  const watch = (page: Page) => {
    if (watched.has(page)) return;
    watched.add(page);
    page.on('dialog', (dialog) => {
      current.get(page)?.dialogs.push(`${dialog.type()} "${dialog.message()}"`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  };
  /**
   * The tab whose message is being clicked or hovered. Windows a message opens (noopener ones have
   * no opener to tell) belong to it; only one tab interacts at a time. Any other window is an orphan.
   */
  let interacting: Bucket | undefined;
  let interactionLock: Promise<void> = Promise.resolve();
  /** Windows that opened while nothing was being clicked (ours, or a message's doing). */
  const unclaimed: Page[] = [];
  async function exclusively(bucket: Bucket, work: () => Promise<void>) {
    const previous = interactionLock;
    let release = () => {};
    interactionLock = new Promise((resolve) => (release = resolve));
    await previous;
    interacting = bucket;
    try {
      await work();
    } finally {
      interacting = undefined;
      release();
    }
  }
  const begin = (page: Page): Bucket => {
    const bucket = { page, start: requests.length, popups: [], dialogs: [] };
    current.set(page, bucket);
    return bucket;
  };

  beforeAll(async () => {
    http = await openTempHttp();
    const { admin, tenant } = await http.tenantWithAdmin('hostile');
    const user = await admin.post('/api/v1/admin/users', {
      name: 'reader',
      displayName: 'Hostile Reader',
      primaryAddress: 'reader@acme.example',
    });
    expect(user.status).toBe(201);
    const reader = { login: user.body.user.login as string, password: user.body.password as string };
    const group = await admin.post('/api/v1/admin/groups', {
      name: 'Readers',
      roles: ['reader'],
      memberIds: [user.body.user.id],
    });
    expect(group.status).toBe(201);
    const mailbox = await admin.post('/api/v1/admin/mailboxes', {
      name: 'Reader',
      kind: 'user',
      ownerIds: [user.body.user.id],
    });
    expect(mailbox.status).toBe(201);
    const outcomes = await http.app.archive.archiveBatch(
      { tenantId: tenant.id },
      mailbox.body.id,
      corpus.map((c) => ({ raw: c.raw, folderPath: 'Inbox', sourceRef: c.file })),
    );
    const client = http.client();
    await client.signInTenant(reader.login, reader.password);
    for (const [index, outcome] of outcomes.entries()) {
      const c = corpus[index]!;
      if (outcome.status === 'failed') throw new Error(`${c.file} was not archived: ${outcome.error}`);
      const detail = await client.get(`/api/v1/webaccess/messages/${outcome.messageId}`);
      expect(detail.status, c.file).toBe(200);
      cases.push({
        ...c,
        messageId: outcome.messageId,
        hasHtml: detail.body.hasHtml,
        hasExternalContent: detail.body.hasExternalContent,
        attachments: detail.body.attachments,
      });
      rows.set(c.key, { key: c.key, frame: '', top: '', alone: '', external: '' });
    }

    // The web app's files as the server found them: `npm run build` elsewhere while this runs
    // replaces the hashed assets that the index.html read at start refers to.
    const assetDir = join(projectRoot, 'dist', 'web', 'assets');
    const assets = new Map<string, Buffer>();
    if (existsSync(assetDir))
      for (const file of readdirSync(assetDir))
        assets.set(`/assets/${file}`, readFileSync(join(assetDir, file)));
    await http.server.listen({ host: '127.0.0.1', port: 0 });
    postvaultHost = `127.0.0.1:${(http.server.server.address() as AddressInfo).port}`;
    base = `http://${postvaultHost}`;

    browser = await launchChromium();
    browser.on('disconnected', () => {
      if (!closing) problems.push('Chromium went away in the middle of the run (crashed or was killed)');
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: false });
    context.setDefaultTimeout(15_000);
    // Nothing leaves this machine: requests to any host but Postvault are recorded and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (!isPostvault(url)) return route.abort('blockedbyclient');
      const asset = assets.get(new URL(url).pathname);
      if (!asset) return route.continue();
      const contentType = url.endsWith('.css') ? 'text/css' : 'text/javascript';
      return route.fulfill({ body: asset, contentType });
    });
    // New windows: a message's (while it is being clicked), or ours (context.newPage() announces a
    // page before it returns it, so ours are told apart later, by `ownPages`).
    context.on('page', (page) => {
      if (ownPages.has(page)) return;
      watch(page);
      if (interacting) {
        interacting.popups.push(page);
        current.set(page, interacting);
      } else {
        unclaimed.push(page);
      }
    });
    context.on('request', (request) => {
      let frame: Frame | undefined;
      try {
        frame = request.frame();
      } catch {
        frame = undefined; // a service worker's request
      }
      const page = frame?.page();
      const known = page !== undefined && (appPages.has(page) || current.has(page));
      requests.push({
        seq: requests.length,
        url: request.url(),
        type: request.resourceType(),
        navigation: request.isNavigationRequest(),
        page,
        frame,
        hint: known ? undefined : interacting,
        request,
      });
    });

    // Sign in through Web Access when the built web app has it (a deep link opens after sign-in),
    // else through the API, in the browser's own cookie jar.
    const page = await context.newPage();
    ownPages.add(page);
    watch(page);
    appPages.add(page);
    const first = cases[0]!;
    const answer = await page.goto(`${base}/webaccess/messages/${first.messageId}`);
    const login = page.getByLabel('Login', { exact: true });
    if (answer?.status() === 200 && (await login.waitFor({ timeout: 10_000 }).then(...both))) {
      await login.fill(reader.login);
      await page.getByLabel('Password', { exact: true }).fill(reader.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      useUi = await page
        .getByTestId('message-html')
        .waitFor({ timeout: 15_000 })
        .then(...both);
    }
    if (!useUi) {
      const signIn = await page.request.post(`${base}/api/v1/auth/sign-in`, {
        data: { login: reader.login, password: reader.password },
      });
      expect(signIn.status()).toBe(200);
      notes.push(
        "The built web app (dist/web) has no Web Access page: each message was opened in a frame with Web Access's " +
          "sandbox put into a page of the app's origin instead.",
      );
    }
    await page.close();
  }, 120_000);

  afterAll(async () => {
    closing = true;
    await browser?.close();
    await http?.close();
  });

  /** `__pvPwned` in every frame of a page that lets us look (a frame without scripts may not). */
  async function flags(page: Page): Promise<string[]> {
    const found: string[] = [];
    for (const frame of page.frames()) {
      const value = await frame.evaluate('window.__pvPwned').catch(() => undefined);
      if (value !== undefined && value !== null) {
        const where = frame === page.mainFrame() ? 'the top window' : `frame ${frame.url().slice(0, 80)}`;
        found.push(`${where} = ${String(value)}`);
      }
    }
    return found;
  }

  const within = (frame: Frame | undefined, ancestor: Frame) => {
    for (let f: Frame | null | undefined = frame; f; f = f.parentFrame()) if (f === ancestor) return true;
    return false;
  };

  /** Clicks whatever can be clicked in a message's document, like a curious reader. */
  async function clickAll(frame: Frame) {
    const targets = await frame.locator('a, area, button, input, summary, [id^="pv-click-"]').all();
    for (const target of targets.slice(0, 16)) {
      if (!(await target.isVisible().catch(() => false))) continue;
      await target.click({ force: true, timeout: 500, noWaitAfter: true }).catch(() => undefined);
      await pause(40);
    }
  }

  async function hoverOver(page: Page, box: { x: number; y: number; width: number; height: number }) {
    for (let i = 1; i <= 4; i++)
      await page.mouse.move(box.x + (box.width * i) / 5, box.y + (box.height * i) / 5);
  }

  async function interact(c: Case, bucket: Bucket, frame: Frame) {
    if (!c.checks.has('hover') && !c.checks.has('click')) return;
    const { page } = bucket;
    await exclusively(bucket, async () => {
      if (c.checks.has('hover')) {
        const element = frame === page.mainFrame() ? null : await frame.frameElement();
        const box = element ? await element.boundingBox() : { x: 0, y: 0, width: 1200, height: 850 };
        if (box) await hoverOver(page, box);
      }
      if (c.checks.has('click')) await clickAll(frame);
      await pause(SETTLE_MS);
      // A window a click opened may be announced after its first request: wait for each of them.
      const opened = () =>
        requests
          .filter((r) => r.hint === bucket && r.navigation)
          .every((r) => {
            try {
              const popup = r.request.frame().page();
              return bucket.popups.includes(popup) || ownPages.has(popup);
            } catch {
              return false;
            }
          });
      for (let waited = 0; !opened() && waited < 3_000; waited += 50) await pause(50);
    });
  }

  const caseNumber = (c: Case) => c.key.slice(0, 2);

  /** A window opened by a click on a link of this message: to its own canary or to Postvault. */
  const clickedLink = (c: Case, url: string) =>
    isPostvault(url) || (isWeb(url) && new URL(url).pathname.startsWith(`/${caseNumber(c)}/`));

  type Where = 'frame' | 'top-level' | 'sanitizer alone' | 'external';

  /**
   * What a tab shows after one case: returns the failures (also added to `problems`). `message` is
   * the message's document; requests from anywhere else in the tab are the app's own. Where remote
   * content is allowed ("sanitizer alone": no CSP; "external": after the click), images, styles and
   * fonts may be requested, nothing else.
   */
  async function judge(
    c: Case,
    where: Where,
    bucket: Bucket,
    message: Frame,
    expected: { documentUrl: string; pageUrl: string },
  ): Promise<string[]> {
    const { page } = bucket;
    bucket.popups = bucket.popups.filter((popup) => !ownPages.has(popup));
    const found: string[] = [];
    const remoteAllowed = where === 'external' || where === 'sanitizer alone';
    judged += 1;
    if (await message.evaluate('1').then(...both)) readable += 1;
    for (const flag of await flags(page)) found.push(`a script ran: __pvPwned in ${flag}`);
    for (const popup of bucket.popups)
      for (const flag of await flags(popup)) found.push(`a script ran in a popup: __pvPwned in ${flag}`);
    for (const dialog of bucket.dialogs) found.push(`a dialog opened: ${dialog}`);
    const mine = requests.filter(
      (r) =>
        r.seq >= bucket.start &&
        (r.page === page || (r.page && bucket.popups.includes(r.page)) || r.hint === bucket),
    );
    for (const r of mine) {
      const popup = r.page !== page;
      if (!isWeb(r.url) || stoppedByCsp(r)) continue;
      if (popup && r.navigation && c.checks.has('click') && clickedLink(c, r.url)) continue; // a clicked link
      if (!popup && !within(r.frame, message)) continue; // the app's page, assets and API calls
      if (r.navigation && r.url === expected.documentUrl) continue; // the message document itself
      if (remoteAllowed && !popup && ['image', 'stylesheet', 'font'].includes(r.type)) continue;
      found.push(`${r.type}${r.navigation ? ' navigation' : ''} request to ${r.url.slice(0, 120)}`);
    }
    if (page.url() !== expected.pageUrl) found.push(`the page navigated away to ${page.url()}`);
    else if (
      (where === 'frame' || where === 'external') &&
      (await page.evaluate('window.__pvTopMarker').catch(() => 0)) !== 1
    )
      found.push('the page was reloaded or replaced');
    for (const popup of bucket.popups) {
      const url = popup.url();
      // An aborted navigation to a canary ends on Chromium's error page; its request is checked above.
      if (!c.checks.has('click')) found.push(`a window opened by itself: ${url}`);
      else if (!/^(chrome-error:|about:blank)/.test(url) && !clickedLink(c, url))
        found.push(`a popup opened ${url}`);
      if ((await popup.evaluate('window.opener === null').catch(() => true)) !== true)
        found.push(`a popup can reach its opener (${url})`);
      await popup.close().catch(() => undefined);
    }
    for (const f of found) problems.push(`${c.key} (${where}): ${f}`);
    return found;
  }

  const htmlUrl = (c: Case, external: boolean) =>
    `/api/v1/webaccess/messages/${c.messageId}/html${external ? '?external=1' : ''}`;

  /** An app tab: Web Access's page, or any page of the app's origin for our own frame. */
  async function openAppTab(): Promise<Page> {
    const page = await context.newPage();
    ownPages.add(page);
    watch(page);
    appPages.add(page);
    await resetAppTab(page);
    return page;
  }

  async function resetAppTab(page: Page) {
    await page.goto(`${base}/webaccess`);
    if (useUi) await page.getByTestId('message-list').waitFor();
    await page.evaluate('window.__pvTopMarker = 1');
  }

  /** Shows message `c` in the app tab's sandboxed frame and returns that frame. */
  async function showInFrame(page: Page, c: Case, external: boolean, inject = !useUi): Promise<Frame> {
    const src = htmlUrl(c, external);
    if (!inject) {
      await page.evaluate(
        `for (const f of document.querySelectorAll('iframe[id^="pv-test-frame-"]')) f.remove()`,
      );
      if (!external) {
        // Into the reading pane: a click on the row's subject when the (virtualized) list shows
        // it, else the same change of address the click makes, without a reload.
        const row = page.locator(`[data-testid="message-row"][data-message-id="${c.messageId}"] a`);
        if (await row.isVisible()) {
          await row.click();
          openedByRowClick += 1;
        } else
          await page.evaluate(
            `history.pushState(null, '', '/webaccess?message=${c.messageId}'); dispatchEvent(new PopStateEvent('popstate'))`,
          );
        await page
          .getByTestId('reading-pane')
          .locator(`[data-testid="message-view"][data-message-id="${c.messageId}"]`)
          .waitFor();
      } else {
        await page.getByTestId('load-external').click();
      }
      const element = page.locator(`iframe[data-testid="message-html"][src="${src}"]`);
      await element.waitFor({ state: 'attached' });
      expect(await element.getAttribute('sandbox')).toBe(SANDBOX);
      const frame = (await (await element.elementHandle())!.contentFrame())!;
      await frame.waitForLoadState('load');
      return frame;
    }
    const id = `pv-test-frame-${c.messageId}-${external ? 'external' : 'blocked'}`;
    const loaded = await page.evaluate(`new Promise((resolve) => {
      for (const old of document.querySelectorAll('iframe[id^="pv-test-frame-"]')) old.remove();
      const frame = document.createElement('iframe');
      frame.id = ${JSON.stringify(id)};
      frame.setAttribute('sandbox', ${JSON.stringify(SANDBOX)});
      frame.setAttribute('referrerpolicy', 'no-referrer');
      frame.style.cssText = 'position:fixed;left:0;top:0;width:1000px;height:800px;border:0;background:#fff';
      frame.onload = () => resolve(true);
      setTimeout(() => resolve(false), 15000);
      frame.src = ${JSON.stringify(src)};
      document.body.appendChild(frame);
    })`);
    expect(loaded, `${c.key}: the frame loaded`).toBe(true);
    return (await (await page.locator(`#${id}`).elementHandle())!.contentFrame())!;
  }

  /** The cid: image shows (embedded as data:), the remote one next to it stays out. */
  async function checkCid(c: Case, frame: Frame) {
    const image = (alt: string) =>
      frame
        .evaluate(
          `(() => { const img = document.querySelector('img[alt="${alt}"]');
            return img && { src: img.getAttribute('src') || '', width: img.naturalWidth }; })()`,
        )
        .catch(() => null) as Promise<{ src: string; width: number } | null>;
    const inline = await image('inline logo');
    if (!inline?.src.startsWith('data:image/png;base64,'))
      problems.push(`${c.key}: the cid: image is not embedded as a data: URL (${inline?.src.slice(0, 40)})`);
    if (!inline || inline.width <= 0)
      problems.push(`${c.key}: the cid: image is not displayed (naturalWidth ${inline?.width})`);
    const remote = await image('remote image');
    if (!remote) problems.push(`${c.key}: the remote image next to the cid: image is missing`);
    else if (remote.width !== 0)
      problems.push(`${c.key}: the remote image next to the cid: image is displayed`);
    if (!c.hasExternalContent) problems.push(`${c.key}: hasExternalContent is false next to a remote image`);
  }

  /** 1. The way Web Access shows a message: its sandboxed frame in a page of the app. */
  async function inFrame(page: Page, c: Case): Promise<string> {
    const bucket = begin(page);
    const frame = await showInFrame(page, c, false);
    await pause(SETTLE_MS);
    await interact(c, bucket, frame);
    if (c.checks.has('cid')) await checkCid(c, frame);
    if (c.checks.has('headers') && useUi) {
      // Markup in headers is text on the Web Access page.
      const subject = await page.getByTestId('message-subject').innerText();
      if (!subject.includes('<script>top.__pvPwned=1</script>'))
        problems.push(`${c.key}: the subject is not shown as text: ${subject}`);
      const headers = await page.getByTestId('message-headers').innerText();
      if (!headers.includes('<img src=x onerror=top.__pvPwned=1>'))
        problems.push(`${c.key}: the From name is not shown as text: ${headers}`);
    }
    const documentUrl = `${base}${htmlUrl(c, false)}`;
    const found = await judge(c, 'frame', bucket, frame, { documentUrl, pageUrl: page.url() });
    if (found.length > 0) await resetAppTab(page); // the next case starts from a clean page
    return found.length === 0 ? 'blocked' : `FAILED (${found.length})`;
  }

  /** 2. The same URL opened directly: no frame sandbox, only the response's CSP. */
  async function topLevel(page: Page, c: Case): Promise<string> {
    const documentUrl = `${base}${htmlUrl(c, false)}`;
    await page.goto('about:blank');
    const bucket = begin(page);
    await page.goto(documentUrl, { waitUntil: 'load' });
    await pause(SETTLE_MS);
    await interact(c, bucket, page.mainFrame());
    const found = await judge(c, 'top-level', bucket, page.mainFrame(), {
      documentUrl,
      pageUrl: documentUrl,
    });
    if (c.checks.has('parts') || c.checks.has('headers')) await attachments(page, c);
    return found.length === 0 ? 'blocked' : `FAILED (${found.length})`;
  }

  /** Attachments and the source are never shown as pages that could run anything. */
  async function attachments(page: Page, c: Case) {
    const urls = [
      ...c.attachments.map((a) => `/api/v1/webaccess/messages/${c.messageId}/parts/${a.index}?inline=1`),
      `/api/v1/webaccess/messages/${c.messageId}/source`,
    ];
    for (const url of urls) {
      const answer = await page.request.get(`${base}${url}`);
      const type = answer.headers()['content-type'] ?? '';
      const disposition = answer.headers()['content-disposition'] ?? '';
      if (answer.status() !== 200) problems.push(`${c.key}: ${url} answered ${answer.status()}`);
      if (/html|svg|xml|javascript/i.test(type)) problems.push(`${c.key}: ${url} is served as ${type}`);
      if (!/^(attachment|inline)(;|$)/.test(disposition))
        problems.push(`${c.key}: ${url} has Content-Disposition ${JSON.stringify(disposition)}`);
      if (answer.headers()['x-injected'] !== undefined)
        problems.push(`${c.key}: ${url}: a file name injected a header`);
      const bucket = begin(page);
      await page.goto(`${base}${url}`, { waitUntil: 'load' }).catch(() => undefined);
      await pause(SETTLE_MS);
      for (const flag of await flags(page)) problems.push(`${c.key}: ${url} ran a script: ${flag}`);
      for (const dialog of bucket.dialogs) problems.push(`${c.key}: ${url} opened a dialog: ${dialog}`);
    }
  }

  /**
   * 3. The sanitizer alone ("either wall alone must hold"): the served markup in a blank page,
   * without the CSP or a sandbox. Remote images, styles and fonts are kept there by design.
   */
  async function sanitizerAlone(page: Page, c: Case): Promise<string> {
    const html = await (await page.request.get(`${base}${htmlUrl(c, false)}`)).text();
    await page.goto('about:blank');
    const bucket = begin(page);
    await page.setContent(html, { waitUntil: 'load' });
    await pause(SETTLE_MS);
    await interact(c, bucket, page.mainFrame());
    const remote = requests.filter(
      (r) => r.seq >= bucket.start && r.page === page && isWeb(r.url) && !isPostvault(r.url) && !r.navigation,
    ).length;
    const found = await judge(c, 'sanitizer alone', bucket, page.mainFrame(), {
      documentUrl: 'about:blank',
      pageUrl: 'about:blank',
    });
    if (remote > 0 && !c.hasExternalContent)
      notes.push(
        `${c.key}: hasExternalContent is false, yet the sanitized markup refers to ${remote} remote resources`,
      );
    if (found.length > 0) return `FAILED (${found.length})`;
    return remote > 0 ? `no script (${remote} remote)` : 'no script';
  }

  /** Runs one check on one case; a check that cannot finish is a failure of that case, not of all. */
  async function attempt(c: Case, where: Where, run: () => Promise<string>): Promise<string> {
    try {
      return await run();
    } catch (error) {
      problems.push(`${c.key} (${where}): could not be checked: ${(error as Error).message.split('\n')[0]}`);
      return 'ERROR';
    }
  }

  it('has a corpus of at least 30 labelled hostile messages, all archived with an HTML body', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    for (const c of corpus) {
      const text = c.raw.toString('latin1');
      expect(text, c.file).toContain(LABEL);
      expect(header(c.raw, 'Subject'), c.file).toMatch(/^\[hostile \d\d\] /);
      expect(/(?<!\r)\n/.test(text), `${c.file} has CRLF line endings only`).toBe(false);
    }
    expect(cases).toHaveLength(corpus.length);
    expect(cases.filter((c) => !c.hasHtml).map((c) => c.key)).toEqual([]);
  });

  it('sees a script that runs, its request and its dialog (the detectors work)', async () => {
    const page = await context.newPage();
    ownPages.add(page);
    watch(page);
    const control = cases.find((c) => c.name === 'script-plain')!;
    const html = control.raw.toString('utf8').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    const bucket = begin(page);
    const errorsBefore = pageErrors.length;
    await page.setContent(html, { waitUntil: 'load' });
    await pause(SETTLE_MS);
    expect(await flags(page)).toEqual(['the top window = 01']);
    // Its fetch() to the aborted canary rejects unhandled: a page error (taken out of the list again).
    await expect.poll(() => pageErrors.length).toBeGreaterThan(errorsBefore);
    pageErrors.splice(errorsBefore);
    expect(bucket.dialogs.length).toBeGreaterThan(0);
    const sent = requests.filter((r) => r.seq >= bucket.start && r.page === page).map((r) => r.url);
    expect(sent).toContain('http://198.51.100.7/pwned/01');
    expect(sent).toContain('https://evil.example/pwned/01');
    await page.close();
  });

  it('runs no script and fetches nothing, in the sandboxed frame, top-level and from the markup alone', async () => {
    // Four tabs side by side: two showing messages as Web Access does, one opening each document
    // directly, one rendering the sanitized markup without CSP and sandbox.
    const appTabs = [await openAppTab(), await openAppTab()];
    const plainTabs = [await context.newPage(), await context.newPage()];
    for (const tab of plainTabs) {
      ownPages.add(tab);
      watch(tab);
    }
    await Promise.all([
      ...appTabs.map(async (tab, n) => {
        for (const c of cases.filter((_, i) => i % appTabs.length === n)) {
          rows.get(c.key)!.frame = await attempt(c, 'frame', () => inFrame(tab, c));
        }
      }),
      (async () => {
        for (const c of cases)
          rows.get(c.key)!.top = await attempt(c, 'top-level', () => topLevel(plainTabs[0]!, c));
      })(),
      (async () => {
        for (const c of cases)
          rows.get(c.key)!.alone = await attempt(c, 'sanitizer alone', () =>
            sanitizerAlone(plainTabs[1]!, c),
          );
      })(),
    ]);
    for (const tab of [...appTabs, ...plainTabs]) await tab.close();
  });

  it('loads remote images, styles and fonts once allowed, and still runs no script', async () => {
    const page = await openAppTab();
    const remote = cases.filter((c) => c.checks.has('remote'));
    expect(remote.length).toBeGreaterThanOrEqual(5);
    for (const c of remote)
      rows.get(c.key)!.external = await attempt(c, 'external', () => withExternal(page, c));
    await page.close();
  });

  /** "Load external content" on one message: its remote images, styles and fonts, and no script. */
  async function withExternal(page: Page, c: Case): Promise<string> {
    // Without the button (hasExternalContent false), ?external=1 in our own frame shows what the
    // reader could not load.
    let button = true;
    if (useUi) {
      await showInFrame(page, c, false);
      button = await page.getByTestId('load-external').isVisible();
      if (!button && MUST_LOAD_EXTERNALLY[c.name])
        problems.push(`${c.key}: no "Load external content" button`);
    }
    const bucket = begin(page);
    const frame = await showInFrame(page, c, true, !useUi || !button);
    await pause(SETTLE_MS * 2);
    const documentUrl = `${base}${htmlUrl(c, true)}`;
    const found = await judge(c, 'external', bucket, frame, { documentUrl, pageUrl: page.url() });
    const mine = requests.filter((r) => r.seq >= bucket.start && r.page === page && within(r.frame, frame));
    const attempted = mine.filter((r) => isWeb(r.url) && !isPostvault(r.url) && !stoppedByCsp(r));
    const expected = MUST_LOAD_EXTERNALLY[c.name];
    if (expected && !attempted.some((r) => expected.test(r.url)))
      problems.push(`${c.key} (external): ${String(expected)} was not requested`);
    // Postvault's own API from inside a message must at least not carry the reader's session.
    for (const r of mine.filter((r) => isPostvault(r.url) && r.url !== documentUrl && !stoppedByCsp(r))) {
      const headers = await Promise.race([r.request.allHeaders(), pause(2_000).then(() => ({}))]);
      const withSession = /pv_session=/.test((headers as Record<string, string>)['cookie'] ?? '');
      (withSession ? problems : notes).push(
        `${c.key} (external): the message made the browser request ${r.url.replace(base, '')}` +
          (withSession ? ' with the session cookie' : ' (without the session cookie)'),
      );
    }
    if (!c.hasExternalContent && attempted.length > 0)
      notes.push(
        `${c.key}: hasExternalContent is false (no button), yet ?external=1 loads ${attempted.length} remote resources: ` +
          attempted.map((r) => r.url.replace(/^https?:\/\/[^/]+/, '')).join(' '),
      );
    if (found.length > 0) {
      await resetAppTab(page);
      return `FAILED (${found.length})`;
    }
    if (!button) return attempted.length > 0 ? `no button (${attempted.length} remote)` : 'nothing to load';
    return `allowed ${attempted.length} remote, no script`;
  }

  it('reports every case', () => {
    const width = Math.max(...[...rows.values()].map((r) => r.key.length));
    const lines = [
      `${'case'.padEnd(width)}  ${'in frame'.padEnd(10)}  ${'top-level'.padEnd(10)}  ${'sanitizer alone'.padEnd(24)}  external content allowed`,
      ...[...rows.values()].map(
        (r) =>
          `${r.key.padEnd(width)}  ${r.frame.padEnd(10)}  ${r.top.padEnd(10)}  ${r.alone.padEnd(24)}  ${r.external || '–'}`,
      ),
    ];
    const how = useUi ? 'through the Web Access page' : 'in a sandboxed frame on the app origin';
    console.log(
      `Hostile mail, ${rows.size} cases, ${how} ("blocked": no script, dialog, request, navigation or popup):\n` +
        lines.join('\n') +
        `\n(__pvPwned was read inside ${readable} of ${judged} message documents; canary requests and dialogs were watched in all.` +
        (useUi
          ? ` ${openedByRowClick} messages were opened by a click on their row, the others by the same address change.)`
          : ')') +
        (notes.length > 0 ? `\nNotes:\n  ${notes.join('\n  ')}` : '') +
        (problems.length > 0 ? `\nProblems:\n  ${problems.join('\n  ')}` : ''),
    );
    // Requests from pages we did not open (none expected) must not have left either. On a busy
    // machine a tab that a click on a link opened may be announced after the click's wait; its
    // navigation to that link's own canary is the click's, not a message's doing.
    const known = (page: Page | undefined) => page !== undefined && (appPages.has(page) || current.has(page));
    const clicked = (url: string) => cases.some((c) => c.checks.has('click') && clickedLink(c, url));
    expect(
      requests
        .filter((r) => !known(r.page) && !r.hint && !isPostvault(r.url) && !stoppedByCsp(r))
        .filter((r) => !(r.navigation && clicked(r.url)))
        .map((r) => r.url),
    ).toEqual([]);
    const orphans = unclaimed
      .filter(
        (page) =>
          !ownPages.has(page) &&
          !clicked(page.url()) &&
          !requests.some((r) => r.page === page && r.navigation && clicked(r.url)),
      )
      .map((page) => page.url());
    expect(orphans, 'windows opened without a click').toEqual([]);
    // A page error in a message's document would be a script of the message that ran.
    expect(pageErrors).toEqual([]);
    expect(problems).toEqual([]);
  });
});
