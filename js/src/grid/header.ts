/**
 * The sticky table header: the select-all checkbox, one sort button per column (shift-click
 * adds a sort key) and the filter row under it. It edits `state.spec` and reports changes.
 * Its cells are grid cells (`columnheader`, `gridcell`) reached with the arrow keys (grid.ts);
 * the checkbox and Confirm cells sit in the pinned box, and each column header gets a resize
 * handle and drag-to-reorder (resize.ts, through `onColumnHeader`).
 */
import type { ColumnDef } from "../columns/columns";
import { button, el } from "../core/dom";
import { CHECK_WIDTH, CONFIRM_WIDTH } from "../columns/layout";
import { headerState } from "./selection";
import { distinctValues, nextSort, type ColumnFilter } from "../columns/sortfilter";
import type { TableState } from "../table/tablestate";

export { CHECK_WIDTH, CONFIRM_WIDTH } from "../columns/layout";

export interface HeaderHooks {
  /** The user changed the sort or a filter (`state.spec` is already updated). */
  onSpecChange(): void;
  /** The select-all checkbox was clicked. */
  onToggleAll(): void;
  /** A header cell was built (the grid wires resizing and dragging to it). */
  onColumnHeader?(th: HTMLElement, col: ColumnDef): void;
}

/** An input or select of the filter row: named `label`, reached with the arrow keys (not Tab),
 * and marked with the filter it edits (`data-filter`). */
function filterControl<K extends "input" | "select">(
  doc: Document,
  tag: K,
  label: string,
  filter: string,
): HTMLElementTagNameMap[K] {
  const control = el(doc, tag);
  control.setAttribute("aria-label", label);
  control.tabIndex = -1;
  control.dataset["filter"] = filter;
  return control;
}

/** CSS grid template of a row: checkbox, Confirm, then the data columns. */
export function gridTemplate(columns: readonly ColumnDef[]): { cols: string; min: number } {
  // The checkbox and the Confirm column come first and are pinned (one sticky box spanning
  // both), so they stay in view however many data columns follow.
  const parts = [`${CHECK_WIDTH}px`, `${CONFIRM_WIDTH}px`];
  let min = CHECK_WIDTH + CONFIRM_WIDTH;
  for (const c of columns) {
    parts.push(c.flex ? `minmax(${c.width}px, 1fr)` : `${c.width}px`);
    min += c.width;
  }
  return { cols: parts.join(" "), min };
}

/** The box that pins the checkbox and Confirm cells of a row to the left (one sticky box). */
export function pinBox(doc: Document): HTMLElement {
  const pin = el(doc, "div", "ogpu-rt-pin");
  pin.setAttribute("role", "none");
  return pin;
}

/** A header row (`aria-rowindex` 1: titles, 2: filters) and the box of its pinned cells. */
function headerRow(doc: Document, cls: string, index: number): [HTMLElement, HTMLElement] {
  const row = el(doc, "div", cls);
  row.setAttribute("role", "row");
  row.setAttribute("aria-rowindex", String(index));
  return [row, pinBox(doc)];
}

export class TableHeader {
  readonly el: HTMLElement;
  private checkAll: HTMLInputElement;
  private readonly sortButtons = new Map<string, { th: HTMLElement; ind: HTMLElement }>();
  private readonly categorySelects = new Map<string, HTMLSelectElement>();

  constructor(
    private readonly state: TableState,
    /** Element that receives the grid CSS variables. */
    private readonly root: HTMLElement,
    private readonly hooks: HeaderHooks,
  ) {
    this.el = el(state.doc, "div", "ogpu-rt-head");
    this.el.setAttribute("role", "rowgroup");
    this.checkAll = el(state.doc, "input");
  }

  /** Set the grid template for `columns` (also used live while a column is resized). */
  applyTemplate(columns: readonly ColumnDef[]): void {
    const { cols, min } = gridTemplate(columns);
    this.root.style.setProperty("--ogpu-rt-cols", cols);
    this.root.style.setProperty("--ogpu-rt-min-width", `${min}px`);
  }

  /** (Re)build both header rows for `state.columns` and `state.spec`. */
  build(): void {
    const { doc, columns } = this.state;
    this.el.replaceChildren();
    this.sortButtons.clear();
    this.categorySelects.clear();
    this.applyTemplate(columns);

    const [hrow, hpin] = headerRow(doc, "ogpu-rt-hrow", 1);
    const checkTh = el(doc, "div", "ogpu-rt-th ogpu-rt-checkcell");
    checkTh.setAttribute("role", "columnheader");
    checkTh.setAttribute("aria-label", "Select");
    this.checkAll = el(doc, "input", "ogpu-rt-check-all");
    this.checkAll.type = "checkbox";
    this.checkAll.tabIndex = -1;
    this.checkAll.setAttribute("aria-label", "Select all shown rows");
    this.checkAll.addEventListener("click", () => this.hooks.onToggleAll());
    checkTh.append(this.checkAll);
    hpin.append(checkTh);
    hrow.append(hpin);

    const [frow, fpin] = headerRow(doc, "ogpu-rt-frow", 2);
    const fcell0 = el(doc, "div", "ogpu-rt-fcell");
    fcell0.setAttribute("role", "gridcell");
    fpin.append(fcell0);
    frow.append(fpin);
    const confirmTh = el(doc, "div", "ogpu-rt-th ogpu-rt-th-confirm", "Confirm");
    confirmTh.setAttribute("role", "columnheader");
    hpin.append(confirmTh);
    const fcellN = el(doc, "div", "ogpu-rt-fcell ogpu-rt-fconfirm");
    fcellN.setAttribute("role", "gridcell");
    fpin.append(fcellN);

    for (const col of columns) {
      const th = el(doc, "div", "ogpu-rt-th");
      th.setAttribute("role", "columnheader");
      th.dataset["col"] = col.name;
      const b = button(doc, "ogpu-rt-sort", "");
      b.tabIndex = -1;
      b.dataset["sort"] = col.name;
      b.title = `${col.label}: sort (shift-click to sort by several columns)`;
      const label = el(doc, "span", "ogpu-rt-label", col.label);
      const ind = el(doc, "span", "ogpu-rt-ind");
      ind.setAttribute("aria-hidden", "true");
      b.append(label, ind);
      b.addEventListener("click", (e) => {
        this.state.spec.sort = nextSort(this.state.spec.sort, col.name, e.shiftKey);
        this.updateSortIndicators();
        this.hooks.onSpecChange();
      });
      th.append(b);
      this.hooks.onColumnHeader?.(th, col);
      hrow.append(th);
      this.sortButtons.set(col.name, { th, ind });
      frow.append(this.buildFilter(col));
    }
    this.el.append(hrow, frow);
    this.updateSortIndicators();
  }

  /** Select-all checkbox: checked / indeterminate from the selected share of the shown rows. */
  updateCheckAll(): void {
    const s = headerState(this.state.store, this.state.ord);
    this.checkAll.checked = s === "all";
    this.checkAll.indeterminate = s === "some";
  }

  updateSortIndicators(): void {
    const sort = this.state.spec.sort;
    const multi = sort.length > 1;
    for (const [name, { th, ind }] of this.sortButtons) {
      const i = sort.findIndex((s) => s.column === name);
      const s = i >= 0 ? sort[i] : undefined;
      th.setAttribute("aria-sort", s ? (s.dir === "asc" ? "ascending" : "descending") : "none");
      ind.textContent = s ? `${s.dir === "asc" ? "▲" : "▼"}${multi ? String(i + 1) : ""}` : "";
    }
  }

  hasCategoryFilter(name: string): boolean {
    return this.categorySelects.has(name);
  }

  /** Re-list the values of category filters (all, or only those in `only`). */
  refreshCategoryOptions(only?: ReadonlySet<string>): void {
    for (const [name, select] of this.categorySelects) {
      if (only && !only.has(name)) continue;
      const f = this.state.spec.filters[name];
      this.fillCategory(name, select, f?.type === "category" ? f.value : null);
    }
  }

  private setFilter(name: string, f: ColumnFilter | null): void {
    const filters = { ...this.state.spec.filters };
    if (f === null) delete filters[name];
    else filters[name] = f;
    this.state.spec.filters = filters;
    this.hooks.onSpecChange();
  }

  private buildFilter(col: ColumnDef): HTMLElement {
    const doc = this.state.doc;
    const cell = el(doc, "div", "ogpu-rt-fcell");
    cell.setAttribute("role", "gridcell");
    const current = this.state.spec.filters[col.name];
    const label = `Filter ${col.label}`;
    switch (col.filter) {
      case "text": {
        const input = filterControl(doc, "input", label, col.name);
        input.type = "search";
        input.placeholder = col.kind === "datetime" ? "e.g. 2026-11" : "contains…";
        if (current?.type === "text") input.value = current.value;
        input.addEventListener("input", () => {
          this.setFilter(col.name, input.value.trim() === "" ? null : { type: "text", value: input.value });
        });
        cell.append(input);
        break;
      }
      case "category": {
        const select = filterControl(doc, "select", label, col.name);
        this.categorySelects.set(col.name, select);
        this.fillCategory(col.name, select, current?.type === "category" ? current.value : null);
        select.addEventListener("change", () => {
          const i = select.selectedIndex;
          this.setFilter(col.name, i <= 0 ? null : { type: "category", value: select.value });
        });
        cell.append(select);
        break;
      }
      case "range": {
        const lo = filterControl(doc, "input", `${col.label} minimum`, `${col.name}:min`);
        const hi = filterControl(doc, "input", `${col.label} maximum`, `${col.name}:max`);
        for (const [input, which] of [
          [lo, "min"],
          [hi, "max"],
        ] as const) {
          input.type = "number";
          input.step = "any";
          input.placeholder = which;
        }
        if (current?.type === "range") {
          if (current.min !== null) lo.value = String(current.min);
          if (current.max !== null) hi.value = String(current.max);
        }
        const onInput = (): void => {
          const min = lo.value.trim() === "" ? null : Number(lo.value);
          const max = hi.value.trim() === "" ? null : Number(hi.value);
          const a = min !== null && Number.isFinite(min) ? min : null;
          const b = max !== null && Number.isFinite(max) ? max : null;
          this.setFilter(col.name, a === null && b === null ? null : { type: "range", min: a, max: b });
        };
        lo.addEventListener("input", onInput);
        hi.addEventListener("input", onInput);
        cell.append(lo, hi);
        break;
      }
      case "bool": {
        const select = filterControl(doc, "select", label, col.name);
        for (const [value, text] of [
          ["", "(all)"],
          ["true", "✓ yes"],
          ["false", "— no"],
        ] as const) {
          const o = el(doc, "option", "", text);
          o.value = value;
          select.append(o);
        }
        if (current?.type === "bool") select.value = current.value ? "true" : "false";
        select.addEventListener("change", () => {
          this.setFilter(col.name, select.value === "" ? null : { type: "bool", value: select.value === "true" });
        });
        cell.append(select);
        break;
      }
    }
    return cell;
  }

  private fillCategory(name: string, select: HTMLSelectElement, selected: string | null): void {
    const doc = this.state.doc;
    const values = distinctValues(this.state.store, name);
    if (selected !== null && !values.includes(selected)) values.push(selected);
    const all = el(doc, "option", "", "(all)");
    all.value = "";
    const opts = [all];
    for (const v of values) {
      const o = el(doc, "option", "", v);
      o.value = v;
      if (v === selected) o.selected = true;
      opts.push(o);
    }
    select.replaceChildren(...opts);
    if (selected === null) select.selectedIndex = 0;
  }
}
