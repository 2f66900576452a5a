/**
 * The column menu (toolbar "Columns"): show or hide each data column, move it up or down,
 * and reset the layout. A non-modal dialog; Escape closes it and gives the focus back to its
 * button. Changes go through `onChange` (the table writes `column_layout`).
 */
import type { ColumnDef } from "./columns";
import { button, el } from "./dom";
import { emptyLayout, moveColumn, orderedColumns, setHidden, type ColumnLayout } from "./layout";

export interface ColumnMenuHooks {
  /** Every data column (hidden ones included). */
  columns(): readonly ColumnDef[];
  layout(): ColumnLayout;
  onChange(next: ColumnLayout, focusName: string): void;
}

export class ColumnMenu {
  readonly el: HTMLElement;
  readonly trigger: HTMLButtonElement;
  private readonly list: HTMLElement;
  private returnTo: HTMLElement | null = null;

  constructor(
    private readonly doc: Document,
    private readonly hooks: ColumnMenuHooks,
  ) {
    this.trigger = button(doc, "ogpu-rt-btn ogpu-rt-colbtn", "Columns");
    this.trigger.setAttribute("aria-haspopup", "dialog");
    this.trigger.setAttribute("aria-expanded", "false");
    this.trigger.title = "Show, hide and reorder columns";
    this.el = el(doc, "div", "ogpu-rt-popover ogpu-rt-colmenu");
    this.el.setAttribute("role", "dialog");
    this.el.setAttribute("aria-label", "Columns");
    this.el.style.display = "none";
    const head = el(doc, "div", "ogpu-rt-popover-head");
    const title = el(doc, "span", "", "Columns");
    const reset = button(doc, "ogpu-rt-btn", "Reset columns");
    reset.addEventListener("click", () => this.hooks.onChange(emptyLayout(), ""));
    const close = button(doc, "ogpu-rt-btn", "Close");
    close.addEventListener("click", () => this.close(true));
    head.append(title, reset, close);
    this.list = el(doc, "ul", "ogpu-rt-collist");
    this.el.append(head, this.list);
    this.trigger.addEventListener("click", () => (this.isOpen ? this.close(true) : this.open(this.trigger)));
  }

  get isOpen(): boolean {
    return this.el.style.display !== "none";
  }

  open(returnTo: HTMLElement): void {
    this.returnTo = returnTo;
    this.render();
    this.el.style.display = "";
    this.trigger.setAttribute("aria-expanded", "true");
    this.list.querySelector<HTMLElement>("input")?.focus({ preventScroll: true });
  }

  close(restoreFocus: boolean): void {
    if (!this.isOpen) return;
    this.el.style.display = "none";
    this.trigger.setAttribute("aria-expanded", "false");
    const back = this.returnTo;
    this.returnTo = null;
    if (restoreFocus && back !== null && back.isConnected) back.focus({ preventScroll: true });
  }

  /** Redraw the list (after any layout change), keeping the focus on the same control. */
  render(focus?: { name: string; what: string }): void {
    if (!this.isOpen && focus === undefined && this.list.childElementCount > 0) return;
    const doc = this.doc;
    const all = this.hooks.columns();
    const layout = this.hooks.layout();
    const hidden = new Set(layout.hidden);
    const ordered = orderedColumns(all, layout);
    const shownCount = ordered.filter((c) => !hidden.has(c.name)).length;
    const items: HTMLElement[] = [];
    ordered.forEach((c, i) => {
      const li = el(doc, "li", "ogpu-rt-colitem");
      li.dataset["col"] = c.name;
      const label = el(doc, "label");
      const box = el(doc, "input");
      box.type = "checkbox";
      box.checked = !hidden.has(c.name);
      box.disabled = box.checked && shownCount <= 1;
      box.dataset["what"] = "show";
      box.addEventListener("change", () => {
        this.hooks.onChange(setHidden(all, this.hooks.layout(), c.name, !box.checked), c.name);
        this.render({ name: c.name, what: "show" });
      });
      label.append(box, doc.createTextNode(` ${c.label}`));
      const up = button(doc, "ogpu-rt-icon ogpu-rt-colmove", "▲", `Move ${c.label} up`);
      up.dataset["what"] = "up";
      up.disabled = i === 0;
      const down = button(doc, "ogpu-rt-icon ogpu-rt-colmove", "▼", `Move ${c.label} down`);
      down.dataset["what"] = "down";
      down.disabled = i === ordered.length - 1;
      up.addEventListener("click", () => this.move(c.name, -1));
      down.addEventListener("click", () => this.move(c.name, 1));
      li.append(label, up, down);
      items.push(li);
    });
    this.list.replaceChildren(...items);
    if (focus !== undefined) {
      const li = Array.from(this.list.children).find((x) => (x as HTMLElement).dataset["col"] === focus.name);
      let target = li?.querySelector<HTMLElement>(`[data-what="${focus.what}"]`) ?? null;
      if (target instanceof HTMLButtonElement && target.disabled) {
        target = li?.querySelector<HTMLElement>('button[data-what]:not(:disabled)') ?? null;
      }
      target?.focus({ preventScroll: true });
    }
  }

  private move(name: string, delta: number): void {
    this.hooks.onChange(moveColumn(this.hooks.columns(), this.hooks.layout(), name, delta), name);
    this.render({ name, what: delta < 0 ? "up" : "down" });
  }
}
