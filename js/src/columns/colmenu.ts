/**
 * The column menu (toolbar "Columns"): show or hide each data column, move it up or down,
 * and reset the layout. A non-modal dialog; Escape closes it and gives the focus back to its
 * button. Changes go through `onChange` (the table writes `column_layout`).
 */
import type { ColumnDef } from "./columns";
import { button, el } from "../core/dom";
import { emptyLayout, moveColumn, orderedColumns, setHidden, type ColumnLayout } from "./layout";
import { Popover } from "../ui/popover";

export interface ColumnMenuHooks {
  /** Every data column (hidden ones included). */
  columns(): readonly ColumnDef[];
  layout(): ColumnLayout;
  onChange(next: ColumnLayout, focusName: string): void;
}

export class ColumnMenu extends Popover {
  private readonly list: HTMLElement;

  constructor(
    doc: Document,
    private readonly hooks: ColumnMenuHooks,
  ) {
    super(doc, {
      className: "ogpu-rt-colmenu",
      title: "Columns",
      triggerClass: "ogpu-rt-colbtn",
      triggerText: "Columns",
      triggerTitle: "Show, hide and reorder columns",
    });
    const reset = button(doc, "ogpu-rt-btn", "Reset columns");
    reset.addEventListener("click", () => this.hooks.onChange(emptyLayout(), ""));
    const close = button(doc, "ogpu-rt-btn", "Close");
    close.addEventListener("click", () => this.close(true));
    this.head.append(reset, close);
    this.list = el(doc, "ul", "ogpu-rt-collist");
    this.el.append(this.list);
  }

  override open(returnTo: HTMLElement): void {
    super.open(returnTo);
    this.render();
    this.list.querySelector<HTMLElement>("input")?.focus({ preventScroll: true });
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
