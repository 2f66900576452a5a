/**
 * Lazy, columnar access to an Arrow IPC snapshot.
 *
 * No per-row JS objects are created: numeric and boolean columns are copied into typed arrays
 * (cheap, one pass), dictionary-encoded strings keep their integer codes plus the (small)
 * dictionary, and plain string columns are decoded on demand, row by row, from the UTF-8 buffer.
 */
import { tableFromIPC, Type, Vector, type Data, type DataType } from "apache-arrow";
import type { Scalar } from "./types";

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

function isValid(data: Data, i: number): boolean {
  return data.nullCount === 0 || data.getValid(i);
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

const decoder = new TextDecoder("utf-8");

interface StrChunk {
  start: number;
  data: Data;
  offsets: ArrayLike<number | bigint>;
  bytes: Uint8Array;
}

/** A plain (non-dictionary) UTF-8 column: decodes one row at a time, caching results. */
export class StringColumn implements BaseColumn, DictValues {
  readonly length: number;
  private readonly chunks: StrChunk[] = [];
  private readonly cache: (string | null | undefined)[];
  private complete = false;

  constructor(chunks: readonly Data[], length: number) {
    this.length = length;
    this.cache = new Array<string | null | undefined>(length);
    let start = 0;
    for (const data of chunks) {
      this.chunks.push({
        start,
        data,
        offsets: data.valueOffsets as ArrayLike<number | bigint>,
        bytes: (data.values as Uint8Array | undefined) ?? new Uint8Array(0),
      });
      start += data.length;
    }
  }

  private chunkOf(i: number): StrChunk | undefined {
    const cs = this.chunks;
    if (cs.length === 1) return cs[0];
    let lo = 0;
    let hi = cs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const c = cs[mid];
      if (c && c.start <= i) lo = mid;
      else hi = mid - 1;
    }
    return cs[lo];
  }

  get(i: number): Scalar {
    const cached = this.cache[i];
    if (cached !== undefined) return cached;
    if (i < 0 || i >= this.length) return null;
    const c = this.chunkOf(i);
    if (!c) return null;
    const j = i - c.start;
    let v: string | null;
    if (!isValid(c.data, j)) v = null;
    else {
      const a = Number(c.offsets[j] ?? 0);
      const b = Number(c.offsets[j + 1] ?? a);
      v = decodeRange(c.bytes, a, b);
    }
    this.cache[i] = v;
    return v;
  }

  private asciiLower: AsciiChunk[] | null | undefined;

  /** Whole-buffer lowercase text per chunk when every chunk is ASCII (else null). */
  private asciiChunks(): AsciiChunk[] | null {
    if (this.asciiLower !== undefined) return this.asciiLower;
    const out: AsciiChunk[] = [];
    for (const c of this.chunks) {
      const n = c.data.length;
      const first = Number(c.offsets[0] ?? 0);
      const last = Number(c.offsets[n] ?? first);
      const region = c.bytes.subarray(first, last);
      if (!isAscii(region)) {
        this.asciiLower = null;
        return null;
      }
      out.push({ data: c.data, start: c.start, length: n, first, offsets: c.offsets, lower: decoder.decode(region).toLowerCase() });
    }
    this.asciiLower = out;
    return out;
  }

  /**
   * Case-insensitive substring match of every row against `qLower` (already lowercase), written
   * into `out` (1 = match). Scans the whole UTF-8 buffer with native indexOf instead of decoding
   * each row. Returns false when the fast path is unavailable (non-ASCII data).
   */
  matchLower(qLower: string, out: Uint8Array): boolean {
    const chunks = this.asciiChunks();
    if (chunks === null) return false;
    const qn = qLower.length;
    for (const c of chunks) {
      const off = c.offsets;
      const text = c.lower;
      if (qn === 0) {
        for (let j = 0; j < c.length; j++) out[c.start + j] = 1;
        continue;
      }
      let j = 0;
      let end = Number(off[1] ?? 0) - c.first;
      let from = 0;
      for (;;) {
        const pos = text.indexOf(qLower, from);
        if (pos < 0) break;
        while (end <= pos && j < c.length - 1) {
          j++;
          end = Number(off[j + 1] ?? 0) - c.first;
        }
        if (pos + qn <= end) {
          out[c.start + j] = 1;
          from = end; // next row
        } else {
          from = pos + 1;
        }
      }
      if (c.data.nullCount !== 0) {
        for (let k = 0; k < c.length; k++) if (!c.data.getValid(k)) out[c.start + k] = 0;
      }
    }
    return true;
  }

  private allValues: Scalar[] | null = null;

  all(): readonly Scalar[] {
    if (this.allValues === null) this.allValues = this.materialize().map((v) => v ?? null);
    return this.allValues;
  }

  /** Decode every row (fast path for ASCII buffers: one decode, then slices). */
  materialize(): readonly (string | null | undefined)[] {
    if (this.complete) return this.cache;
    for (const c of this.chunks) {
      const n = c.data.length;
      const first = Number(c.offsets[0] ?? 0);
      const last = Number(c.offsets[n] ?? first);
      const region = c.bytes.subarray(first, last);
      const ascii = isAscii(region);
      const whole = ascii ? decoder.decode(region) : "";
      const hasNulls = c.data.nullCount !== 0;
      for (let j = 0; j < n; j++) {
        const i = c.start + j;
        if (this.cache[i] !== undefined) continue;
        if (hasNulls && !c.data.getValid(j)) {
          this.cache[i] = null;
          continue;
        }
        const a = Number(c.offsets[j] ?? 0);
        const b = Number(c.offsets[j + 1] ?? a);
        this.cache[i] = ascii ? whole.slice(a - first, b - first) : decodeRange(c.bytes, a, b);
      }
    }
    this.complete = true;
    return this.cache;
  }
}

interface AsciiChunk {
  data: Data;
  start: number;
  length: number;
  first: number;
  offsets: ArrayLike<number | bigint>;
  lower: string;
}

function isAscii(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  // unaligned head
  while (i < n && (bytes.byteOffset + i) % 4 !== 0) {
    if ((bytes[i] ?? 0) > 0x7f) return false;
    i++;
  }
  // 4 bytes at a time
  const words = Math.floor((n - i) / 4);
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let k = 0; k < words; k++) if (((w[k] ?? 0) & 0x80808080) !== 0) return false;
    i += words * 4;
  }
  for (; i < n; i++) if ((bytes[i] ?? 0) > 0x7f) return false;
  return true;
}

function decodeRange(bytes: Uint8Array, a: number, b: number): string {
  if (b <= a) return "";
  const len = b - a;
  if (len <= 64) {
    let ascii = true;
    for (let k = a; k < b; k++) {
      if ((bytes[k] ?? 0) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return String.fromCharCode.apply(null, bytes.subarray(a, b) as unknown as number[]);
    }
  }
  return decoder.decode(bytes.subarray(a, b));
}

const HEX = "0123456789abcdef";

function hexOf(bytes: Uint8Array, a: number, b: number): string {
  let out = "";
  for (let k = a; k < b; k++) {
    const x = bytes[k] ?? 0;
    out += (HEX[x >> 4] ?? "0") + (HEX[x & 15] ?? "0");
  }
  return out;
}

/**
 * Addresses packed as fixed-size binary: 20 address bytes, optionally followed by a 40-bit
 * mask (5 bytes, LSB first) whose bit i says hex digit i is upper case, so the exact EIP-55
 * checksummed string is rebuilt without hashing. Rows are decoded on demand and cached.
 */
export class PackedAddressColumn implements BaseColumn {
  readonly length: number;
  private readonly chunks: { start: number; data: Data; bytes: Uint8Array }[] = [];
  private readonly cache: (string | null | undefined)[];
  private readonly width: number;
  private readonly codes = new Uint16Array(42);

  constructor(chunks: readonly Data[], length: number, width: number) {
    this.length = length;
    this.width = width;
    this.cache = new Array<string | null | undefined>(length);
    let start = 0;
    for (const data of chunks) {
      this.chunks.push({ start, data, bytes: (data.values as Uint8Array | undefined) ?? new Uint8Array(0) });
      start += data.length;
    }
  }

  private lower: string | null = null;
  private rankCache: Float64Array | null = null;
  private flatCache: { addr: Uint8Array; valid: Uint8Array } | null = null;

  /** The 20 address bytes of every row, contiguous (built once, for search and sort). */
  private flat(): { addr: Uint8Array; valid: Uint8Array } {
    if (this.flatCache !== null) return this.flatCache;
    const n = this.length;
    const addr = new Uint8Array(n * 20);
    const valid = new Uint8Array(n);
    const w = this.width;
    for (const c of this.chunks) {
      const m = c.data.length;
      const bytes = c.bytes;
      const hasNulls = c.data.nullCount !== 0;
      for (let j = 0; j < m; j++) {
        const row = c.start + j;
        if (hasNulls && !c.data.getValid(j)) continue;
        valid[row] = 1;
        addr.set(bytes.subarray(j * w, j * w + 20), row * 20);
      }
    }
    this.flatCache = { addr, valid };
    return this.flatCache;
  }

  private indexCache: Map<string, number> | null = null;

  /** Lowercase address → first row index. */
  indexMap(): Map<string, number> {
    if (this.indexCache !== null) return this.indexCache;
    const { valid } = this.flat();
    const text = this.lowerText();
    const m = new Map<string, number>();
    for (let i = 0; i < this.length; i++) {
      if (!valid[i]) continue;
      const k = text.slice(i * 42, i * 42 + 42);
      if (!m.has(k)) m.set(k, i);
    }
    this.indexCache = m;
    return m;
  }

  /** Case-insensitive substring match over every row (lowercase hex, one native scan). */
  matchLower(qLower: string, out: Uint8Array): boolean {
    const { valid } = this.flat();
    const n = this.length;
    const text = this.lowerText();
    const qn = qLower.length;
    if (qn === 0) {
      for (let i = 0; i < n; i++) out[i] = valid[i] ?? 0;
      return true;
    }
    if (qn > 42) return true;
    let from = 0;
    for (;;) {
      const pos = text.indexOf(qLower, from);
      if (pos < 0) break;
      const row = Math.floor(pos / 42);
      const end = (row + 1) * 42;
      if (pos + qn <= end) {
        if (valid[row]) out[row] = 1;
        from = end;
      } else from = pos + 1;
    }
    return true;
  }

  /** Every row as "0x" + 40 lowercase hex digits, concatenated (built once). */
  private lowerText(): string {
    const { addr } = this.flat();
    const n = this.length;
    if (this.lower === null) {
      // "0x" + 40 lowercase hex digits per row, as ASCII, decoded once
      const ascii = new Uint8Array(n * 42);
      for (let i = 0; i < n; i++) {
        const o = i * 42;
        ascii[o] = 48;
        ascii[o + 1] = 120;
        for (let k = 0; k < 20; k++) {
          const x = addr[i * 20 + k] ?? 0;
          const hi = x >> 4;
          const lo = x & 15;
          ascii[o + 2 + 2 * k] = hi < 10 ? 48 + hi : 87 + hi;
          ascii[o + 3 + 2 * k] = lo < 10 ? 48 + lo : 87 + lo;
        }
      }
      this.lower = new TextDecoder("utf-8").decode(ascii);
    }
    return this.lower;
  }

  /** Sort ranks (NaN for null): byte order equals the order of the lowercase hex strings. */
  ranks(): Float64Array {
    if (this.rankCache !== null) return this.rankCache;
    const { addr, valid } = this.flat();
    const n = this.length;
    const prefix = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let k = 0; k < 6; k++) v = v * 256 + (addr[i * 20 + k] ?? 0);
      prefix[i] = v;
    }
    const cmp = (a: number, b: number): number => {
      for (let k = 6; k < 20; k++) {
        const x = addr[a * 20 + k] ?? 0;
        const y = addr[b * 20 + k] ?? 0;
        if (x !== y) return x - y;
      }
      return 0;
    };
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => {
      const x = prefix[a] as number;
      const y = prefix[b] as number;
      if (x !== y) return x < y ? -1 : 1;
      return cmp(a, b);
    });
    const rank = new Float64Array(n);
    let r = 0;
    for (let k = 0; k < n; k++) {
      const cur = order[k] ?? 0;
      if (k > 0) {
        const prev = order[k - 1] ?? 0;
        if (prefix[prev] !== prefix[cur] || cmp(prev, cur) !== 0) r++;
      }
      rank[cur] = valid[cur] ? r : NaN;
    }
    this.rankCache = rank;
    return rank;
  }

  get(i: number): Scalar {
    const cached = this.cache[i];
    if (cached !== undefined) return cached;
    if (i < 0 || i >= this.length) return null;
    let c = this.chunks[0];
    for (const ch of this.chunks) {
      if (ch.start <= i) c = ch;
      else break;
    }
    if (!c) return null;
    const j = i - c.start;
    let v: string | null = null;
    if (isValid(c.data, j)) {
      const p = j * this.width;
      const bytes = c.bytes;
      const codes = this.codes;
      codes[0] = 48; // "0"
      codes[1] = 120; // "x"
      const masked = this.width >= 25;
      for (let k = 0; k < 20; k++) {
        const x = bytes[p + k] ?? 0;
        for (let h = 0; h < 2; h++) {
          const digit = 2 * k + h;
          const nib = h === 0 ? x >> 4 : x & 15;
          let code = nib < 10 ? 48 + nib : 87 + nib; // 0-9, a-f
          if (masked && nib >= 10 && ((bytes[p + 20 + (digit >> 3)] ?? 0) >> (digit & 7)) & 1) code -= 32;
          codes[2 + digit] = code;
        }
      }
      v = String.fromCharCode.apply(null, codes as unknown as number[]);
    }
    this.cache[i] = v;
    return v;
  }
}
