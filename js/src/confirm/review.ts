/**
 * The per-row confirm state machine (JS side) and the Confirm cell in each row; the inline
 * review panel is reviewpanel.ts (the review's state and the task's rows are reviewstate.ts).
 *
 *   idle → "Confirm…" → review → "Cancel" → idle
 *                              → "Confirm payment" → requested (sets `_confirm_request`)
 *   requested → (patches) signing → pending → mined | reverted | refused
 *   requested → `_reply` {ok: false} → idle (error shown)
 */
import { makeLink, setDisplay } from "../columns/columns";
import { button, el, setAttr, setText, setTitle } from "../core/dom";
import { isTruthy, shortHex, toText, txHref } from "../core/format";
import { historyOf, historyText, type RowHistory } from "./history";
import { rowLine, summarize } from "../ui/messages";
import { NO_ACTION, isInProgress, toActionState, type ActionState } from "../core/states";
import type { RowStore } from "../store/rowstore";

/** What the Confirm cell shows: a local phase, or the row's action state once Python reports one. */
export type ConfirmPhase = "idle" | "unavailable" | "requested" | Exclude<ActionState, typeof NO_ACTION>;

export interface ConfirmInfo {
  address: string | null;
  phase: ConfirmPhase;
  /** The row may be confirmed now (Confirm button enabled). */
  clickable: boolean;
  /** Why not (when not clickable). */
  reason: string;
  action: ActionState;
  txHash: string;
  actionError: string;
  /** Error from a rejected request (`_reply` ok:false), if any. */
  replyError: string;
  /** The response is confirmed on chain (by anyone). */
  confirmed: boolean;
  /** The confirming transaction (history.ts). */
  history: RowHistory;
}

export function confirmInfo(store: RowStore, base: number, readOnly: boolean): ConfirmInfo {
  const address = store.keyOf(base);
  const action = toActionState(store.get("action", base));
  const txHash = toText(store.get("tx_hash", base));
  const actionError = toText(store.get("action_error", base));
  const req = address !== null ? store.confirms.requests.get(address) : undefined;
  const requested = req !== undefined && !req.acked;
  const inProgress = req !== undefined || isInProgress(action);
  const can = isTruthy(store.get("can_confirm", base));
  const clickable = can && !readOnly && !inProgress && address !== null;
  let reason = toText(store.get("reason", base));
  if (clickable) reason = "";
  else if (readOnly) reason = "read-only";
  else if (address === null) reason = "no response address";
  else if (inProgress) reason = reason || "confirmation pending";
  else if (reason === "") reason = "cannot be confirmed";
  let phase: ConfirmPhase;
  if (requested) phase = "requested";
  else if (action !== NO_ACTION) phase = action;
  else phase = clickable ? "idle" : "unavailable";
  return {
    address,
    phase,
    clickable,
    reason,
    action,
    txHash,
    actionError,
    replyError: address !== null ? (store.confirms.replyErrors.get(address) ?? "") : "",
    confirmed: isTruthy(store.get("confirmed", base)) || toText(store.get("status", base)) === "confirmed",
    history: historyOf(store, base),
  };
}

export function phaseText(info: ConfirmInfo): string {
  switch (info.phase) {
    case "requested":
      return "requested…";
    case "signing":
      return "signing…";
    case "pending":
      return "pending";
    case "mined":
      return "✓ confirmed";
    case "reverted":
      return info.actionError ? rowLine(summarize(info.actionError, "reverted")) : "reverted";
    case "refused":
      return info.actionError ? rowLine(summarize(info.actionError, "refused")) : "refused";
    case "unavailable":
      if (info.replyError) return rowLine(summarize(info.replyError, "error"));
      return info.confirmed ? "✓ confirmed" : info.reason;
    case "idle":
      return info.replyError ? rowLine(summarize(info.replyError, "error")) : "";
  }
}

/** The full text behind a phase's one line (its title), or the line itself. */
export function phaseDetails(info: ConfirmInfo, line: string): string {
  if ((info.phase === "refused" || info.phase === "reverted") && info.actionError) return info.actionError;
  // mined with a note: another account than the checked one signed it (the chain's sender)
  if (info.phase === "mined" && info.actionError) return `${line}: ${info.actionError}`;
  if (info.replyError && (info.phase === "idle" || info.phase === "unavailable")) return info.replyError;
  if (info.phase === "unavailable" && !info.confirmed && info.reason) return summarize(info.reason, "reason", info.reason);
  return line;
}

// ---- confirm cell --------------------------------------------------------------------------

export interface ConfirmCell {
  readonly el: HTMLElement;
  update(info: ConfirmInfo, explorer: string | null, reviewing: boolean): void;
}

export function createConfirmCell(doc: Document): ConfirmCell {
  const root = el(doc, "div", "ogpu-rt-cell ogpu-rt-k-confirm");
  root.setAttribute("role", "cell");
  const btn = button(doc, "ogpu-rt-btn ogpu-rt-confirm", "Confirm…");
  btn.dataset["action"] = "review";
  const status = el(doc, "span", "ogpu-rt-status");
  const tx = makeLink(doc);
  tx.className = "ogpu-rt-tx";
  const txText = el(doc, "span", "ogpu-rt-tx");
  root.append(btn, status, tx, txText);
  let last = "";
  return {
    el: root,
    update(info, explorer, reviewing) {
      const addr = info.address ?? "";
      // rows are re-bound every frame while scrolling: skip identical renders entirely
      const sig = [
        addr,
        info.phase,
        info.clickable,
        info.reason,
        info.txHash,
        info.actionError,
        info.replyError,
        info.confirmed,
        info.history.state,
        info.history.tx,
        info.history.error,
        explorer,
        reviewing,
      ].join("\u0000");
      if (sig === last) return;
      last = sig;
      // a confirmed row shows its state and its transaction, not a disabled button
      const settled = info.phase === "unavailable" && info.confirmed && !info.replyError;
      const showButton = !(
        settled ||
        info.phase === "requested" ||
        info.phase === "signing" ||
        info.phase === "pending" ||
        info.phase === "mined"
      );
      setDisplay(btn, showButton);
      if (btn.disabled !== !info.clickable) btn.disabled = !info.clickable;
      if (info.clickable) {
        setAttr(btn, "aria-label", `Confirm response ${addr}`);
        setTitle(btn, "Review and confirm this response");
      } else {
        setAttr(btn, "aria-label", `Confirm response ${addr} (unavailable: ${info.reason})`);
        setTitle(btn, info.reason);
      }
      setAttr(btn, "aria-expanded", reviewing ? "true" : "false");
      const h = settled || info.phase === "mined" ? historyText(info.history) : null;
      const text = reviewing && info.phase === "idle" ? "reviewing…" : phaseText(info);
      const line = settled && h !== null ? (info.history.state === "found" ? "✓ confirmed" : h.line) : text;
      setText(status, line);
      setTitle(status, settled && h !== null ? h.title : phaseDetails(info, text));
      const phase = settled ? "mined" : info.phase;
      if (status.dataset["phase"] !== phase) status.dataset["phase"] = phase;
      if (status.dataset["history"] !== info.history.state) status.dataset["history"] = info.history.state;
      const hash = info.txHash || (settled ? info.history.tx : "");
      const href = hash ? txHref(explorer, hash) : null;
      const showTx = hash !== "" && info.phase !== "idle" && (info.phase !== "unavailable" || settled);
      if (showTx && href !== null) {
        setAttr(tx, "href", href);
        setText(tx, shortHex(hash, 8, 6));
        setTitle(tx, hash);
        setAttr(tx, "aria-label", `Confirming transaction ${hash} on the explorer`);
        setDisplay(tx, true);
        setDisplay(txText, false);
      } else {
        if (tx.hasAttribute("href")) tx.removeAttribute("href");
        setDisplay(tx, false);
        setText(txText, showTx ? shortHex(hash, 8, 6) : "");
        setTitle(txText, showTx ? hash : "");
        setDisplay(txText, showTx);
      }
    },
  };
}
