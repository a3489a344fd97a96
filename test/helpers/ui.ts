/**
 * Headless Chromium for the web UI suites: Debian's `chromium` driven by `playwright-core` (never a
 * downloaded browser), and screenshots saved to `test-results/ui/` (and to `docs/images/` when
 * `UPDATE_SCREENSHOTS=1`).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Launch headless Chromium (once per test file; close it in afterAll). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Save a screenshot as `test-results/ui/<name>.png` (and `docs/images/<name>.png` with UPDATE_SCREENSHOTS=1). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(ROOT, 'test-results', 'ui');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    const docs = join(ROOT, 'docs', 'images');
    mkdirSync(docs, { recursive: true });
    copyFileSync(file, join(docs, `${name}.png`));
  }
}

/** Open the UI at `url` in a fresh page (own storage) and wait until it has connected to its agents. */
export async function openUi(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(url);
  await page.locator('body[data-ready="true"]').waitFor();
  return page;
}

/**
 * Web-first assertions for `playwright-core` (which has no `expect`): each polls the page until it
 * holds, and fails after a deadline with what the page showed last.
 */
export function ui(locator: Locator, timeoutMs = 10_000) {
  const poll = async (what: string, check: () => Promise<{ ok: boolean; actual: unknown }>) => {
    const deadline = Date.now() + timeoutMs;
    let actual: unknown;
    for (;;) {
      try {
        const result = await check();
        if (result.ok) return;
        actual = result.actual;
      } catch (err) {
        actual = err instanceof Error ? err.message : err;
      }
      if (Date.now() > deadline)
        throw new Error(`Expected ${locator} ${what}; it showed ${JSON.stringify(actual)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const texts = async () => (await locator.allTextContents()).map((t) => t.trim());
  return {
    toContainText: (text: string) =>
      poll(`to contain "${text}"`, async () => {
        const all = await texts();
        return { ok: all.some((t) => t.includes(text)), actual: all };
      }),
    notToContainText: (text: string) =>
      poll(`not to contain "${text}"`, async () => {
        const all = await texts();
        return { ok: !all.some((t) => t.includes(text)), actual: all };
      }),
    toHaveText: (text: string) =>
      poll(`to have the text "${text}"`, async () => {
        const all = await texts();
        return { ok: all.length === 1 && all[0] === text, actual: all };
      }),
    toHaveCount: (count: number) =>
      poll(`to match ${count} elements`, async () => {
        const n = await locator.count();
        return { ok: n === count, actual: n };
      }),
    toHaveValue: (value: string) =>
      poll(`to have the value ${JSON.stringify(value)}`, async () => {
        const v = await locator.inputValue();
        return { ok: v === value, actual: v };
      }),
    toBeHidden: () =>
      poll('to be hidden', async () => {
        const visible = await locator.isVisible();
        return { ok: !visible, actual: visible ? 'visible' : 'hidden' };
      }),
    toBeVisible: () =>
      poll('to be visible', async () => {
        const visible = await locator.isVisible();
        return { ok: visible, actual: visible ? 'visible' : 'hidden' };
      }),
  };
}
