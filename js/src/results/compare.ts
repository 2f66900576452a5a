/**
 * The compare view: every response of a task side by side, one column per response (provider,
 * submission time, verification, confirm progress, a Confirm button) and the results' fields
 * aligned by key (flattened dotted keys), differing values highlighted. A column's Confirm opens
 * the same review panel as the row's Confirm (docked in this view), so it ends in the same
 * `_confirm_request`.
 */
import type { ConfirmFlow } from "../confirm/confirmflow";
import { button, detailDialog, el, setAttr, setText, setTitle } from "../core/dom";
import { formatDatetime, shortHex, toText } from "../core/format";
import { alignResults, flattenResult, inertLine, resultMark, rowResultState, verificationText } from "./results";
import { confirmInfo, phaseDetails, phaseText } from "../confirm/review";
import { taskRows } from "../confirm/reviewstate";
import { listen, type TableState } from "../table/tablestate";

/** Most responses shown side by side. */
export const MAX_COLUMNS = 16;

interface Column {
  base: number;
  address: string;
  confirm: HTMLButtonElement;
  status: HTMLElement;
  verification: HTMLElement;
}

export class CompareView {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly note: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly info: HTMLTableSectionElement;
  private readonly fields: HTMLTableSectionElement;
  /** Where the review panel docks when a column's Confirm is clicked. */
  readonly reviewSlot: HTMLElement;
  readonly closeBtn: HTMLButtonElement;
  private cols: Column[] = [];
  private shown: { base: number; task: string; trigger: HTMLElement | null } | null = null;

  constructor(
    private readonly state: TableState,
    private readonly flow: ConfirmFlow,
  ) {
    const doc = state.doc;
    let head: HTMLElement;
    ({ el: this.el, head, title: this.title, closeBtn: this.closeBtn } = detailDialog(
      doc, "ogpu-rt-detail ogpu-rt-compare", "Close the comparison"));
    head.append(this.title, this.closeBtn);
    this.note = el(doc, "div", "ogpu-rt-result-meta");
    const scroll = el(doc, "div", "ogpu-rt-cmp-scroll");
    this.table = el(doc, "table", "ogpu-rt-cmp");
    this.thead = el(doc, "thead");
    this.info = el(doc, "tbody", "ogpu-rt-cmp-info");
    this.fields = el(doc, "tbody", "ogpu-rt-cmp-fields");
    this.table.append(this.thead, this.info, this.fields);
    scroll.append(this.table);
    this.reviewSlot = el(doc, "div", "ogpu-rt-cmp-review");
    this.el.append(head, this.note, scroll, this.reviewSlot);
    listen(state, this.closeBtn, "click", () => this.close());
    listen(state, this.table, "click", (e) => {
      const t = (e.target as Element | null)?.closest?.("button[data-compare-confirm]");
      if (!(t instanceof HTMLButtonElement) || t.disabled) return;
      const col = this.cols.find((c) => c.address === t.dataset["compareConfirm"]);
      if (col) this.flow.open(col.base, { dock: this.reviewSlot, returnFocus: t });
    });
    const { store } = state;
    state.cleanups.push(
      store.on("result", (addr) => {
        if (this.shown !== null && this.cols.some((c) => c.address === addr)) this.renderFields();
      }),
      store.on("rows", (change) => {
        if (this.shown === null) return;
        if (change.kind === "reset") this.close(false);
        else if (this.cols.some((c) => change.rows.has(c.base))) this.updateColumns();
      }),
      store.on("confirm", () => {
        if (this.shown !== null) this.updateColumns();
      }),
    );
  }

  get isOpen(): boolean {
    return this.shown !== null;
  }

  /** Addresses compared, in column order. */
  get addresses(): string[] {
    return this.cols.map((c) => c.address);
  }

  open(base: number, trigger: HTMLElement | null): void {
    const { store, doc } = this.state;
    const task = toText(store.get("task", base));
    const all = taskRows(store, base);
    // the row it was opened from first, then the others in table order
    const bases = [base, ...all.filter((b) => b !== base)].slice(0, MAX_COLUMNS);
    this.shown = { base, task, trigger };
    this.el.setAttribute("aria-label", `Compare the responses of task ${task}`);
    this.title.textContent = `Compare the ${all.length} response${all.length === 1 ? "" : "s"} of task ${shortHex(task)}`;
    this.title.title = task;
    this.note.textContent =
      all.length > MAX_COLUMNS ? `Showing the first ${MAX_COLUMNS} of ${all.length} responses.` : "";
    // header: one column per response
    const hrow = el(doc, "tr");
    hrow.append(el(doc, "th", "ogpu-rt-cmp-key", "Response"));
    const prow = el(doc, "tr");
    prow.append(el(doc, "th", "ogpu-rt-cmp-key", "Provider"));
    const trow = el(doc, "tr");
    trow.append(el(doc, "th", "ogpu-rt-cmp-key", "Submitted"));
    const vrow = el(doc, "tr");
    vrow.append(el(doc, "th", "ogpu-rt-cmp-key", "Verification"));
    const crow = el(doc, "tr");
    crow.append(el(doc, "th", "ogpu-rt-cmp-key", "Confirm"));
    this.cols = [];
    for (const b of bases) {
      const address = store.keyOf(b) ?? "";
      const th = el(doc, "th", "ogpu-rt-cmp-col", shortHex(address));
      th.scope = "col";
      th.title = address;
      th.dataset["compareResponse"] = address;
      if (b === base) th.append(el(doc, "span", "ogpu-rt-cmp-this", " (this row)"));
      hrow.append(th);
      const provider = toText(store.get("provider", b));
      const pd = el(doc, "td", "ogpu-rt-cmp-val", shortHex(provider));
      pd.title = provider;
      prow.append(pd);
      const ts = store.get("timestamp", b);
      trow.append(el(doc, "td", "ogpu-rt-cmp-val", formatDatetime(ts)));
      const verification = el(doc, "td", "ogpu-rt-cmp-val");
      vrow.append(verification);
      const cd = el(doc, "td", "ogpu-rt-cmp-val");
      const confirm = button(doc, "ogpu-rt-btn ogpu-rt-cmp-confirm", "Confirm…");
      confirm.dataset["compareConfirm"] = address;
      const status = el(doc, "span", "ogpu-rt-status");
      cd.append(confirm, status);
      crow.append(cd);
      this.cols.push({ base: b, address, confirm, status, verification });
      store.results.result(address, true);
    }
    this.thead.replaceChildren(hrow);
    this.info.replaceChildren(prow, trow, vrow, crow);
    this.updateColumns();
    this.renderFields();
    this.el.style.display = "";
    this.el.dataset["open"] = "true";
    this.closeBtn.focus({ preventScroll: true });
  }

  /** Confirm buttons, confirm progress and verification of every column (in place). */
  updateColumns(): void {
    const { store, readOnly } = this.state;
    for (const c of this.cols) {
      const info = confirmInfo(store, c.base, readOnly);
      const showButton = !(info.phase === "requested" || info.phase === "signing" || info.phase === "pending" || info.phase === "mined");
      c.confirm.style.display = showButton ? "" : "none";
      if (c.confirm.disabled !== !info.clickable) c.confirm.disabled = !info.clickable;
      setAttr(
        c.confirm,
        "aria-label",
        info.clickable ? `Confirm response ${c.address}` : `Confirm response ${c.address} (unavailable: ${info.reason})`,
      );
      setTitle(c.confirm, info.clickable ? "Review and confirm this response" : info.reason);
      const text = phaseText(info);
      setText(c.status, text);
      setTitle(c.status, phaseDetails(info, text)); // the full refusal or error behind the line
      if (c.status.dataset["phase"] !== info.phase) c.status.dataset["phase"] = info.phase;
      const answer = store.results.get(c.address);
      const rstate = answer ? answer.state : rowResultState(store, c.base);
      const verification = answer ? verificationText(answer.verified, answer.state) : `${resultMark(rstate).mark} ${rstate}`;
      setText(c.verification, verification);
      c.verification.dataset["resultState"] = rstate;
    }
  }

  /** The results' fields aligned by key, differing values highlighted. */
  renderFields(): void {
    const { store, doc } = this.state;
    const flat = this.cols.map((c) => {
      const a = store.results.get(c.address);
      return a ? flattenResult(a) : null;
    });
    const rows = alignResults(flat);
    const out: HTMLElement[] = [];
    if (flat.some((f) => f === null)) {
      const tr = el(doc, "tr", "ogpu-rt-cmp-loading");
      tr.append(el(doc, "th", "ogpu-rt-cmp-key", "(loading)"));
      for (const f of flat) tr.append(el(doc, "td", "ogpu-rt-cmp-val", f === null ? "loading…" : ""));
      out.push(tr);
    }
    for (const r of rows) {
      const tr = el(doc, "tr");
      if (r.differs) tr.dataset["diff"] = "true";
      const th = el(doc, "th", "ogpu-rt-cmp-key", r.key);
      th.scope = "row";
      th.title = r.key;
      tr.append(th);
      r.values.forEach((v, i) => {
        const td = el(doc, "td", "ogpu-rt-cmp-val");
        if (flat[i] === null) td.textContent = "";
        else if (v === undefined) {
          td.textContent = "—";
          td.dataset["missing"] = "true";
        } else {
          td.textContent = inertLine(v);
          td.title = inertLine(v);
        }
        if (r.odd[i]) td.dataset["differs"] = "true";
        tr.append(td);
      });
      out.push(tr);
    }
    this.fields.replaceChildren(...out);
    this.updateColumns();
  }

  close(restoreFocus = true): void {
    if (this.shown === null) return;
    if (this.state.review !== null && this.state.reviewDock !== null) this.flow.close(false);
    const t = this.shown.trigger;
    this.shown = null;
    this.cols = [];
    this.el.style.display = "none";
    delete this.el.dataset["open"];
    this.thead.replaceChildren();
    this.info.replaceChildren();
    this.fields.replaceChildren();
    if (restoreFocus && t && t.isConnected) t.focus({ preventScroll: true });
  }
}
