/**
 * Filtering, global search and multi-column sorting over snapshot row indices.
 *
 * Works column-wise on typed arrays: string predicates are evaluated once per distinct
 * (dictionary) value, lowercase strings and sort ranks are computed lazily and cached per
 * column version, and the sort permutes a Uint32Array of indices (stable: ties keep snapshot order).
 */
import { PackedAddressColumn } from "../data/packedaddress";
import { StringColumn } from "../data/textcolumns";
import { indexedColumn, lowerValues, numericColumn, type Indexed } from "./colindex";
import type { ColumnDef } from "./columns";
import { sortIndices, sortKeys, type SortDir } from "./sortkeys";
import { formatDatetime, isTruthy, toText } from "../core/format";
import type { RowStore } from "../store/rowstore";

export type { SortDir } from "./sortkeys";

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


// ---- the pipeline -----------------------------------------------------------------------------

/** The source columns the spec's filters, sort and search read (a patch of them moves rows). */
export function columnsUsed(spec: ViewSpec, columns: readonly ColumnDef[]): Set<string> {
  const used = new Set<string>();
  const source = (name: string): string => columns.find((c) => c.name === name)?.source ?? name;
  for (const [name, f] of Object.entries(spec.filters)) if (f) used.add(source(name));
  for (const s of spec.sort) used.add(source(s.column));
  if (spec.search.trim() !== "") for (const c of columns) if (c.searchable) used.add(c.source);
  return used;
}

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
