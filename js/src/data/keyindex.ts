/** The row of each key of a key column (first occurrence), built in one pass. */
import type { Scalar } from "../core/types";
import type { BaseColumn } from "./snapshot";
import { StringColumn } from "./textcolumns";

export function keyIndexOf(base: BaseColumn): Map<string, number> {
  const m = new Map<string, number>();
  if (base instanceof StringColumn || base.dict) {
    const all: readonly (Scalar | undefined)[] = base instanceof StringColumn ? base.materialize() : codesToValues(base);
    for (let i = 0; i < all.length; i++) {
      const k = all[i];
      if (typeof k === "string" && !m.has(k)) m.set(k, i);
    }
  } else {
    for (let i = 0; i < base.length; i++) {
      const k = base.get(i);
      if (typeof k === "string" && !m.has(k)) m.set(k, i);
    }
  }
  return m;
}

function codesToValues(base: BaseColumn): Scalar[] {
  const d = base.dict;
  if (!d) return [];
  const vals = d.values.all();
  const out = new Array<Scalar>(d.codes.length);
  for (let i = 0; i < d.codes.length; i++) {
    const c = d.codes[i] ?? -1;
    out[i] = c < 0 ? null : (vals[c] ?? null);
  }
  return out;
}
