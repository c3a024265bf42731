// Reading and typing into the integrated terminal. xterm.js draws with the DOM renderer
// here (the harness sets terminal.integrated.gpuAcceleration: off), so the visible rows
// are plain DOM text; the full scrollback is read through select-all + copy.
import type { Locator, Page } from 'playwright-core';
import { runCommand } from './palette';
import { eventually, matches, UI_TIMEOUT_MS } from './wait';

/** The active terminal's own xterm (not the sticky-scroll overlay, which is a second xterm). */
function activeXterm(page: Page): Locator {
  return page.locator('.part.panel .terminal-wrapper.active .terminal-xterm-host > .xterm').first();
}

/** The rows currently visible in the active terminal, trailing blanks trimmed. */
export async function terminalText(page: Page): Promise<string> {
  const rows = activeXterm(page).locator('.xterm-rows');
  await rows.waitFor({ state: 'visible' });
  const text = await rows.innerText();
  return text
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/** Waits until the visible rows have not changed for `quietMs` (output and prompt redraws done). */
export async function waitForTerminalIdle(page: Page, quietMs = 600, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  let last = '';
  let since = Date.now();
  await eventually(
    async () => {
      const now = await terminalText(page);
      if (now !== last) [last, since] = [now, Date.now()];
      return Date.now() - since;
    },
    (quietFor) => quietFor >= quietMs,
    { timeoutMs, intervalMs: 100, message: 'the terminal to stop changing' },
  );
}

/**
 * The whole buffer of the active terminal, scrollback included, via select-all + copy
 * and the clipboard. Opening the palette would clear the selection, so the copy is the
 * terminal's own Ctrl+Shift+C; new output also clears it, hence the idle wait.
 */
export async function terminalBuffer(page: Page): Promise<string> {
  await waitForTerminalIdle(page);
  await page.evaluate('navigator.clipboard.writeText("")');
  await runCommand(page, 'Terminal: Select All');
  // The DOM renderer draws the selection as boxes.
  await activeXterm(page).locator('.xterm-selection > div').first().waitFor({ state: 'attached', timeout: 5_000 });
  await page.keyboard.press('Control+Shift+C');
  // A string expression: this tsconfig has no DOM types. The page is a secure context (127.0.0.1).
  const text = await eventually(() => page.evaluate('navigator.clipboard.readText()') as Promise<string>, (t) => t.length > 0, {
    timeoutMs: 5_000,
    message: 'the terminal selection on the clipboard',
  });
  await page.keyboard.press('Escape'); // clears the selection
  return text;
}

/** Waits until the visible terminal rows match `pattern`; returns the text. */
export function waitForTerminalText(page: Page, pattern: string | RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
  return eventually(() => terminalText(page), (text) => matches(text, pattern), { timeoutMs, message: `terminal text ${String(pattern)}` });
}

/** Focuses the active terminal and types `text` (followed by Enter unless `enter: false`). */
export async function typeInTerminal(page: Page, text: string, options: { enter?: boolean } = {}): Promise<void> {
  await activeXterm(page).click();
  await page.keyboard.type(text);
  if (options.enter !== false) await page.keyboard.press('Enter');
}
