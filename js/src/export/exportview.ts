/**
 * The toolbar's export actions: "Copy view (TSV)", "Copy selection (TSV)" and "Download CSV"
 * (the selection when there is one, else the view). The exact wei come from Python (the `wei`
 * custom message: the snapshot carries only the float OGPU), then `exportTable` (export.ts)
 * builds the text from the visible columns in display order.
 */
import type { AnyModel } from "@anywidget/types";
import type { ColumnDef } from "../columns/columns";
import { copyText } from "../ui/detail";
import { el } from "../core/dom";
import { exportTable, type ExportColumn, type ExportFormat, type ExportRow } from "./export";
import { AskTimeout } from "../core/channel";
import type { WidgetModel } from "../core/model";
import type { Order } from "../grid/selection";
import type { RowStore } from "../store/rowstore";
import { requestWei } from "../store/wei";
import type { TableState } from "../table/tablestate";
import type { Scalar } from "../core/types";

export type ExportScope = "view" | "selection";

/** Ask Python for the exact wei of every row; resolves to row index → wei (decimal string). */
export async function requestAllWei(model: AnyModel<WidgetModel>, store: RowStore, timeoutMs = 60_000): Promise<(string | null)[]> {
  let values: string[];
  try {
    values = await requestWei(model, undefined, { timeout: timeoutMs });
  } catch (e) {
    if (e instanceof AskTimeout) throw new Error("the kernel did not answer with the payments in time", { cause: e });
    throw e;
  }
  if (values.length !== store.length) throw new Error("the table changed while exporting; try again");
  return values.map((v) => (v !== "" ? v : null));
}

/** Row indices to export, in display order: the view, or the selected rows (those filtered out
 * of the view follow, in row order). */
export function exportBases(store: RowStore, ord: Order, scope: ExportScope): number[] {
  const out: number[] = [];
  if (scope === "view") {
    for (let p = 0; p < ord.length; p++) out.push(ord.at(p));
    return out;
  }
  const sel = store.selection;
  const seen = new Set<number>();
  for (let p = 0; p < ord.length; p++) {
    const b = ord.at(p);
    const k = store.keyOf(b);
    if (k !== null && sel.has(k)) {
      out.push(b);
      seen.add(b);
    }
  }
  for (const k of sel) {
    const b = store.indexOf(k);
    if (b >= 0 && !seen.has(b)) out.push(b);
  }
  return out;
}

export function exportColumns(columns: readonly ColumnDef[]): ExportColumn[] {
  return columns.map((c) => ({ source: c.source, label: c.label, kind: c.kind }));
}

/** The export text of `bases` (row indices) over `columns`, with `wei` by row index. */
export function buildExport(
  store: RowStore,
  bases: readonly number[],
  columns: readonly ColumnDef[],
  wei: readonly (string | null)[] | null,
  format: ExportFormat,
): string {
  const cols = exportColumns(columns);
  const rows: ExportRow[] = bases.map((b) => {
    const r: Record<string, Scalar> = {};
    for (const c of cols) r[c.source] = store.get(c.source, b);
    r["payment"] = wei?.[b] ?? store.get("payment", b);
    return r;
  });
  return exportTable(rows, cols, format);
}

/** Save `text` as a file through a Blob URL and a temporary `<a download>`. */
export function download(state: TableState, container: HTMLElement, name: string, text: string): void {
  const { doc, win } = state;
  const blob = new Blob(["\uFEFF", text], { type: "text/csv;charset=utf-8" });
  const U = (win as Window & typeof globalThis).URL;
  const url = U.createObjectURL(blob);
  const a = el(doc, "a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  container.append(a);
  a.click();
  a.remove();
  setTimeout(() => U.revokeObjectURL(url), 10_000);
}

/** Run one export action; failures go to the banner. */
export async function runExport(
  state: TableState,
  container: HTMLElement,
  action: "copy-view" | "copy-selection" | "download",
  btn: HTMLElement,
): Promise<void> {
  const { store, model } = state;
  const scope: ExportScope =
    action === "copy-selection" || (action === "download" && store.selection.size > 0) ? "selection" : "view";
  btn.setAttribute("aria-busy", "true");
  try {
    const wei = await requestAllWei(model, store);
    const bases = exportBases(store, state.ord, scope);
    const format: ExportFormat = action === "download" ? "csv" : "tsv";
    const text = buildExport(store, bases, state.columns, wei, format);
    if (action === "download") download(state, container, scope === "selection" ? "responses-selection.csv" : "responses.csv", text);
    else copyText(state, container, text, btn);
  } catch (e) {
    store.notify("error", `Export failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    btn.removeAttribute("aria-busy");
  }
}
