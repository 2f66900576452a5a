/**
 * Column access for filtering and sorting (sortfilter.ts, sortkeys.ts): each column's distinct
 * values with per-row codes, and its numbers, computed once per column version.
 */
import { StringColumn } from "../data/textcolumns";
import { toNumber, toText } from "../core/format";
import type { RowStore } from "../store/rowstore";
import type { Scalar } from "../core/types";

/** Distinct-value representation: codes[i] indexes values (-1 = null); codes null = identity. */
export interface Indexed {
  codes: Int32Array | null;
  values: readonly Scalar[];
}

export function indexedColumn(store: RowStore, col: string): Indexed {
  return store.cached(`idx:${col}`, col, () => {
    const n = store.length;
    const base = store.baseColumn(col);
    const ov = store.overlay(col);
    let codes: Int32Array | null;
    let values: Scalar[];
    if (base?.dict) {
      codes = base.dict.codes;
      values = base.dict.values.all().slice();
    } else if (base instanceof StringColumn) {
      codes = null;
      values = base.all().slice();
    } else {
      codes = null;
      values = new Array<Scalar>(n);
      for (let i = 0; i < n; i++) values[i] = base ? base.get(i) : null;
    }
    if (ov && ov.size > 0) {
      if (codes === null) {
        for (const [i, v] of ov) values[i] = v;
      } else {
        codes = codes.slice();
        const lookup = new Map<Scalar, number>();
        values.forEach((v, k) => {
          if (!lookup.has(v)) lookup.set(v, k);
        });
        for (const [i, v] of ov) {
          let k = lookup.get(v);
          if (k === undefined) {
            k = values.length;
            values.push(v);
            lookup.set(v, k);
          }
          codes[i] = v === null ? -1 : k;
        }
      }
    }
    return { codes, values };
  });
}

export function lowerValues(store: RowStore, col: string): string[] {
  return store.cached(`lower:${col}`, col, () =>
    indexedColumn(store, col).values.map((v) => (v === null ? "" : toText(v).toLowerCase())),
  );
}

/** Numeric values (NaN for null / non-numeric), patches applied. */
export function numericColumn(store: RowStore, col: string): Float64Array {
  return store.cached(`num:${col}`, col, () => {
    const n = store.length;
    const base = store.baseColumn(col);
    let out: Float64Array;
    if (base?.numbers) out = base.numbers.slice();
    else {
      out = new Float64Array(n);
      if (base?.dict) {
        const { codes, values } = base.dict;
        const nums = values.all().map((v) => toNumber(v));
        for (let i = 0; i < n; i++) {
          const c = codes[i] ?? -1;
          out[i] = c < 0 ? NaN : (nums[c] ?? NaN);
        }
      } else {
        for (let i = 0; i < n; i++) out[i] = base ? toNumber(base.get(i)) : NaN;
      }
    }
    const ov = store.overlay(col);
    if (ov) for (const [i, v] of ov) out[i] = toNumber(v);
    return out;
  });
}
