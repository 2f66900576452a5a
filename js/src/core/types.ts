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
  "reorged",
] as const;

/** The key column. */
export const KEY_COLUMN = "address";

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
