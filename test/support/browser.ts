import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from './paths.js';

/** Screenshots for people to look at: kept as CI artifacts, not compared. */
export const SCREENSHOT_DIR = join(projectRoot, 'test-artifacts', 'screenshots');

/**
 * Debian's Chromium, headless. The network flags keep it from calling Google's services, which this
 * machine's closed network refuses (and which would slow every start).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Runs in the page (a string, since this project compiles without the DOM library): form controls
 * and buttons that are visible but have no accessible name, each described by a bit of its HTML.
 */
const FIND_UNNAMED_CONTROLS = `(() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const nameOf = (el) => {
    const labelledBy = (el.getAttribute('aria-labelledby') || '')
      .split(/\\s+/).map((id) => (id && document.getElementById(id)?.textContent) || '').join(' ');
    const labels = [...(el.labels || [])].map((l) => l.textContent || '');
    const text = el.tagName === 'BUTTON' || el.getAttribute('role') === 'button' ? el.textContent || '' : '';
    return [el.getAttribute('aria-label') || '', labelledBy, ...labels, el.getAttribute('title') || '', text]
      .join(' ').trim();
  };
  return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button, [role=button]')]
    .filter(visible)
    .filter((el) => nameOf(el) === '')
    .map((el) => el.outerHTML.slice(0, 160));
})()`;

export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(FIND_UNNAMED_CONTROLS) as Promise<string[]>;
}
