// The incident panel's HTML document and its Content Security Policy. Free of
// 'vscode' so the Chromium tests serve exactly the document VS Code gets.
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin the panel's files are served from. */
  cspSource: string;
  nonce: string;
  /** Webview URIs of media/webview/panel.js, panel.css and codicons/codicon.css. */
  scriptUri: string;
  styleUri: string;
  codiconsUri: string;
  /** Extra classic scripts loaded (with the nonce) before the panel script; tests put their host stub here. */
  preludeScripts?: string[];
}

/** A fresh nonce per document: 128 random bits, base64. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Nothing inline, nothing remote: scripts need the nonce, styles and fonts come
 * from the extension's media folder, images may also be data: URIs (uPlot's
 * canvas exports). No connect-src: the webview cannot reach the API or
 * anything else; it only talks to the extension by messages.
 */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderPanelHtml(o: PanelHtmlOptions): string {
  const nonce = escapeAttr(o.nonce);
  const prelude = (o.preludeScripts ?? [])
    .map((src) => `    <script nonce="${nonce}" src="${escapeAttr(src)}"></script>\n`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(panelCsp(o.cspSource, o.nonce))}" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="stylesheet" id="vscode-codicon-stylesheet" nonce="${nonce}" href="${escapeAttr(o.codiconsUri)}" />
    <link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(o.styleUri)}" />
    <title>FlowForge Incidents</title>
${prelude}  </head>
  <body>
    <div id="app" aria-busy="true"><p class="loading" role="status">Loading incidents…</p></div>
    <script type="module" nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
  </body>
</html>
`;
}
