// Serves the built panel (media/) and a page that is the panel's real HTML and
// CSP (renderPanelHtml) plus what VS Code adds around a webview: its default
// stylesheet, the theme and the acquireVsCodeApi stub. Loopback only.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { newNonce, renderPanelHtml } from '../../../src/panel/panelHtml';
import { themes, type ThemeName } from './themes';

const repoRoot = join(__dirname, '..', '..', '..');
const mediaRoot = join(repoRoot, 'media');
const types: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface PanelServer {
  origin: string;
  pageUrl(theme: ThemeName): string;
  close(): Promise<void>;
}

function page(origin: string, theme: ThemeName): string {
  const t = themes[theme];
  const html = renderPanelHtml({
    cspSource: origin,
    nonce: newNonce(),
    scriptUri: `${origin}/media/webview/panel.js`,
    styleUri: `${origin}/media/webview/panel.css`,
    codiconsUri: `${origin}/media/webview/codicons/codicon.css`,
    preludeScripts: [`${origin}/test/theme.js?theme=${theme}`, `${origin}/test/vscode-stub.js`],
  });
  // VS Code prepends its default styles and puts the theme classes on <body> before the page runs.
  return html
    .replace('<head>', `<head>\n    <link rel="stylesheet" href="${origin}/test/vscode-defaults.css" />`)
    .replace('<body>', `<body class="${t.bodyClass}" data-vscode-theme-kind="${t.bodyClass}" data-vscode-theme-name="${t.label}">`);
}

export async function startPanelServer(): Promise<PanelServer> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    void (async () => {
      const theme = (url.searchParams.get('theme') ?? 'dark') as ThemeName;
      if (url.pathname === '/favicon.ico') return send(204, 'text/plain', '');
      if (url.pathname === '/panel.html' && themes[theme]) return send(200, 'text/html', page(origin, theme));
      if (url.pathname === '/test/theme.js' && themes[theme]) return send(200, types['.js'] as string, `window.__ffTheme = ${JSON.stringify(themes[theme])};`);
      if (url.pathname === '/test/vscode-stub.js') return send(200, types['.js'] as string, await readFile(join(__dirname, 'vscodeStub.js')));
      if (url.pathname === '/test/vscode-defaults.css') return send(200, types['.css'] as string, await readFile(join(__dirname, 'vscodeDefaults.css')));
      if (url.pathname.startsWith('/media/')) {
        const file = normalize(join(mediaRoot, decodeURIComponent(url.pathname.slice('/media/'.length))));
        if (!file.startsWith(mediaRoot + sep)) return send(403, 'text/plain', 'outside media/');
        return send(200, types[extname(file)] ?? 'application/octet-stream', await readFile(file));
      }
      send(404, 'text/plain', 'not found');
    })().catch((err: NodeJS.ErrnoException) => send(err.code === 'ENOENT' ? 404 : 500, 'text/plain', String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (theme) => `${origin}/panel.html?theme=${theme}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
