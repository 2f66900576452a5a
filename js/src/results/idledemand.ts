/**
 * When to ask Python for the results of the rows on screen: once the scrolling settles. A frame
 * that shows other rows restarts the wait; a frame that shows the same rows (a patch, a
 * re-render) asks when the wait that is running ends, or starts one. So scrolling costs no
 * demand work per frame, and a list is built and sent once per pause (never the same twice:
 * `ResultsDemand` drops repeats).
 */
import type { TableBody } from "../grid/body";
import { DEMAND_MARGIN, ResultsDemand, rowResultState } from "./results";
import type { TableState } from "../table/tablestate";

export class IdleDemand {
  readonly demand: ResultsDemand;
  private range = "";
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly state: TableState,
    private readonly body: TableBody,
    private readonly waitMs: number,
  ) {
    this.demand = new ResultsDemand(state.store, () => this.wanted(), waitMs);
  }

  /** After a frame (`force`: the rows changed under the same range, e.g. a new snapshot). */
  afterFrame(force = false): void {
    const [first, end] = this.body.rendered;
    const range = `${String(first)}:${String(end)}:${String(this.state.ord.length)}`;
    if (!force && range === this.range && this.timer !== null) return;
    this.range = range;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.demand.send();
    }, this.waitMs);
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.demand.cancel();
  }

  /** Rows on or near the screen whose result Python has not sent yet (none without a Result column). */
  wanted(): string[] {
    const { state, body } = this;
    const { store } = state;
    if (!state.columns.some((c) => c.kind === "result")) return [];
    const [first, end] = body.rendered;
    const lo = Math.max(0, first - DEMAND_MARGIN);
    const hi = Math.min(state.ord.length, end + DEMAND_MARGIN);
    const out: string[] = [];
    // rendered rows first, then the margins
    const push = (p: number): void => {
      const b = state.ord.at(p);
      if (rowResultState(store, b) !== "loading") return;
      const k = store.keyOf(b);
      if (k !== null) out.push(k);
    };
    for (let p = first; p < end && p < hi; p++) push(p);
    for (let p = end; p < hi; p++) push(p);
    for (let p = first - 1; p >= lo; p--) push(p);
    return out;
  }
}
