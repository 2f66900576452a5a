/**
 * The ResponseTable view: toolbar, sticky header with sort + filters, a virtualized body with
 * pooled rows, the inline review panel and the full-value popover. Plain DOM, event delegation,
 * and all per-frame work limited to the visible rows.
 */
import { makeLink, resolveColumns, type ColumnDef } from "./columns";
import { button, el, raf } from "./dom";
import { explorerBase, groupDigits, isTruthy, safeDataHref, shortHex, toText } from "./format";
import { ReviewPanel, confirmInfo, type ReviewState } from "./review";
import { createRow, renderRow, renderSelection, type RowHandle } from "./rows";
import { MAX_ROW_ELEMENTS, panelTop, totalHeight, visibleRange, yOf, type Layout } from "./scroller";
import { SelectionController, headerState, makeOrder, type Order } from "./selection";
import {
  computeOrder,
  distinctValues,
  emptySpec,
  isIdentitySpec,
  nextSort,
  type ColumnFilter,
  type ViewSpec,
} from "./sortfilter";
import { RowStore, type RowsChange } from "./store";
import { PANEL_HEIGHT, ROW_HEIGHT, injectStyles } from "./styles";
import { isRecord, type AnyModel, type BannerValue } from "./types";

export interface TableOptions {
  /** Viewport height used when the scroll container reports no layout (clientHeight 0). */
  viewportHeight?: number;
  /** Rows rendered above/below the viewport. */
  overscan?: number;
  /** `_view` debounce in ms. */
  debounceMs?: number;
  /** Use this store instead of looking one up / creating one. */
  store?: RowStore;
}

export interface TableHandle {
  readonly root: HTMLElement;
  readonly store: RowStore;
  /** Run a pending animation frame now (tests, or after programmatic changes). */
  flush(): void;
  /** Send a pending debounced `_view` now. */
  flushView(): void;
  /** Current view spec (read-only snapshot). */
  spec(): ViewSpec;
  /** Current display order (snapshot indices). */
  order(): Order;
  destroy(): void;
}

const CONFIRM_WIDTH = 240;
const CHECK_WIDTH = 36;

function equalU32(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Little-endian uint32 bytes as a DataView. */
export function positionsView(positions: Uint32Array): DataView {
  if (LITTLE_ENDIAN) {
    const copy = positions.slice();
    return new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  }
  const dv = new DataView(new ArrayBuffer(positions.length * 4));
  for (let i = 0; i < positions.length; i++) dv.setUint32(i * 4, positions[i] ?? 0, true);
  return dv;
}

function cloneSpec(s: ViewSpec): ViewSpec {
  return { sort: s.sort.map((k) => ({ ...k })), filters: { ...s.filters }, search: s.search };
}

function isSpec(v: unknown): v is ViewSpec {
  return isRecord(v) && Array.isArray(v["sort"]) && isRecord(v["filters"]) && typeof v["search"] === "string";
}

export function createTable(model: AnyModel, host: HTMLElement, options: TableOptions = {}): TableHandle {
  const doc = host.ownerDocument;
  const win: Window = doc.defaultView ?? window;
  injectStyles(doc);

  const ownStore = options.store === undefined;
  const store = options.store ?? new RowStore(model, { shared: false });
  if (ownStore) store.resync();
  const overscan = options.overscan ?? 8;
  const debounceMs = options.debounceMs ?? 150;
  const cleanups: (() => void)[] = [];
  const selection = new SelectionController(store);

  // ---- state ----------------------------------------------------------------------------
  let columns: ColumnDef[] = [];
  let spec: ViewSpec = isSpec(store.uiState) ? cloneSpec(store.uiState) : emptySpec();
  let order: Uint32Array | null = null;
  let ord: Order = makeOrder(null, store.length);
  let epoch = 0;
  const dirty = new Set<number>();
  let pool: RowHandle[] = [];
  const bound = new Map<number, RowHandle>();
  const byEl = new WeakMap<Element, RowHandle>();
  let review: ReviewState | null = null;
  let reviewPos = -1;
  let explorer: string | null = explorerBase(model.get("explorer_url"));
  let readOnly = isTruthy((model.get("read_only") as boolean | null) ?? false);
  let cancelFrame: (() => void) | null = null;
  let viewTimer: ReturnType<typeof setTimeout> | null = null;
  let headH = 0;
  /** scrollTop seen by the previous frame (fast-scroll detection). */
  let lastScrollTop = NaN;
  /** Header height must be (re)measured at the start of the next frame. */
  let headDirty = true;
  let lastFrameError = "";
  let dismissedBanner = "";
  let detail: { base: number; col: string; trigger: HTMLElement | null } | null = null;

  // ---- skeleton -------------------------------------------------------------------------
  const root = el(doc, "div", "ogpu-rt");
  // JupyterLab ≥ 4.1: keys pressed inside the widget (Enter/Space on buttons, letters on a
  // focused checkbox) must not trigger notebook command-mode shortcuts.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const banners = el(doc, "div", "ogpu-rt-banners");
  const toolbar = el(doc, "div", "ogpu-rt-toolbar");
  const search = el(doc, "input");
  search.type = "search";
  search.placeholder = "Search…";
  search.setAttribute("aria-label", "Search all columns");
  search.value = spec.search;
  const count = el(doc, "span", "ogpu-rt-count");
  count.setAttribute("aria-live", "polite");
  count.setAttribute("role", "status");
  const selInfo = el(doc, "span", "ogpu-rt-count");
  const clearSel = button(doc, "ogpu-rt-btn", "Clear selection");
  const resetView = button(doc, "ogpu-rt-btn", "Reset view");
  resetView.title = "Clear sorting, filters and search";
  const account = el(doc, "span", "ogpu-rt-account");
  toolbar.append(search, count, selInfo, clearSel, resetView, account);

  const scroll = el(doc, "div", "ogpu-rt-scroll");
  scroll.setAttribute("role", "table");
  scroll.setAttribute("aria-label", "Task responses");
  scroll.tabIndex = 0; // keyboard scrolling (arrows / Page Down) of the scroll region
  const head = el(doc, "div", "ogpu-rt-head");
  head.setAttribute("role", "rowgroup");
  const body = el(doc, "div", "ogpu-rt-body");
  body.setAttribute("role", "rowgroup");
  const empty = el(doc, "div", "ogpu-rt-empty");
  const panel = new ReviewPanel(doc, { onConfirm: () => confirmPayment(), onCancel: () => closeReview(true) });
  panel.el.style.display = "none";
  body.append(panel.el);
  scroll.append(head, body);

  const detailEl = el(doc, "div", "ogpu-rt-detail");
  detailEl.setAttribute("role", "dialog");
  detailEl.style.display = "none";
  const detailHead = el(doc, "div", "ogpu-rt-detail-head");
  const detailTitle = el(doc, "span");
  const detailLink = makeLink(doc);
  detailLink.textContent = "Open link";
  const detailClose = button(doc, "ogpu-rt-btn", "Close", "Close full value");
  detailHead.append(detailTitle, detailLink, detailClose);
  const detailPre = el(doc, "pre");
  detailEl.append(detailHead, detailPre);

  root.append(banners, toolbar, scroll, empty, detailEl);
  host.append(root);

  // ---- header -----------------------------------------------------------------------------
  let headerCheck: HTMLInputElement = el(doc, "input");
  const sortButtons = new Map<string, { th: HTMLElement; ind: HTMLElement }>();
  const categorySelects = new Map<string, HTMLSelectElement>();

  function gridTemplate(): { cols: string; min: number } {
    // The Confirm column comes right after the checkbox so it is always in view, however
    // many data columns follow.
    const parts = [`${CHECK_WIDTH}px`, `${CONFIRM_WIDTH}px`];
    let min = CHECK_WIDTH + CONFIRM_WIDTH;
    for (const c of columns) {
      parts.push(c.flex ? `minmax(${c.width}px, 1fr)` : `${c.width}px`);
      min += c.width;
    }
    return { cols: parts.join(" "), min };
  }

  function buildHeader(): void {
    head.replaceChildren();
    sortButtons.clear();
    categorySelects.clear();
    const { cols, min } = gridTemplate();
    root.style.setProperty("--ogpu-rt-cols", cols);
    root.style.setProperty("--ogpu-rt-min-width", `${min}px`);

    const hrow = el(doc, "div", "ogpu-rt-hrow");
    hrow.setAttribute("role", "row");
    hrow.setAttribute("aria-rowindex", "1");
    const checkTh = el(doc, "div", "ogpu-rt-th ogpu-rt-checkcell");
    checkTh.setAttribute("role", "columnheader");
    headerCheck = el(doc, "input", "ogpu-rt-check-all");
    headerCheck.type = "checkbox";
    headerCheck.setAttribute("aria-label", "Select all shown rows");
    headerCheck.addEventListener("click", () => {
      selection.toggleAll(ord);
      updateSelectionUi();
    });
    checkTh.append(headerCheck);
    hrow.append(checkTh);

    const frow = el(doc, "div", "ogpu-rt-frow");
    frow.setAttribute("role", "row");
    frow.setAttribute("aria-rowindex", "2");
    const fcell0 = el(doc, "div");
    fcell0.setAttribute("role", "cell");
    frow.append(fcell0);
    const confirmTh = el(doc, "div", "ogpu-rt-th ogpu-rt-th-confirm", "Confirm");
    confirmTh.setAttribute("role", "columnheader");
    hrow.append(confirmTh);
    const fcellN = el(doc, "div", "ogpu-rt-fconfirm");
    fcellN.setAttribute("role", "cell");
    frow.append(fcellN);

    for (const col of columns) {
      const th = el(doc, "div", "ogpu-rt-th");
      th.setAttribute("role", "columnheader");
      th.dataset["col"] = col.name;
      const b = button(doc, "ogpu-rt-sort", "");
      b.dataset["sort"] = col.name;
      b.title = "Sort (shift-click to sort by several columns)";
      const label = el(doc, "span", "ogpu-rt-label", col.label);
      const ind = el(doc, "span", "ogpu-rt-ind");
      ind.setAttribute("aria-hidden", "true");
      b.append(label, ind);
      b.addEventListener("click", (e) => {
        spec.sort = nextSort(spec.sort, col.name, e.shiftKey);
        updateSortIndicators();
        refreshView(true);
      });
      th.append(b);
      hrow.append(th);
      sortButtons.set(col.name, { th, ind });
      frow.append(buildFilter(col));
    }
    head.append(hrow, frow);
    panel.setColumnCount(columns.length + 2);
    updateSortIndicators();
  }

  function setFilter(name: string, f: ColumnFilter | null): void {
    const filters = { ...spec.filters };
    if (f === null) delete filters[name];
    else filters[name] = f;
    spec.filters = filters;
    refreshView(true);
  }

  function buildFilter(col: ColumnDef): HTMLElement {
    const cell = el(doc, "div");
    cell.setAttribute("role", "cell");
    const current = spec.filters[col.name];
    const label = `Filter ${col.label}`;
    switch (col.filter) {
      case "text": {
        const input = el(doc, "input");
        input.type = "search";
        input.placeholder = col.kind === "datetime" ? "e.g. 2026-11" : "contains…";
        input.setAttribute("aria-label", label);
        input.dataset["filter"] = col.name;
        if (current?.type === "text") input.value = current.value;
        input.addEventListener("input", () => {
          setFilter(col.name, input.value.trim() === "" ? null : { type: "text", value: input.value });
        });
        cell.append(input);
        break;
      }
      case "category": {
        const select = el(doc, "select");
        select.setAttribute("aria-label", label);
        select.dataset["filter"] = col.name;
        categorySelects.set(col.name, select);
        fillCategory(col.name, select, current?.type === "category" ? current.value : null);
        select.addEventListener("change", () => {
          const i = select.selectedIndex;
          setFilter(col.name, i <= 0 ? null : { type: "category", value: select.value });
        });
        cell.append(select);
        break;
      }
      case "range": {
        const lo = el(doc, "input");
        const hi = el(doc, "input");
        for (const [input, which] of [
          [lo, "min"],
          [hi, "max"],
        ] as const) {
          input.type = "number";
          input.step = "any";
          input.placeholder = which;
          input.setAttribute("aria-label", `${col.label} ${which === "min" ? "minimum" : "maximum"}`);
          input.dataset["filter"] = `${col.name}:${which}`;
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
          setFilter(col.name, a === null && b === null ? null : { type: "range", min: a, max: b });
        };
        lo.addEventListener("input", onInput);
        hi.addEventListener("input", onInput);
        cell.append(lo, hi);
        break;
      }
      case "bool": {
        const select = el(doc, "select");
        select.setAttribute("aria-label", label);
        select.dataset["filter"] = col.name;
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
          setFilter(col.name, select.value === "" ? null : { type: "bool", value: select.value === "true" });
        });
        cell.append(select);
        break;
      }
    }
    return cell;
  }

  function fillCategory(name: string, select: HTMLSelectElement, selected: string | null): void {
    const values = distinctValues(store, name);
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

  function refreshCategoryOptions(only?: ReadonlySet<string>): void {
    for (const [name, select] of categorySelects) {
      if (only && !only.has(name)) continue;
      const f = spec.filters[name];
      fillCategory(name, select, f?.type === "category" ? f.value : null);
    }
  }

  function updateSortIndicators(): void {
    const multi = spec.sort.length > 1;
    for (const [name, { th, ind }] of sortButtons) {
      const i = spec.sort.findIndex((s) => s.column === name);
      const s = i >= 0 ? spec.sort[i] : undefined;
      th.setAttribute("aria-sort", s ? (s.dir === "asc" ? "ascending" : "descending") : "none");
      ind.textContent = s ? `${s.dir === "asc" ? "▲" : "▼"}${multi ? String(i + 1) : ""}` : "";
    }
  }

  // ---- view (filter/sort) ---------------------------------------------------------------
  function layout(): Layout {
    return { count: ord.length, rowH: ROW_HEIGHT, panelPos: reviewPos, panelH: PANEL_HEIGHT };
  }

  function updateCounts(): void {
    const n = ord.length;
    const m = store.length;
    count.textContent = `Showing ${groupDigits(n)} of ${groupDigits(m)}`;
    scroll.setAttribute("aria-rowcount", String(n + 2));
    const identity = isIdentitySpec(spec, columns);
    resetView.style.display = identity ? "none" : "";
    if (m === 0) {
      empty.textContent = "No rows.";
      empty.style.display = "";
    } else if (n === 0) {
      empty.textContent = "No rows match the current filters.";
      empty.style.display = "";
    } else {
      empty.style.display = "none";
    }
  }

  function updateSelectionUi(): void {
    const state = headerState(store, ord);
    headerCheck.checked = state === "all";
    headerCheck.indeterminate = state === "some";
    const k = store.selection.size;
    selInfo.textContent = k > 0 ? `${groupDigits(k)} selected` : "";
    selInfo.style.display = k > 0 ? "" : "none";
    clearSel.style.display = k > 0 ? "" : "none";
  }

  function recomputeReviewPos(): void {
    if (review === null) {
      reviewPos = -1;
      return;
    }
    reviewPos = ord.positionOf(review.base);
  }

  /** Recompute the display order; `user` = the sort/filter/search spec changed. */
  function refreshView(user: boolean): void {
    try {
      order = computeOrder(store, columns, spec);
    } catch (e) {
      order = null;
      store.notify("error", `Filtering failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    ord = makeOrder(order, store.length);
    recomputeReviewPos();
    if (user) {
      store.uiState = cloneSpec(spec);
      scroll.scrollTop = 0;
    }
    updateCounts();
    updateSelectionUi();
    scheduleViewSync();
    scheduleFrame();
  }

  function scheduleViewSync(): void {
    if (viewTimer !== null) clearTimeout(viewTimer);
    viewTimer = setTimeout(sendView, debounceMs);
  }

  function sendView(): void {
    if (viewTimer !== null) {
      clearTimeout(viewTimer);
      viewTimer = null;
    }
    const identity = isIdentitySpec(spec, columns);
    let positions: Uint32Array;
    if (identity) positions = new Uint32Array(0);
    else if (order !== null) positions = order;
    else {
      positions = new Uint32Array(store.length);
      for (let i = 0; i < positions.length; i++) positions[i] = i;
    }
    const last = store.lastViewSent ?? { all: true, positions: new Uint32Array(0) };
    if (last.all === identity && (identity || equalU32(last.positions, positions))) return;
    const copy = positions.slice();
    store.lastViewSent = { all: identity, positions: copy };
    try {
      model.set("_view", {
        all: identity,
        positions: identity ? new DataView(new ArrayBuffer(0)) : positionsView(copy),
      });
      model.save_changes();
    } catch (e) {
      store.notify("error", `Could not send the view to Python: ${String(e)}`);
    }
  }

  // ---- rendering --------------------------------------------------------------------------
  function scheduleFrame(): void {
    if (cancelFrame !== null) return;
    cancelFrame = raf(win, () => {
      cancelFrame = null;
      try {
        frame();
      } catch (e) {
        const msg = `Rendering failed: ${e instanceof Error ? e.message : String(e)}`;
        if (msg !== lastFrameError) {
          lastFrameError = msg;
          store.notify("error", msg);
        }
      }
    });
  }

  function cancelPendingFrame(): void {
    const c = cancelFrame;
    cancelFrame = null;
    if (c !== null) c();
  }

  function viewportHeight(): number {
    const h = scroll.clientHeight;
    if (h > 0) return h;
    return options.viewportHeight ?? 480;
  }

  function ctx(): { explorer: string | null; nowMs: number; readOnly: boolean; reviewing: string | null } {
    return { explorer, nowMs: Date.now(), readOnly, reviewing: review?.address ?? null };
  }

  function frame(initial = false): void {
    // reads first (layout is clean at the start of an animation frame)
    if (headDirty && !initial && root.isConnected) {
      headH = head.offsetHeight || 0;
      headDirty = false;
    }
    const st = scroll.scrollTop;
    const vh = viewportHeight();
    const l = layout();
    // Scrolling fast (a step per frame beyond the overscan): overscan rows would be replaced
    // again next frame before ever being seen, so render just the viewport (+1 row) and come
    // back for the full overscan once the scrolling settles.
    const jump = Math.abs(st - lastScrollTop);
    lastScrollTop = st;
    const fast = !initial && jump > overscan * ROW_HEIGHT;
    const [first, end] = visibleRange(l, st - headH, vh, fast ? Math.min(1, overscan) : overscan, MAX_ROW_ELEMENTS);
    // writes
    const height = `${totalHeight(l)}px`;
    if (body.style.height !== height) body.style.height = height;
    const want = new Map<number, number>();
    for (let p = first; p < end; p++) want.set(ord.at(p), p);
    // hidden pool rows first: free.pop() reuses the rows still displayed before it shows a
    // hidden one (no display toggles while the row count is stable)
    const free: RowHandle[] = [];
    for (const h of pool) if (h.base === -1) free.push(h);
    for (const [base, h] of bound) {
      if (!want.has(base)) {
        bound.delete(base);
        free.push(h);
      }
    }
    const c = ctx();
    for (const [base, pos] of want) {
      let h = bound.get(base);
      if (!h) {
        h = free.pop();
        if (!h) {
          h = createRow(doc, columns);
          pool.push(h);
          byEl.set(h.el, h);
          body.append(h.el);
        }
        h.base = base;
        h.epoch = -1;
        bound.set(base, h);
      }
      if (h.hidden) {
        h.el.style.display = "";
        h.hidden = false;
      }
      if (h.pos !== pos) {
        h.pos = pos;
        h.el.setAttribute("aria-rowindex", String(pos + 3));
      }
      const y = yOf(l, pos);
      if (h.y !== y) {
        h.y = y;
        h.el.style.transform = `translateY(${y}px)`;
      }
      if (h.epoch !== epoch || dirty.has(base)) {
        renderRow(h, store, columns, c);
        h.epoch = epoch;
      }
    }
    for (const h of free) {
      h.base = -1;
      h.pos = -1;
      h.key = null;
      if (!h.hidden) {
        h.el.style.display = "none";
        h.el.removeAttribute("data-response");
        h.hidden = true;
      }
    }
    dirty.clear();
    if (fast) scheduleFrame(); // settle: full overscan once the scrolling stops
    // review panel
    if (review !== null && reviewPos >= 0) {
      panel.el.style.display = "";
      panel.el.style.transform = `translateY(${panelTop(l)}px)`;
    } else {
      panel.el.style.display = "none";
    }
  }

  function rebuildRows(): void {
    for (const h of pool) h.el.remove();
    pool = [];
    bound.clear();
  }

  function rerenderAll(): void {
    epoch++;
    scheduleFrame();
  }

  // ---- review -----------------------------------------------------------------------------
  function updatePanel(): void {
    if (review === null) return;
    const info = confirmInfo(store, review.base, readOnly);
    panel.update(store, review, info, explorer);
  }

  function markKeyDirty(key: string | null): void {
    if (key === null) return;
    const b = store.indexOf(key);
    if (b >= 0) dirty.add(b);
  }

  function openReview(base: number): void {
    const info = confirmInfo(store, base, readOnly);
    if (!info.clickable || info.address === null) return;
    if (review !== null) markKeyDirty(review.address);
    review = {
      address: info.address,
      base,
      estimateId: store.requestEstimate(info.address),
      phase: "review",
      requestId: null,
    };
    dirty.add(base);
    recomputeReviewPos();
    updatePanel();
    panel.el.style.display = "";
    frame();
    // make sure the panel is visible
    if (reviewPos >= 0) {
      const l = layout();
      const bottom = headH + panelTop(l) + PANEL_HEIGHT;
      const vh = viewportHeight();
      if (bottom > scroll.scrollTop + vh) {
        scroll.scrollTop = Math.max(0, bottom - vh + 4);
        scheduleFrame();
      }
    }
    panel.cancelBtn.focus({ preventScroll: true });
  }

  function closeReview(restoreFocus: boolean): void {
    if (review === null) return;
    const addr = review.address;
    review = null;
    reviewPos = -1;
    markKeyDirty(addr);
    frame();
    if (restoreFocus) {
      const h = bound.get(store.indexOf(addr));
      const btn = h?.confirm.el.querySelector("button");
      if (btn && !btn.disabled) btn.focus({ preventScroll: true });
      else scroll.focus({ preventScroll: true });
    }
  }

  function confirmPayment(): void {
    if (review === null || review.phase !== "review") return;
    const info = confirmInfo(store, review.base, readOnly);
    if (!info.clickable) return;
    const id = store.requestConfirm(review.address);
    if (id === null) return;
    if (review === null) return;
    review.phase = "submitted";
    review.requestId = id;
    if (store.outcomes.get(id) === "rejected") {
      closeReview(false);
      return;
    }
    dirty.add(review.base);
    updatePanel();
    scheduleFrame();
  }

  // ---- detail popover --------------------------------------------------------------------
  function openDetail(base: number, colName: string, trigger: HTMLElement | null): void {
    const col = columns.find((c) => c.name === colName);
    const value = toText(store.get(colName, base));
    const key = store.keyOf(base);
    detail = { base, col: colName, trigger };
    detailTitle.textContent = `${col?.label ?? colName}${key ? ` of ${shortHex(key)}` : ""}`;
    detailEl.setAttribute("aria-label", `Full ${col?.label ?? colName}`);
    detailPre.textContent = value;
    const href = safeDataHref(value);
    if (href !== null) {
      detailLink.setAttribute("href", href);
      detailLink.style.display = "";
    } else {
      detailLink.removeAttribute("href");
      detailLink.style.display = "none";
    }
    detailEl.style.display = "";
    detailClose.focus({ preventScroll: true });
  }

  function closeDetail(): void {
    if (detail === null) return;
    const t = detail.trigger;
    detail = null;
    detailEl.style.display = "none";
    detailPre.textContent = "";
    if (t && t.isConnected) t.focus({ preventScroll: true });
  }

  // ---- clipboard ---------------------------------------------------------------------------
  function copyText(text: string, btn: HTMLElement): void {
    const done = (ok: boolean): void => {
      if (!ok) {
        store.notify("error", "Could not copy to the clipboard.");
        return;
      }
      btn.setAttribute("data-copied", "true");
      setTimeout(() => btn.removeAttribute("data-copied"), 1200);
    };
    const fallback = (): void => {
      try {
        const ta = el(doc, "textarea");
        ta.value = text;
        ta.setAttribute("readonly", "");
        ta.style.position = "fixed";
        ta.style.opacity = "0";
        root.append(ta);
        ta.select();
        const ok = typeof doc.execCommand === "function" && doc.execCommand("copy");
        ta.remove();
        done(ok);
      } catch {
        done(false);
      }
    };
    const clip = win.navigator.clipboard as Clipboard | undefined;
    if (clip && typeof clip.writeText === "function") {
      clip.writeText(text).then(
        () => done(true),
        () => fallback(),
      );
    } else fallback();
  }

  // ---- banners -----------------------------------------------------------------------------
  function renderBanners(): void {
    const items: HTMLElement[] = [];
    const b = model.get("banner");
    if (isRecord(b)) {
      const bv = b as Partial<BannerValue>;
      const message = typeof bv.message === "string" ? bv.message : "";
      const level = bv.level === "error" ? "error" : "info";
      const sig = `${String(bv.seq)}|${message}`;
      if (message !== "" && sig !== dismissedBanner) {
        items.push(
          bannerEl(level, message, () => {
            dismissedBanner = sig;
            renderBanners();
          }),
        );
      }
    }
    for (const n of store.notices) {
      items.push(bannerEl(n.level, n.message, () => store.dismissNotice(n.id)));
    }
    banners.replaceChildren(...items);
  }

  function bannerEl(level: "info" | "error", message: string, onDismiss: () => void): HTMLElement {
    const div = el(doc, "div", "ogpu-rt-banner");
    div.dataset["level"] = level;
    div.setAttribute("role", level === "error" ? "alert" : "status");
    const text = el(doc, "span", "", message);
    const x = button(doc, "ogpu-rt-icon", "×", "Dismiss message");
    x.addEventListener("click", onDismiss);
    div.append(text, x);
    return div;
  }

  function renderAccount(): void {
    const a = model.get("account");
    if (readOnly || typeof a !== "string" || a === "") {
      account.textContent = "read-only";
      account.title = "No signer: confirmations are disabled";
    } else {
      account.textContent = `signer ${shortHex(a)}`;
      account.title = a;
    }
  }

  // ---- events --------------------------------------------------------------------------------
  function on(target: EventTarget, type: string, fn: (e: Event) => void, opts?: AddEventListenerOptions): void {
    target.addEventListener(type, fn, opts);
    cleanups.push(() => target.removeEventListener(type, fn, opts));
  }

  function onModel(name: string, fn: () => void): void {
    model.on(name, fn);
    cleanups.push(() => model.off(name, fn));
  }

  on(scroll, "scroll", () => scheduleFrame(), { passive: true });

  const RO = (win as Window & { ResizeObserver?: typeof ResizeObserver }).ResizeObserver;
  if (typeof RO === "function") {
    const ro = new RO(() => {
      headDirty = true;
      scheduleFrame();
    });
    ro.observe(scroll);
    ro.observe(head);
    cleanups.push(() => ro.disconnect());
  }

  on(body, "click", (e) => {
    const t = e.target as Element | null;
    if (!t || panel.el.contains(t)) return;
    const rowEl = t.closest(".ogpu-rt-row");
    const h = rowEl ? byEl.get(rowEl) : undefined;
    if (!h || h.base < 0) return;
    if (t instanceof HTMLInputElement && t.classList.contains("ogpu-rt-check")) {
      selection.click(ord, h.pos, t.checked, (e as MouseEvent).shiftKey);
      return;
    }
    const actionEl = t.closest("[data-action]");
    if (!(actionEl instanceof HTMLElement)) return;
    const action = actionEl.dataset["action"];
    const colName = actionEl.dataset["col"] ?? "";
    if (action === "copy") copyText(toText(store.get(colName, h.base)), actionEl);
    else if (action === "expand") openDetail(h.base, colName, actionEl);
    else if (action === "review") {
      if (review !== null && review.address === h.key && review.phase === "review") closeReview(false);
      else openReview(h.base);
    }
  });

  // Shift-click is ours (ranges, multi-sort): keep the notebook from extending its cell
  // selection, and the browser from selecting text.
  on(root, "mousedown", (e) => {
    const me = e as MouseEvent;
    if (!me.shiftKey) return;
    me.stopPropagation();
    const t = me.target as Element | null;
    if (t?.closest?.(".ogpu-rt-checkcell, .ogpu-rt-sort")) me.preventDefault();
  });

  on(root, "keydown", (e) => {
    const ke = e as KeyboardEvent;
    if (ke.key === "Escape" && detail !== null) {
      ke.stopPropagation();
      closeDetail();
    }
  });

  on(detailClose, "click", () => closeDetail());
  on(search, "input", () => {
    spec.search = search.value;
    refreshView(true);
  });
  on(clearSel, "click", () => selection.clear());
  on(resetView, "click", () => {
    spec = emptySpec();
    search.value = "";
    buildHeader();
    refreshView(true);
  });

  cleanups.push(
    store.on("rows", (change: RowsChange) => {
      if (change.kind === "reset") {
        if (review !== null) {
          const b = store.indexOf(review.address);
          if (b < 0) {
            review = null;
            reviewPos = -1;
          } else review.base = b;
        }
        closeDetail();
        bound.clear();
        for (const h of pool) {
          h.base = -1;
        }
        epoch++;
        refreshCategoryOptions();
        refreshView(false);
        updatePanel();
        return;
      }
      for (const b of change.rows) dirty.add(b);
      const used = new Set<string>();
      for (const [name, f] of Object.entries(spec.filters)) if (f) used.add(name);
      for (const s of spec.sort) used.add(s.column);
      if (spec.search.trim() !== "") for (const c of columns) if (c.searchable) used.add(c.name);
      let affects = false;
      for (const c of change.columns) if (used.has(c)) affects = true;
      const cats = new Set<string>();
      for (const c of change.columns) if (categorySelects.has(c)) cats.add(c);
      if (cats.size > 0) refreshCategoryOptions(cats);
      if (affects) refreshView(false);
      if (review !== null && change.rows.has(review.base)) updatePanel();
      scheduleFrame();
    }),
  );
  cleanups.push(
    store.on("selection", () => {
      for (const h of bound.values()) renderSelection(h, store);
      updateSelectionUi();
    }),
  );
  cleanups.push(
    store.on("confirm", (addr) => {
      if (addr !== null) markKeyDirty(addr);
      if (review !== null && review.requestId !== null && store.outcomes.get(review.requestId) === "rejected") {
        closeReview(false);
      } else updatePanel();
      scheduleFrame();
    }),
  );
  cleanups.push(
    store.on("estimate", (id) => {
      if (review !== null && review.estimateId === id) updatePanel();
    }),
  );
  cleanups.push(store.on("notices", () => renderBanners()));

  onModel("change:columns", () => {
    columns = resolveColumns(model.get("columns"), store.columnNames());
    rebuildRows();
    buildHeader();
    headDirty = true;
    epoch++;
    refreshView(false);
  });
  onModel("change:explorer_url", () => {
    explorer = explorerBase(model.get("explorer_url"));
    rerenderAll();
    updatePanel();
  });
  onModel("change:read_only", () => {
    readOnly = isTruthy((model.get("read_only") as boolean | null) ?? false);
    renderAccount();
    rerenderAll();
    updatePanel();
  });
  onModel("change:account", () => renderAccount());
  onModel("change:banner", () => renderBanners());

  // ---- go --------------------------------------------------------------------------------------
  columns = resolveColumns(model.get("columns"), store.columnNames());
  buildHeader();
  renderBanners();
  renderAccount();
  refreshView(false);
  cancelPendingFrame();
  // first rows synchronously (no forced layout); the next frame measures the header
  frame(true);
  scheduleFrame();

  let destroyed = false;
  return {
    root,
    store,
    flush() {
      cancelPendingFrame();
      frame();
    },
    flushView() {
      if (viewTimer !== null) sendView();
    },
    spec: () => cloneSpec(spec),
    order: () => ord,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      cancelPendingFrame();
      if (viewTimer !== null) clearTimeout(viewTimer);
      viewTimer = null;
      for (const c of cleanups.splice(0)) {
        try {
          c();
        } catch {
          /* ignore */
        }
      }
      if (ownStore) store.dispose();
      root.remove();
    },
  };
}
