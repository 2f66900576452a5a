/**
 * The column layout of one table view: resolves the shown columns from every column and the
 * user's layout, applies a layout set from Python (`column_layout`), and records the user's
 * changes (header drags, Alt+arrows, the column menu) in the trait, so that a saved notebook
 * reopens with them. Sort keys and filters of a column that gets hidden are dropped.
 */
import type { ColumnMenu } from "./colmenu";
import type { ColumnDef } from "./columns";
import type { TableHeader } from "../grid/header";
import {
  WIDTH_STEP,
  applyLayout,
  moveColumn,
  moveColumnTo,
  parseLayout,
  sameLayout,
  setWidth,
  toTrait,
  type ColumnLayout,
} from "./layout";
import { wireHeaderCell } from "./resize";
import type { TableState } from "../table/tablestate";

export interface LayoutHooks {
  /** The shown columns changed: rebuild the header and the rows. */
  rebuild(): void;
  /** Keep the keyboard on this column after it moved. */
  focusColumn(name: string): void;
  menu: ColumnMenu;
}

export class TableLayout {
  constructor(
    private readonly state: TableState,
    private readonly header: TableHeader,
    private readonly hooks: LayoutHooks,
  ) {}

  /** `state.columns` from `state.allColumns` and `state.layout` (no rebuild). */
  resolve(): void {
    const { state } = this;
    state.columns = applyLayout(state.allColumns, state.layout);
    // a hidden column neither sorts nor filters the view
    const shown = new Set(state.columns.map((c) => c.name));
    const sort = state.spec.sort.filter((k) => shown.has(k.column));
    if (sort.length !== state.spec.sort.length) state.spec.sort = sort;
    const filters = { ...state.spec.filters };
    let dropped = false;
    for (const name of Object.keys(filters)) {
      if (!shown.has(name)) {
        delete filters[name];
        dropped = true;
      }
    }
    if (dropped) state.spec.filters = filters;
  }

  /** Resolve and rebuild. */
  apply(): void {
    this.resolve();
    this.hooks.rebuild();
    this.hooks.menu.render();
  }

  /** Python (or another view) set `column_layout`. */
  onTrait(): void {
    const next = parseLayout(this.state.model.get("column_layout"));
    if (sameLayout(next, this.state.layout)) return;
    this.state.layout = next;
    this.apply();
  }

  /** The user changed the layout: record it in the trait and show it. */
  set(next: ColumnLayout, focusName = ""): void {
    const { state } = this;
    if (sameLayout(next, state.layout)) return;
    state.layout = next;
    state.model.set("column_layout", toTrait(next));
    state.model.save_changes();
    this.resolve();
    if (focusName !== "") this.hooks.focusColumn(focusName);
    this.hooks.rebuild();
    this.hooks.menu.render();
  }

  private column(name: string): ColumnDef | undefined {
    return this.state.columns.find((c) => c.name === name);
  }

  /** Alt+Left/Right: one step narrower or wider. */
  resizeBy(name: string, delta: number): void {
    const col = this.column(name);
    if (!col) return;
    const th = Array.from(this.header.el.querySelectorAll<HTMLElement>(".ogpu-rt-th[data-col]")).find(
      (e) => e.dataset["col"] === name,
    );
    const now = th?.getBoundingClientRect().width || col.width;
    this.set(setWidth(this.state.layout, name, now + delta * WIDTH_STEP), name);
  }

  /** Alt+Shift+Left/Right: move the column one place. */
  moveBy(name: string, delta: number): void {
    this.set(moveColumn(this.state.allColumns, this.state.layout, name, delta), name);
  }

  /** Resize handle and drag-to-reorder on a header cell. */
  wire(th: HTMLElement, col: ColumnDef): void {
    wireHeaderCell(this.state.doc, th, col, {
      preview: (name, width) => {
        const cols = this.state.columns.map((c) => (c.name === name ? { ...c, width, flex: false } : c));
        this.header.applyTemplate(cols);
      },
      commitWidth: (name, width) => this.set(setWidth(this.state.layout, name, width), name),
      moveTo: (name, target) => this.set(moveColumnTo(this.state.allColumns, this.state.layout, name, target), name),
    });
  }
}
