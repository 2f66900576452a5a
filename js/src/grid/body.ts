/**
 * The scrolling table body: the scroll container, a pool of row elements re-bound to snapshot
 * rows as the user scrolls, and the render loop (one animation frame at a time, work limited to
 * the visible rows plus overscan). Also positions the inline review panel. It is the ARIA grid
 * (grid.ts moves the focus in it): the row holding the focus is never recycled, and the DOM
 * order of the rows (and the panel) follows the display order (domorder.ts).
 */
import { el, raf } from "../core/dom";
import { inOrder, moveOutOfOrder } from "./domorder";
import { createRow, renderRow, renderSelection, type RowHandle, type RowRenderCtx } from "./rows";
import { MAX_ROW_ELEMENTS, panelTop, posAt, totalHeight, visibleRange, yOf, type Layout } from "./scroller";
import { PANEL_HEIGHT, ROW_HEIGHT } from "../table/styles";
import { listen, type TableState } from "../table/tablestate";

export interface BodyOptions {
  /** Rows rendered above/below the viewport. */
  overscan: number;
  /** Viewport height used when the scroll container reports no layout (clientHeight 0). */
  viewportHeight: number | undefined;
  /** Called after every rendered frame (cheap: e.g. schedules the results demand). */
  onFrame?: () => void;
  /**
   * A snapshot row to keep bound even when it is scrolled out of the range (the row holding
   * the keyboard focus: its element must not be recycled to another row), or -1.
   */
  keep?: (first: number, end: number) => number;
}

export class TableBody {
  /** The scroll container (header + body). */
  readonly scroll: HTMLElement;
  readonly el: HTMLElement;
  /** "No rows" message shown instead of the table. */
  readonly empty: HTMLElement;
  /** Header height must be (re)measured at the start of the next frame. */
  headDirty = true;

  /** Bumped to re-render every bound row. */
  private epoch = 0;
  /** Snapshot rows whose content changed since the last frame. */
  private readonly dirty = new Set<number>();
  private pool: RowHandle[] = [];
  /** Snapshot index → the row element showing it. */
  private readonly bound = new Map<number, RowHandle>();
  private readonly byEl = new WeakMap<Element, RowHandle>();
  private cancelFrame: (() => void) | null = null;
  private headH = 0;
  /** scrollTop seen by the previous frame (fast-scroll detection). */
  private lastScrollTop = NaN;
  private lastFrameError = "";
  private panelEl: HTMLElement | null = null;
  /** The review panel position the DOM was last ordered for. */
  private orderedPanelAt = -1;
  /** Display positions [first, end) rendered by the last frame. */
  rendered: [number, number] = [0, 0];

  constructor(
    private readonly state: TableState,
    private readonly head: HTMLElement,
    private readonly options: BodyOptions,
  ) {
    const doc = state.doc;
    this.scroll = el(doc, "div", "ogpu-rt-scroll");
    this.scroll.setAttribute("role", "grid");
    this.scroll.setAttribute("aria-label", "Task responses");
    this.scroll.setAttribute("aria-multiselectable", "true");
    // the grid itself is a tab stop only while no cell is (grid.ts moves the one tab stop)
    this.scroll.tabIndex = -1;
    this.el = el(doc, "div", "ogpu-rt-body");
    this.el.setAttribute("role", "rowgroup");
    this.empty = el(doc, "div", "ogpu-rt-empty");
    this.scroll.append(head, this.el);
    listen(state, this.scroll, "scroll", () => this.onScroll(), { passive: true });
  }

  /** The table is scrolled sideways (the pinned columns are sticky only then). */
  private hscrolled = false;

  private onScroll(): void {
    // scroll offsets are known without a layout: reading scrollLeft here is free
    const h = this.scroll.scrollLeft > 0;
    if (h !== this.hscrolled) {
      this.hscrolled = h;
      this.scroll.classList.toggle("ogpu-rt-hscrolled", h);
    }
    this.schedule();
  }

  /** The inline review panel lives in the body, positioned under the reviewed row. */
  attachPanel(panel: HTMLElement): void {
    this.panelEl = panel;
    this.el.append(panel);
  }

  /** Measured header height (px). */
  get headerHeight(): number {
    return this.headH;
  }

  layout(): Layout {
    return { count: this.state.ord.length, rowH: ROW_HEIGHT, panelPos: this.state.reviewPos, panelH: PANEL_HEIGHT };
  }

  viewportHeight(): number {
    const h = this.scroll.clientHeight;
    if (h > 0) return h;
    return this.options.viewportHeight ?? 480;
  }

  /** The row element showing the event target, if any. */
  rowFor(target: Element): RowHandle | undefined {
    const rowEl = target.closest(".ogpu-rt-row");
    return rowEl ? this.byEl.get(rowEl) : undefined;
  }

  /** The row element bound to snapshot row `base`, if displayed. */
  boundRow(base: number): RowHandle | undefined {
    return this.bound.get(base);
  }

  /** Row elements currently bound (any order). */
  boundRows(): IterableIterator<RowHandle> {
    return this.bound.values();
  }

  markDirty(base: number): void {
    this.dirty.add(base);
  }

  markKeyDirty(key: string | null): void {
    if (key === null) return;
    const b = this.state.store.indexOf(key);
    if (b >= 0) this.dirty.add(b);
  }

  /** Re-render every displayed row on the next frame. */
  rerenderAll(): void {
    this.epoch++;
    this.schedule();
  }

  /** Re-render every row the next time it is displayed (no frame scheduled). */
  invalidate(): void {
    this.epoch++;
  }

  /** A new snapshot: every row element is free again. */
  unbindAll(): void {
    this.bound.clear();
    for (const h of this.pool) h.base = -1;
    this.epoch++;
  }

  /** The columns changed: drop every row element (they are created for a column list). */
  dropRows(): void {
    for (const h of this.pool) h.el.remove();
    this.pool = [];
    this.bound.clear();
  }

  /** Selection changed: update the checkboxes of the displayed rows. */
  renderSelection(): void {
    for (const h of this.bound.values()) renderSelection(h, this.state.store);
  }

  /**
   * The row at the top of the viewport and how far it is scrolled past, so that the same row
   * can be kept in place after rows were added (null at the very top: new rows there show).
   */
  anchor(): { base: number; offset: number } | null {
    const y = this.scroll.scrollTop - this.headH;
    if (this.scroll.scrollTop <= 0 || y <= 0) return null;
    const l = this.layout();
    const pos = posAt(l, y);
    const base = this.state.ord.at(pos);
    return base < 0 ? null : { base, offset: y - yOf(l, pos) };
  }

  /** Scroll so that the anchored row is where it was (after the order changed). */
  restore(anchor: { base: number; offset: number } | null): void {
    if (anchor === null) return;
    const pos = this.state.ord.positionOf(anchor.base);
    if (pos < 0) return;
    const l = this.layout();
    const el = this.el;
    const want = yOf(l, pos) + anchor.offset + this.headH;
    const height = `${totalHeight(l)}px`;
    if (el.style.height !== height) el.style.height = height; // room to scroll to before the frame
    if (Math.abs(this.scroll.scrollTop - want) >= 1) this.scroll.scrollTop = want;
  }

  /** Row count for assistive technology, and the empty-table message. */
  updateCounts(): void {
    const n = this.state.ord.length;
    const m = this.state.store.length;
    this.scroll.setAttribute("aria-rowcount", String(n + 2));
    if (m === 0) {
      this.empty.textContent = "No rows.";
      this.empty.style.display = "";
    } else if (n === 0) {
      this.empty.textContent = "No rows match the current filters.";
      this.empty.style.display = "";
    } else {
      this.empty.style.display = "none";
    }
  }

  /** Render on the next animation frame (once, however often it is asked). */
  schedule(): void {
    if (this.cancelFrame !== null) return;
    this.cancelFrame = raf(this.state.win, () => {
      this.cancelFrame = null;
      try {
        this.frame();
      } catch (e) {
        const msg = `Rendering failed: ${e instanceof Error ? e.message : String(e)}`;
        if (msg !== this.lastFrameError) {
          this.lastFrameError = msg;
          this.state.store.notify("error", msg);
        }
      }
    });
  }

  cancel(): void {
    const c = this.cancelFrame;
    this.cancelFrame = null;
    if (c !== null) c();
  }

  /**
   * Keep the DOM order of the bound rows (and the review panel under its row) the same as the
   * display order, so that reading and tab order follow the screen. Moves only the elements
   * out of place (those outside the longest run already in order): scrolling by k rows moves
   * k elements; an unchanged frame moves none.
   */
  private orderDom(): void {
    const parent = this.el;
    const rows = Array.from(this.bound.values()).sort((a, b) => a.pos - b.pos);
    const want: HTMLElement[] = [];
    const panel = this.panelEl;
    const panelPos = panel !== null && panel.parentElement === parent ? this.state.reviewPos : -1;
    let panelDone = panelPos < 0;
    for (const h of rows) {
      if (!panelDone && h.pos > panelPos) {
        want.push(panel as HTMLElement);
        panelDone = true;
      }
      want.push(h.el);
      if (!panelDone && h.pos === panelPos) {
        want.push(panel as HTMLElement);
        panelDone = true;
      }
    }
    if (!panelDone && panel !== null) want.push(panel);
    if (!inOrder(parent, want)) moveOutOfOrder(parent, want, this.state.doc);
  }

  /** A frame is running (focus events it causes, e.g. moving a row element, are not the user's). */
  inFrame = false;

  /** Render now; `initial` skips measuring (no forced layout before the first paint). */
  frame(initial = false): void {
    this.inFrame = true;
    try {
      this.frameNow(initial);
    } finally {
      this.inFrame = false;
    }
    this.options.onFrame?.();
  }

  private frameNow(initial: boolean): void {
    const { state, scroll } = this;
    const { store, columns, ord } = state;
    const overscan = this.options.overscan;
    // reads first (layout is clean at the start of an animation frame)
    if (this.headDirty && !initial && scroll.isConnected) {
      this.headH = this.head.offsetHeight || 0;
      this.headDirty = false;
    }
    const st = scroll.scrollTop;
    const vh = this.viewportHeight();
    const l = this.layout();
    // Scrolling fast (a step per frame beyond the overscan): overscan rows would be replaced
    // again next frame before ever being seen, so render just the viewport (+1 row) and come
    // back for the full overscan once the scrolling settles.
    const jump = Math.abs(st - this.lastScrollTop);
    this.lastScrollTop = st;
    const fast = !initial && jump > overscan * ROW_HEIGHT;
    const [first, end] = visibleRange(l, st - this.headH, vh, fast ? Math.min(1, overscan) : overscan, MAX_ROW_ELEMENTS);
    // writes
    const height = `${totalHeight(l)}px`;
    if (this.el.style.height !== height) this.el.style.height = height;
    const want = new Map<number, number>();
    for (let p = first; p < end; p++) want.set(ord.at(p), p);
    const keep = this.options.keep?.(first, end) ?? -1;
    if (keep >= 0 && !want.has(keep)) {
      const kp = ord.positionOf(keep);
      if (kp >= 0) want.set(keep, kp);
    }
    // Rows still displayed are reused before a hidden one is shown (no display toggles while
    // the row count is stable), and in their display order: re-bound rows then keep their
    // order in the DOM, so a fast scroll that re-binds every row moves none (domorder.ts).
    const freed: RowHandle[] = [];
    const spare: RowHandle[] = [];
    for (const h of this.pool) if (h.base === -1) (h.hidden ? spare : freed).push(h);
    for (const [base, h] of this.bound) {
      if (!want.has(base)) {
        this.bound.delete(base);
        freed.push(h);
      }
    }
    freed.sort((a, b) => a.pos - b.pos);
    let nextFreed = 0;
    let nextSpare = spare.length;
    const take = (): RowHandle | undefined =>
      nextFreed < freed.length ? freed[nextFreed++] : nextSpare > 0 ? spare[--nextSpare] : undefined;
    let moved = false;
    const nowMs = Date.now();
    const ctx: RowRenderCtx = {
      explorer: state.explorer,
      nowMs,
      readOnly: state.readOnly,
      reviewing: state.review?.address ?? null,
      isFresh: (b: number) => store.isFresh(b, nowMs),
    };
    for (const [base, pos] of want) {
      let h = this.bound.get(base);
      if (!h) {
        h = take();
        if (!h) {
          h = createRow(state.doc, columns);
          this.pool.push(h);
          this.byEl.set(h.el, h);
          this.el.append(h.el);
        }
        h.base = base;
        h.epoch = -1;
        this.bound.set(base, h);
        moved = true;
      }
      if (h.hidden) {
        h.el.style.display = "";
        h.hidden = false;
      }
      if (h.pos !== pos) {
        moved = true;
        h.pos = pos;
        h.el.setAttribute("aria-rowindex", String(pos + 3));
      }
      const y = yOf(l, pos);
      if (h.y !== y) {
        h.y = y;
        h.el.style.transform = `translateY(${y}px)`;
      }
      if (h.epoch !== this.epoch || this.dirty.has(base)) {
        renderRow(h, store, columns, ctx);
        h.epoch = this.epoch;
      }
    }
    for (const h of [...freed.slice(nextFreed), ...spare.slice(0, nextSpare)]) {
      h.base = -1;
      h.pos = -1;
      h.key = null;
      if (!h.hidden) {
        h.el.style.display = "none";
        h.el.removeAttribute("data-response");
        h.hidden = true;
      }
    }
    this.dirty.clear();
    this.rendered = [first, end];
    const panelAt = this.panelEl?.parentElement === this.el ? state.reviewPos : -1;
    if (moved || panelAt !== this.orderedPanelAt) {
      this.orderedPanelAt = panelAt;
      this.orderDom();
    }
    if (fast) this.schedule(); // settle: full overscan once the scrolling stops
    // review panel
    const panel = this.panelEl;
    if (panel !== null && panel.parentElement === this.el) {
      if (state.review !== null && state.reviewPos >= 0) {
        panel.style.display = "";
        panel.style.transform = `translateY(${panelTop(l)}px)`;
      } else {
        panel.style.display = "none";
      }
    }
  }
}

