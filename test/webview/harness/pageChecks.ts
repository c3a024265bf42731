// Checks that run inside the page (handed to page.evaluate, so each function is
// self-contained). They walk the flat tree: open shadow roots and slots
// included, the way the browser renders and inherits styles.

export interface TextContrast {
  text: string;
  color: string;
  background: string;
  ratio: number;
  required: number;
  /** The text color is the value of one of the theme's --vscode-* variables. */
  fromTheme: boolean;
  where: string;
}

/** Every visible text node: its color against what is painted behind it, WCAG 2 contrast ratio. */
export function measureTextContrast(themeVars: string[]): TextContrast[] {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
  const rgba = (css: string): [number, number, number, number] => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    const alpha = (d[3] ?? 255) / 255;
    // getImageData returns premultiplied-then-unpremultiplied values; good to a unit.
    return [d[0] ?? 0, d[1] ?? 0, d[2] ?? 0, alpha];
  };
  const over = (top: number[], bottom: number[]): number[] => {
    const a = top[3] ?? 1;
    return [0, 1, 2].map((i) => (top[i] ?? 0) * a + (bottom[i] ?? 0) * (1 - a)).concat(1);
  };
  const lum = (c: number[]) => {
    const ch = (v: number) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * ch(c[0] ?? 0) + 0.7152 * ch(c[1] ?? 0) + 0.0722 * ch(c[2] ?? 0);
  };
  const flatParent = (n: Node): Element | null => {
    const slot = (n as Element | Text).assignedSlot;
    if (slot) return slot;
    if (n.parentElement) return n.parentElement;
    const root = n.parentNode;
    return root instanceof ShadowRoot ? root.host : null;
  };
  const probe = document.createElement('div');
  document.body.appendChild(probe);
  const themeColors = new Set<string>();
  for (const v of themeVars) {
    probe.style.color = `var(${v})`;
    themeColors.add(getComputedStyle(probe).color);
  }
  probe.remove();
  const editorBg = rgba(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim());

  const out: TextContrast[] = [];
  const visit = (root: Node) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n: Node | null = walker.currentNode; n; n = walker.nextNode()) {
      if (n instanceof Element && n.shadowRoot) visit(n.shadowRoot);
      if (!(n instanceof Text) || !n.data.trim()) continue;
      const el = flatParent(n);
      if (!el || el.closest('[disabled]') || ['STYLE', 'SCRIPT', 'TITLE'].includes(el.tagName)) continue;
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const rect = range.getBoundingClientRect();
      if (rect.width < 1 || rect.height < 1) continue;
      const style = getComputedStyle(el);
      const layers: number[][] = [];
      for (let a: Element | null = el; a; a = flatParent(a)) layers.push(rgba(getComputedStyle(a).backgroundColor));
      let bg: number[] = editorBg;
      for (const layer of layers.reverse()) bg = over(layer, bg);
      const fg = over(rgba(style.color), bg);
      const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x) as [number, number];
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      out.push({
        text: n.data.trim().slice(0, 60),
        color: style.color,
        background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`,
        ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
        required: large ? 3 : 4.5,
        fromTheme: themeColors.has(style.color),
        where: `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''}`,
      });
    }
  };
  visit(document.body);
  return out;
}

/**
 * Marks every control a keyboard user must be able to reach (visible, enabled,
 * in the tab order) with data-kb="n" and returns how many there are.
 */
export function markKeyboardTargets(): number {
  const selector = [
    'vscode-button:not([disabled])',
    'vscode-single-select:not([disabled])',
    'vscode-textfield:not([disabled])',
    'vscode-checkbox:not([disabled])',
    'vscode-tab-header[tabindex="0"]',
    '[tabindex="0"]:not(vscode-tab-header)',
    'a[href]',
    'button:not([disabled])',
    'input:not([disabled])',
  ].join(',');
  let n = 0;
  document.querySelectorAll('[data-kb]').forEach((e) => e.removeAttribute('data-kb'));
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    el.setAttribute('data-kb', String(n++));
  }
  return n;
}

/** The data-kb mark of the focused control (the shadow host when focus is inside a component). */
export function focusedMark(): string | null {
  return document.activeElement?.closest('[data-kb]')?.getAttribute('data-kb') ?? null;
}
