// The import boundaries of the house, checked by `npm run typecheck` (and so by
// the typecheck tier of `npm test`): `depcruise` exits non-zero on any import
// below. Each rule says why it exists; docs/architecture.md draws the layers.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'server-no-vscode',
      comment: "server/ runs outside VS Code (the backend process, the CLI): the 'vscode' module does not exist there",
      severity: 'error',
      from: { path: '^server/' },
      // 'vscode' resolves to its type package (through a symlinked node_modules the path starts with ../).
      to: { path: '(^|/)node_modules/@types/vscode/|^vscode$' },
    },
    {
      name: 'src-only-shared',
      comment: 'the extension stays thin glue over /v1: from server/ it takes only the shared layer (protocol, redaction, display line, run-end text, key recipe) and dependency-free helpers in server/util',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^server/', pathNot: '^server/(shared|util)/' },
    },
    {
      name: 'webview-only-shared',
      comment: 'the panel runs in a browser sandbox and talks to the extension only by validated messages: it takes the shared protocol, nothing from the extension, the backend or Node',
      severity: 'error',
      from: { path: '^webview/' },
      to: { path: '^(src/|server/(?!shared/))' },
    },
    {
      name: 'webview-no-node',
      comment: 'the panel is bundled for the browser: Node built-ins are not there',
      severity: 'error',
      from: { path: '^webview/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-self-contained',
      comment: 'server/shared is imported by the backend, the extension and the webview: it must not drag any of them (or another server folder) along',
      severity: 'error',
      from: { path: '^server/shared/' },
      to: { path: '^(src/|webview/|server/(?!shared/))' },
    },
    {
      name: 'util-self-contained',
      comment: 'server/util holds dependency-free helpers the extension may use as well; it must not reach into the backend',
      severity: 'error',
      from: { path: '^server/util/' },
      to: { path: '^(src/|webview/|server/(?!util/))' },
    },
    {
      name: 'detect-policy-no-store',
      comment: 'detection and policy are pure (fed samples and timestamps, tested with a fake clock): they never read or write the evidence store',
      severity: 'error',
      from: { path: '^server/(detect|policy)/' },
      to: { path: '^server/store/' },
    },
    {
      name: 'bench-no-cli',
      comment: 'the CLI runs the benchmarks (`flowforge bench`), so the benchmarks must not depend on the CLI back',
      severity: 'error',
      from: { path: '^server/bench/' },
      to: { path: '^server/cli(/|\\.ts$)' },
    },
    {
      name: 'no-test-code-in-products',
      comment: 'what ships (the extension, backend and CLI bundles, the webview) never contains test code; the e2e host hook enters only through a test-only entry',
      severity: 'error',
      from: { path: '^(server|src|webview)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable',
      comment: "an import that does not resolve would slip past every rule above ('vscode' is provided by the editor at run time)",
      severity: 'error',
      from: { path: '^(server|src|webview)/' },
      to: { couldNotResolve: true, pathNot: '^vscode$' },
    },
  ],
  options: {
    // Type-only imports count: a boundary crossed "only for a type" is still crossed.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|media)/' },
  },
};
