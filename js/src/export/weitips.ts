/**
 * Exact wei in the tooltip of payment cells: on hover or focus of a cell of the Payment column
 * (`ogpu` kind), its row's wei are asked of Python once (store/wei.ts) and the cell's title becomes
 * "1.5 OGPU (1500000000000000000 wei)". The cell itself keeps showing OGPU.
 */
import { weiToOgpu } from "./export";
import { listen, type TableState } from "../table/tablestate";

export function weiTitle(wei: string): string {
  return `${weiToOgpu(wei)} OGPU (${wei} wei)`;
}

/** Listen on the document (delegation), for the cells of the table that holds `anchor`. */
export function installWeiTooltips(state: TableState, anchor: HTMLElement): void {
  const handler = (e: Event): void => {
    const t = e.target;
    if (!(t instanceof Element)) return;
    const cell = t.closest<HTMLElement>(".ogpu-rt-k-ogpu");
    if (cell === null) return;
    const root = anchor.closest(".ogpu-rt");
    if (root === null || !root.contains(cell)) return;
    const addr = cell.closest("[data-response]")?.getAttribute("data-response") ?? "";
    if (addr === "") return;
    const apply = (): void => {
      const wei = state.store.wei.of(addr);
      const rowNow = cell.closest("[data-response]")?.getAttribute("data-response");
      if (wei === "" || rowNow !== addr) return; // pooled rows move: only the same row
      const title = weiTitle(wei);
      if (cell.title !== title) cell.title = title;
    };
    if (state.store.wei.of(addr) !== "") apply();
    else state.store.wei.fetch([addr], apply);
  };
  listen(state, state.doc, "mouseover", handler);
  listen(state, state.doc, "focusin", handler);
}
