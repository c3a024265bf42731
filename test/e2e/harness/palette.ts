// Command palette and quick picks, driven like a user: F1, type, pick the row.
import type { Locator, Page } from 'playwright-core';
import { eventually, escapeRegExp, UI_TIMEOUT_MS } from './wait';

const WIDGET = '.quick-input-widget';
const INPUT = `${WIDGET} .quick-input-box input`;
const ROW = `${WIDGET} .quick-input-list .monaco-list-row`;

function rowLabelled(page: Page, label: string): Locator {
  // .label-name holds the visible label; codicons add whitespace around it.
  const exact = new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`);
  return page.locator(ROW, { has: page.locator('.label-name', { hasText: exact }) }).first();
}

/** The labels of the rows currently rendered (the list is virtualised: only visible rows exist). */
async function renderedRows(page: Page): Promise<{ index: number; label: string; setSize: number }[]> {
  return page.locator(ROW).evaluateAll((rows) =>
    rows.map((r) => ({
      index: Number(r.getAttribute('data-index')),
      label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
      setSize: Number(r.getAttribute('aria-setsize')),
    })),
  );
}

/** Opens a fresh command palette (closing any quick pick left open) and types `text`. */
async function openPalette(page: Page, text: string): Promise<void> {
  const input = page.locator(INPUT);
  if (await input.isVisible()) {
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden' });
  }
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
}

async function clickRow(page: Page, label: string, what: string, timeoutMs: number): Promise<void> {
  const row = rowLabelled(page, label);
  try {
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    const shown = (await renderedRows(page)).map((r) => r.label);
    throw new Error(`${what} "${label}" not found; the list shows: ${JSON.stringify(shown)}`);
  }
  await row.click();
}

/** Runs a command by its palette title, e.g. 'FlowForge: Supervise Task'. */
export async function runCommand(page: Page, title: string, options: { timeoutMs?: number } = {}): Promise<void> {
  await openPalette(page, `>${title}`);
  await clickRow(page, title, 'command', options.timeoutMs ?? UI_TIMEOUT_MS);
}

/**
 * Titles the palette shows for `prefix` that start with it (e.g. 'FlowForge:'), in
 * palette order. Scrolls through the virtualised list, then closes the palette.
 */
export async function listPaletteCommands(page: Page, prefix: string): Promise<string[]> {
  await openPalette(page, `>${prefix}`);
  // The list filters asynchronously: wait until it stops changing.
  let previous = '';
  let stableReads = 0;
  await eventually(
    async () => {
      const now = JSON.stringify(await renderedRows(page));
      stableReads = now === previous ? stableReads + 1 : 0;
      previous = now;
      return stableReads;
    },
    (n) => n >= 3,
    { intervalMs: 150, message: 'the command palette to settle' },
  );
  const seen = new Map<number, string>();
  for (let guard = 0; guard < 100; guard++) {
    const rows = await renderedRows(page);
    const before = seen.size;
    rows.forEach((r) => seen.set(r.index, r.label));
    if (rows.length === 0 || seen.size >= (rows[0]?.setSize ?? 0) || (guard > 0 && seen.size === before)) break;
    await page.locator(`${WIDGET} .quick-input-list`).hover();
    await page.mouse.wheel(0, 300);
    await page.waitForTimeout(100);
  }
  await page.keyboard.press('Escape');
  const titles = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, label]) => label);
  return [...new Set(titles.filter((t) => t.startsWith(prefix)))];
}

/**
 * Picks the row labelled `label` in the open quick pick. Types the label into the filter
 * first unless `filter: false` (for pickers where typing changes meaning).
 */
export async function quickPick(page: Page, label: string, options: { filter?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const input = page.locator(INPUT);
  await input.waitFor({ state: 'visible', timeout: options.timeoutMs ?? UI_TIMEOUT_MS });
  if (options.filter !== false) await input.fill(label);
  await clickRow(page, label, 'quick pick item', options.timeoutMs ?? UI_TIMEOUT_MS);
}
