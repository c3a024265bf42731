// A tiny element builder. Text always goes in as text nodes, never as HTML:
// evidence lines, commands and templates come from untrusted process output.
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** `false`/`null`/`undefined` remove the attribute, `true` sets it empty. Never `style`: the CSP forbids it. */
export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replace an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A codicon, decorative unless it gets a label. */
export function icon(name: string, label?: string): HTMLElement {
  return h('vscode-icon', label ? { name, label, role: 'img', 'aria-label': label } : { name, 'aria-hidden': 'true' });
}

let nextId = 0;
/** A document-unique id for aria-labelledby and friends. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * Focus an element once it can take focus: vscode-elements components set
 * their tabindex in their first (asynchronous) Lit update, so a freshly built
 * button cannot be focused in the same task.
 */
export function focusSoon(el: Element | null | undefined): void {
  if (!(el instanceof HTMLElement)) return;
  const pending = (el as HTMLElement & { updateComplete?: Promise<unknown> }).updateComplete;
  if (pending) void pending.then(() => el.focus());
  else el.focus();
}
