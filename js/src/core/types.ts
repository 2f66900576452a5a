/**
 * Shared types for the ResponseTable front-end. See docs/widget-protocol.md.
 */

/** A single cell value as the front-end sees it (after Arrow / JSON decoding). */
export type Scalar = string | number | boolean | null;

export type ColumnKind = "address" | "text" | "ogpu" | "wei" | "category" | "bool" | "datetime" | "result";

export const COLUMN_KINDS: readonly ColumnKind[] = [
  "address",
  "text",
  "ogpu",
  "wei",
  "category",
  "bool",
  "datetime",
  "result",
];

/** One entry of the `columns` trait. */
export interface ColumnSpec {
  name: string;
  label: string;
  kind: ColumnKind;
}

/** Rows added after the snapshot: an Arrow IPC stream of just these rows, in `_rows`' columns. */
export interface AppendMessage {
  /** Row index of the first added row: how many rows the front-end must already hold. */
  start: number;
  rows: DataView;
  /** True when the rows just appeared on chain (highlighted); false in a resync. */
  new: boolean;
}

export interface PatchMessage {
  seq: number;
  rows: Record<string, Record<string, unknown>>;
  /** Applied before `rows`. */
  append?: AppendMessage;
}

export type LiveState = "live" | "connecting" | "reconnecting" | "paused" | "off";

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

export interface ReplyValue {
  id: string;
  ok: boolean;
  error: string;
}

export interface EstimateReply {
  type: "estimate";
  id: string;
  fee_ogpu: number | null;
  error: string;
  /** The exact fee (wei, a decimal string), when estimated. */
  fee_wei?: string;
  /** The refusal preflight already predicts: the rule's label, the error class, one line. */
  refusal?: { label: string; kind: string; summary: string } | null;
}

/** Names of the control columns (never shown as data columns). */
export const CONTROL_COLUMNS = [
  "can_confirm",
  "reason",
  "action",
  "tx_hash",
  "action_error",
  "result_preview",
  "result_state",
  "result_kind",
  "confirm_tx",
  "confirm_block",
  "confirm_tx_state",
  "confirm_tx_error",
] as const;

/** The key column. */
export const KEY_COLUMN = "address";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
