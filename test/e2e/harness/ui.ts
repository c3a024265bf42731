// Workbench surfaces other than the palette and the terminal: status bar,
// notifications, webviews, screenshots, window reload.
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { runCommand } from './palette';
import { ensureArtifactsDir } from './setup';
import { eventually, matches, UI_TIMEOUT_MS } from './wait';
import { waitForWorkbench } from './workbench';

/**
 * A status bar item by its id or by its text. Extension items have the DOM id
 * `<publisher>.<extension>.<item id>`, so the item id given to createStatusBarItem
 * ('probe.status') is enough; anything else is matched as visible text.
 */
export function statusBarItem(page: Page, idOrText: string): Locator {
  const items = page.locator('.part.statusbar .statusbar-item');
  const byId = page.locator(`.part.statusbar .statusbar-item[id="${idOrText}"], .part.statusbar .statusbar-item[id$=".${idOrText}"]`);
  return byId.or(items.filter({ hasText: idOrText })).first();
}

export interface NotificationInfo {
  message: string;
  /** The extension (or part of VS Code) that raised it. */
  source: string;
  /** Labels of its buttons. */
  actions: string[];
}

// Toasts and the notification center render the same list items.
const NOTIFICATION = '.notifications-toasts .notification-list-item, .notifications-center .notification-list-item';

/** The notifications currently shown (toasts, or the center when it is open). */
export async function notifications(page: Page): Promise<NotificationInfo[]> {
  return page.locator(NOTIFICATION).evaluateAll((items) =>
    items.map((item) => ({
      message: (item.querySelector('.notification-list-item-message')?.textContent ?? '').trim(),
      source: (item.querySelector('.notification-list-item-source')?.textContent ?? '').replace(/^Source:\s*/, '').trim(),
      actions: [...item.querySelectorAll('.notification-list-item-buttons-container .monaco-button')].map((b) => (b.textContent ?? '').trim()),
    })),
  );
}

/** Waits for a notification whose message matches, and returns it. */
export async function waitForNotification(page: Page, message: string | RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<NotificationInfo> {
  const list = await eventually(() => notifications(page), (all) => all.some((n) => matches(n.message, message)), {
    timeoutMs,
    message: `a notification ${String(message)}`,
  });
  return list.find((n) => matches(n.message, message))!;
}

/**
 * Clicks `action` on the notification whose message matches. Toasts hide themselves
 * after a while, so the notification center is opened when no toast matches.
 */
export async function clickNotificationAction(page: Page, message: string | RegExp, action: string, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const item = page.locator(NOTIFICATION).filter({ has: page.locator('.notification-list-item-message', { hasText: message }) });
  if (!(await item.first().isVisible())) {
    try {
      await item.first().waitFor({ state: 'visible', timeout: Math.min(timeoutMs, 3_000) });
    } catch {
      await runCommand(page, 'Notifications: Show Notifications');
    }
  }
  const button = item.locator('.notification-list-item-buttons-container .monaco-button', { hasText: action }).first();
  await button.click({ timeout: timeoutMs });
}

/**
 * The content of the visible webview: VS Code hosts it in an outer iframe
 * (iframe.webview.ready) that loads the extension's HTML into #active-frame.
 */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
}

/** Saves a screenshot as .test-artifacts/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(ensureArtifactsDir(), `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * "Developer: Reload Window", as a user would: the old extension host is shut down
 * (deactivate runs) and a new one starts. Resolves when the workbench is back.
 */
export async function reloadWindow(page: Page, timeoutMs = 60_000): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: timeoutMs });
  await runCommand(page, 'Developer: Reload Window');
  await navigated;
  await waitForWorkbench(page, timeoutMs);
}
