/**
 * The plain text columns of a snapshot: UTF-8 strings decoded row by row on demand (cached).
 * Packed addresses are in packedaddress.ts.
 */
import type { Data } from "apache-arrow";
import type { BaseColumn, DictValues } from "./snapshot";
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
