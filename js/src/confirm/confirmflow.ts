/**
 * The confirm flow of one table view: opening the inline review panel under a row (fetching a
 * fee estimate), "Confirm payment" (sets `_confirm_request` through the store), closing it, and
 * keeping the panel in step with row patches, replies and estimates. The state machine and the
 * panel's DOM are in review.ts. When the kernel has no key (`account="browser"`), the wallet
 * requests that follow "Confirm payment" are answered by wallet.ts.
 */
import type { TableBody } from "../grid/body";
import { confirmInfo } from "./review";
import { ReviewPanel } from "./reviewpanel";
import { panelTop } from "../grid/scroller";
import { PANEL_HEIGHT } from "../table/styles";
import { updateReviewPos, type TableState } from "../table/tablestate";
import { attachWallet } from "../wallet/wallet";

export interface OpenOptions {
  /** Dock the panel in this element (the compare view) instead of under the row. */
  dock?: HTMLElement;
  /** Give the focus back to this element when the panel closes. */
  returnFocus?: HTMLElement;
}

export class ConfirmFlow {
  readonly panel: ReviewPanel;
  private returnFocus: HTMLElement | null = null;

  constructor(
    private readonly state: TableState,
    private readonly body: TableBody,
  ) {
    this.panel = new ReviewPanel(state.doc, { onConfirm: () => this.confirmPayment(), onCancel: () => this.close(true) });
    this.panel.el.style.display = "none";
    body.attachPanel(this.panel.el);
    const store = state.store;
    // the kernel's wallet requests (account="browser"): the wallet signs what Python checked
    state.cleanups.push(attachWallet(state.model, state.win));
    state.cleanups.push(
      store.on("confirm", (addr) => {
        if (addr !== null) body.markKeyDirty(addr);
        const review = state.review;
        if (review !== null && review.requestId !== null && store.confirms.outcomes.get(review.requestId) === "rejected") {
          this.close(false);
        } else this.updatePanel();
        body.schedule();
      }),
      store.on("estimate", (id) => {
        if (state.review !== null && state.review.estimateId === id) this.updatePanel();
      }),
    );
  }

  updatePanel(): void {
    const { review, store, readOnly, explorer } = this.state;
    if (review === null) return;
    const info = confirmInfo(store, review.base, readOnly);
    this.panel.update(store, review, info, explorer);
  }

  /** The row's Confirm… button: open its review, or close it when it is already open. */
  toggle(base: number, key: string | null): void {
    const review = this.state.review;
    if (review !== null && review.address === key && review.phase === "review" && this.state.reviewDock === null) {
      this.close(false);
    } else this.open(base);
  }

  /** Put the panel under the rows (`dock` null) or in `dock`. */
  private place(dock: HTMLElement | null): void {
    const { state, body } = this;
    const panel = this.panel.el;
    state.reviewDock = dock;
    if (dock !== null) {
      if (panel.parentElement !== dock) dock.append(panel);
      panel.classList.add("ogpu-rt-review-docked");
      panel.style.transform = "";
    } else {
      panel.classList.remove("ogpu-rt-review-docked");
      if (panel.parentElement !== body.el) body.attachPanel(panel);
    }
  }

  open(base: number, options: OpenOptions = {}): void {
    const { state, body } = this;
    const { store } = state;
    const info = confirmInfo(store, base, state.readOnly);
    if (!info.clickable || info.address === null) return;
    if (state.review !== null) body.markKeyDirty(state.review.address);
    this.place(options.dock ?? null);
    this.returnFocus = options.returnFocus ?? null;
    state.review = {
      address: info.address,
      base,
      estimateId: store.estimates.request(info.address),
      phase: "review",
      requestId: null,
    };
    body.markDirty(base);
    updateReviewPos(state);
    this.updatePanel();
    this.panel.el.style.display = "";
    body.frame();
    // make sure the panel is visible
    if (state.reviewDock !== null) {
      this.panel.el.scrollIntoView?.({ block: "nearest" });
    } else if (state.reviewPos >= 0) {
      const l = body.layout();
      const bottom = body.headerHeight + panelTop(l) + PANEL_HEIGHT;
      const vh = body.viewportHeight();
      if (bottom > body.scroll.scrollTop + vh) {
        body.scroll.scrollTop = Math.max(0, bottom - vh + 4);
        body.schedule();
      }
    }
    this.panel.cancelBtn.focus({ preventScroll: true });
  }

  close(restoreFocus: boolean): void {
    const { state, body } = this;
    if (state.review === null) return;
    const addr = state.review.address;
    state.review = null;
    state.reviewPos = -1;
    const docked = state.reviewDock !== null;
    const back = this.returnFocus;
    this.returnFocus = null;
    if (docked) {
      this.panel.el.style.display = "none";
      this.place(null);
    }
    body.markKeyDirty(addr);
    body.frame();
    if (restoreFocus && back !== null && back.isConnected) {
      if (back instanceof HTMLButtonElement && (back.disabled || back.style.display === "none")) {
        const dialog = back.closest("[role=dialog]");
        dialog?.querySelector<HTMLButtonElement>("button:not(:disabled)")?.focus({ preventScroll: true });
      } else back.focus({ preventScroll: true });
    } else if (restoreFocus && !docked) {
      const h = body.boundRow(state.store.indexOf(addr));
      const btn = h?.confirm.el.querySelector("button");
      if (btn && !btn.disabled) btn.focus({ preventScroll: true });
      else body.scroll.focus({ preventScroll: true });
    }
  }

  confirmPayment(): void {
    const { state } = this;
    const { store } = state;
    if (state.review === null || state.review.phase !== "review") return;
    const info = confirmInfo(store, state.review.base, state.readOnly);
    if (!info.clickable) return;
    const id = store.confirms.request(state.review.address);
    if (id === null) return;
    // requestConfirm emits "confirm", whose listener may have closed the review
    const review = state.review;
    if (review === null) return;
    review.phase = "submitted";
    review.requestId = id;
    if (store.confirms.outcomes.get(id) === "rejected") {
      this.close(false);
      return;
    }
    this.body.markDirty(review.base);
    this.updatePanel();
    this.body.schedule();
  }

  /** A new snapshot: follow the reviewed row to its new index, or drop the review. */
  onSnapshot(): void {
    const { state } = this;
    if (state.review === null) return;
    const b = state.store.indexOf(state.review.address);
    if (b < 0) {
      state.review = null;
      state.reviewPos = -1;
      if (state.reviewDock !== null) {
        this.panel.el.style.display = "none";
        this.place(null);
      }
    } else state.review.base = b;
  }

  /** Rows were patched: refresh the panel when its row is among them. */
  onRowsPatched(rows: ReadonlySet<number>): void {
    if (this.state.review !== null && rows.has(this.state.review.base)) this.updatePanel();
  }
}
