// Opens a code-server window in Debian's Chromium through playwright-core and waits
// until the workbench can be driven.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import type { CodeServerHandle } from './codeServer';

export interface Workbench {
  browser: Browser;
  context: BrowserContext;
  /** The current window; openWindow() replaces it. */
  readonly page: Page;
  /** Opens the workspace in a new browser window (a new extension host) and makes it current. */
  openWindow(): Promise<Page>;
  /** Browser console lines and page errors of every window, for failure reports. */
  consoleLog(): string[];
  /** Writes the console log into `dir` (see CodeServerHandle.saveLogs for the server side). */
  saveLogs(dir: string): void;
  close(): Promise<void>;
}

/** The workbench is usable once its parts are laid out and the status bar is populated. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.editor').waitFor({ state: 'attached', timeout: timeoutMs });
}

export async function openWorkbench(handle: CodeServerHandle, options: { timeoutMs?: number } = {}): Promise<Workbench> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Terminal copy/paste goes through the async clipboard API.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${handle.port}` });
  const log: string[] = [];
  const openWindow = async () => {
    const page = await context.newPage();
    page.on('console', (m) => log.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
    await page.goto(handle.url);
    await waitForWorkbench(page, options.timeoutMs);
    return page;
  };
  let current: Page;
  try {
    current = await openWindow();
  } catch (err) {
    await browser.close();
    throw err;
  }
  return {
    browser,
    context,
    get page() {
      return current;
    },
    async openWindow() {
      current = await openWindow();
      return current;
    },
    consoleLog: () => [...log],
    saveLogs(dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'browser-console.log'), log.join('\n'));
    },
    close: () => browser.close(),
  };
}
