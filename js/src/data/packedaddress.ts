/**
 * Response/provider addresses packed as 20 or 25 raw bytes, turned into checksummed text only
 * for the rows shown, with a lazily built address → row map.
 */
import type { Data } from "apache-arrow";
import type { BaseColumn } from "./snapshot";
import { isValid } from "./textcolumns";
import type { Scalar } from "../core/types";

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
