/**
 * A toolbar popover: a trigger button and a non-modal dialog with a titled head. Opening
 * remembers where the focus came from; closing gives it back (the column menu, the help).
 */
import { button, el } from "../core/dom";

export interface PopoverSpec {
  /** Class of the dialog, after `ogpu-rt-popover`. */
  className: string;
  /** The dialog's title and accessible name. */
  title: string;
  /** The trigger's class (after `ogpu-rt-btn`), text, accessible name and tooltip. */
  triggerClass: string;
  triggerText: string;
  triggerLabel?: string;
  triggerTitle: string;
}

export class Popover {
  readonly el: HTMLElement;
  readonly trigger: HTMLButtonElement;
  /** The head row: the title, then what the subclass appends (its buttons). */
  protected readonly head: HTMLElement;
  private returnTo: HTMLElement | null = null;

  constructor(
    protected readonly doc: Document,
    spec: PopoverSpec,
  ) {
    this.trigger = button(doc, `ogpu-rt-btn ${spec.triggerClass}`, spec.triggerText, spec.triggerLabel);
    this.trigger.setAttribute("aria-haspopup", "dialog");
    this.trigger.setAttribute("aria-expanded", "false");
    this.trigger.title = spec.triggerTitle;
    this.el = el(doc, "div", `ogpu-rt-popover ${spec.className}`);
    this.el.setAttribute("role", "dialog");
    this.el.setAttribute("aria-label", spec.title);
    this.el.style.display = "none";
    this.head = el(doc, "div", "ogpu-rt-popover-head");
    this.head.append(el(doc, "span", "", spec.title));
    this.el.append(this.head);
    this.trigger.addEventListener("click", () => (this.isOpen ? this.close(true) : this.open(this.trigger)));
  }

  get isOpen(): boolean {
    return this.el.style.display !== "none";
  }

  /** Show the dialog; the focus goes back to `returnTo` when it closes. */
  open(returnTo: HTMLElement): void {
    this.returnTo = returnTo;
    this.el.style.display = "";
    this.trigger.setAttribute("aria-expanded", "true");
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
