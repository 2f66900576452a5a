/**
 * The state one table view shares between its parts (header, body, review flow, detail popover,
 * toolbar, banners): the model and store, the resolved columns, the view spec and display order,
 * the open review, and the cleanups run on destroy. Plain data; each part keeps its own DOM.
 */
import type { AnyModel } from "@anywidget/types";
import { sendMessage } from "../core/channel";
import type { ColumnDef } from "../columns/columns";
import { explorerBase, isTruthy } from "../core/format";
import { parseLayout, type ColumnLayout } from "../columns/layout";
import type { WidgetModel } from "../core/model";
import type { ReviewState } from "../confirm/reviewstate";
import { SelectionController, makeOrder, type Order } from "../grid/selection";
import { emptySpec, type ViewSpec } from "../columns/sortfilter";
import type { RowStore } from "../store/rowstore";
import { isRecord } from "../core/types";

export interface TableState {
  readonly doc: Document;
  readonly win: Window;
  readonly model: AnyModel<WidgetModel>;
  readonly store: RowStore;
  readonly selection: SelectionController;
  /** Run (in any order) when the view is destroyed. */
  readonly cleanups: (() => void)[];
  /** Visible data columns, resolved from the `columns` trait, in the layout's order and widths. */
  columns: ColumnDef[];
  /** Every data column of the `columns` trait (hidden ones included), in the trait's order. */
  allColumns: ColumnDef[];
  /** The user's column layout (the `column_layout` trait). */
  layout: ColumnLayout;
  /** Sort, filters and search of this view. */
  spec: ViewSpec;
  /** Display order as snapshot indices (null: snapshot order). */
  order: Uint32Array | null;
  /** Accessor over `order`. */
  ord: Order;
  /** The row whose review panel is open, if any. */
  review: ReviewState | null;
  /** Display position of the reviewed row (-1: not displayed, or the panel is docked). */
  reviewPos: number;
  /** Where the review panel is docked instead of under its row (the compare view), or null. */
  reviewDock: HTMLElement | null;
  /** Explorer base URL (null: no links). */
  explorer: string | null;
  readOnly: boolean;
}

export function cloneSpec(s: ViewSpec): ViewSpec {
  return { sort: s.sort.map((k) => ({ ...k })), filters: { ...s.filters }, search: s.search };
}

function isSpec(v: unknown): v is ViewSpec {
  return isRecord(v) && Array.isArray(v["sort"]) && isRecord(v["filters"]) && typeof v["search"] === "string";
}

export function readExplorer(model: AnyModel<WidgetModel>): string | null {
  return explorerBase(model.get("explorer_url"));
}

export function readReadOnly(model: AnyModel<WidgetModel>): boolean {
  return isTruthy(model.get("read_only"));
}

export function createTableState(model: AnyModel<WidgetModel>, store: RowStore, doc: Document): TableState {
  return {
    doc,
    win: doc.defaultView ?? window,
    model,
    store,
    selection: new SelectionController(store),
    cleanups: [],
    columns: [],
    allColumns: [],
    layout: parseLayout(model.get("column_layout")),
    // a new view starts from the last sort/filter state of any view of the model
    spec: isSpec(store.uiState) ? cloneSpec(store.uiState) : emptySpec(),
    order: null,
    ord: makeOrder(null, store.length),
    review: null,
    reviewPos: -1,
    reviewDock: null,
    explorer: readExplorer(model),
    readOnly: readReadOnly(model),
  };
}

/** Recompute the display position of the reviewed row (after the order changed). */
export function updateReviewPos(state: TableState): void {
  state.reviewPos =
    state.review === null || state.reviewDock !== null ? -1 : state.ord.positionOf(state.review.base);
}

/** addEventListener, removed on destroy. */
export function listen(
  state: TableState,
  target: EventTarget,
  type: string,
  fn: (e: Event) => void,
  opts?: AddEventListenerOptions,
): void {
  target.addEventListener(type, fn, opts);
  state.cleanups.push(() => target.removeEventListener(type, fn, opts));
}

/**
 * Tell the kernel the view's first rows are on screen (the next animation frame after the first
 * one): its background work for the table (the confirmed rows' history) waits for this.
 */
export function announcePainted(model: AnyModel<WidgetModel>, doc: Document): void {
  const win = doc.defaultView;
  const send = (): void => {
    try {
      sendMessage(model, { type: "painted" });
    } catch {
      // the comm is gone: nothing to start
    }
  };
  if (win) win.requestAnimationFrame(() => win.setTimeout(send, 0));
  else send();
}

/** Call `cb` whenever one of `elements` changes size (where the page has a ResizeObserver). */
export function onResize(state: TableState, elements: readonly Element[], cb: () => void): void {
  const RO = (state.win as Window & { ResizeObserver?: typeof ResizeObserver }).ResizeObserver;
  if (typeof RO !== "function") return;
  const ro = new RO(cb);
  for (const e of elements) ro.observe(e);
  state.cleanups.push(() => ro.disconnect());
}
