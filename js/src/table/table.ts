/**
 * The ResponseTable view: composes the toolbar, the sticky header with sort + filters, the
 * virtualized body with pooled rows, the inline review panel, the full-value popover and the
 * banners over one shared `TableState`, and wires them to the model and the row store.
 */
import type { AnyModel } from "@anywidget/types";
import { Banners } from "../ui/banner";
import { TableBody } from "../grid/body";
import { resolveColumns } from "../columns/columns";
import { CompareView } from "../results/compare";
import { ConfirmFlow } from "../confirm/confirmflow";
import { DetailPopover, copyText } from "../ui/detail";
import { el } from "../core/dom";
import { toText } from "../core/format";
import { TableHeader } from "../grid/header";
import { onTraitChange, type WidgetModel } from "../core/model";
import { makeOrder, type Order } from "../grid/selection";
import { columnsUsed, computeOrder, emptySpec, isIdentitySpec, type ViewSpec } from "../columns/sortfilter";
import { ResultDetail } from "../results/resultdetail";
import { ColumnMenu } from "../columns/colmenu";
import { Grid } from "../grid/grid";
import { HelpPopover } from "../ui/help";
import { TableLayout } from "../columns/tablelayout";
import { IdleDemand } from "../results/idledemand";
import { FRESH_MS, RowStore, type RowsChange } from "../store/rowstore";
import { injectStyles } from "./styles";
import {
  announcePainted,
  cloneSpec,
  createTableState,
  listen,
  onResize,
  readExplorer,
  readReadOnly,
  updateReviewPos,
} from "./tablestate";
import { Toolbar } from "./toolbar";
import { ViewSync } from "./viewsync";

export interface TableOptions {
  /** Viewport height used when the scroll container reports no layout (clientHeight 0). */
  viewportHeight?: number;
  /** Rows rendered above/below the viewport. */
  overscan?: number;
  /** `_view` debounce in ms. */
  debounceMs?: number;
  /** Debounce of the results demand (rows on screen without a result) in ms. */
  resultsDebounceMs?: number;
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

export function createTable(model: AnyModel<WidgetModel>, host: HTMLElement, options: TableOptions = {}): TableHandle {
  const doc = host.ownerDocument;
  injectStyles(doc);

  const ownStore = options.store === undefined;
  const store = options.store ?? new RowStore(model, { shared: false });
  if (ownStore) store.resync();
  const state = createTableState(model, store, doc);
  const { cleanups } = state;

  // ---- parts ----------------------------------------------------------------------------
  const root = el(doc, "div", "ogpu-rt");
  // JupyterLab ≥ 4.1: keys pressed inside the widget (Enter/Space on buttons, letters on a
  // focused checkbox) must not trigger notebook command-mode shortcuts.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const banners = new Banners(state);
  const toolbar = new Toolbar(state, {
    onSearch: () => refreshView(true),
    onResetView: () => {
      state.spec = emptySpec();
      buildHeader();
      refreshView(true);
    },
    onLive: (live) => {
      if (root.dataset["live"] !== live) root.dataset["live"] = live;
    },
  });
  const header = new TableHeader(state, root, {
    onSpecChange: () => refreshView(true),
    onToggleAll: () => {
      state.selection.toggleAll(state.ord);
      updateSelectionUi();
    },
    onColumnHeader: (th, col) => layout.wire(th, col),
  });
  const body: TableBody = new TableBody(state, header.el, {
    overscan: options.overscan ?? 8,
    viewportHeight: options.viewportHeight,
    keep: (): number => grid.keep(),
    onFrame: () => {
      grid.sync();
      demandWhenIdle();
      if (!painted) afterFirstPaint();
    },
  });
  let painted = false;
  function afterFirstPaint(): void {
    painted = true;
    announcePainted(model, doc);
  }
  const review = new ConfirmFlow(state, body);
  const detail = new DetailPopover(state);
  const compare = new CompareView(state, review);
  const resultDetail = new ResultDetail(state, {
    closeOthers: (except) => closeDialogs(except),
    compare: (base, trigger) => openCompare(base, trigger),
  });
  const demand = new IdleDemand(state, body, options.resultsDebounceMs ?? 120);
  const demandWhenIdle = (force = false): void => demand.afterFrame(force);
  cleanups.push(() => demand.cancel());

  function closeDialogs(except: unknown = null): void {
    if (except !== detail) detail.close();
    if (except !== resultDetail) resultDetail.close(false);
    if (except !== compare) compare.close(false);
  }

  function openCompare(base: number, trigger: HTMLElement | null): void {
    closeDialogs(compare);
    compare.open(base, trigger);
  }
  const help = new HelpPopover(doc);
  const colMenu = new ColumnMenu(doc, {
    columns: () => state.allColumns,
    layout: () => state.layout,
    onChange: (next, name) => layout.set(next, name),
  });
  toolbar.addTools(colMenu.trigger, help.trigger);
  const grid: Grid = new Grid(state, root, header.el, body, {
    toggleSelect: (pos, range) => {
      const key = store.keyOf(state.ord.at(pos));
      if (key !== null) state.selection.click(state.ord, pos, !store.selection.has(key), range);
    },
    review: (base, key) => review.toggle(base, key),
    result: (base, trigger) => resultDetail.open(base, trigger),
    compare: (base, trigger) => openCompare(base, trigger),
    closeTop,
    help: (trigger) => {
      colMenu.close(false);
      help.open(trigger);
    },
    resizeColumn: (name, delta) => layout.resizeBy(name, delta),
    moveColumn: (name, delta) => layout.moveBy(name, delta),
  }, () => review.panel.el);
  const layout = new TableLayout(state, header, {
    rebuild: () => {
      body.dropRows();
      buildHeader();
      body.headDirty = true;
      body.invalidate();
      refreshView(false);
      demandWhenIdle(true);
      grid.rebuilt();
    },
    focusColumn: (name) => grid.setActiveColumn(name),
    menu: colMenu,
  });

  /** Escape: close the top panel and give the focus back (false when nothing was open). */
  function closeTop(): boolean {
    if (help.isOpen) help.close(true);
    else if (colMenu.isOpen) colMenu.close(true);
    else if (compare.isOpen) compare.close();
    else if (resultDetail.isOpen) resultDetail.close();
    else if (detail.isOpen) detail.close();
    else if (state.review !== null && state.reviewDock === null && !review.panel.cancelBtn.disabled) {
      review.close(false);
      grid.focusActive();
    } else return false;
    return true;
  }

  const viewSync = new ViewSync(
    model,
    store,
    () => ({ all: isIdentitySpec(state.spec, state.columns), order: state.order }),
    options.debounceMs ?? 150,
  );
  root.append(banners.el, toolbar.el, body.scroll, body.empty, detail.el, resultDetail.el, compare.el, colMenu.el, help.el);
  host.append(root);

  function buildHeader(): void {
    header.build();
    review.panel.setColumnCount(state.columns.length + 2);
  }

  function updateSelectionUi(): void {
    header.updateCheckAll();
    toolbar.updateSelectionInfo();
  }

  /** Recompute the display order; `user` = the sort/filter/search spec changed. */
  function refreshView(user: boolean): void {
    try {
      state.order = computeOrder(store, state.columns, state.spec);
    } catch (e) {
      state.order = null;
      store.notify("error", `Filtering failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    state.ord = makeOrder(state.order, store.length);
    updateReviewPos(state);
    if (user) {
      store.uiState = cloneSpec(state.spec);
      body.scroll.scrollTop = 0;
    }
    toolbar.updateCounts();
    body.updateCounts();
    updateSelectionUi();
    viewSync.schedule();
    body.schedule();
  }

  // ---- DOM events ---------------------------------------------------------------------------
  onResize(state, [body.scroll, header.el], () => {
    body.headDirty = true;
    body.schedule();
  });

  listen(state, body.el, "click", (e) => {
    const t = e.target as Element | null;
    if (!t || review.panel.el.contains(t)) return;
    const h = body.rowFor(t);
    if (!h || h.base < 0) return;
    if (t instanceof HTMLInputElement && t.classList.contains("ogpu-rt-check")) {
      state.selection.click(state.ord, h.pos, t.checked, (e as MouseEvent).shiftKey);
      return;
    }
    const actionEl = t.closest("[data-action]");
    if (!(actionEl instanceof HTMLElement)) return;
    const action = actionEl.dataset["action"];
    const colName = actionEl.dataset["col"] ?? "";
    if (action === "copy") copyText(state, root, toText(store.get(colName, h.base)), actionEl);
    else if (action === "expand") {
      closeDialogs(detail);
      detail.open(h.base, colName, actionEl);
    } else if (action === "result") resultDetail.open(h.base, actionEl);
    else if (action === "compare") openCompare(h.base, actionEl);
    else if (action === "review") review.toggle(h.base, h.key);
  });

  // Shift-click is ours (ranges, multi-sort): keep the notebook from extending its cell
  // selection, and the browser from selecting text.
  listen(state, root, "mousedown", (e) => {
    const me = e as MouseEvent;
    if (!me.shiftKey) return;
    me.stopPropagation();
    const t = me.target as Element | null;
    if (t?.closest?.(".ogpu-rt-checkcell, .ogpu-rt-sort")) me.preventDefault();
  });

  // ---- store events -------------------------------------------------------------------------
  /** Timers that end the highlight of rows just added. */
  const unhighlight = new Set<ReturnType<typeof setTimeout>>();
  cleanups.push(() => {
    for (const t of unhighlight) clearTimeout(t);
    unhighlight.clear();
  });

  function onAppend(change: Extract<RowsChange, { kind: "append" }>): void {
    // the order, the counts and the category choices include the new rows; the row at the top
    // of the viewport stays where it is; selection, sort, filters and the review are untouched
    const anchor = body.anchor();
    header.refreshCategoryOptions();
    refreshView(false);
    body.restore(anchor);
    for (const b of change.rows) body.markDirty(b);
    review.onRowsPatched(change.rows);
    if (change.fresh) {
      const { from, to } = change;
      const t = setTimeout(() => {
        unhighlight.delete(t);
        for (let b = from; b < to; b++) body.markDirty(b);
        body.schedule();
      }, FRESH_MS + 50);
      unhighlight.add(t);
    }
    body.schedule();
  }

  cleanups.push(
    store.on("rows", (change: RowsChange) => {
      if (change.kind === "append") {
        onAppend(change);
        return;
      }
      if (change.kind === "reset") {
        demandWhenIdle(true);
        review.onSnapshot();
        closeDialogs();
        demand.demand.reset();
        body.unbindAll();
        header.refreshCategoryOptions();
        refreshView(false);
        review.updatePanel();
        return;
      }
      for (const b of change.rows) body.markDirty(b);
      const used = columnsUsed(state.spec, state.columns);
      const affects = Array.from(change.columns).some((c) => used.has(c));
      const cats = new Set<string>();
      for (const c of change.columns) if (header.hasCategoryFilter(c)) cats.add(c);
      if (cats.size > 0) header.refreshCategoryOptions(cats);
      if (affects) refreshView(false);
      review.onRowsPatched(change.rows);
      body.schedule();
    }),
    store.on("selection", () => {
      body.renderSelection();
      updateSelectionUi();
    }),
    store.on("notices", () => banners.render()),
  );

  // ---- model events -------------------------------------------------------------------------
  cleanups.push(
    onTraitChange(model, "columns", () => {
      state.allColumns = resolveColumns(model.get("columns"), store.columnNames());
      layout.apply();
    }),
    onTraitChange(model, "column_layout", () => layout.onTrait()),
    onTraitChange(model, "explorer_url", () => {
      state.explorer = readExplorer(model);
      body.rerenderAll();
      review.updatePanel();
    }),
    onTraitChange(model, "read_only", () => {
      state.readOnly = readReadOnly(model);
      toolbar.renderAccount();
      body.rerenderAll();
      review.updatePanel();
    }),
    onTraitChange(model, "account", () => toolbar.renderAccount()),
    onTraitChange(model, "banner", () => banners.render()),
  );

  // ---- go --------------------------------------------------------------------------------------
  state.allColumns = resolveColumns(model.get("columns"), store.columnNames());
  layout.resolve();
  buildHeader();
  banners.render();
  toolbar.renderAccount();
  toolbar.live.render();
  refreshView(false);
  body.cancel();
  // first rows synchronously (no forced layout); the next frame measures the header
  body.frame(true);
  body.schedule();

  let destroyed = false;
  return {
    root,
    store,
    flush() {
      body.cancel();
      body.frame();
    },
    flushView() {
      viewSync.flush();
    },
    spec: () => cloneSpec(state.spec),
    order: () => state.ord,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      body.cancel();
      viewSync.cancel();
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
