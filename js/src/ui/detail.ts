/**
 * The two cell actions of long values: the full-value popover ("expand"), with a link when the
 * value is a safe data URL, and copy to the clipboard ("copy", with a textarea fallback).
 */
import { copyToClipboard } from "./address";
import { makeLink } from "../columns/columns";
import { detailDialog, el } from "../core/dom";
import { safeDataHref, shortHex, toText } from "../core/format";
import { listen, type TableState } from "../table/tablestate";

export class DetailPopover {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly link: HTMLAnchorElement;
  private readonly closeBtn: HTMLButtonElement;
  private readonly pre: HTMLElement;
  /** What is shown, and the element to give the focus back to on close. */
  private shown: { base: number; col: string; trigger: HTMLElement | null } | null = null;

  constructor(private readonly state: TableState) {
    const doc = state.doc;
    let head: HTMLElement;
    ({ el: this.el, head, title: this.title, closeBtn: this.closeBtn } = detailDialog(
      doc, "ogpu-rt-detail", "Close full value"));
    this.link = makeLink(doc);
    this.link.textContent = "Open link";
    head.append(this.title, this.link, this.closeBtn);
    this.pre = el(doc, "pre");
    this.el.append(head, this.pre);
    listen(state, this.closeBtn, "click", () => this.close());
  }

  get isOpen(): boolean {
    return this.shown !== null;
  }

  open(base: number, colName: string, trigger: HTMLElement | null): void {
    const { columns, store } = this.state;
    const col = columns.find((c) => c.name === colName);
    const value = toText(store.get(colName, base));
    const key = store.keyOf(base);
    this.shown = { base, col: colName, trigger };
    this.title.textContent = `${col?.label ?? colName}${key ? ` of ${shortHex(key)}` : ""}`;
    this.el.setAttribute("aria-label", `Full ${col?.label ?? colName}`);
    this.pre.textContent = value;
    const href = safeDataHref(value);
    if (href !== null) {
      this.link.setAttribute("href", href);
      this.link.style.display = "";
    } else {
      this.link.removeAttribute("href");
      this.link.style.display = "none";
    }
    this.el.style.display = "";
    this.closeBtn.focus({ preventScroll: true });
  }

  close(): void {
    if (this.shown === null) return;
    const t = this.shown.trigger;
    this.shown = null;
    this.el.style.display = "none";
    this.pre.textContent = "";
    if (t && t.isConnected) t.focus({ preventScroll: true });
  }
}

/** Copy `text`; flags `btn` with data-copied for a moment, or reports the failure. */
export function copyText(state: TableState, container: HTMLElement, text: string, btn: HTMLElement): void {
  void copyToClipboard(state.doc, text, btn, container).then((ok) => {
    if (!ok) state.store.notify("error", "Could not copy to the clipboard.");
  });
}
