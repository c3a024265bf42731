// One panel in real Chromium, wired to the real host session (PanelSession)
// and a FakeBackend: the page's acquireVsCodeApi stub posts into the session
// through a Playwright binding, the session's answers are posted back with
// window.postMessage, like VS Code relays them. Everything crossing is recorded.
import type { Browser, Page } from 'playwright-core';
import { PanelState, type HostToWebview } from '../../../server/shared/protocol/panel';
import { createLogger, type Logger } from '../../../server/util/logger';
import { PanelSession } from '../../../src/panel/panelSession';
import type { FakeBackend } from './fakeBackend';
import type { PanelServer } from './panelServer';
import type { ThemeName } from './themes';

type Message = { type: string; id?: string; request_id?: string | null; params?: unknown };

export interface OpenOptions {
  theme?: ThemeName;
  width?: number;
  height?: number;
}

export class PanelPage {
  readonly fromWebview: Message[] = [];
  readonly toWebview: HostToWebview[] = [];
  readonly savedStates: unknown[] = [];
  readonly commands: string[] = [];
  readonly clipboard: string[] = [];
  /** Bundles the host was asked to save: the name offered in the dialog and the files. */
  readonly savedEvidence: { suggestedName: string; files: { name: string }[] }[] = [];
  /** What the save dialog answers: a folder under this path, or null (cancelled). */
  saveDialogRoot: string | null = '/home/dev/evidence';
  readonly warnings: string[] = [];
  readonly pageErrors: string[] = [];
  session: PanelSession;
  private readonly logger: Logger;

  private constructor(
    readonly page: Page,
    readonly backend: FakeBackend,
    private readonly url: string,
  ) {
    this.logger = createLogger((level, line) => {
      if (level === 'warn' || level === 'error') this.warnings.push(line);
    }, 'debug');
    this.session = this.newSession();
  }

  static async open(browser: Browser, server: PanelServer, backend: FakeBackend, o: OpenOptions = {}): Promise<PanelPage> {
    const context = await browser.newContext({
      viewport: { width: o.width ?? 1100, height: o.height ?? 820 },
      deviceScaleFactor: 1,
      reducedMotion: 'reduce',
    });
    const page = await context.newPage();
    const p = new PanelPage(page, backend, server.pageUrl(o.theme ?? 'dark'));
    page.on('pageerror', (e) => p.pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') p.pageErrors.push(m.text());
    });
    await page.exposeBinding('__ffPost', (_src, msg: Message) => {
      p.fromWebview.push(msg);
      void p.session.handle(msg);
    });
    await page.exposeBinding('__ffSetState', (_src, state: unknown) => {
      p.savedStates.push(state);
    });
    await page.goto(p.url);
    await p.waitForPosted('state/full');
    await p.settle();
    return p;
  }

  /**
   * What a window reload does: the webview and its session go away, VS Code
   * revives the panel through the serializer with the state the webview saved
   * last, and the new webview reads the same state back.
   */
  async reload(): Promise<void> {
    this.session.dispose();
    const saved = PanelState.parse(this.savedStates[this.savedStates.length - 1]);
    this.session = this.newSession(saved);
    const before = this.toWebview.length;
    await this.page.reload();
    await this.waitForPosted('state/full', () => true, before);
    await this.settle();
  }

  /** Deliver a message as the host would (bypassing the session), e.g. a large page. */
  async post(msg: HostToWebview): Promise<void> {
    this.toWebview.push(msg);
    await this.page.evaluate((m) => window.postMessage(m, '*'), msg);
  }

  async waitForPosted<T extends HostToWebview['type']>(
    type: T,
    match: (m: Extract<HostToWebview, { type: T }>) => boolean = () => true,
    from = 0,
  ): Promise<Extract<HostToWebview, { type: T }>> {
    return this.waitFor(
      () => this.toWebview.slice(from).find((m): m is Extract<HostToWebview, { type: T }> => m.type === type && match(m as Extract<HostToWebview, { type: T }>)),
      `host → webview "${type}"`,
    );
  }

  async waitForReceived(type: string, match: (m: Message) => boolean = () => true, from = 0): Promise<Message> {
    return this.waitFor(() => this.fromWebview.slice(from).find((m) => m.type === type && match(m)), `webview → host "${type}"`);
  }

  /** Let pending messages and two animation frames pass. */
  async settle(): Promise<void> {
    await this.page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  }

  async close(): Promise<void> {
    this.session.dispose();
    await this.page.context().close();
  }

  private newSession(state?: PanelState): PanelSession {
    return new PanelSession({
      backend: this.backend,
      logger: this.logger,
      state,
      refreshDelayMs: 20,
      host: {
        post: async (msg) => {
          this.toWebview.push(msg);
          try {
            await this.page.evaluate((m) => window.postMessage(m, '*'), msg);
            return true;
          } catch {
            return false; // the page is navigating, as a hidden webview would drop it
          }
        },
        runCommand: async (command) => {
          this.commands.push(command);
        },
        writeClipboard: async (text) => {
          this.clipboard.push(text);
        },
        saveEvidence: async (suggestedName, files) => {
          if (this.saveDialogRoot === null) return null;
          this.savedEvidence.push({ suggestedName, files });
          return `${this.saveDialogRoot}/${suggestedName}`;
        },
      },
    });
  }

  private async waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
