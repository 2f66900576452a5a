/**
 * Results behind the rows (docs/widget-protocol.md): the state of a row's result from its
 * control columns, the `{"type": "result"}` answer checked at run time, text made inert for
 * display, image bytes checked before they are drawn, JSON flattened and aligned for the compare
 * view, and the debounced demand for the results of the rows on screen.
 */
import type { ResultAnswer } from "../core/protocol";
import { isResultState, type ResultState } from "../core/states";
import { isRecord, type Scalar } from "../core/types";
import type { RowStore } from "../store/rowstore";

/** Most addresses one `results` message asks for. */
export const MAX_DEMAND = 300;
/** Rows beyond the rendered ones (each side) whose results are asked for too. */
export const DEMAND_MARGIN = 40;

export function toResultState(v: Scalar): ResultState {
  return isResultState(v) ? v : "loading";
}

/** The state of row `base`'s result ("loading" until Python patches one). */
export function rowResultState(store: RowStore, base: number): ResultState {
  return toResultState(store.get("result_state", base));
}

/** The verification mark of a state and what it means. */
export function resultMark(state: ResultState): { mark: string; label: string } {
  switch (state) {
    case "ok":
      return { mark: "✓", label: "verified against its CID" };
    case "unverified":
      return { mark: "?", label: "unverified: could not be checked against a CID" };
    case "error":
      return { mark: "✗", label: "failed" };
    case "none":
      return { mark: "–", label: "no fetchable result" };
    case "loading":
      return { mark: "…", label: "loading" };
  }
}

/** The verification of an answer in words. */
export function verificationText(verified: boolean | null, state: ResultState): string {
  if (verified === true) return "✓ verified";
  if (verified === false) return "✗ failed verification";
  if (state === "error") return "✗ failed";
  if (state === "none") return "– nothing to fetch";
  if (state === "loading") return "… loading";
  return "? unverified";
}

// ---- inert text ------------------------------------------------------------------------------

// C0 and C1 controls, DEL, and bidi embeddings/overrides/isolates/marks.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_LINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function symbol(ch: string, line: boolean): string {
  const c = ch.charCodeAt(0);
  if (line && (c === 9 || c === 10 || c === 13)) return " ";
  if (c < 0x20) return String.fromCharCode(0x2400 + c); // ␀ … ␟ (ESC → ␛)
  if (c === 0x7f) return "\u2421";
  return `\\u${c.toString(16).padStart(4, "0")}`;
}

/** Text with control and bidi-override characters made visible (newlines and tabs kept). */
export function inertText(s: string): string {
  return s.replace(CONTROL, (ch) => symbol(ch, false));
}

/** One line: newlines and tabs become spaces, other controls visible symbols. */
export function inertLine(s: string): string {
  return s.replace(CONTROL_LINE, (ch) => symbol(ch, true));
}

/** A JSON string literal with bidi and C1 characters escaped too (JSON.stringify leaves them). */
export function jsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) =>
    symbol(ch, false),
  );
}

/** A JSON value as one compact, inert line of at most `max` characters. */
export function compactJson(v: unknown, max = 200): string {
  let s: string;
  if (typeof v === "string") s = jsonString(v.length > max + 2 ? v.slice(0, max + 2) : v);
  else {
    try {
      s = JSON.stringify(v) ?? "null";
    } catch {
      s = String(v);
    }
    s = inertLine(s);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// ---- images --------------------------------------------------------------------------------

/** Decode base64 (null if it is not base64). */
export function decodeBase64(b64: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return null;
  try {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

/** The image type the bytes really are (PNG, JPEG, GIF or WebP), or null. */
export function sniffImage(b: Uint8Array): string | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return "image/gif";
  if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

// ---- compare: flatten and align ----------------------------------------------------------------

/** Most fields a compare view lists. */
export const MAX_FIELDS = 400;

/**
 * A result as dotted keys → compact values: JSON objects are flattened (`a.b.c`), arrays and
 * scalars are values; a non-object JSON value is `(value)`, text `(text)`, an image `(image)`,
 * an error `(error)`.
 */
export function flattenResult(a: ResultAnswer): Map<string, string> {
  const out = new Map<string, string>();
  if (a.kind === "json") {
    if (a.text !== "") out.set("(json)", compactJson(a.text, 400));
    else flattenInto(a.value, "", out, 0);
    if (out.size === 0) out.set("(value)", compactJson(a.value, 400));
  } else if (a.kind === "text") {
    out.set("(text)", compactJson(typeof a.value === "string" ? a.value : "", 400));
  } else if (a.kind === "image") {
    out.set("(image)", a.width !== null && a.height !== null ? `${a.width}×${a.height} ${a.mime}` : a.error || "image");
  } else if (a.kind === "binary") {
    out.set("(binary)", `${a.size} bytes`);
  } else {
    out.set("(error)", inertLine(a.error || "no result"));
  }
  return out;
}

function flattenInto(v: unknown, prefix: string, out: Map<string, string>, depth: number): void {
  if (out.size >= MAX_FIELDS) return;
  if (isRecord(v) && depth < 12) {
    const keys = Object.keys(v);
    if (keys.length === 0 && prefix !== "") out.set(prefix, "{}");
    for (const k of keys) {
      flattenInto(v[k], prefix === "" ? inertLine(k) : `${prefix}.${inertLine(k)}`, out, depth + 1);
      if (out.size >= MAX_FIELDS) return;
    }
    return;
  }
  out.set(prefix === "" ? "(value)" : prefix, compactJson(v, 400));
}

export interface AlignedRow {
  key: string;
  /** One value per response (undefined: the response has no such field). */
  values: (string | undefined)[];
  /** Not every response has the same value. */
  differs: boolean;
  /** Per response: its value differs from the most common one. */
  odd: boolean[];
}

/** Fields of several results aligned by key (in order of first appearance), with differences. */
export function alignResults(results: readonly (Map<string, string> | null)[]): AlignedRow[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    if (!r) continue;
    for (const k of r.keys()) {
      if (!seen.has(k) && keys.length < MAX_FIELDS) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const loaded = results.filter((r) => r !== null).length;
  return keys.map((key) => {
    const values = results.map((r) => (r ? r.get(key) : undefined));
    const counts = new Map<string, number>();
    values.forEach((v, i) => {
      if (results[i] === null) return;
      const k = v === undefined ? "\u0000missing" : v;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    });
    let best = "";
    let bestN = 0;
    for (const [k, n] of counts) {
      if (n > bestN) {
        best = k;
        bestN = n;
      }
    }
    const differs = counts.size > 1;
    const unique = bestN <= 1 && loaded > 1;
    const odd = values.map((v, i) => {
      if (!differs || results[i] === null) return false;
      const k = v === undefined ? "\u0000missing" : v;
      return unique || k !== best;
    });
    return { key, values, differs, odd };
  });
}

// ---- demand ----------------------------------------------------------------------------------

/**
 * Asks Python, debounced, for the results of the rows on or near the screen that have none yet
 * (at most `MAX_DEMAND`); never the same list twice in a row.
 */
export class ResultsDemand {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = "";

  constructor(
    private readonly store: RowStore,
    private readonly wanted: () => string[],
    private readonly debounceMs: number,
  ) {}

  schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send();
    }, this.debounceMs);
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Forget what was sent (a new snapshot: ask again). */
  reset(): void {
    this.last = "";
  }

  send(): void {
    this.cancel();
    const addresses = this.wanted().slice(0, MAX_DEMAND);
    if (addresses.length === 0) return;
    const key = addresses.join(",");
    if (key === this.last) return;
    this.last = key;
    this.store.results.demand(addresses);
  }
}
