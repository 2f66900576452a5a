/**
 * Pooled row elements. A row element is created once and re-bound to different snapshot rows
 * as the user scrolls; its cells update in place.
 */
import { createCell, type Cell, type CellCtx, type ColumnDef } from "../columns/columns";
import { el, setAttr } from "../core/dom";
import { pinBox } from "./header";
import { confirmInfo, createConfirmCell, type ConfirmCell } from "../confirm/review";
import type { RowStore } from "../store/rowstore";

export interface RowHandle {
  readonly el: HTMLElement;
  readonly checkbox: HTMLInputElement;
  readonly cells: Cell[];
  readonly confirm: ConfirmCell;
  /** Snapshot index currently shown (-1: free). */
  base: number;
  /** Display position. */
  pos: number;
  /** Current translateY (px). */
  y: number;
  /** Render epoch of the content. */
  epoch: number;
  key: string | null;
  hidden: boolean;
}

export function createRow(doc: Document, columns: readonly ColumnDef[]): RowHandle {
  const row = el(doc, "div", "ogpu-rt-row");
  row.setAttribute("role", "row");
  // the checkbox and Confirm cells share one sticky box (pinned left)
  const pin = pinBox(doc);
  const checkCell = el(doc, "div", "ogpu-rt-cell ogpu-rt-checkcell");
  checkCell.setAttribute("role", "gridcell");
  const checkbox = el(doc, "input", "ogpu-rt-check");
  checkbox.type = "checkbox";
  checkCell.append(checkbox);
  const confirm = createConfirmCell(doc);
  confirm.el.setAttribute("role", "gridcell");
  pin.append(checkCell, confirm.el);
  row.append(pin);
  const cells = columns.map((c) => createCell(doc, c));
  for (const c of cells) row.append(c.el);
  // one tab stop per grid (the roving cell): the controls inside cells are reached with
  // Enter/Space or a click, never with Tab
  for (const c of Array.from(row.querySelectorAll<HTMLElement>("button, a, input"))) c.tabIndex = -1;
  confirm.el.querySelector("button")?.setAttribute("aria-keyshortcuts", "P");
  return { el: row, checkbox, cells, confirm, base: -1, pos: -1, y: NaN, epoch: -1, key: null, hidden: false };
}

export interface RowRenderCtx extends CellCtx {
  readOnly: boolean;
  reviewing: string | null;
  /** Row `base` was just added by a live update (briefly highlighted). */
  isFresh?: (base: number) => boolean;
}

/** Re-render a row's content for snapshot row `h.base`. */
export function renderRow(h: RowHandle, store: RowStore, columns: readonly ColumnDef[], ctx: RowRenderCtx): void {
  const base = h.base;
  const key = store.keyOf(base);
  h.key = key;
  const k = key ?? "";
  if (h.el.getAttribute("data-response") !== k) h.el.setAttribute("data-response", k);
  const selected = key !== null && store.selection.has(key);
  if (h.checkbox.checked !== selected) h.checkbox.checked = selected;
  if (h.checkbox.disabled !== (key === null)) h.checkbox.disabled = key === null;
  setAttr(h.checkbox, "aria-label", `Select response ${k}`);
  if (h.el.classList.contains("ogpu-rt-selected") !== selected) h.el.classList.toggle("ogpu-rt-selected", selected);
  const sel = selected ? "true" : "false";
  if (h.el.getAttribute("aria-selected") !== sel) h.el.setAttribute("aria-selected", sel);
  const fresh = ctx.isFresh?.(base) ?? false;
  if (h.el.classList.contains("ogpu-rt-new") !== fresh) {
    h.el.classList.toggle("ogpu-rt-new", fresh);
    if (fresh) h.el.setAttribute("data-new", "true");
    else h.el.removeAttribute("data-new");
  }
  const reviewing = key !== null && ctx.reviewing === key;
  if (h.el.classList.contains("ogpu-rt-reviewing") !== reviewing) h.el.classList.toggle("ogpu-rt-reviewing", reviewing);
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i];
    const cell = h.cells[i];
    if (col && cell) {
      if (cell.bind) cell.bind(store, base, ctx);
      else cell.update(store.get(col.name, base), ctx);
    }
  }
  h.confirm.update(confirmInfo(store, base, ctx.readOnly), ctx.explorer, reviewing);
}

/** Only the selection state (cheap; used on selection changes). */
export function renderSelection(h: RowHandle, store: RowStore): void {
  const selected = h.key !== null && store.selection.has(h.key);
  if (h.checkbox.checked !== selected) h.checkbox.checked = selected;
  if (h.el.classList.contains("ogpu-rt-selected") !== selected) h.el.classList.toggle("ogpu-rt-selected", selected);
  const sel = selected ? "true" : "false";
  if (h.el.getAttribute("aria-selected") !== sel) h.el.setAttribute("aria-selected", sel);
}
