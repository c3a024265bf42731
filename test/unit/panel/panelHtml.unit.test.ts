// The panel document: a strict CSP with a fresh nonce, nothing inline, and
// URIs that cannot break out of their attributes.
import assert from 'node:assert/strict';
import { newNonce, panelCsp, renderPanelHtml } from '../../../src/panel/panelHtml';

const source = 'https://file+.vscode-resource.vscode-cdn.net';

describe('panel HTML', () => {
  it('has a CSP that allows only the extension media, nonce scripts and no network', () => {
    assert.equal(
      panelCsp(source, 'abc'),
      `default-src 'none'; style-src ${source} 'nonce-abc'; font-src ${source}; img-src ${source} data:; script-src 'nonce-abc'`,
    );
  });

  it('makes a new 128-bit nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, newNonce));
    assert.equal(nonces.size, 50);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9+/]{22}==$/);
  });

  it('loads every script with the nonce and has no inline script or style', () => {
    const html = renderPanelHtml({
      cspSource: source,
      nonce: 'N0nce',
      scriptUri: `${source}/media/webview/panel.js`,
      styleUri: `${source}/media/webview/panel.css`,
      codiconsUri: `${source}/media/webview/codicons/codicon.css`,
    });
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0] ?? '', /^<script type="module" nonce="N0nce" src="[^"]+panel\.js">$/);
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'no inline script body');
    assert.doesNotMatch(html, /<style|style=/);
    assert.match(html, /<link rel="stylesheet" id="vscode-codicon-stylesheet" nonce="N0nce" href="[^"]+codicon\.css" \/>/);
    assert.ok(html.includes(`http-equiv="Content-Security-Policy" content="${panelCsp(source, 'N0nce')}"`));
  });

  it('escapes what it puts in attributes', () => {
    const html = renderPanelHtml({
      cspSource: source,
      nonce: 'n',
      scriptUri: 'x" onload="alert(1)',
      styleUri: 's',
      codiconsUri: 'c',
      preludeScripts: ['<stub>'],
    });
    assert.ok(html.includes('src="x&quot; onload=&quot;alert(1)"'));
    assert.ok(html.includes('src="&lt;stub&gt;"'));
    assert.doesNotMatch(html, /onload="alert/);
  });
});
