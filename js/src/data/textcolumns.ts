/**
 * The text columns of a snapshot: plain UTF-8 strings decoded row by row on demand (cached),
 * and response/provider addresses packed as 20 or 25 raw bytes, turned into checksummed text
 * only for the rows shown, with a lazily built address → row map.
 */
import type { Data } from "apache-arrow";
import type { BaseColumn, DictValues } from "./arrow";
import type { Scalar } from "../core/types";

/** Whether row `i` of a chunk holds a value (not null). */
export function isValid(data: Data, i: number): boolean {
  return data.nullCount === 0 || data.getValid(i);
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

export function hexOf(bytes: Uint8Array, a: number, b: number): string {
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
