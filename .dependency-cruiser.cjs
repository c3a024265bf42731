// The import boundaries of the house, checked by `npm run typecheck` (and so by
// the typecheck tier of `npm test`): `depcruise` exits non-zero on any import
// below. Each rule says why it exists; docs/architecture.md draws the layers.

/** A forbidden import: from files matching `from` to modules matching `to` (regexes on repo paths). */
const forbid = (name, from, to, why) => ({ name, comment: why, severity: 'error', from: { path: from }, to: typeof to === 'string' ? { path: to } : to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // 'vscode' resolves to its type package (through a symlinked node_modules the path starts with ../).
    forbid('server-no-vscode', '^server/', '(^|/)node_modules/@types/vscode/|^vscode$',
      "server/ runs outside VS Code (the backend process, the CLI): the 'vscode' module does not exist there"),
    forbid('src-only-shared', '^src/', { path: '^server/', pathNot: '^server/(shared|util)/' },
      'the extension stays thin glue over /v1: from server/ it takes only the shared layer (protocol, redaction, display line, run-end text, key recipe) and dependency-free helpers in server/util'),
    forbid('webview-only-shared', '^webview/', '^(src/|server/(?!shared/))',
      'the panel runs in a browser sandbox and talks to the extension only by validated messages: it takes the shared protocol, nothing from the extension or the backend'),
    forbid('webview-no-node', '^webview/', { dependencyTypes: ['core'] }, 'the panel is bundled for the browser: Node built-ins are not there'),
    forbid('shared-self-contained', '^server/shared/', '^(src/|webview/|server/(?!shared/))',
      'server/shared is imported by the backend, the extension and the webview: it must not drag any of them (or another server folder) along'),
    forbid('util-self-contained', '^server/util/', '^(src/|webview/|server/(?!util/))',
      'server/util holds dependency-free helpers the extension may use as well; it must not reach into the backend'),
    forbid('detect-policy-no-store', '^server/(detect|policy)/', '^server/store/',
      'detection and policy are pure (fed samples and timestamps, tested with a fake clock): they never read or write the evidence store'),
    forbid('bench-no-cli', '^server/bench/', '^server/cli(/|\\.ts$)', 'the CLI runs the benchmarks (`flowforge bench`), so the benchmarks must not depend on the CLI back'),
    forbid('no-test-code-in-products', '^(server|src|webview)/', '^test/',
      'what ships (the extension, backend and CLI bundles, the webview) never contains test code; the e2e host hook enters only through a test-only extension'),
    forbid('no-unresolvable', '^(server|src|webview)/', { couldNotResolve: true, pathNot: '^vscode$' },
      "an import that does not resolve would slip past every rule above ('vscode' is provided by the editor at run time)"),
  ],
  options: {
    // Type-only imports count: a boundary crossed "only for a type" is still crossed.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|media)/' },
  },
};
