/**
 * Filtering, global search and multi-column sorting over snapshot row indices.
 *
 * Works column-wise on typed arrays: string predicates are evaluated once per distinct
 * (dictionary) value, lowercase strings and sort ranks are computed lazily and cached per
 * column version, and the sort permutes a Uint32Array of indices (stable: ties keep snapshot order).
 */
import { PackedAddressColumn } from "../data/packedaddress";
import { StringColumn } from "../data/textcolumns";
import type { ColumnDef } from "./columns";
import { formatDatetime, isTruthy, toNumber, toText } from "../core/format";
import type { RowStore } from "../store/rowstore";
import type { Scalar } from "../core/types";

export type SortDir = "asc" | "desc";

export interface SortKey {
  column: string;
  dir: SortDir;
}

export type ColumnFilter =
  | { type: "text"; value: string }
  | { type: "category"; value: string }
  | { type: "range"; min: number | null; max: number | null }
  | { type: "bool"; value: boolean };

export interface ViewSpec {
  sort: SortKey[];
  filters: Record<string, ColumnFilter>;
  search: string;
}

export function emptySpec(): ViewSpec {
  return { sort: [], filters: {}, search: "" };
}

export function isFilterActive(f: ColumnFilter | undefined): boolean {
  if (!f) return false;
  switch (f.type) {
    case "text":
      return f.value.trim() !== "";
    case "category":
      return true;
    case "range":
      return f.min !== null || f.max !== null;
    case "bool":
      return true;
  }
}

/** True when the view is the plain snapshot order (no filter, search or sort). */
export function isIdentitySpec(spec: ViewSpec, columns?: readonly ColumnDef[]): boolean {
  if (spec.sort.length > 0) return false;
  if (spec.search.trim() !== "") return false;
  const names = columns ? new Set(columns.map((c) => c.name)) : null;
  for (const [name, f] of Object.entries(spec.filters)) {
    if (names && !names.has(name)) continue;
    if (isFilterActive(f)) return false;
  }
  return true;
}

/** Sort-click cycle: asc → desc → none; shift adds to / cycles within a multi-column sort. */
export function nextSort(sort: readonly SortKey[], column: string, multi: boolean): SortKey[] {
  const i = sort.findIndex((s) => s.column === column);
  const cur = i >= 0 ? sort[i] : undefined;
  const next: SortDir | null = !cur ? "asc" : cur.dir === "asc" ? "desc" : null;
  if (multi) {
    const out = sort.slice();
    if (next === null) out.splice(i, 1);
    else if (i >= 0) out[i] = { column, dir: next };
    else out.push({ column, dir: next });
    return out;
  }
  return next === null ? [] : [{ column, dir: next }];
}

// ---- column access ----------------------------------------------------------------------------

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

function lowerValues(store: RowStore, col: string): string[] {
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

/** Evaluate `pred` once per distinct value and expand into a per-row match mask. */
function matchRows(ix: Indexed, perValue: Uint8Array, mask: Uint8Array, mode: "and" | "or"): void {
  const n = mask.length;
  const { codes } = ix;
  if (codes === null) {
    if (mode === "and") for (let i = 0; i < n; i++) mask[i] = (mask[i] ?? 0) & (perValue[i] ?? 0);
    else for (let i = 0; i < n; i++) mask[i] = (mask[i] ?? 0) | (perValue[i] ?? 0);
    return;
  }
  for (let i = 0; i < n; i++) {
    const c = codes[i] ?? -1;
    const m = c < 0 ? 0 : (perValue[c] ?? 0);
    mask[i] = mode === "and" ? (mask[i] ?? 0) & m : (mask[i] ?? 0) | m;
  }
}

/** OR into `out` the rows of `col` that contain `q` (lowercase), patches applied. */
function containsRows(store: RowStore, col: string, q: string, out: Uint8Array): void {
  const base = store.baseColumn(col);
  let tmp: Uint8Array | null = null;
  if (base instanceof StringColumn || base instanceof PackedAddressColumn) {
    tmp = new Uint8Array(out.length);
    if (!base.matchLower(q, tmp)) tmp = null;
  } else if (base?.dict && base.dict.values instanceof StringColumn && base.dict.values.length > 64) {
    // large dictionary (e.g. unique addresses): scan its buffer once, then map the codes
    const pv = new Uint8Array(base.dict.values.length);
    if (base.dict.values.matchLower(q, pv)) {
      tmp = new Uint8Array(out.length);
      matchRows({ codes: base.dict.codes, values: [] }, pv, tmp, "or");
    }
  }
  if (tmp !== null) {
    const ov = store.overlay(col);
    if (ov) for (const [i, v] of ov) tmp[i] = v !== null && toText(v).toLowerCase().includes(q) ? 1 : 0;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) | (tmp[i] ?? 0);
    return;
  }
  const ix = indexedColumn(store, col);
  matchRows(ix, perValue(lowerValues(store, col), (s) => s.includes(q)), out, "or");
}

function perValue(values: readonly string[], pred: (s: string) => boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = pred(values[k] ?? "") ? 1 : 0;
  return out;
}

function datetimeStrings(store: RowStore, col: string): string[] {
  return store.cached(`dt:${col}`, col, () => {
    const nums = numericColumn(store, col);
    const out = new Array<string>(nums.length);
    for (let i = 0; i < nums.length; i++) {
      const v = nums[i] ?? NaN;
      out[i] = Number.isNaN(v) ? "" : formatDatetime(v).toLowerCase();
    }
    return out;
  });
}

function applyFilter(store: RowStore, col: ColumnDef, f: ColumnFilter, mask: Uint8Array): void {
  const n = mask.length;
  switch (f.type) {
    case "text": {
      const q = f.value.trim().toLowerCase();
      if (col.kind === "datetime") {
        const strs = datetimeStrings(store, col.name);
        for (let i = 0; i < n; i++) if (mask[i] && !(strs[i] ?? "").includes(q)) mask[i] = 0;
        return;
      }
      const hit = new Uint8Array(n);
      containsRows(store, col.name, q, hit);
      for (let i = 0; i < n; i++) mask[i] = (mask[i] ?? 0) & (hit[i] ?? 0);
      return;
    }
    case "category": {
      const ix = indexedColumn(store, col.name);
      const want = f.value;
      const pv = new Uint8Array(ix.values.length);
      ix.values.forEach((v, k) => {
        pv[k] = v !== null && toText(v) === want ? 1 : 0;
      });
      matchRows(ix, pv, mask, "and");
      return;
    }
    case "range": {
      const nums = numericColumn(store, col.name);
      const lo = f.min ?? -Infinity;
      const hi = f.max ?? Infinity;
      for (let i = 0; i < n; i++) {
        if (!mask[i]) continue;
        const v = nums[i] ?? NaN;
        if (!(v >= lo && v <= hi)) mask[i] = 0;
      }
      return;
    }
    case "bool": {
      const want = f.value;
      for (let i = 0; i < n; i++) {
        if (!mask[i]) continue;
        const v = store.get(col.name, i);
        if (v === null || isTruthy(v) !== want) mask[i] = 0;
      }
      return;
    }
  }
}

// ---- sorting ----------------------------------------------------------------------------------

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

// ---- the pipeline -----------------------------------------------------------------------------

/**
 * Display order as snapshot indices, or null for the identity order (no filter/search/sort).
 */
export function computeOrder(store: RowStore, columns: readonly ColumnDef[], spec: ViewSpec): Uint32Array | null {
  if (isIdentitySpec(spec, columns)) return null;
  const n = store.length;
  // a column shown from another store column (the Result column: its preview) is sorted,
  // filtered and searched on that column's values
  const byName = new Map(columns.map((c) => [c.name, c.source === c.name ? c : { ...c, name: c.source }]));
  const mask = new Uint8Array(n).fill(1);
  for (const [name, f] of Object.entries(spec.filters)) {
    const col = byName.get(name);
    if (!col || !isFilterActive(f)) continue;
    applyFilter(store, col, f, mask);
  }
  const q = spec.search.trim().toLowerCase();
  if (q !== "") {
    const hit = new Uint8Array(n);
    for (const col of columns) {
      if (col.searchable) containsRows(store, col.source, q, hit);
    }
    for (let i = 0; i < n; i++) mask[i] = (mask[i] ?? 0) & (hit[i] ?? 0);
  }
  let count = 0;
  for (let i = 0; i < n; i++) count += mask[i] ?? 0;
  const idx = new Uint32Array(count);
  for (let i = 0, j = 0; i < n; i++) if (mask[i]) idx[j++] = i;
  const keys: { values: Float64Array; dir: SortDir }[] = [];
  for (const s of spec.sort) {
    const col = byName.get(s.column);
    if (col) keys.push({ values: sortKeys(store, col), dir: s.dir });
  }
  return sortIndices(idx, keys);
}

/** Distinct non-null values of a column, sorted case-insensitively (for category selects). */
export function distinctValues(store: RowStore, col: string, limit = 500): string[] {
  const ix = indexedColumn(store, col);
  const set = new Set<string>();
  if (ix.codes !== null) {
    const used = new Uint8Array(ix.values.length);
    for (let i = 0; i < ix.codes.length; i++) {
      const c = ix.codes[i] ?? -1;
      if (c >= 0) used[c] = 1;
    }
    ix.values.forEach((v, k) => {
      if (used[k] && v !== null) set.add(toText(v));
    });
  } else {
    for (const v of ix.values) {
      if (v !== null) set.add(toText(v));
      if (set.size > limit) break;
    }
  }
  return Array.from(set)
    .slice(0, limit)
    .sort((a, b) => {
      const x = a.toLowerCase();
      const y = b.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
}
