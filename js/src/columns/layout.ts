/**
 * The column layout (the synced `column_layout` trait): the order of the data columns, the
 * hidden ones and the widths the user dragged. Read tolerantly (anything malformed is ignored,
 * entry by entry), applied to the resolved columns, and written back only when the user
 * changes it. Python validates the same shape (ogpu_widgets/table/layout.py).
 */
import type { ColumnDef } from "./columns";
import { isRecord } from "../core/types";

export interface ColumnLayout {
  /** Data column names in display order (columns not listed keep their place after these). */
  order: string[];
  /** Data column names not shown. */
  hidden: string[];
  /** Widths in px by column name. */
  widths: Record<string, number>;
}

/** Fixed widths of the two pinned leading columns (checkbox, the compact Confirm). */
export const CHECK_WIDTH = 36;
export const CONFIRM_WIDTH = 96;

export const MIN_WIDTH = 48;
export const MAX_WIDTH = 1200;
/** Width change of one Alt+Left/Right on a header cell. */
export const WIDTH_STEP = 16;
const MAX_NAMES = 500;
const MAX_NAME = 200;

export function emptyLayout(): ColumnLayout {
  return { order: [], hidden: [], widths: {} };
}

export function clampWidth(w: number): number {
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w)));
}

function names(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const x of v) {
    if (typeof x !== "string" || x === "" || x.length > MAX_NAME || seen.has(x)) continue;
    seen.add(x);
    out.push(x);
    if (out.length >= MAX_NAMES) break;
  }
  return out;
}

/** The trait's value as a layout; malformed entries are dropped, widths clamped. */
export function parseLayout(v: unknown): ColumnLayout {
  if (!isRecord(v)) return emptyLayout();
  const widths: Record<string, number> = {};
  const w = v["widths"];
  if (isRecord(w)) {
    let n = 0;
    for (const [k, x] of Object.entries(w)) {
      if (k === "" || k.length > MAX_NAME || typeof x !== "number" || !Number.isFinite(x)) continue;
      widths[k] = clampWidth(x);
      if (++n >= MAX_NAMES) break;
    }
  }
  return { order: names(v["order"]), hidden: names(v["hidden"]), widths };
}

export function isEmptyLayout(l: ColumnLayout): boolean {
  return l.order.length === 0 && l.hidden.length === 0 && Object.keys(l.widths).length === 0;
}

export function sameLayout(a: ColumnLayout, b: ColumnLayout): boolean {
  return JSON.stringify(toTrait(a)) === JSON.stringify(toTrait(b));
}

/** The value written to the trait (keys sorted, so equal layouts are equal values). */
export function toTrait(l: ColumnLayout): ColumnLayout {
  const widths: Record<string, number> = {};
  for (const k of Object.keys(l.widths).sort()) {
    const x = l.widths[k];
    if (x !== undefined) widths[k] = x;
  }
  return { order: [...l.order], hidden: [...l.hidden], widths };
}

/** Every data column in layout order (hidden ones included). */
export function orderedColumns(all: readonly ColumnDef[], l: ColumnLayout): ColumnDef[] {
  const byName = new Map(all.map((c) => [c.name, c]));
  const out: ColumnDef[] = [];
  const used = new Set<string>();
  for (const n of l.order) {
    const c = byName.get(n);
    if (c && !used.has(n)) {
      out.push(c);
      used.add(n);
    }
  }
  for (const c of all) if (!used.has(c.name)) out.push(c);
  return out;
}

/** The shown data columns, in order, with the user's widths (a dragged width is fixed). */
export function applyLayout(all: readonly ColumnDef[], l: ColumnLayout): ColumnDef[] {
  const hidden = new Set(l.hidden);
  const out: ColumnDef[] = [];
  for (const c of orderedColumns(all, l)) {
    if (hidden.has(c.name)) continue;
    const w = l.widths[c.name];
    out.push(w === undefined ? c : { ...c, width: w, flex: false });
  }
  // never hide every column: the key column (or the first) stays
  if (out.length === 0 && all.length > 0) {
    const first = orderedColumns(all, l)[0];
    if (first) out.push(first);
  }
  return out;
}

/** The layout with the full order written out (so moves are well defined). */
function withOrder(all: readonly ColumnDef[], l: ColumnLayout): ColumnLayout {
  return { ...l, order: orderedColumns(all, l).map((c) => c.name) };
}

export function setHidden(all: readonly ColumnDef[], l: ColumnLayout, name: string, hide: boolean): ColumnLayout {
  const hidden = l.hidden.filter((n) => n !== name);
  if (hide) {
    const shown = all.filter((c) => !hidden.includes(c.name) && c.name !== name);
    if (shown.length === 0) return l; // the last shown column stays
    hidden.push(name);
  }
  return { ...l, hidden };
}

/** Move `name` by `delta` places among all data columns (hidden ones included). */
export function moveColumn(all: readonly ColumnDef[], l: ColumnLayout, name: string, delta: number): ColumnLayout {
  const o = withOrder(all, l).order;
  const i = o.indexOf(name);
  if (i < 0) return l;
  const j = Math.max(0, Math.min(o.length - 1, i + delta));
  if (j === i) return l;
  o.splice(i, 1);
  o.splice(j, 0, name);
  return { ...l, order: o };
}

/** Put `name` where `target` is (drag and drop in the header). */
export function moveColumnTo(all: readonly ColumnDef[], l: ColumnLayout, name: string, target: string): ColumnLayout {
  const o = withOrder(all, l).order;
  const i = o.indexOf(name);
  const j = o.indexOf(target);
  if (i < 0 || j < 0 || i === j) return l;
  return moveColumn(all, l, name, j - i);
}

export function setWidth(l: ColumnLayout, name: string, width: number): ColumnLayout {
  return { ...l, widths: { ...l.widths, [name]: clampWidth(width) } };
}
