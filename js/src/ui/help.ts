/**
 * The keyboard help: a popover listing the grid's keys and the row shortcuts, opened by the
 * toolbar "?" button or the ? key. Escape or Close gives the focus back to where it came from.
 */
import { button, el } from "../core/dom";
import { Popover } from "./popover";

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

export class HelpPopover extends Popover {
  private readonly closeBtn: HTMLButtonElement;

  constructor(doc: Document) {
    super(doc, {
      className: "ogpu-rt-help",
      title: "Keyboard shortcuts",
      triggerClass: "ogpu-rt-helpbtn",
      triggerText: "?",
      triggerLabel: "Keyboard shortcuts",
      triggerTitle: "Keyboard shortcuts (?)",
    });
    this.trigger.setAttribute("aria-keyshortcuts", "?");
    this.closeBtn = button(doc, "ogpu-rt-btn", "Close");
    this.closeBtn.addEventListener("click", () => this.close(true));
    this.head.append(this.closeBtn);
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

  override open(returnTo: HTMLElement): void {
    if (this.el.childElementCount === 1) this.el.append(this.list()); // built on first use
    super.open(returnTo);
    this.closeBtn.focus({ preventScroll: true });
  }
}
