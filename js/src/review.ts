/**
 * The per-row confirm state machine (JS side) and its two renderings: the Confirm cell in each
 * row and the inline review panel.
 *
 *   idle → "Confirm…" → review → "Cancel" → idle
 *                              → "Confirm payment" → requested (sets `_confirm_request`)
 *   requested → (patches) signing → pending → mined | reverted | refused
 *   requested → `_reply` {ok: false} → idle (error shown)
 */
import { makeLink, setAttr, setDisplay, setText, setTitle } from "./columns";
import { button, el } from "./dom";
import { formatNumber6, formatOgpu, isTruthy, shortHex, toText, txHref, addressHref } from "./format";
import { resultMark, rowResultState, verificationText } from "./results";
import { NO_ACTION, isInProgress, isTerminal, toActionState, type ActionState } from "./states";
import type { RowStore } from "./store";

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
}

export function confirmInfo(store: RowStore, base: number, readOnly: boolean): ConfirmInfo {
  const address = store.keyOf(base);
  const action = toActionState(store.get("action", base));
  const txHash = toText(store.get("tx_hash", base));
  const actionError = toText(store.get("action_error", base));
  const req = address !== null ? store.requests.get(address) : undefined;
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
    replyError: address !== null ? (store.replyErrors.get(address) ?? "") : "",
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
      return info.actionError ? `reverted: ${info.actionError}` : "reverted";
    case "refused":
      return info.actionError ? `refused: ${info.actionError}` : "refused";
    case "unavailable":
      return info.replyError ? `error: ${info.replyError}` : info.reason;
    case "idle":
      return info.replyError ? `error: ${info.replyError}` : "";
  }
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
        explorer,
        reviewing,
      ].join("\u0000");
      if (sig === last) return;
      last = sig;
      const showButton = !(
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
      const text = reviewing && info.phase === "idle" ? "reviewing…" : phaseText(info);
      setText(status, text);
      setTitle(status, text);
      if (status.dataset["phase"] !== info.phase) status.dataset["phase"] = info.phase;
      const hash = info.txHash;
      const href = hash ? txHref(explorer, hash) : null;
      const showTx = hash !== "" && info.phase !== "idle" && info.phase !== "unavailable";
      if (showTx && href !== null) {
        setAttr(tx, "href", href);
        setText(tx, shortHex(hash, 8, 6));
        setTitle(tx, hash);
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

// ---- review panel --------------------------------------------------------------------------

export interface ReviewState {
  address: string;
  base: number;
  estimateId: string;
  /** "review" until "Confirm payment" is clicked, then "submitted". */
  phase: "review" | "submitted";
  requestId: string | null;
}

export interface ReviewPanelCallbacks {
  onConfirm(): void;
  onCancel(): void;
}

/** Snapshot rows of the task of row `base` (this one included), in snapshot order. */
export function taskRows(store: RowStore, base: number): number[] {
  const task = store.get("task", base);
  if (task === null) return [base];
  const index = store.cached("task-rows", "task", () => {
    const m = new Map<string, number[]>();
    for (let i = 0; i < store.length; i++) {
      const t = toText(store.get("task", i));
      let list = m.get(t);
      if (!list) {
        list = [];
        m.set(t, list);
      }
      list.push(i);
    }
    return m;
  });
  return index.get(toText(task)) ?? [base];
}

/** What the review panel says about the other responses of the task. */
export function othersText(n: number): string {
  if (n <= 0) return "No other response of this task is in the table.";
  return n === 1
    ? "1 other response of this task will not be paid."
    : `${n} other responses of this task will not be paid.`;
}

function field(doc: Document, dl: HTMLElement, label: string): HTMLElement {
  const dt = el(doc, "dt", "", label);
  const dd = el(doc, "dd");
  dl.append(dt, dd);
  return dd;
}

function setAddress(doc: Document, dd: HTMLElement, value: string, explorer: string | null): void {
  dd.replaceChildren();
  if (value === "") {
    dd.textContent = "—";
    return;
  }
  const href = addressHref(explorer, value);
  if (href !== null) {
    const a = makeLink(doc);
    a.setAttribute("href", href);
    a.textContent = value;
    dd.append(a);
  } else {
    dd.append(doc.createTextNode(value));
  }
}

export class ReviewPanel {
  readonly el: HTMLElement;
  private readonly cell: HTMLElement;
  private readonly region: HTMLElement;
  private readonly doc: Document;
  private readonly title: HTMLElement;
  private readonly response: HTMLElement;
  private readonly provider: HTMLElement;
  private readonly task: HTMLElement;
  private readonly payment: HTMLElement;
  private readonly fee: HTMLElement;
  private readonly result: HTMLElement;
  private readonly resultMark: HTMLElement;
  private readonly resultText: HTMLElement;
  private readonly others: HTMLElement;
  private readonly status: HTMLElement;
  readonly confirmBtn: HTMLButtonElement;
  readonly cancelBtn: HTMLButtonElement;
  readonly closeBtn: HTMLButtonElement;

  constructor(doc: Document, cb: ReviewPanelCallbacks) {
    this.doc = doc;
    // row > cell(colspan) > region, so the panel is valid inside the table's rowgroup
    const root = el(doc, "div", "ogpu-rt-review");
    root.setAttribute("role", "row");
    this.cell = el(doc, "div", "ogpu-rt-review-cell");
    this.cell.setAttribute("role", "cell");
    this.region = el(doc, "div", "ogpu-rt-review-region");
    this.region.setAttribute("role", "region");
    this.cell.append(this.region);
    this.title = el(doc, "div", "ogpu-rt-review-title");
    const dl = el(doc, "dl", "ogpu-rt-review-fields");
    this.response = field(doc, dl, "Response");
    this.provider = field(doc, dl, "Provider");
    this.task = field(doc, dl, "Task");
    this.payment = field(doc, dl, "Payment");
    this.fee = field(doc, dl, "Estimated fee");
    this.result = field(doc, dl, "Result");
    this.result.classList.add("ogpu-rt-review-result");
    this.resultMark = el(doc, "span", "ogpu-rt-rmark");
    this.resultText = el(doc, "span", "ogpu-rt-rtext");
    this.result.append(this.resultMark, this.resultText);
    this.others = el(doc, "p", "ogpu-rt-review-others");
    const warn = el(doc, "p", "ogpu-rt-review-warn", "This releases the payment and cannot be undone.");
    this.status = el(doc, "div", "ogpu-rt-review-status");
    this.status.setAttribute("aria-live", "polite");
    const actions = el(doc, "div", "ogpu-rt-review-actions");
    this.confirmBtn = button(doc, "ogpu-rt-btn ogpu-rt-primary", "Confirm payment");
    this.cancelBtn = button(doc, "ogpu-rt-btn", "Cancel");
    this.closeBtn = button(doc, "ogpu-rt-btn", "Close");
    this.confirmBtn.addEventListener("click", () => cb.onConfirm());
    this.cancelBtn.addEventListener("click", () => cb.onCancel());
    this.closeBtn.addEventListener("click", () => cb.onCancel());
    actions.append(this.confirmBtn, this.cancelBtn, this.closeBtn);
    this.region.append(this.title, dl, this.others, warn, this.status, actions);
    root.append(this.cell);
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !this.cancelBtn.disabled) {
        e.stopPropagation();
        cb.onCancel();
      }
    });
    this.el = root;
  }

  setColumnCount(n: number): void {
    this.cell.setAttribute("aria-colspan", String(n));
  }

  update(store: RowStore, state: ReviewState, info: ConfirmInfo, explorer: string | null): void {
    const doc = this.doc;
    const base = state.base;
    this.region.setAttribute("aria-label", `Review confirmation of response ${state.address}`);
    this.title.textContent = `Confirm response ${shortHex(state.address)}`;
    setAddress(doc, this.response, state.address, explorer);
    setAddress(doc, this.provider, toText(store.get("provider", base)), explorer);
    setAddress(doc, this.task, toText(store.get("task", base)), explorer);
    const ogpu = store.get("payment_ogpu", base);
    const wei = toText(store.get("payment", base));
    const ogpuText = formatOgpu(ogpu);
    this.payment.textContent = ogpuText !== "" ? ogpuText : wei !== "" ? `${wei} wei` : "—";
    if (wei !== "") this.payment.title = `${wei} wei`;
    const est = store.estimates.get(state.estimateId);
    if (!est || est.pending) this.fee.textContent = "estimating…";
    else if (est.fee !== null) this.fee.textContent = `≈ ${formatNumber6(est.fee)} OGPU`;
    else this.fee.textContent = `unavailable (${est.error || "no estimate"})`;
    this.fee.dataset["state"] = !est || est.pending ? "pending" : est.fee !== null ? "done" : "error";
    // the result being paid for, and its verification
    const rstate = rowResultState(store, base);
    const preview = toText(store.get("result_preview", base));
    this.result.dataset["resultState"] = rstate;
    this.resultMark.textContent = resultMark(rstate).mark;
    const verification = verificationText(rstate === "ok" ? true : null, rstate).replace(/^\S+ /, "");
    this.resultText.textContent =
      rstate === "loading" ? "loading…" : `${verification}${preview !== "" ? ` — ${preview}` : ""}`;
    this.result.title = this.resultText.textContent;
    this.others.textContent = othersText(taskRows(store, base).length - 1);

    const submitted = state.phase === "submitted";
    const finished = submitted && isTerminal(info.phase);
    this.confirmBtn.disabled = submitted || !info.clickable;
    this.cancelBtn.disabled = submitted && !finished;
    this.confirmBtn.style.display = finished ? "none" : "";
    this.cancelBtn.style.display = finished ? "none" : "";
    this.closeBtn.style.display = finished ? "" : "none";

    let status = "";
    if (submitted) {
      switch (info.phase) {
        case "requested":
          status = "Request sent; waiting for the kernel…";
          break;
        case "signing":
          status = "Signing…";
          break;
        case "pending":
          status = `Pending: transaction ${info.txHash ? shortHex(info.txHash, 10, 8) : "sent"}`;
          break;
        case "mined":
          status = "Confirmed ✓ — the payment was released.";
          break;
        case "reverted":
          status = `Reverted${info.actionError ? `: ${info.actionError}` : ""}`;
          break;
        case "refused":
          status = `Refused${info.actionError ? `: ${info.actionError}` : ""}`;
          break;
        default:
          status = info.replyError ? `Error: ${info.replyError}` : "Waiting for the kernel…";
      }
    } else if (!info.clickable) {
      status = `Cannot confirm: ${info.reason}`;
    }
    this.status.textContent = status;
    this.status.dataset["phase"] = submitted ? info.phase : "review";
  }
}
