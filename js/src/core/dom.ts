/** Tiny DOM helpers (text only; no markup strings anywhere). */

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(doc: Document, className: string, text: string, label?: string): HTMLButtonElement {
  const b = el(doc, "button", className, text);
  b.type = "button";
  if (label !== undefined) b.setAttribute("aria-label", label);
  return b;
}

/** The frame of a detail dialog (cell value, result, comparison): hidden at first, a head with
 * a title and a Close button (`closeLabel` names what it closes); callers add the rest. */
export function detailDialog(
  doc: Document,
  className: string,
  closeLabel: string,
): { el: HTMLElement; head: HTMLElement; title: HTMLElement; closeBtn: HTMLButtonElement } {
  const dialog = el(doc, "div", className);
  dialog.setAttribute("role", "dialog");
  dialog.style.display = "none";
  const head = el(doc, "div", "ogpu-rt-detail-head");
  const title = el(doc, "span");
  const closeBtn = button(doc, "ogpu-rt-btn", "Close", closeLabel);
  return { el: dialog, head, title, closeBtn };
}

/** requestAnimationFrame with a timer fallback (non-visual environments). */
export function raf(win: Window, cb: () => void): () => void {
  if (typeof win.requestAnimationFrame === "function") {
    const id = win.requestAnimationFrame(() => cb());
    return () => win.cancelAnimationFrame(id);
  }
  const id = setTimeout(cb, 16);
  return () => clearTimeout(id);
}

export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setTitle(node: HTMLElement, title: string): void {
  if (node.title !== title) node.title = title;
}

export function setAttr(node: Element, name: string, value: string): void {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
