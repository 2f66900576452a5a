/**
 * The full text of a truncated cell for keyboard users: when the focused cell's text is cut
 * (ellipsized), a tooltip under it shows the cell's title. Hover has the native title; this is
 * the focus equivalent. Only the focused cell is measured, never the rows at paint time.
 */
import { el } from "../core/dom";

let tipIds = 0;

/** The text is cut: some element in the cell is wider than its box. */
export function isTruncated(cell: HTMLElement): boolean {
  if (cell.scrollWidth > cell.clientWidth + 1) return true;
  for (const c of Array.from(cell.querySelectorAll<HTMLElement>("span, a"))) {
    if (c.scrollWidth > c.clientWidth + 1) return true;
  }
  return false;
}

/** The full text of a cell: its title, or the first title inside it. */
export function fullText(cell: HTMLElement): string {
  if (cell.title) return cell.title;
  const inner = cell.querySelector<HTMLElement>("[title]:not(button)");
  return inner?.title ?? "";
}

export class FocusTip {
  readonly el: HTMLElement;
  private owner: HTMLElement | null = null;

  constructor(
    doc: Document,
    private readonly root: HTMLElement,
  ) {
    this.el = el(doc, "div", "ogpu-rt-tip");
    this.el.setAttribute("role", "tooltip");
    this.el.id = `ogpu-rt-tip-${++tipIds}`;
    this.el.style.display = "none";
    root.append(this.el);
  }

  show(cell: HTMLElement): void {
    this.hide();
    const text = fullText(cell);
    if (text === "" || !isTruncated(cell)) return;
    this.owner = cell;
    this.el.textContent = text;
    cell.setAttribute("aria-describedby", this.el.id);
    const r = cell.getBoundingClientRect();
    const base = this.root.getBoundingClientRect();
    this.el.style.left = `${Math.max(0, r.left - base.left)}px`;
    this.el.style.top = `${r.bottom - base.top + 2}px`;
    this.el.style.display = "";
  }

  hide(): void {
    if (this.owner !== null) {
      this.owner.removeAttribute("aria-describedby");
      this.owner = null;
    }
    if (this.el.style.display !== "none") this.el.style.display = "none";
  }
}
