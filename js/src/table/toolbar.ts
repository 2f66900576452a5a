/**
 * The toolbar: global search, the "Showing n of m" counter, the selection count with "Clear
 * selection", "Reset view", the live indicator (live/paused, "updated 3 s ago", Pause/Resume,
 * Refresh), and the signer account (or "read-only").
 */
import { button, el } from "../core/dom";
import { runExport } from "../export/exportview";
import { installWeiTooltips } from "../export/weitips";
import { groupDigits, shortHex } from "../core/format";
import { LiveIndicator } from "../live/live";
import { isIdentitySpec } from "../columns/sortfilter";
import { listen, type TableState } from "./tablestate";

export interface ToolbarHooks {
  /** The search text changed (`state.spec.search` is already updated). */
  onSearch(): void;
  /** "Reset view" was clicked (the search box is already cleared). */
  onResetView(): void;
  /** The table follows the chain ("on") or not ("off"). */
  onLive(live: "on" | "off"): void;
}

export class Toolbar {
  readonly el: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly count: HTMLElement;
  private readonly selInfo: HTMLElement;
  private readonly clearSel: HTMLButtonElement;
  private readonly resetView: HTMLButtonElement;
  private readonly account: HTMLElement;
  readonly live: LiveIndicator;
  /** Export: "Copy view (TSV)", "Copy selection (TSV)" (with a selection), "Download CSV". */
  readonly exportEl: HTMLElement;
  private readonly copySel: HTMLButtonElement;

  constructor(
    private readonly state: TableState,
    hooks: ToolbarHooks,
  ) {
    const doc = state.doc;
    this.el = el(doc, "div", "ogpu-rt-toolbar");
    const search = el(doc, "input");
    search.type = "search";
    search.placeholder = "Search…";
    search.setAttribute("aria-label", "Search all columns");
    search.value = state.spec.search;
    this.search = search;
    this.count = el(doc, "span", "ogpu-rt-count");
    this.count.setAttribute("aria-live", "polite");
    this.count.setAttribute("role", "status");
    this.selInfo = el(doc, "span", "ogpu-rt-count");
    this.clearSel = button(doc, "ogpu-rt-btn", "Clear selection");
    this.resetView = button(doc, "ogpu-rt-btn", "Reset view");
    this.resetView.title = "Clear sorting, filters and search";
    this.account = el(doc, "span", "ogpu-rt-account");
    this.live = new LiveIndicator(state, (live) => hooks.onLive(live));
    this.exportEl = el(doc, "span", "ogpu-rt-export");
    this.exportEl.setAttribute("role", "group");
    this.exportEl.setAttribute("aria-label", "Export");
    const copyView = button(doc, "ogpu-rt-btn", "Copy view (TSV)");
    copyView.title = "Copy the rows shown (visible columns, exact wei) as tab-separated text";
    this.copySel = button(doc, "ogpu-rt-btn", "Copy selection (TSV)");
    this.copySel.title = "Copy the selected rows (visible columns, exact wei) as tab-separated text";
    const downloadCsv = button(doc, "ogpu-rt-btn", "Download CSV");
    downloadCsv.title = "Download the selection (or, without one, the rows shown) as CSV";
    copyView.dataset["export"] = "copy-view";
    this.copySel.dataset["export"] = "copy-selection";
    downloadCsv.dataset["export"] = "download";
    this.exportEl.append(copyView, this.copySel, downloadCsv);
    for (const [b, action] of [
      [copyView, "copy-view"],
      [this.copySel, "copy-selection"],
      [downloadCsv, "download"],
    ] as const) {
      listen(state, b, "click", () => void runExport(state, this.el, action, b));
    }
    this.el.append(search, this.count, this.selInfo, this.clearSel, this.resetView, this.exportEl, this.live.el, this.account);
    installWeiTooltips(state, this.el); // exact wei in the payment cells' tooltips

    listen(state, search, "input", () => {
      state.spec.search = search.value;
      hooks.onSearch();
    });
    listen(state, this.clearSel, "click", () => state.selection.clear());
    listen(state, this.resetView, "click", () => {
      search.value = "";
      hooks.onResetView();
    });
  }

  /** Add buttons (column menu, keyboard help) after "Reset view". */
  addTools(...tools: HTMLElement[]): void {
    this.resetView.after(...tools);
  }

  /** "Showing n of m"; "Reset view" only when the view is not the identity. */
  updateCounts(): void {
    const { ord, store, spec, columns } = this.state;
    this.count.textContent = `Showing ${groupDigits(ord.length)} of ${groupDigits(store.length)}`;
    this.resetView.style.display = isIdentitySpec(spec, columns) ? "none" : "";
  }

  updateSelectionInfo(): void {
    const k = this.state.store.selection.size;
    this.selInfo.textContent = k > 0 ? `${groupDigits(k)} selected` : "";
    this.selInfo.style.display = k > 0 ? "" : "none";
    this.clearSel.style.display = k > 0 ? "" : "none";
    this.copySel.style.display = k > 0 ? "" : "none";
  }

  renderAccount(): void {
    const a: unknown = this.state.model.get("account");
    if (this.state.readOnly) {
      this.account.textContent = "read-only";
      this.account.title = "No signer: confirmations are disabled";
    } else if (typeof a !== "string" || a === "") {
      // account="browser": the page's wallet signs; it reports its account at the first Confirm
      this.account.textContent = "signer: browser wallet";
      this.account.title = "The page's wallet (EIP-1193) signs; no key is in the kernel";
    } else {
      this.account.textContent = `signer ${shortHex(a)}`;
      this.account.title = a;
    }
  }
}
