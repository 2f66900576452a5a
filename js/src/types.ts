/**
 * Shared types for the ResponseTable front-end. See docs/widget-protocol.md.
 */

/** A single cell value as the front-end sees it (after Arrow / JSON decoding). */
export type Scalar = string | number | boolean | null;

/** The minimal anywidget model surface we use (matches @anywidget/types AnyModel). */
export interface AnyModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
  on(name: string, callback: (...args: never[]) => void): void;
  off(name: string, callback?: (...args: never[]) => void): void;
}

export type ColumnKind = "address" | "text" | "ogpu" | "wei" | "category" | "bool" | "datetime";

export const COLUMN_KINDS: readonly ColumnKind[] = [
  "address",
  "text",
  "ogpu",
  "wei",
  "category",
  "bool",
  "datetime",
];

/** One entry of the `columns` trait. */
export interface ColumnSpec {
  name: string;
  label: string;
  kind: ColumnKind;
}

export interface PatchMessage {
  seq: number;
  rows: Record<string, Record<string, unknown>>;
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
}

/** Names of the control columns (never shown as data columns). */
export const CONTROL_COLUMNS = ["can_confirm", "reason", "action", "tx_hash", "action_error"] as const;

/** The key column. */
export const KEY_COLUMN = "address";

export type Action = "" | "signing" | "pending" | "confirmed" | "reverted" | "refused";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
