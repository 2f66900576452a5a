/**
 * The history of a confirmed row: the transaction that confirmed it, found by Python in
 * Nexus's `ResponseStatusChanged` log (control fields `confirm_tx`, `confirm_block`,
 * `confirm_tx_state`, `confirm_tx_error`), or the row's own confirmation (`tx_hash` once
 * `mined`).
 */
import { isTruthy, isTxHash, shortHex, toNumber, toText } from "../core/format";
import type { RowStore } from "../store/rowstore";

export type HistoryState = "none" | "loading" | "found" | "missing" | "unknown";

export interface RowHistory {
  state: HistoryState;
  /** The confirming transaction's hash ("" unless found). */
  tx: string;
  block: number | null;
  error: string;
}

export function historyOf(store: RowStore, base: number): RowHistory {
  const confirmed = isTruthy(store.get("confirmed", base)) || toText(store.get("status", base)) === "confirmed";
  const tx = toText(store.get("confirm_tx", base));
  const blockN = toNumber(store.get("confirm_block", base));
  const block = Number.isFinite(blockN) ? blockN : null;
  if (isTxHash(tx)) return { state: "found", tx, block, error: "" };
  const own = toText(store.get("tx_hash", base));
  if (toText(store.get("action", base)) === "mined" && isTxHash(own)) return { state: "found", tx: own, block: null, error: "" };
  if (!confirmed) return { state: "none", tx: "", block: null, error: "" };
  const state = toText(store.get("confirm_tx_state", base));
  const error = toText(store.get("confirm_tx_error", base));
  if (state === "missing") return { state: "missing", tx: "", block: null, error: "" };
  if (state === "unknown") return { state: "unknown", tx: "", block: null, error };
  return { state: "loading", tx: "", block: null, error: "" };
}

/** What the row shows about its confirmation: one line and its title. */
export function historyText(h: RowHistory): { line: string; title: string } {
  switch (h.state) {
    case "found":
      return {
        line: `✓ confirmed ${shortHex(h.tx, 8, 6)}`,
        title: `Confirmed by transaction ${h.tx}${h.block !== null ? ` (block ${h.block})` : ""}`,
      };
    case "missing":
      return { line: "✓ confirmed", title: "Confirmed; the confirming transaction is not in the log range read" };
    case "unknown":
      return { line: "✓ confirmed (tx unknown)", title: h.error || "The confirming transaction could not be read" };
    case "loading":
      return { line: "✓ confirmed", title: "Confirmed; looking up the confirming transaction…" };
    case "none":
      return { line: "", title: "" };
  }
}
