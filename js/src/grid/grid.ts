/**
 * The keyboard grid over the table (WAI-ARIA grid pattern): one roving tab stop (the active
 * cell: tabindex 0, every other cell and control -1), arrow keys, Home/End, PageUp/PageDown and
 * Ctrl+Home/End between cells, Enter/Space to activate a cell's control, Escape to close the
 * top panel, and the row shortcuts (keyboard.ts). The active row is kept by response address,
 * never by screen position: it survives sorting, live appends, patches and re-renders, its row
 * element is never recycled while it holds the focus, and the focus is put back on it when the
 * element that held the focus disappears (a confirmation that completes, a panel that closes).
 *
 * Keys the grid handles are stopped (preventDefault + stopPropagation): JupyterLab 4 listens
 * for shortcuts on `document` in the bubble phase and ignores default-prevented events, so
 * they never reach the notebook. Unmodified keys pressed on a cell are stopped too, so a
 * letter never runs a notebook command-mode shortcut.
 */
import type { TableBody } from "./body";
import { posAt, yOf } from "./scroller";
import { CHECK_WIDTH, CONFIRM_WIDTH } from "../columns/layout";
import { ROW_HEIGHT } from "../table/styles";
import { listen, type TableState } from "../table/tablestate";
import { FocusTip } from "./focustip";
import { CELL, onGridKeydown } from "./keyboard";
import { isGone, type ActiveRow, type GridHooks, type GridKeys } from "./gridkeys";

export class Grid implements GridKeys {
  /** The active cell's row (a header row or a body row by key). */
  active: ActiveRow = { key: null };
  private col = 1;
  private tabStop: HTMLElement | null = null;
  /** The focus is on a cell (or a control in one) of the grid. */
  private focusWithin = false;
  /** The focus was in the widget and should be put back if its element disappears. */
  private wantFocus = false;
  private lastFocus: HTMLElement | null = null;
  private readonly tip: FocusTip;
  /** focusActive is running (its frame must not rescue again). */
  private focusing = false;

  constructor(
    readonly state: TableState,
    readonly root: HTMLElement,
    readonly head: HTMLElement,
    readonly body: TableBody,
    readonly hooks: GridHooks,
    /** The element (in the grid) that is not a row: the inline review panel. */
    readonly panel: () => HTMLElement,
  ) {
    this.tip = new FocusTip(state.doc, root);
    listen(state, root, "keydown", (e) => onGridKeydown(this, e as KeyboardEvent));
    listen(state, root, "focusin", (e) => this.onFocusIn(e as FocusEvent));
    listen(state, root, "focusout", (e) => this.onFocusOut(e as FocusEvent));
    listen(state, body.scroll, "mousedown", (e) => this.onMouseDown(e as MouseEvent));
    listen(state, body.scroll, "scroll", () => this.tip.hide(), { passive: true });
  }

  // ---- the active cell --------------------------------------------------------------------

  /** Number of columns (checkbox, Confirm, data columns). */
  get columnCount(): number {
    return this.state.columns.length + 2;
  }

  /** Response address of the active body row (null: a header row, or none yet). */
  get activeKey(): string | null {
    return "key" in this.active ? this.active.key : null;
  }

  get activeColumn(): number {
    return this.col;
  }

  /** Name of the active data column ("" for the checkbox and Confirm columns). */
  activeColumnName(): string {
    return this.state.columns[this.col - 2]?.name ?? "";
  }

  /** Make the data column `name` the active column (after it moved). */
  setActiveColumn(name: string): void {
    const i = this.state.columns.findIndex((c) => c.name === name);
    if (i >= 0) this.col = i + 2;
  }

  /** Snapshot index of the active body row (-1: none, or a header row). */
  private activeBase(): number {
    if (!("key" in this.active) || this.active.key === null) return -1;
    const { key, base } = this.active;
    const store = this.state.store;
    if (base !== undefined && base >= 0 && store.keyOf(base) === key) return base;
    const b = store.indexOf(key);
    this.active = { key, base: b };
    return b;
  }

  /** Linear row index: 0 titles, 1 filters, 2 + display position for body rows; -1 unknown. */
  private rowIndex(): number {
    if ("head" in this.active) return this.active.head;
    const b = this.activeBase();
    const p = b >= 0 ? this.state.ord.positionOf(b) : -1;
    return p >= 0 ? p + 2 : -1;
  }

  private rowEl(): HTMLElement | null {
    if ("head" in this.active) return (this.head.children[this.active.head] as HTMLElement | undefined) ?? null;
    const b = this.activeBase();
    return b < 0 ? null : (this.body.boundRow(b)?.el ?? null);
  }

  /** The active cell's element, if it is rendered. */
  cellEl(): HTMLElement | null {
    const row = this.rowEl();
    if (row === null) return null;
    const cells = row.querySelectorAll<HTMLElement>(CELL);
    const c = Math.max(0, Math.min(cells.length - 1, this.col));
    return cells[c] ?? null;
  }

  /**
   * Called by the body for each frame: the snapshot row to keep bound (the focused row), and
   * while the grid is not focused, the active row follows the viewport (Tab then enters the
   * grid on a row in view, without jumping back to a row scrolled far away).
   */
  keep(): number {
    const { store, ord } = this.state;
    if ("head" in this.active) return -1;
    const b = this.activeBase();
    const p = b >= 0 ? ord.positionOf(b) : -1;
    if (this.focusWithin && p >= 0) return b;
    if (ord.length === 0) {
      this.active = { key: null };
      return -1;
    }
    const [lo, hi] = this.visiblePositions();
    if (p < lo || p > hi) {
      const first = ord.at(lo);
      this.active = { key: store.keyOf(first), base: first };
    }
    return -1;
  }

  /** First and last display positions in view (under the sticky header). */
  private visiblePositions(): [number, number] {
    const body = this.body;
    const l = body.layout();
    const top = body.scroll.scrollTop;
    const vh = body.viewportHeight() - body.headerHeight;
    const lo = posAt(l, top + ROW_HEIGHT / 2);
    const hi = Math.max(lo, posAt(l, top + Math.max(0, vh) - ROW_HEIGHT / 2));
    return [lo, hi];
  }

  /** After each frame: move the tab stop to the active cell, and put the focus back if lost. */
  sync(): void {
    const cell = this.cellEl();
    if (cell !== null) {
      this.setTabStop(cell);
      this.follow(cell);
    }
    else {
      // the active row is not rendered: the grid itself is the one tab stop
      if (this.tabStop !== null) this.tabStop.removeAttribute("tabindex");
      this.tabStop = null;
      if (this.body.scroll.tabIndex !== 0) this.body.scroll.tabIndex = 0;
    }
    this.rescue();
  }

  /**
   * The focused row element was re-bound to another row (a new snapshot re-binds every
   * element): the focus follows its row (by address) to the element that shows it now.
   */
  private follow(cell: HTMLElement): void {
    if (!this.focusWithin || this.focusing || !("key" in this.active)) return;
    const a = this.state.doc.activeElement;
    if (!(a instanceof HTMLElement) || a === cell || !this.body.el.contains(a) || this.panel().contains(a)) return;
    const h = this.body.rowFor(a);
    if (h !== undefined && h.key === this.active.key) return;
    this.focusing = true;
    try {
      cell.focus({ preventScroll: true });
    } finally {
      this.focusing = false;
    }
  }

  private setTabStop(cell: HTMLElement): void {
    if (this.tabStop === cell && cell.tabIndex === 0) return;
    if (this.tabStop !== null && this.tabStop !== cell) {
      this.tabStop.removeAttribute("tabindex");
      this.tabStop.removeAttribute("data-lm-suppress-shortcuts");
    }
    this.tabStop = cell;
    cell.tabIndex = 0;
    // JupyterLab stops looking for a shortcut's selector at an element with this attribute,
    // but tests the event target itself first: it must be on the focused element
    cell.setAttribute("data-lm-suppress-shortcuts", "true");
    if (this.body.scroll.tabIndex !== -1) this.body.scroll.tabIndex = -1;
  }

  /** Put the focus on the active cell (rendering its row first). */
  focusActive(): void {
    if (this.focusing) return;
    this.focusing = true;
    try {
      this.focusActiveNow();
    } finally {
      this.focusing = false;
    }
  }

  private focusActiveNow(): void {
    this.focusWithin = true;
    const idx = this.rowIndex();
    if (idx >= 2) this.scrollRowIntoView(idx - 2);
    this.body.cancel();
    this.body.frame();
    const cell = this.cellEl();
    if (cell === null) {
      this.body.scroll.focus({ preventScroll: true });
      return;
    }
    this.setTabStop(cell);
    this.scrollCellIntoView(cell);
    if (this.state.doc.activeElement !== cell) cell.focus({ preventScroll: true });
    this.tip.show(cell);
  }

  /** The layout changed (rows rebuilt): keep the focus in the grid if it was there. */
  rebuilt(): void {
    this.tabStop = null;
    this.col = Math.min(this.col, this.columnCount - 1);
    const a = this.state.doc.activeElement;
    const lost = a === null || a === this.state.doc.body || !a.isConnected;
    if (this.focusWithin || (this.wantFocus && lost)) this.focusActive();
    else this.sync();
  }

  private scrollRowIntoView(pos: number): void {
    const body = this.body;
    const scroll = body.scroll;
    const y = yOf(body.layout(), pos);
    const vh = body.viewportHeight() - body.headerHeight;
    if (y < scroll.scrollTop) scroll.scrollTop = y;
    else if (y + ROW_HEIGHT > scroll.scrollTop + vh) scroll.scrollTop = Math.max(0, y + ROW_HEIGHT - vh);
  }

  private scrollCellIntoView(cell: HTMLElement): void {
    if (this.col < 2) return; // pinned
    const scroll = this.body.scroll;
    const pinned = CHECK_WIDTH + CONFIRM_WIDTH;
    const left = cell.offsetLeft;
    const right = left + cell.offsetWidth;
    if (left - pinned < scroll.scrollLeft) scroll.scrollLeft = Math.max(0, left - pinned);
    else if (right > scroll.scrollLeft + scroll.clientWidth) scroll.scrollLeft = right - scroll.clientWidth;
  }

  /** Move by rows and columns (clamped); `toRow`/`toCol` move to an absolute index. */
  move(dRow: number, dCol: number, toRow?: number, toCol?: number): void {
    const rows = 2 + this.state.ord.length;
    let r = this.rowIndex();
    if (r < 0) r = 2;
    r = toRow ?? r + dRow;
    r = Math.max(0, Math.min(rows - 1, r));
    this.col = Math.max(0, Math.min(this.columnCount - 1, toCol ?? this.col + dCol));
    if (r < 2) this.active = { head: r as 0 | 1 };
    else {
      const { store, ord } = this.state;
      const base = ord.at(r - 2);
      this.active = { key: store.keyOf(base), base };
    }
    this.focusActive();
  }

  pageRows(): number {
    return Math.max(1, Math.floor((this.body.viewportHeight() - this.body.headerHeight) / ROW_HEIGHT) - 1);
  }

  /** The cell at a target element: its row (active row) and column index. */
  locate(cell: HTMLElement): boolean {
    const row = cell.closest('[role="row"]');
    if (row === null || !this.body.scroll.contains(row)) return false;
    const cells = Array.from(row.querySelectorAll<HTMLElement>(CELL));
    const c = cells.indexOf(cell);
    if (c < 0) return false;
    if (this.head.contains(row)) {
      const i = Array.from(this.head.children).indexOf(row);
      if (i !== 0 && i !== 1) return false;
      this.active = { head: i };
    } else {
      const h = this.body.rowFor(cell);
      if (!h || h.base < 0) return false;
      this.active = { key: h.key, base: h.base };
    }
    this.col = c;
    return true;
  }

  // ---- focus ----------------------------------------------------------------------------

  private onFocusIn(e: FocusEvent): void {
    const t = e.target as HTMLElement;
    this.wantFocus = true;
    this.lastFocus = t;
    if (this.focusing || this.body.inFrame) return; // our own move, or a row element moved
    const scroll = this.body.scroll;
    if (t === scroll) {
      // Tab onto the grid (no cell rendered) or a panel gave the focus back to it
      this.focusActive();
      return;
    }
    if (!scroll.contains(t) || this.panel().contains(t)) {
      this.focusWithin = false;
      return;
    }
    const cell = t.closest<HTMLElement>(CELL);
    if (cell !== null && this.locate(cell)) {
      this.focusWithin = true;
      this.setTabStop(cell);
      if (t === cell) this.tip.show(cell);
    }
  }

  private onFocusOut(e: FocusEvent): void {
    this.tip.hide();
    if (this.focusing || this.body.inFrame) return;
    const to = e.relatedTarget;
    if (to instanceof Node && this.root.contains(to)) return;
    this.focusWithin = false;
    if (to instanceof Node) {
      this.wantFocus = false; // the user went elsewhere
      return;
    }
    // no new target: the focused element may have disappeared (hidden, disabled, removed);
    // the body's next frame checks (rescue)
    this.body.schedule();
  }

  /** The focus was in the widget and its element is gone: put it on the active cell. */
  rescue(): void {
    if (!this.wantFocus || this.focusing) return;
    const doc = this.state.doc;
    const a = doc.activeElement;
    const lost = a === null || a === doc.body || a === doc.documentElement;
    if (lost || (a === this.lastFocus && isGone(a, this.root))) {
      if (lost && !isGone(this.lastFocus, this.root)) {
        this.wantFocus = false; // focus left on purpose (a click outside)
        return;
      }
      this.focusActive();
    } else if (!this.root.contains(a)) this.wantFocus = false;
  }

  private onMouseDown(e: MouseEvent): void {
    const t = e.target as HTMLElement | null;
    if (t === null || this.panel().contains(t)) return;
    const cell = t.closest<HTMLElement>(CELL);
    if (cell === null || !this.locate(cell)) return;
    this.setTabStop(cell);
    // a click on a cell's text focuses the cell (controls take the focus themselves)
    if (t.closest("button, a, input, select, label, .ogpu-rt-resize") === null) {
      this.focusWithin = true;
      cell.focus({ preventScroll: true });
    }
  }
}
