/**
 * What a decoded snapshot is: columns with row access (and their dictionary or numeric form when
 * they have one). Decoded by arrow.ts; the text columns (textcolumns.ts, packedaddress.ts)
 * implement `BaseColumn` too.
 */
import type { Data } from "apache-arrow";
import type { Scalar } from "../core/types";

/** Distinct values of a dictionary, decoded on demand. */
export interface DictValues {
  readonly length: number;
  get(k: number): Scalar;
  /** Every value (decodes the whole dictionary once). */
  all(): readonly Scalar[];
}

export interface BaseColumn {
  readonly length: number;
  /** Value at row i (null for missing). */
  get(i: number): Scalar;
  /** Dictionary representation (codes: -1 for null), when the column is dictionary-encoded. */
  readonly dict?: { readonly codes: Int32Array; readonly values: DictValues };
  /** Numeric representation (NaN for null), for numeric columns. */
  readonly numbers?: Float64Array;
}

export interface Snapshot {
  readonly length: number;
  readonly columns: ReadonlyMap<string, BaseColumn>;
  /** The Arrow data of each column (kept so that rows can be appended). */
  readonly chunks?: ReadonlyMap<string, readonly Data[]>;
}

export const EMPTY_SNAPSHOT: Snapshot = { length: 0, columns: new Map() };

/** Convert a JSON patch value to a Scalar. */
export function toScalar(v: unknown): Scalar {
  if (v == null) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isNaN(v) ? null : v;
  if (typeof v === "bigint") return Number(v);
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null;
  }
}

/** `base` with the rows of `added` after its first `skip` rows appended (a resync). */
export function joinTail(base: Snapshot, added: Snapshot, skip: number): Snapshot {
  const length = base.length + added.length - skip;
  const columns = new Map<string, BaseColumn>();
  for (const name of new Set([...base.columns.keys(), ...added.columns.keys()])) {
    const first = base.columns.get(name);
    const second = added.columns.get(name);
    const split = base.length;
    columns.set(name, {
      length,
      get: (i: number): Scalar =>
        i < split ? (first ? first.get(i) : null) : second ? second.get(i - split + skip) : null,
    });
  }
  return { length, columns };
}
