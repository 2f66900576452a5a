/**
 * The inline review panel: what is about to be paid (response, provider and task as shortened
 * addresses with copy buttons, the payment with its exact wei, the estimated fee, the result
 * being paid for, the other responses that will not be paid), "Confirm payment" and "Cancel".
 *
 * - A header with the title and a Close (×) button and a footer with the actions stay in view
 *   (sticky) while the fields scroll inside the panel; the panel never gets wider than the
 *   table's own width, so nothing is clipped at 800 px.
 * - Refusals and errors are one line with the full text behind a disclosure (messages.ts).
 * - When the fee estimate already predicts a refusal (`refusal` in Python's estimate reply),
 *   "Confirm payment" is disabled and the reason is shown next to it.
 */
import { AddressChip } from "../ui/address";
import { button, el } from "../core/dom";
import { weiToOgpu } from "../export/export";
import { formatNumber6, formatOgpu, shortHex, toText } from "../core/format";
import { MessageBlock, summarize } from "../ui/messages";
import { resultMark, rowResultState, verificationText } from "../results/results";
import { isTerminal } from "../core/states";
import type { ConfirmInfo } from "./review";
import { othersText, taskRows, type ReviewPanelCallbacks, type ReviewState } from "./reviewstate";
import type { RowStore } from "../store/rowstore";

let panelSeq = 0;

function field(doc: Document, dl: HTMLElement, label: string): HTMLElement {
  const dt = el(doc, "dt", "", label);
  const dd = el(doc, "dd");
  dl.append(dt, dd);
  return dd;
}

/** The payment line: OGPU (exact, from the wei when known) and the wei. */
export function paymentText(ogpu: unknown, wei: string): string {
  if (wei !== "") return `${weiToOgpu(wei)} OGPU (${wei} wei)`;
  const text = formatOgpu(ogpu as number | string | null);
  return text !== "" ? text : "—";
}

/** The estimated fee: OGPU (from the wei when known) and the exact wei when the kernel sent it. */
export function feeText(ogpu: number | null, wei: string): string {
  const shown = ogpu !== null ? formatNumber6(ogpu) : formatNumber6(Number(weiToOgpu(wei)));
  return wei !== "" ? `≈ ${shown} OGPU (${wei} wei)` : `≈ ${shown} OGPU`;
}

export class ReviewPanel {
  readonly el: HTMLElement;
  private readonly cell: HTMLElement;
  private readonly region: HTMLElement;
  private readonly doc: Document;
  private readonly title: HTMLElement;
  private readonly response: AddressChip;
  private readonly provider: AddressChip;
  private readonly task: AddressChip;
  private readonly payment: HTMLElement;
  private readonly fee: HTMLElement;
  private readonly feeMsg: MessageBlock;
  private readonly result: HTMLElement;
  private readonly resultMark: HTMLElement;
  private readonly resultText: HTMLElement;
  private readonly others: HTMLElement;
  private readonly refusal: MessageBlock;
  private readonly status: MessageBlock;
  readonly confirmBtn: HTMLButtonElement;
  readonly cancelBtn: HTMLButtonElement;
  readonly closeBtn: HTMLButtonElement;
  /** The header's × (always in view). */
  readonly dismissBtn: HTMLButtonElement;
  private last: [RowStore, ReviewState, ConfirmInfo, string | null] | null = null;

  constructor(doc: Document, cb: ReviewPanelCallbacks) {
    this.doc = doc;
    const id = `ogpu-rt-review-${++panelSeq}`;
    // row > cell(colspan) > region, so the panel is valid inside the table's rowgroup
    const root = el(doc, "div", "ogpu-rt-review");
    root.setAttribute("role", "row");
    this.cell = el(doc, "div", "ogpu-rt-review-cell");
    this.cell.setAttribute("role", "cell");
    this.region = el(doc, "div", "ogpu-rt-review-region");
    this.region.setAttribute("role", "region");
    this.cell.append(this.region);
    const head = el(doc, "div", "ogpu-rt-review-head");
    this.title = el(doc, "div", "ogpu-rt-review-title");
    this.dismissBtn = button(doc, "ogpu-rt-icon ogpu-rt-review-x", "×", "Close the review");
    this.dismissBtn.title = "Close (Escape)";
    head.append(this.title, this.dismissBtn);
    const dl = el(doc, "dl", "ogpu-rt-review-fields");
    this.response = new AddressChip(doc, "response");
    this.provider = new AddressChip(doc, "provider");
    this.task = new AddressChip(doc, "task");
    field(doc, dl, "Response").append(this.response.el);
    field(doc, dl, "Provider").append(this.provider.el);
    field(doc, dl, "Task").append(this.task.el);
    this.payment = field(doc, dl, "Payment");
    this.payment.classList.add("ogpu-rt-review-payment");
    const feeDd = field(doc, dl, "Estimated fee");
    this.fee = el(doc, "span", "ogpu-rt-review-fee");
    this.feeMsg = new MessageBlock(doc, "ogpu-rt-review-feemsg");
    feeDd.append(this.fee, this.feeMsg.el);
    this.result = field(doc, dl, "Result");
    this.result.classList.add("ogpu-rt-review-result");
    this.resultMark = el(doc, "span", "ogpu-rt-rmark");
    this.resultText = el(doc, "span", "ogpu-rt-rtext");
    this.result.append(this.resultMark, this.resultText);
    this.others = el(doc, "p", "ogpu-rt-review-others");
    const warn = el(doc, "p", "ogpu-rt-review-warn", "This releases the payment and cannot be undone.");
    this.status = new MessageBlock(doc, "ogpu-rt-review-status");
    this.status.el.setAttribute("aria-live", "polite");
    this.refusal = new MessageBlock(doc, "ogpu-rt-review-refusal");
    this.refusal.el.id = `${id}-refusal`;
    this.refusal.el.setAttribute("role", "status");
    const actions = el(doc, "div", "ogpu-rt-review-actions");
    this.confirmBtn = button(doc, "ogpu-rt-btn ogpu-rt-primary", "Confirm payment");
    this.cancelBtn = button(doc, "ogpu-rt-btn", "Cancel");
    this.closeBtn = button(doc, "ogpu-rt-btn", "Close");
    this.confirmBtn.addEventListener("click", () => {
      if (!this.confirmBtn.disabled) cb.onConfirm();
    });
    this.cancelBtn.addEventListener("click", () => cb.onCancel());
    this.closeBtn.addEventListener("click", () => cb.onCancel());
    this.dismissBtn.addEventListener("click", () => cb.onCancel());
    actions.append(this.refusal.el, this.confirmBtn, this.cancelBtn, this.closeBtn);
    const scroll = el(doc, "div", "ogpu-rt-review-body");
    scroll.append(dl, this.others, warn, this.status.el);
    this.region.append(head, scroll, actions);
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

  /** Render again with the last arguments (an estimate's refusal or the wei arrived). */
  private rerender(): void {
    if (this.last !== null) this.update(...this.last);
  }

  /** Keep the region within the table's visible width (800 px notebooks: nothing clipped). */
  private fitWidth(): void {
    const root = this.el.closest<HTMLElement>(".ogpu-rt");
    const w = root?.clientWidth ?? 0;
    const want = w > 0 ? `${Math.max(240, w - 20)}px` : "";
    if (this.region.style.maxWidth !== want) this.region.style.maxWidth = want;
  }

  update(store: RowStore, state: ReviewState, info: ConfirmInfo, explorer: string | null): void {
    this.last = [store, state, info, explorer];
    this.fitWidth();
    const base = state.base;
    this.region.setAttribute("aria-label", `Review confirmation of response ${state.address}`);
    this.title.textContent = `Confirm response ${shortHex(state.address)}`;
    this.title.title = state.address;
    this.response.set(state.address, explorer);
    this.provider.set(toText(store.get("provider", base)), explorer);
    this.task.set(toText(store.get("task", base)), explorer);
    const wei = store.wei.of(state.address);
    if (wei === "") store.wei.fetch([state.address], () => this.rerender());
    this.payment.textContent = paymentText(store.get("payment_ogpu", base), wei);
    this.payment.title = wei !== "" ? `${wei} wei` : "";

    const est = store.estimates.get(state.estimateId);
    const refusal = est && !est.pending ? est.refusal : null;
    const feeWei = est?.feeWei ?? "";
    const feeState = !est || est.pending ? "pending" : est.fee !== null || feeWei !== "" ? "done" : "error";
    this.fee.dataset["state"] = feeState;
    if (feeState === "pending") this.fee.textContent = "estimating…";
    else if (feeState === "done") this.fee.textContent = feeText(est?.fee ?? null, feeWei);
    else this.fee.textContent = refusal !== null ? "—" : "unavailable";
    this.fee.title = feeState === "done" && feeWei !== "" ? `${feeWei} wei` : "";
    const feeError = est?.error ?? "";
    this.feeMsg.set(
      feeState === "error" && refusal === null ? summarize(feeError || "no estimate", "error") : "",
      feeError,
    );

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
    const predicted = !submitted && refusal !== null;
    this.confirmBtn.disabled = submitted || !info.clickable || predicted;
    this.cancelBtn.disabled = submitted && !finished;
    this.dismissBtn.disabled = this.cancelBtn.disabled;
    this.confirmBtn.style.display = finished ? "none" : "";
    this.cancelBtn.style.display = finished ? "none" : "";
    this.closeBtn.style.display = finished ? "" : "none";
    const refusalLine = predicted ? refusal.summary || summarize(feeError, "refused", refusal.label || refusal.kind) : "";
    this.refusal.set(refusalLine, predicted ? feeError : "");
    if (predicted) {
      this.confirmBtn.setAttribute("aria-describedby", this.refusal.el.id);
      this.confirmBtn.title = refusalLine;
    } else {
      this.confirmBtn.removeAttribute("aria-describedby");
      this.confirmBtn.title = "";
    }

    let line = "";
    let full = "";
    if (submitted) {
      switch (info.phase) {
        case "requested":
          line = "Request sent; waiting for the kernel…";
          break;
        case "signing":
          line = "Signing…";
          break;
        case "pending":
          line = `Pending: transaction ${info.txHash ? shortHex(info.txHash, 10, 8) : "sent"}`;
          full = info.txHash;
          break;
        case "mined":
          line = "Confirmed ✓ — the payment was released.";
          full = info.txHash;
          break;
        case "reverted":
          line = info.actionError ? summarize(info.actionError, "reverted") : "Reverted";
          full = info.actionError;
          break;
        case "refused":
          line = info.actionError ? summarize(info.actionError, "refused") : "Refused";
          full = info.actionError;
          break;
        default:
          line = info.replyError ? summarize(info.replyError, "error") : "Waiting for the kernel…";
          full = info.replyError;
      }
    } else if (!info.clickable) {
      line = `Cannot confirm: ${summarize(info.reason, "reason", info.reason)}`;
      full = info.reason;
    }
    this.status.set(line, full);
    this.status.el.dataset["phase"] = submitted ? info.phase : "review";
  }
}
