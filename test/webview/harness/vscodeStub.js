// The VS Code webview environment, as far as the panel can tell: the
// acquireVsCodeApi() handle (once only), getState/setState surviving a reload,
// theme variables set on <html> through the CSSOM the way VS Code sets them,
// and the body classes. Messages the panel posts go to the test (Node) through
// the __ffPost binding; the test posts messages in with window.postMessage.
// Expects window.__ffTheme = { bodyClass, label, vars } to be defined first.
(() => {
  const theme = window.__ffTheme;
  const STATE_KEY = 'flowforge-panel-state';
  let acquired = false;

  window.__ffCspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__ffCspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });

  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage(message) {
        window.__ffPost(JSON.parse(JSON.stringify(message)));
      },
      setState(state) {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
        window.__ffSetState(JSON.parse(JSON.stringify(state)));
        return state;
      },
      getState() {
        const saved = sessionStorage.getItem(STATE_KEY);
        return saved === null ? undefined : JSON.parse(saved);
      },
    });
  };

  /** Apply a theme like VS Code does on a theme switch: replace every --vscode-* property, swap the body class. */
  window.__ffApplyTheme = (t) => {
    const style = document.documentElement.style;
    for (let i = style.length - 1; i >= 0; i--) {
      const p = style[i];
      if (p && p.startsWith('--vscode-')) style.removeProperty(p);
    }
    for (const [name, value] of Object.entries(t.vars)) style.setProperty(name, value);
    const applyBody = () => {
      document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast');
      document.body.classList.add(t.bodyClass);
      document.body.dataset.vscodeThemeKind = t.bodyClass;
      document.body.dataset.vscodeThemeName = t.label;
    };
    if (document.body) applyBody();
    else document.addEventListener('DOMContentLoaded', applyBody, { once: true });
  };
  window.__ffApplyTheme(theme);
})();
