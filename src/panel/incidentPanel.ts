// The incident panel as VS Code sees it: a webview panel with a strict CSP,
// restored after a reload by its serializer, that hands every message to a
// PanelSession. Wiring it into the extension is one call:
//   context.subscriptions.push(IncidentPanel.register(context, backend, logger));
//   ... IncidentPanel.createOrShow(context.extensionUri, backend, { incidentId, logger });
import * as vscode from 'vscode';
import { PanelState, type HostCommandName } from '../../server/shared/protocol/panel';
import { PANEL_VIEW_TYPE } from '../../server/shared/protocol/panelDefaults';
import { silentLogger, type Logger } from '../../server/util/logger';
import type { PanelBackend } from './panelBackend';
import { newNonce, renderPanelHtml } from './panelHtml';
import { PanelSession } from './panelSession';
import { saveEvidence } from './saveEvidence';

const TITLE = 'FlowForge Incidents';

/** The VS Code command behind each command the panel may ask for. */
const hostCommands: Record<HostCommandName, string> = {
  runDemo: 'flowforge.runDemo',
  superviseTask: 'flowforge.superviseTask',
};

export interface ShowOptions {
  /** Open this incident's drill-down (status-bar click, "Show incident" on a notification). */
  incidentId?: string;
  logger?: Logger;
}

/** Scripts on; files only from media/, where the bundle, its CSS and the codicons live. */
function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
}

export class IncidentPanel implements vscode.Disposable {
  static readonly viewType = PANEL_VIEW_TYPE;
  private static current: IncidentPanel | undefined;

  readonly session: PanelSession;
  private readonly disposables: vscode.Disposable[] = [];
  private wasVisible: boolean;
  private disposed = false;

  /**
   * Registers the serializer that brings the panel back after a window reload
   * (add `onWebviewPanel:flowforge.incidents` to the activation events).
   * Disposing the result closes the open panel too.
   */
  static register(context: vscode.ExtensionContext, backend: PanelBackend, logger: Logger = silentLogger): vscode.Disposable {
    const serializer = vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        IncidentPanel.revive(panel, context.extensionUri, backend, state, logger);
      },
    });
    return vscode.Disposable.from(serializer, { dispose: () => IncidentPanel.current?.dispose() });
  }

  /** Shows the panel (creating it if needed), optionally on one incident. */
  static createOrShow(extensionUri: vscode.Uri, backend: PanelBackend, opts: ShowOptions = {}): IncidentPanel {
    const existing = IncidentPanel.current;
    if (existing) {
      existing.panel.reveal();
      void existing.session.show(opts.incidentId);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      TITLE,
      vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One,
      { ...webviewOptions(extensionUri), enableFindWidget: true },
    );
    const created = new IncidentPanel(panel, extensionUri, backend, opts.logger ?? silentLogger);
    void created.session.show(opts.incidentId);
    return created;
  }

  /** Adopts a panel VS Code restored after a reload, with the state the webview last saved. */
  static revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    backend: PanelBackend,
    state: unknown,
    logger: Logger = silentLogger,
  ): IncidentPanel {
    panel.webview.options = webviewOptions(extensionUri);
    const restored = PanelState.safeParse(state);
    if (!restored.success && state !== undefined && state !== null) {
      logger.warn('panel: saved panel state does not fit the schema; starting from the incident list');
    }
    return new IncidentPanel(panel, extensionUri, backend, logger, restored.success ? restored.data : undefined);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    backend: PanelBackend,
    logger: Logger,
    state?: PanelState,
  ) {
    IncidentPanel.current?.dispose();
    IncidentPanel.current = this;
    this.wasVisible = panel.visible;
    const webview = panel.webview;
    this.session = new PanelSession({
      backend,
      logger,
      state,
      host: {
        post: (msg) => webview.postMessage(msg),
        runCommand: (command) => vscode.commands.executeCommand(hostCommands[command]),
        writeClipboard: (text) => vscode.env.clipboard.writeText(text),
        saveEvidence,
      },
    });
    const media = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', ...p)).toString();
    panel.iconPath = {
      light: vscode.Uri.joinPath(extensionUri, 'media', 'panel-icon-light.svg'),
      dark: vscode.Uri.joinPath(extensionUri, 'media', 'panel-icon-dark.svg'),
    };
    webview.html = renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: media('webview', 'panel.js'),
      styleUri: media('webview', 'panel.css'),
      codiconsUri: media('webview', 'codicons', 'codicon.css'),
    });
    this.disposables.push(
      this.session,
      webview.onDidReceiveMessage((msg: unknown) => void this.session.handle(msg)),
      panel.onDidChangeViewState((e) => this.onViewState(e.webviewPanel.visible)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (IncidentPanel.current === this) IncidentPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private onViewState(visible: boolean): void {
    if (visible === this.wasVisible) return;
    this.wasVisible = visible;
    if (visible) void this.session.visible();
    else this.session.hidden();
  }
}
