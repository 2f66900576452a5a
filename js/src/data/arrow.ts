/**
 * Lazy, columnar access to an Arrow IPC snapshot.
 *
 * No per-row JS objects are created: numeric and boolean columns are copied into typed arrays
 * (cheap, one pass), dictionary-encoded strings keep their integer codes plus the (small)
 * dictionary, and plain string columns are decoded on demand, row by row, from the UTF-8 buffer.
 */
import { tableFromIPC, Type, Vector, type Data, type DataType } from "apache-arrow";
import { hexOf, PackedAddressColumn } from "./packedaddress";
import { EMPTY_SNAPSHOT, type BaseColumn, type DictValues, type Snapshot } from "./snapshot";
import { StringColumn } from "./textcolumns";
import type { Scalar } from "../core/types";

export { EMPTY_SNAPSHOT, type BaseColumn, type DictValues, type Snapshot } from "./snapshot";

/** Normalise the `_rows` trait value (DataView | ArrayBuffer | typed array | null) to bytes. */
export function toBytes(value: unknown): Uint8Array | null {
  if (value == null) return null;
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  // Cross-realm ArrayBuffer (e.g. iframes): duck-type it.
  const tag = Object.prototype.toString.call(value);
  if (tag === "[object ArrayBuffer]" || tag === "[object SharedArrayBuffer]") {
    return new Uint8Array(value as ArrayBuffer);
  }
  if (tag === "[object DataView]") {
    const dv = value as DataView;
    return new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength);
  }
  return null;
}

/** Decode Arrow IPC bytes into a lazy snapshot. Throws on malformed input. */
export function decodeSnapshot(value: unknown): Snapshot {
  const bytes = toBytes(value);
  if (!bytes || bytes.byteLength === 0) return EMPTY_SNAPSHOT;
  const table = tableFromIPC(bytes);
  const columns = new Map<string, BaseColumn>();
  const chunks = new Map<string, readonly Data[]>();
  const length = table.numRows;
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name);
    if (!vec) continue;
    const typed = vec as Vector<DataType>;
    columns.set(field.name, makeColumn(typed, length));
    chunks.set(field.name, typed.data);
  }
  return { length, columns, chunks };
}

/**
 * `base` with the rows of another Arrow IPC stream (same columns) appended after its rows. The
 * columns are rebuilt over both streams' chunks (each chunk keeps its own dictionary and index
 * width); a column missing on one side reads as null there. Throws on malformed input.
 */
export function appendSnapshot(base: Snapshot, value: unknown): Snapshot {
  return appendRows(base, decodeSnapshot(value));
}

/** `base` with the rows of the decoded `added` after its rows (see `appendSnapshot`). */
export function appendRows(base: Snapshot, added: Snapshot): Snapshot {
  if (added.length === 0) return base;
  if (base.length === 0) return added;
  const length = base.length + added.length;
  const columns = new Map<string, BaseColumn>();
  const chunks = new Map<string, readonly Data[]>();
  const names = new Set([...base.columns.keys(), ...added.columns.keys()]);
  for (const name of names) {
    const a = base.chunks?.get(name);
    const b = added.chunks?.get(name);
    if (a !== undefined && b !== undefined && a.length > 0 && b.length > 0 && a[0]?.type.typeId === b[0]?.type.typeId) {
      const all = [...a, ...b];
      columns.set(name, makeColumn(new Vector(all), length));
      chunks.set(name, all);
    } else {
      columns.set(name, joinedColumn(base.columns.get(name), base.length, added.columns.get(name), length));
    }
  }
  return { length, columns, chunks };
}

/** Rows of `first` (its `split` rows) then of `second`, by value (no fast paths). */
function joinedColumn(
  first: BaseColumn | undefined,
  split: number,
  second: BaseColumn | undefined,
  length: number,
): BaseColumn {
  return {
    length,
    get(i: number): Scalar {
      if (i < split) return first ? first.get(i) : null;
      return second ? second.get(i - split) : null;
    },
  };
}

function makeColumn(vec: Vector<DataType>, length: number): BaseColumn {
  const chunks: readonly Data[] = vec.data;
  const typeId: Type = vec.type.typeId;
  try {
    switch (typeId) {
      case Type.Dictionary:
        return dictColumn(chunks, length);
      case Type.Int:
      case Type.Float:
      case Type.Timestamp:
        return numberColumn(chunks, length, typeId);
      case Type.Bool:
        return boolColumn(chunks, length);
      case Type.Utf8:
      case Type.LargeUtf8:
        return new StringColumn(chunks, length);
      case Type.FixedSizeBinary: {
        const width = (vec.type as { byteWidth?: number }).byteWidth ?? 0;
        if (width === 25 || width === 20) return new PackedAddressColumn(chunks, length, width);
        return genericColumn(vec, length);
      }
      default:
        return genericColumn(vec, length);
    }
  } catch {
    return genericColumn(vec, length);
  }
}

/** Normalise whatever Arrow's `get` returns into a Scalar. */
export function normalize(v: unknown): Scalar {
  if (v == null) return null;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      return Number.isNaN(v) ? null : v;
    case "bigint":
      return Number(v);
    default:
      if (v instanceof Date) return v.getTime() / 1000;
      if (v instanceof Uint8Array) return `0x${hexOf(v, 0, v.length)}`;
      try {
        return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) ?? null;
      } catch {
        return null;
      }
  }
}

class ArrayValues implements DictValues {
  constructor(private readonly values: readonly Scalar[]) {}
  get length(): number {
    return this.values.length;
  }
  get(k: number): Scalar {
    return this.values[k] ?? null;
  }
  all(): readonly Scalar[] {
    return this.values;
  }
}

/** Lazily decoded values of one dictionary vector. */
function dictValues(dict: Vector<DataType> | undefined): DictValues {
  if (!dict) return new ArrayValues([]);
  const t = dict.type;
  const data: readonly Data[] = dict.data;
  if (t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8) return new StringColumn(data, dict.length);
  const vals: Scalar[] = [];
  for (let j = 0; j < dict.length; j++) vals.push(normalize(dict.get(j)));
  return new ArrayValues(vals);
}

function dictColumn(chunks: readonly Data[], length: number): BaseColumn {
  const codes = new Int32Array(length);
  const dicts = new Set<Vector<DataType> | undefined>();
  for (const data of chunks) dicts.add(data.dictionary as Vector<DataType> | undefined);
  let values: DictValues;
  if (dicts.size <= 1) {
    // The common case (one dictionary for the whole stream): keep the raw indices and decode
    // dictionary entries only when they are displayed, searched or sorted.
    const [only] = dicts;
    values = dictValues(only);
    let row = 0;
    for (const data of chunks) {
      const idx = data.values as ArrayLike<number | bigint>;
      const hasNulls = data.nullCount !== 0;
      const big = idx instanceof BigInt64Array || idx instanceof BigUint64Array;
      if (!hasNulls && !big && ArrayBuffer.isView(idx)) {
        codes.set(idx as unknown as ArrayLike<number>, row);
        row += data.length;
        continue;
      }
      for (let i = 0; i < data.length; i++) {
        if (hasNulls && !data.getValid(i)) codes[row++] = -1;
        else codes[row++] = Number(idx[i] ?? -1);
      }
    }
  } else {
    // Several dictionaries (replacement/delta batches): merge them by value.
    const merged: Scalar[] = [];
    const seen = new Map<Scalar, number>();
    let lastDict: Vector<DataType> | undefined;
    let lastMap: Int32Array = new Int32Array(0);
    let row = 0;
    for (const data of chunks) {
      const dict = data.dictionary as Vector<DataType> | undefined;
      if (dict !== lastDict) {
        lastDict = dict;
        const dv = dictValues(dict);
        lastMap = new Int32Array(dv.length);
        for (let j = 0; j < dv.length; j++) {
          const v = dv.get(j);
          let code = seen.get(v);
          if (code === undefined) {
            code = merged.length;
            merged.push(v);
            seen.set(v, code);
          }
          lastMap[j] = code;
        }
      }
      const idx = data.values as ArrayLike<number | bigint>;
      const map = lastMap;
      const hasNulls = data.nullCount !== 0;
      for (let i = 0; i < data.length; i++) {
        if (hasNulls && !data.getValid(i)) {
          codes[row++] = -1;
          continue;
        }
        const c = map[Number(idx[i] ?? -1)];
        codes[row++] = c === undefined ? -1 : c;
      }
    }
    values = new ArrayValues(merged);
  }
  return {
    length,
    dict: { codes, values },
    get(i: number): Scalar {
      const c = codes[i];
      if (c === undefined || c < 0) return null;
      return values.get(c);
    },
  };
}

function numberColumn(chunks: readonly Data[], length: number, typeId: Type): BaseColumn {
  const numbers = new Float64Array(length);
  let row = 0;
  for (const data of chunks) {
    let scale = 1;
    if (typeId === Type.Timestamp) {
      const unit = (data.type as { unit?: number }).unit ?? 1;
      // TimeUnit: SECOND=0, MILLISECOND=1, MICROSECOND=2, NANOSECOND=3
      scale = unit === 0 ? 1 : unit === 1 ? 1e3 : unit === 2 ? 1e6 : 1e9;
    }
    const vals = data.values as ArrayLike<number | bigint>;
    const half = typeId === Type.Float && (data.type as { precision?: number }).precision === 0;
    const hasNulls = data.nullCount !== 0;
    if (
      !hasNulls &&
      !half &&
      scale === 1 &&
      (vals instanceof Float64Array || vals instanceof Float32Array || vals instanceof Int32Array ||
        vals instanceof Uint32Array || vals instanceof Int16Array || vals instanceof Uint16Array ||
        vals instanceof Int8Array || vals instanceof Uint8Array)
    ) {
      numbers.set(vals.subarray(0, data.length), row);
      row += data.length;
      continue;
    }
    for (let i = 0; i < data.length; i++) {
      if (hasNulls && !data.getValid(i)) {
        numbers[row++] = NaN;
        continue;
      }
      let v: number;
      if (half) {
        v = halfToFloat(Number(vals[i] ?? 0));
      } else {
        const raw = vals[i];
        v = typeof raw === "bigint" ? Number(raw) : (raw ?? NaN);
      }
      numbers[row++] = scale === 1 ? v : v / scale;
    }
  }
  return {
    length,
    numbers,
    get(i: number): Scalar {
      const v = numbers[i];
      return v === undefined || Number.isNaN(v) ? null : v;
    },
  };
}

function halfToFloat(h: number): number {
  const s = (h & 0x8000) >> 15;
  const e = (h & 0x7c00) >> 10;
  const f = h & 0x03ff;
  if (e === 0) return (s ? -1 : 1) * Math.pow(2, -14) * (f / 1024);
  if (e === 0x1f) return f ? NaN : (s ? -1 : 1) * Infinity;
  return (s ? -1 : 1) * Math.pow(2, e - 15) * (1 + f / 1024);
}

function boolColumn(chunks: readonly Data[], length: number): BaseColumn {
  // 0 = false, 1 = true, 2 = null
  const vals = new Uint8Array(length);
  let row = 0;
  for (const data of chunks) {
    const bits = data.values as Uint8Array;
    const off = data.offset;
    const n = data.length;
    for (let i = 0; i < n; i++) {
      const b = off + i;
      vals[row + i] = ((bits[b >> 3] ?? 0) >> (b & 7)) & 1;
    }
    if (data.nullCount !== 0) {
      for (let i = 0; i < n; i++) if (!data.getValid(i)) vals[row + i] = 2;
    }
    row += n;
  }
  return {
    length,
    get(i: number): Scalar {
      const v = vals[i];
      return v === 0 ? false : v === 1 ? true : null;
    },
  };
}

function genericColumn(vec: Vector, length: number): BaseColumn {
  const cache: (Scalar | undefined)[] = new Array<Scalar | undefined>(length);
  return {
    length,
    get(i: number): Scalar {
      let v = cache[i];
      if (v === undefined) {
        try {
          v = normalize(vec.get(i));
        } catch {
          v = null;
        }
        cache[i] = v;
      }
      return v;
    },
  };
}
