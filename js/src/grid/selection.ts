/**
 * Selection logic over the current display order. Selection is a set of response addresses
 * (never screen positions); ranges are resolved through the display order at click time.
 */
import type { RowStore } from "../store/rowstore";

/** Display order accessor: snapshot index at display position `pos`. */
export interface Order {
  readonly length: number;
  at(pos: number): number;
  /** Display position of a snapshot index, or -1. */
  positionOf(base: number): number;
}

export function makeOrder(order: Uint32Array | null, total: number): Order {
  if (order === null) {
    return {
      length: total,
      at: (pos) => pos,
      positionOf: (base) => (base >= 0 && base < total ? base : -1),
    };
  }
  let inverse: Int32Array | null = null;
  return {
    length: order.length,
    at: (pos) => order[pos] ?? -1,
    positionOf(base) {
      if (!inverse) {
        inverse = new Int32Array(total).fill(-1);
        for (let p = 0; p < order.length; p++) inverse[order[p] ?? 0] = p;
      }
      return inverse[base] ?? -1;
    },
  };
}

export type HeaderState = "none" | "some" | "all";

/** How many of the displayed rows are selected. */
export function headerState(store: RowStore, order: Order): HeaderState {
  const sel = store.selection;
  if (sel.size === 0 || order.length === 0) return "none";
  let count = 0;
  for (let p = 0; p < order.length; p++) {
    const k = store.keyOf(order.at(p));
    if (k !== null && sel.has(k)) count++;
  }
  return count === 0 ? "none" : count === order.length ? "all" : "some";
}

export class SelectionController {
  /** Address of the last clicked row (the anchor for shift-click ranges). */
  anchor: string | null = null;

  constructor(private readonly store: RowStore) {}

  /** A row checkbox was clicked: `checked` is its new state. */
  click(order: Order, pos: number, checked: boolean, shift: boolean): void {
    const store = this.store;
    const key = store.keyOf(order.at(pos));
    if (key === null) return;
    const next = new Set(store.selection);
    let anchorPos = -1;
    if (shift && this.anchor !== null) {
      const a = store.indexOf(this.anchor);
      anchorPos = a >= 0 ? order.positionOf(a) : -1;
    }
    if (anchorPos >= 0) {
      const lo = Math.min(anchorPos, pos);
      const hi = Math.max(anchorPos, pos);
      for (let p = lo; p <= hi; p++) {
        const k = store.keyOf(order.at(p));
        if (k === null) continue;
        if (checked) next.add(k);
        else next.delete(k);
      }
    } else if (checked) next.add(key);
    else next.delete(key);
    this.anchor = key;
    store.setSelection(next);
  }

  /** Header checkbox: select every displayed row, or (if all are selected) deselect them. */
  toggleAll(order: Order): void {
    const store = this.store;
    const state = headerState(store, order);
    const next = new Set(store.selection);
    for (let p = 0; p < order.length; p++) {
      const k = store.keyOf(order.at(p));
      if (k === null) continue;
      if (state === "all") next.delete(k);
      else next.add(k);
    }
    store.setSelection(next);
  }

  clear(): void {
    this.store.setSelection(new Set());
  }
}
