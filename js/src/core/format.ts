/**
 * Pure formatting and URL-safety helpers. Every value comes from the chain and is hostile:
 * these functions only ever return plain strings (rendered with textContent) or hrefs that have
 * been parsed with `new URL()` and checked against an allow-list of schemes.
 */
import type { Scalar } from "./types";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const TX_RE = /^0x[0-9a-fA-F]{64}$/;

export function isAddress(v: unknown): boolean {
  return typeof v === "string" && ADDRESS_RE.test(v);
}

export function isTxHash(v: unknown): boolean {
  return typeof v === "string" && TX_RE.test(v);
}

/** `0x1234…abcd` (keeps the checksum casing of the input). */
export function shortHex(v: string, head = 6, tail = 4): string {
  if (v.length <= head + tail + 1) return v;
  return `${v.slice(0, head)}…${v.slice(-tail)}`;
}

/** 1234567 → "1,234,567" (no Intl: its first use is slow). */
export function groupDigits(n: number): string {
  const s = String(Math.trunc(n));
  const neg = s.startsWith("-");
  const d = neg ? s.slice(1) : s;
  let out = "";
  for (let i = d.length; i > 0; i -= 3) out = d.slice(Math.max(0, i - 3), i) + (out ? `,${out}` : "");
  return (neg ? "-" : "") + out;
}

export function toText(v: Scalar): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  return String(v);
}

export function toNumber(v: Scalar): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : NaN;
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  return NaN;
}

/** Up to 6 decimals, trailing zeros removed: 1.5 → "1.5", 0.1234567 → "0.123457". */
export function formatNumber6(n: number): string {
  if (!Number.isFinite(n)) return "";
  if (Math.abs(n) >= 1e21) return n.toExponential(6);
  let s = n.toFixed(6);
  if (s.includes(".")) s = s.replace(/\.?0+$/, "");
  if (s === "-0") s = "0";
  return s;
}

export function formatOgpu(v: Scalar): string {
  const n = toNumber(v);
  if (Number.isNaN(n)) return "";
  return `${formatNumber6(n)} OGPU`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Unix seconds → `2026-11-28 18:03:04 UTC`. */
export function formatDatetime(v: Scalar): string {
  const s = toNumber(v);
  if (!Number.isFinite(s)) return "";
  const d = new Date(Math.round(s * 1000));
  if (Number.isNaN(d.getTime())) return "";
  const y = d.getUTCFullYear();
  const ys = y >= 0 && y < 10000 ? String(y).padStart(4, "0") : String(y);
  return `${ys}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes(),
  )}:${pad2(d.getUTCSeconds())} UTC`;
}

/** "3 min ago", "in 2 h", "just now". */
export function relativeTime(seconds: number, nowMs: number = Date.now()): string {
  if (!Number.isFinite(seconds)) return "";
  const diff = nowMs / 1000 - seconds;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 45) return "just now";
  if (abs < 90 * 60) text = `${Math.max(1, Math.round(abs / 60))} min`;
  else if (abs < 36 * 3600) text = `${Math.round(abs / 3600)} h`;
  else if (abs < 60 * 86400) text = `${Math.round(abs / 86400)} d`;
  else if (abs < 730 * 86400) text = `${Math.round(abs / (30 * 86400))} mo`;
  else text = `${Math.round(abs / (365 * 86400))} y`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

export function formatBool(v: Scalar): string {
  if (v === null) return "";
  const b = v === true || v === 1 || v === "true" || v === "True";
  return b ? "✓" : "—";
}

export function isTruthy(v: Scalar): boolean {
  return v === true || v === 1 || v === "true" || v === "True";
}

/**
 * Explorer base URL: only http(s), no credentials; returned without trailing slash.
 * Anything else yields null (no links).
 */
export function explorerBase(raw: unknown): string | null {
  if (typeof raw !== "string" || raw.trim() === "") return null;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  if (u.username || u.password) return null;
  const base = `${u.origin}${u.pathname}`.replace(/\/+$/, "");
  return base;
}

function checkedHttp(href: string): string | null {
  try {
    const u = new URL(href);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return u.href;
  } catch {
    return null;
  }
}

export function addressHref(base: string | null, addr: string): string | null {
  if (base === null || !isAddress(addr)) return null;
  return checkedHttp(`${base}/address/${addr}`);
}

export function txHref(base: string | null, hash: string): string | null {
  if (base === null || !isTxHash(hash)) return null;
  return checkedHttp(`${base}/tx/${hash}`);
}

const IPFS_RE = /^([A-Za-z0-9]{8,128})((?:\/[A-Za-z0-9._~-]*)*)$/;

/**
 * If a provider `data` value is a single http(s) or ipfs URL, return a safe href for it
 * (ipfs://cid/path → https://ipfs.io/ipfs/cid/path); otherwise null (render as text only).
 */
export function safeDataHref(v: Scalar): string | null {
  if (typeof v !== "string") return null;
  const s = v.trim();
  if (s.length === 0 || s.length > 2048 || /\s/.test(s)) return null;
  const lower = s.slice(0, 8).toLowerCase();
  if (lower.startsWith("ipfs://")) {
    const rest = s.slice(7);
    const m = IPFS_RE.exec(rest);
    if (!m) return null;
    const cid = m[1] ?? "";
    if (rest.split("/").some((seg) => seg === "." || seg === "..")) return null;
    const href = checkedHttp(`https://ipfs.io/ipfs/${rest}`);
    if (href === null) return null;
    const u = new URL(href);
    return u.hostname === "ipfs.io" && u.pathname.startsWith(`/ipfs/${cid}`) ? href : null;
  }
  if (!lower.startsWith("http://") && !lower.startsWith("https://")) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  if (u.username || u.password) return null;
  return u.href;
}

/** Known category values → badge style; anything else gets the neutral style. */
const BADGE: Record<string, string> = {
  confirmed: "ok",
  submitted: "neutral",
  finalized: "final",
  canceled: "bad",
  cancelled: "bad",
  expired: "warn",
  new: "info",
  attempted: "info",
  responded: "info",
  manual_confirmation: "neutral",
  first_response: "neutral",
  signing: "info",
  pending: "info",
  reverted: "bad",
  refused: "bad",
};

export function badgeTone(v: string): string {
  return Object.prototype.hasOwnProperty.call(BADGE, v) ? (BADGE[v] ?? "neutral") : "neutral";
}
