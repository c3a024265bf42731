// Colors for the canvas charts, read from VS Code's theme variables at run time
// (CSS handles everything else), and a signal when the theme changes.
export interface ChartColors {
  cpu: string;
  memory: string;
  repetition: string;
  decision: string;
  threshold: string;
  axis: string;
  grid: string;
  background: string;
  font: string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The first of several theme variables that is set (high-contrast themes leave some unset). */
function firstVar(...names: string[]): string {
  for (const n of names) {
    const v = cssVar(n);
    if (v) return v;
  }
  return getComputedStyle(document.body).color;
}

export function chartColors(): ChartColors {
  const family = cssVar('--vscode-font-family') || 'sans-serif';
  return {
    cpu: firstVar('--vscode-charts-blue'),
    memory: firstVar('--vscode-charts-purple'),
    repetition: firstVar('--vscode-charts-orange', '--vscode-charts-yellow'),
    decision: firstVar('--vscode-charts-red', '--vscode-errorForeground'),
    threshold: firstVar('--vscode-charts-yellow', '--vscode-editorWarning-foreground'),
    axis: firstVar('--vscode-descriptionForeground', '--vscode-foreground'),
    grid: firstVar('--vscode-charts-lines', '--vscode-widget-border', '--vscode-panel-border'),
    background: firstVar('--vscode-editor-background'),
    font: `11px ${family}`,
  };
}

/** Calls `fn` (once per frame at most) when VS Code switches the theme: body class or the variables change. */
export function onThemeChange(fn: () => void): void {
  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
