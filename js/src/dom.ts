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

/** requestAnimationFrame with a timer fallback (non-visual environments). */
export function raf(win: Window, cb: () => void): () => void {
  if (typeof win.requestAnimationFrame === "function") {
    const id = win.requestAnimationFrame(() => cb());
    return () => win.cancelAnimationFrame(id);
  }
  const id = setTimeout(cb, 16);
  return () => clearTimeout(id);
}
