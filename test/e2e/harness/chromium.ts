// Debian's Chromium driven by playwright-core (no Playwright browser download). Shared
// by the e2e tier and usable by any other browser test tier.
import { chromium, type Browser } from 'playwright-core';

/** Debian's package installs it here; FLOWFORGE_CHROMIUM overrides it. */
export const chromiumPath = (): string => process.env.FLOWFORGE_CHROMIUM ?? '/usr/bin/chromium';

/** Headless, no sandbox (root in CI), and nothing that reaches the network on its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** A fresh browser with a throw-away profile (launch(), not a persistent context). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}
