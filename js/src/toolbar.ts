/**
 * The toolbar: global search, the "Showing n of m" counter, the selection count with "Clear
 * selection", "Reset view", the live indicator (live/paused, "updated 3 s ago", Pause/Resume,
 * Refresh), and the signer account (or "read-only").
 */
import { button, el } from "./dom";
import { groupDigits, shortHex } from "./format";
import { LiveIndicator } from "./live";
import { isIdentitySpec } from "./sortfilter";
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
    this.el.append(search, this.count, this.selInfo, this.clearSel, this.resetView, this.live.el, this.account);

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
  }

  renderAccount(): void {
    const a: unknown = this.state.model.get("account");
    if (this.state.readOnly || typeof a !== "string" || a === "") {
      this.account.textContent = "read-only";
      this.account.title = "No signer: confirmations are disabled";
    } else {
      this.account.textContent = `signer ${shortHex(a)}`;
      this.account.title = a;
    }
  }
}
