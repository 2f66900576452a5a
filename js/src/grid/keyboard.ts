/**
 * The grid's keys (see grid.ts for the focus model, gridkeys.ts for what they drive and help.ts for the list shown to users):
 * moves between cells, activation, selection, the row shortcuts, column resizing and moving on
 * a header, and Escape. Handled keys are stopped (preventDefault + stopPropagation), and so are
 * unmodified keys on a cell, so that none runs a JupyterLab notebook shortcut.
 */
import { isGone, type GridKeys } from "./gridkeys";
import type { RowHandle } from "./rows";

/** A grid cell (body and filter rows) or a column header. */
export const CELL = '[role="gridcell"], [role="columnheader"]';

export function isEditable(t: Element): boolean {
  if (t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return true;
  if (t instanceof HTMLInputElement) return t.type !== "checkbox" && t.type !== "radio" && t.type !== "button";
  return t instanceof HTMLElement && t.isContentEditable;
}


/** Keys left to JupyterLab even in the widget: Tab (focus moves on) and Shift+Enter (run). */
function passesThrough(e: KeyboardEvent): boolean {
  return e.key === "Tab" || (e.key === "Enter" && e.shiftKey);
}

/** A key pressed anywhere in the widget. */
export function onGridKeydown(grid: GridKeys, e: KeyboardEvent): void {
  if (e.defaultPrevented) return;
  const t = e.target as HTMLElement;
  const stop = (): void => {
    e.preventDefault();
    e.stopPropagation();
  };
  if (e.key === "Escape") {
    const cell = t.closest<HTMLElement>(CELL);
    if (cell !== null && t !== cell && isEditable(t) && grid.head.contains(cell)) {
      stop(); // leave the filter field: back to its cell
      cell.focus({ preventScroll: true });
      return;
    }
    if (grid.hooks.closeTop()) stop();
    return;
  }
  const scroll = grid.body.scroll;
  const inGrid = scroll.contains(t) && !grid.panel().contains(t);
  const mods = e.ctrlKey || e.metaKey || e.altKey;
  if (!inGrid) {
    if (mods || isEditable(t) || !grid.root.contains(t)) return;
    if (e.key === "?") {
      stop();
      grid.hooks.help(t);
    } else if (passesThrough(e)) return;
    // a letter on a toolbar button or in a panel must not run a notebook shortcut either
    else e.stopPropagation();
    return;
  }
  if (isEditable(t)) {
    // a filter field keeps its keys; a select's arrows must not move notebook cells
    if (t instanceof HTMLSelectElement && !mods) e.stopPropagation();
    return;
  }
  const cell = t.closest<HTMLElement>(CELL);
  if (cell === null || !grid.locate(cell)) return;
  if (handleKey(grid, e, cell, t)) stop();
  else if (!mods && !passesThrough(e)) e.stopPropagation();
}

/** One key on a cell; true when handled. */
function handleKey(grid: GridKeys, e: KeyboardEvent, cell: HTMLElement, target: HTMLElement): boolean {
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key;
  const colName = cell.getAttribute("role") === "columnheader" ? (cell.dataset["col"] ?? "") : "";
  if (e.altKey && colName !== "" && (key === "ArrowLeft" || key === "ArrowRight")) {
    const d = key === "ArrowLeft" ? -1 : 1;
    if (e.shiftKey) grid.hooks.moveColumn(colName, d);
    else grid.hooks.resizeColumn(colName, d);
    return true;
  }
  if (e.altKey) return false;
  switch (key) {
    case "ArrowUp":
      grid.move(-1, 0);
      return true;
    case "ArrowDown":
      grid.move(1, 0);
      return true;
    case "ArrowLeft":
      grid.move(0, -1);
      return true;
    case "ArrowRight":
      grid.move(0, 1);
      return true;
    case "Home":
      if (ctrl) grid.move(0, 0, 2, 0);
      else grid.move(0, 0, undefined, 0);
      return true;
    case "End":
      if (ctrl) grid.move(0, 0, 2 + grid.state.ord.length - 1, grid.columnCount - 1);
      else grid.move(0, 0, undefined, grid.columnCount - 1);
      return true;
    case "PageUp":
      grid.move(-grid.pageRows(), 0);
      return true;
    case "PageDown":
      grid.move(grid.pageRows(), 0);
      return true;
  }
  if (ctrl) return false;
  const h = "key" in grid.active ? grid.body.rowFor(cell) : undefined;
  if (key === "Enter" && e.shiftKey && colName !== "") {
    // Shift+Enter on a column header: add it to the sort (like shift-click)
    const sortBtn = cell.querySelector<HTMLButtonElement>("button[data-sort]");
    sortBtn?.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, shiftKey: true }));
    return sortBtn !== null;
  }
  if (key === "Enter" && !e.shiftKey) return activate(grid, cell, target);
  if (key === " ") {
    if (h) return select(grid, h, e.shiftKey);
    return activate(grid, cell, target);
  }
  if (key === "?") {
    grid.hooks.help(cell);
    return true;
  }
  if (!h || h.base < 0 || h.key === null || e.shiftKey) return false;
  switch (key.toLowerCase()) {
    case "x":
      return select(grid, h, false);
    case "p":
      grid.hooks.review(h.base, h.key);
      return true;
    case "r":
    case "d":
      grid.hooks.result(h.base, target);
      return true;
    case "c":
      grid.hooks.compare(h.base, target);
      return true;
  }
  return false;
}

function select(grid: GridKeys, h: RowHandle, range: boolean): boolean {
  if (h.pos < 0) return false;
  grid.hooks.toggleSelect(h.pos, range);
  return true;
}

/** Enter on a cell: its control (a filter field takes the focus; a button or link is clicked). */
function activate(grid: GridKeys, cell: HTMLElement, target: HTMLElement): boolean {
  if (target !== cell && (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement)) {
    return false; // the focused control activates itself
  }
  const field = cell.querySelector<HTMLElement>("input:not([type=checkbox]), select");
  if (field !== null) {
    field.focus();
    return true;
  }
  const controls = cell.querySelectorAll<HTMLElement>("input[type=checkbox], button, a[href]");
  for (const c of Array.from(controls)) {
    if (isGone(c, grid.root)) continue;
    c.click();
    return true;
  }
  return false;
}
