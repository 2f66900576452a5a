/** Multi-column sorting: per-row sort keys (numbers or string ranks) and a stable sort of indices. */
import { PackedAddressColumn } from "../data/packedaddress";
import { indexedColumn, lowerValues, numericColumn } from "./colindex";
import type { ColumnDef } from "./columns";
import { isTruthy, toText } from "../core/format";
import type { RowStore } from "../store/rowstore";

export type SortDir = "asc" | "desc";

function compareWei(a: string, b: string): number {
  const da = /^\d+$/.test(a);
  const db = /^\d+$/.test(b);
  if (da && db) {
    const ta = a.replace(/^0+(?=\d)/, "");
    const tb = b.replace(/^0+(?=\d)/, "");
    if (ta.length !== tb.length) return ta.length - tb.length;
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  }
  if (da !== db) return da ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Per-row sort key (NaN = null): numbers for numeric/bool columns, ranks for strings. */
export function sortKeys(store: RowStore, col: ColumnDef): Float64Array {
  return store.cached(`sort:${col.kind}:${col.name}`, col.name, () => {
    const n = store.length;
    if (col.numeric) return numericColumn(store, col.name);
    if (col.kind === "bool") {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = store.get(col.name, i);
        out[i] = v === null ? NaN : isTruthy(v) ? 1 : 0;
      }
      return out;
    }
    const packed = store.baseColumn(col.name);
    if (packed instanceof PackedAddressColumn && !store.overlay(col.name)) return packed.ranks();
    const ix = indexedColumn(store, col.name);
    const keys: string[] = col.kind === "wei" ? ix.values.map((v) => toText(v).trim()) : lowerValues(store, col.name);
    // rank distinct values
    const order = new Uint32Array(keys.length);
    for (let k = 0; k < order.length; k++) order[k] = k;
    if (col.kind === "wei") {
      order.sort((x, y) => compareWei(keys[x] ?? "", keys[y] ?? ""));
    } else {
      order.sort((x, y) => {
        const a = keys[x] ?? "";
        const b = keys[y] ?? "";
        return a < b ? -1 : a > b ? 1 : 0;
      });
    }
    const rank = new Float64Array(keys.length);
    let r = 0;
    for (let k = 0; k < order.length; k++) {
      const cur = order[k] ?? 0;
      const prev = k > 0 ? (order[k - 1] ?? 0) : -1;
      if (prev >= 0 && keys[prev] !== keys[cur]) r++;
      rank[cur] = r;
    }
    const out = new Float64Array(n);
    const { codes, values } = ix;
    for (let i = 0; i < n; i++) {
      const c = codes === null ? i : (codes[i] ?? -1);
      out[i] = c < 0 || values[c] === null ? NaN : (rank[c] ?? NaN);
    }
    return out;
  });
}

/** Stable sort of `idx` in place by several keys; nulls always last. */
export function sortIndices(idx: Uint32Array, keys: { values: Float64Array; dir: SortDir }[]): Uint32Array {
  if (keys.length === 0) return idx;
  // Pre-transform: sign-flip for desc, nulls → +Infinity (last in both directions).
  const ks = keys.map(({ values, dir }) => {
    const t = new Float64Array(values.length);
    const s = dir === "asc" ? 1 : -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? NaN;
      t[i] = Number.isNaN(v) ? Infinity : s * v;
    }
    return t;
  });
  if (ks.length === 1) {
    const k = ks[0] as Float64Array;
    return idx.sort((a, b) => {
      const x = k[a] as number;
      const y = k[b] as number;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
  }
  return idx.sort((a, b) => {
    for (let j = 0; j < ks.length; j++) {
      const k = ks[j] as Float64Array;
      const x = k[a] as number;
      const y = k[b] as number;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return a - b;
  });
}
