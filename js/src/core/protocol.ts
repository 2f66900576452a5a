/**
 * Every message that crosses between the kernel and the page (docs/widget-protocol.md): the
 * values of the traits that carry messages, the custom messages both ways, and the checks that
 * turn what the kernel sent into typed values. Kernel values are untrusted: every parser here
 * checks field by field and returns null (or a default) for anything else.
 */
import { isLiveState, isResultState, type LiveState, type ResultState } from "./states";
import { isRecord } from "./types";

// ---- trait values --------------------------------------------------------------------------

/** Rows added after the snapshot: an Arrow IPC stream of just these rows, in `_rows`' columns. */
export interface AppendMessage {
  /** Row index of the first added row: how many rows the front-end must already hold. */
  start: number;
  rows: DataView;
  /** True when the rows just appeared on chain (highlighted); false in a resync. */
  new: boolean;
}

/** `_patch` (kernel → page): row changes, by response address and column. */
export interface PatchMessage {
  seq: number;
  rows: Record<string, Record<string, unknown>>;
  /** Applied before `rows`. */
  append?: AppendMessage;
}

/** `_live_status`: whether the table follows the chain, and how fresh its data is. */
export interface LiveStatusValue {
  state: LiveState;
  /** Unix seconds (kernel clock) of the last read or answered poll; null before any. */
  updated: number | null;
  /** Why the table is reconnecting or off. */
  error: string;
  /** The last block the poller read. */
  block: number | null;
  /** A refresh is running. */
  refreshing: boolean;
  /** Seconds between polls. */
  interval: number;
}

export interface BannerValue {
  level: "info" | "error";
  message: string;
  seq: number;
}

/** `_reply` (kernel → page): the answer to a `_confirm_request` (an error when `ok` is false). */
export interface ReplyValue {
  id: string;
  ok: boolean;
  error: string;
}

/** `_view` (page → kernel): the display order, sent debounced. */
export interface ViewValue {
  all: boolean;
  /** Little-endian uint32 snapshot row indices, in display order (empty when `all`). */
  positions: DataView;
}

/** `_confirm_request` (page → kernel): set by the review panel's "Confirm payment" button. */
export interface ConfirmRequestValue {
  id: string;
  response: string;
}

/** `column_layout` (both ways): the user's column order, hidden columns and widths (px). */
export interface ColumnLayoutValue {
  order: string[];
  hidden: string[];
  widths: Record<string, number>;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** The `_live_status` trait, validated (null before Python sent one). */
export function readLiveStatus(v: unknown): LiveStatusValue | null {
  if (!isRecord(v)) return null;
  const state = v["state"];
  if (!isLiveState(state)) return null;
  return {
    state,
    updated: num(v["updated"]),
    error: str(v["error"]),
    block: num(v["block"]),
    refreshing: v["refreshing"] === true,
    interval: num(v["interval"]) ?? 2,
  };
}

/** A `_patch` value as the store applies it: `append` null unless its `start` is a row index. */
export interface Patch {
  seq: number;
  rows: Record<string, Record<string, unknown>>;
  /** `rows` is still undecoded (the store decodes it: its Arrow bytes are checked there). */
  append: { start: number; rows: unknown; new: boolean } | null;
}

/** The `_patch` trait, checked (null when it is not a patch); rows that are not records are left out. */
export function readPatch(v: unknown): Patch | null {
  if (!isRecord(v) || typeof v["seq"] !== "number") return null;
  const rows: Record<string, Record<string, unknown>> = {};
  const raw = isRecord(v["rows"]) ? v["rows"] : {};
  for (const addr of Object.keys(raw)) {
    const changes = raw[addr];
    if (isRecord(changes)) rows[addr] = changes;
  }
  const a = v["append"];
  const start = isRecord(a) ? a["start"] : undefined;
  const append =
    isRecord(a) && typeof start === "number" && Number.isInteger(start) && start >= 0
      ? { start, rows: a["rows"], new: a["new"] === true }
      : null;
  return { seq: v["seq"], rows, append };
}

/** The `banner` trait, checked (null before Python set one). */
export function readBanner(v: unknown): BannerValue | null {
  if (!isRecord(v)) return null;
  return { level: v["level"] === "error" ? "error" : "info", message: str(v["message"]), seq: num(v["seq"]) ?? 0 };
}

/** The `_reply` trait when it reports a rejected request: its id and error; else null. */
export function readRejection(v: unknown): { id: string; error: string } | null {
  if (!isRecord(v) || v["ok"] !== false) return null;
  const error = str(v["error"]);
  return { id: str(v["id"]), error: error !== "" ? error : "request rejected" };
}

// ---- page → kernel -------------------------------------------------------------------------

/** Custom messages page → kernel (`model.send`). */
export type OutgoingMessage =
  | { type: "resync" }
  /** Once per view, after its first rows are painted: the kernel starts background lookups. */
  | { type: "painted" }
  | { type: "estimate"; id: string; response: string }
  /** The rows on or near the screen whose results are not known yet (capped, debounced). */
  | { type: "results"; addresses: string[] }
  /** The whole result of one row, for the detail and compare views. */
  | { type: "result"; id: string; response: string }
  /** Read the table's scope again (the toolbar's Refresh button; `table.refresh()`). */
  | { type: "refresh" }
  /** Exact payments (wei as decimal strings): of `addresses`, or of every row in row order. */
  | { type: "wei"; id: string; addresses?: string[] }
  /** The page's answer to a wallet request (`account="browser"`). */
  | WalletReply
  /** The wallet's account changed. */
  | WalletAccountEvent;

export type WalletErrorKind = "rejected" | "no_wallet" | "account_mismatch" | "chain" | "wallet";

/** The page's answer to a wallet request. */
export type WalletReply =
  | { type: "wallet"; id: string; ok: true; account: string; chain_id: string }
  | { type: "wallet"; id: string; ok: true; tx_hash: string }
  | { type: "wallet"; id: string; ok: false; kind: WalletErrorKind; code: number | null; error: string; account: string };

/** The wallet's account changed (`accountsChanged`; "" when disconnected). */
export interface WalletAccountEvent {
  type: "wallet";
  event: "account";
  account: string;
}

// ---- kernel → page: answers to the page's requests ------------------------------------------

/** The refusal preflight already predicts: the rule's label, the error class, one line. */
export interface PredictedRefusal {
  label: string;
  kind: string;
  summary: string;
}

/** A `refusal` field (null when it names nothing). */
export function readRefusal(v: unknown): PredictedRefusal | null {
  if (!isRecord(v)) return null;
  const label = str(v["label"]);
  const kind = str(v["kind"]);
  const summary = str(v["summary"]);
  if (label === "" && kind === "" && summary === "") return null;
  return { label, kind, summary };
}

const DIGITS = /^[0-9]+$/;

/** A wei amount: a decimal string of digits, else "". */
export function readWei(v: unknown): string {
  return typeof v === "string" && DIGITS.test(v) ? v : "";
}

/** The answer to `{"type": "estimate"}`: the confirmation's fee, or why there is none. */
export interface EstimateReply {
  type: "estimate";
  id: string;
  fee_ogpu: number | null;
  /** The exact fee (wei, a decimal string); "" when the kernel sent none. */
  fee_wei: string;
  error: string;
  refusal: PredictedRefusal | null;
}

export function parseEstimateReply(v: unknown): EstimateReply | null {
  if (!isRecord(v) || v["type"] !== "estimate" || typeof v["id"] !== "string") return null;
  return {
    type: "estimate",
    id: v["id"],
    fee_ogpu: num(v["fee_ogpu"]),
    fee_wei: readWei(v["fee_wei"]),
    error: str(v["error"]),
    refusal: readRefusal(v["refusal"]),
  };
}

/** The answer to `{"type": "wei"}`: wei by address asked (or by row), "" where unknown. */
export interface WeiReply {
  type: "wei";
  id: string;
  /** null when the kernel sent no list. */
  values: string[] | null;
  error: string;
}

export function parseWeiReply(v: unknown): WeiReply | null {
  if (!isRecord(v) || v["type"] !== "wei" || typeof v["id"] !== "string") return null;
  const values: unknown = v["values"];
  return { type: "wei", id: v["id"], values: Array.isArray(values) ? values.map(readWei) : null, error: str(v["error"]) };
}

export type ResultKind = "json" | "text" | "image" | "binary" | "error";
const KINDS: readonly string[] = ["json", "text", "image", "binary", "error"];

/** The only image types ever drawn (never SVG or HTML from a payload). */
export const IMAGE_MIMES: readonly string[] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** The answer to `{"type": "result"}`: the whole result of one row. */
export interface ResultAnswer {
  id: string;
  kind: ResultKind;
  state: ResultState;
  /** JSON value (json), text (text), hex preview (binary). */
  value: unknown;
  /** The JSON as text when it could not be sent as a value (too large, NaN…). */
  text: string;
  /** Base64 image bytes (PNG/JPEG/GIF/WebP only). */
  image: string;
  mime: string;
  width: number | null;
  height: number | null;
  verified: boolean | null;
  error: string;
  cid: string;
  size: number;
  truncated: boolean;
}

/** A `{"type": "result"}` message from Python, checked field by field (null if not one). */
export function parseResultAnswer(content: unknown): ResultAnswer | null {
  if (!isRecord(content) || content["type"] !== "result" || typeof content["id"] !== "string") return null;
  const rawKind = content["kind"];
  const kind: ResultKind = typeof rawKind === "string" && KINDS.includes(rawKind) ? (rawKind as ResultKind) : "error";
  const verified = content["verified"];
  const rawState = content["state"];
  let state: ResultState;
  if (isResultState(rawState) && rawState !== "loading") state = rawState;
  else if (kind === "error") state = "error";
  else state = verified === true ? "ok" : verified === false ? "error" : "unverified";
  const mime = str(content["mime"]);
  return {
    id: content["id"],
    kind,
    state,
    value: kind === "text" || kind === "binary" ? str(content["value"]) : content["value"],
    text: str(content["text"]),
    image: IMAGE_MIMES.includes(mime) ? str(content["image"]) : "",
    mime: IMAGE_MIMES.includes(mime) ? mime : "",
    width: num(content["width"]),
    height: num(content["height"]),
    verified: verified === true ? true : verified === false ? false : null,
    error: str(content["error"]),
    cid: str(content["cid"]),
    size: num(content["size"]) ?? 0,
    truncated: content["truncated"] === true,
  };
}

// ---- kernel → page: the kernel's wallet requests --------------------------------------------

/** `eth_sendTransaction`'s parameter object, exactly as Python computed it (hex quantities). */
export interface WalletTx {
  from: string;
  to: string;
  data: string;
  value: string;
  gas: string;
  chainId: string;
  type?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  gasPrice?: string;
}

/** `wallet_addEthereumChain`'s parameters (EIP-3085), from Python. */
export interface AddChainParameters {
  chainId: string;
  chainName: string;
  nativeCurrency: { name: string; symbol: string; decimals: number };
  rpcUrls: string[];
  blockExplorerUrls?: string[];
}

/** `{"type": "wallet", "id", "op": "connect"}` or `{…, "op": "send", "response", "tx", "chain"}`. */
export type WalletRequest =
  | { id: string; op: "connect" }
  | { id: string; op: "send"; response: string; tx: WalletTx; chain: AddChainParameters };

const HEX = /^0x[0-9a-fA-F]*$/;
export const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A chain id (hex like `0x42f`, or a decimal number) as a bigint; null when it is not one. */
export function parseChainId(v: unknown): bigint | null {
  try {
    if (typeof v === "string" && HEX.test(v) && v.length > 2) return BigInt(v);
    if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v);
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  } catch {
    return null;
  }
  return null;
}

const TX_KEYS = ["from", "to", "data", "value", "gas", "chainId", "type", "maxFeePerGas", "maxPriorityFeePerGas", "gasPrice"] as const;
const TX_REQUIRED = ["from", "to", "data", "value", "gas", "chainId"] as const;

function parseTx(v: unknown): WalletTx | null {
  if (!isRecord(v)) return null;
  const out: Record<string, string> = {};
  for (const k of TX_KEYS) {
    const x = v[k];
    if (x === undefined) continue;
    if (typeof x !== "string" || !HEX.test(x)) return null;
    out[k] = x;
  }
  if (!TX_REQUIRED.every((k) => k in out)) return null;
  if (!ADDRESS.test(out["from"] ?? "") || !ADDRESS.test(out["to"] ?? "")) return null;
  return out as unknown as WalletTx;
}

function strings(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((x): x is string => typeof x === "string") ? [...v] : null;
}

function parseChain(v: unknown): AddChainParameters | null {
  if (!isRecord(v)) return null;
  const { chainId, chainName, nativeCurrency, rpcUrls, blockExplorerUrls } = v;
  if (typeof chainId !== "string" || parseChainId(chainId) === null || typeof chainName !== "string") return null;
  if (!isRecord(nativeCurrency)) return null;
  const { name, symbol, decimals } = nativeCurrency;
  if (typeof name !== "string" || typeof symbol !== "string" || typeof decimals !== "number") return null;
  const rpc = strings(rpcUrls);
  if (rpc === null) return null;
  const out: AddChainParameters = { chainId, chainName, nativeCurrency: { name, symbol, decimals }, rpcUrls: rpc };
  if (blockExplorerUrls !== undefined) {
    const explorers = strings(blockExplorerUrls);
    if (explorers === null) return null;
    out.blockExplorerUrls = explorers;
  }
  return out;
}

/** A wallet request from Python, checked; null for anything else. */
export function parseWalletRequest(v: unknown): WalletRequest | null {
  if (!isRecord(v) || v["type"] !== "wallet") return null;
  const id = v["id"];
  if (typeof id !== "string" || id === "" || id.length > 200) return null;
  if (v["op"] === "connect") return { id, op: "connect" };
  if (v["op"] !== "send" || typeof v["response"] !== "string") return null;
  const tx = parseTx(v["tx"]);
  const chain = parseChain(v["chain"]);
  if (tx === null || chain === null) return null;
  return { id, op: "send", response: v["response"], tx, chain };
}
