/**
 * The keyboard help: a popover listing the grid's keys and the row shortcuts, opened by the
 * toolbar "?" button or the ? key. Escape or Close gives the focus back to where it came from.
 */
import { button, el } from "./dom";

/** Every key the grid handles, as shown in the help (and documented in the README). */
export const SHORTCUTS: readonly (readonly [string, string])[] = [
  ["Tab / Shift+Tab", "Enter or leave the table (one stop)"],
  ["← → ↑ ↓", "Move between cells"],
  ["Home / End", "First / last cell of the row"],
  ["Ctrl+Home / Ctrl+End", "First / last row"],
  ["Page Up / Page Down", "Move a page of rows"],
  ["Enter", "Activate the cell (sort, open, copy, edit a filter)"],
  ["Shift+Enter", "On a column header: add it to the sort"],
  ["Space or X", "Select or deselect the row (Shift+Space: a range)"],
  ["P", "Review and confirm the row's payment"],
  ["R or D", "Show the row's whole result"],
  ["C", "Compare the responses of the row's task"],
  ["Alt+← / Alt+→", "On a column header: narrower / wider"],
  ["Alt+Shift+← / →", "On a column header: move the column"],
  ["Escape", "Close the open panel (back to where you were); leave a filter field"],
  ["?", "This help"],
];

export class HelpPopover {
  readonly el: HTMLElement;
  readonly trigger: HTMLButtonElement;
  private readonly closeBtn: HTMLButtonElement;
  private returnTo: HTMLElement | null = null;

  constructor(doc: Document) {
    this.trigger = button(doc, "ogpu-rt-btn ogpu-rt-helpbtn", "?", "Keyboard shortcuts");
    this.trigger.setAttribute("aria-haspopup", "dialog");
    this.trigger.setAttribute("aria-expanded", "false");
    this.trigger.setAttribute("aria-keyshortcuts", "?");
    this.trigger.title = "Keyboard shortcuts (?)";
    this.el = el(doc, "div", "ogpu-rt-popover ogpu-rt-help");
    this.el.setAttribute("role", "dialog");
    this.el.setAttribute("aria-label", "Keyboard shortcuts");
    this.el.style.display = "none";
    const head = el(doc, "div", "ogpu-rt-popover-head");
    head.append(el(doc, "span", "", "Keyboard shortcuts"));
    this.closeBtn = button(doc, "ogpu-rt-btn", "Close");
    this.closeBtn.addEventListener("click", () => this.close(true));
    head.append(this.closeBtn);
    this.el.append(head);
    this.trigger.addEventListener("click", () => (this.isOpen ? this.close(true) : this.open(this.trigger)));
  }

  private list(): HTMLElement {
    const doc = this.el.ownerDocument;
    const dl = el(doc, "dl", "ogpu-rt-keys");
    for (const [k, what] of SHORTCUTS) {
      const dt = el(doc, "dt");
      dt.append(el(doc, "kbd", "", k));
      dl.append(dt, el(doc, "dd", "", what));
    }
    return dl;
  }

  get isOpen(): boolean {
    return this.el.style.display !== "none";
  }

  open(returnTo: HTMLElement): void {
    if (this.el.childElementCount === 1) this.el.append(this.list()); // built on first use
    this.returnTo = returnTo;
    this.el.style.display = "";
    this.trigger.setAttribute("aria-expanded", "true");
    this.closeBtn.focus({ preventScroll: true });
  }

  close(restoreFocus: boolean): void {
    if (!this.isOpen) return;
    this.el.style.display = "none";
    this.trigger.setAttribute("aria-expanded", "false");
    const back = this.returnTo;
    this.returnTo = null;
    if (restoreFocus && back !== null && back.isConnected) back.focus({ preventScroll: true });
  }
}
