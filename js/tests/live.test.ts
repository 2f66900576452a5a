import { describe, expect, it, vi } from "vitest";
import { FRESH_MS, RowStore } from "../src/store/rowstore";
import { agoText } from "../src/live/live";
import { readLiveStatus } from "../src/core/protocol";
import { addr, ipcDataView, makeModel, makeRows, type RowInit } from "./helpers";
import { click, mountPerTest, typeInto, type Mounted } from "./mount";

const m = mountPerTest();

/** Python appending rows: a `_patch` whose `append` holds just these rows. */
function append(
  model: { pySet(v: Record<string, unknown>): void },
  seq: number,
  start: number,
  rows: Required<RowInit>[],
  extra: Record<string, unknown> = {},
  fresh = true,
): void {
  model.pySet({ _patch: { seq, rows: {}, ...extra, append: { start, rows: ipcDataView(rows), new: fresh } } });
}

function newRows(n: number, from: number, f: (i: number) => RowInit = () => ({})): Required<RowInit>[] {
  return makeRows(n, (i) => ({ address: addr(900_000 + from + i), ...f(i) }));
}

function liveModel(t: Mounted): Mounted["model"] {
  return t.model;
}

describe("appended rows in the store", () => {
  it("appends rows keyed by address, patches them, and ignores stale or replayed appends", () => {
    const rows = makeRows(5);
    const model = makeModel(rows);
    const store = new RowStore(model);
    const events: string[] = [];
    store.on("rows", (c) => events.push(c.kind === "append" ? `append ${c.from}-${c.to}` : c.kind));
    const added = newRows(2, 0, (i) => ({ status: "submitted", payment_ogpu: 9 + i, task_status: "brand-new" }));
    append(model, 1, 5, added, { rows: { [added[1]!.address]: { action: "signing" } } });
    expect(store.length).toBe(7);
    expect(events).toEqual(["append 5-7"]);
    expect(store.keyOf(6)).toBe(added[1]!.address);
    expect(store.indexOf(added[0]!.address)).toBe(5);
    expect(store.indexOf(rows[2]!.address)).toBe(2);
    expect(store.get("payment_ogpu", 6)).toBe(10);
    expect(store.get("task_status", 5)).toBe("brand-new");
    expect(store.get("task_status", 0)).toBe(rows[0]!.task_status);
    expect(store.get("action", 6)).toBe("signing"); // the patch's rows apply after the append
    expect(store.isFresh(5)).toBe(true);
    expect(store.isFresh(4)).toBe(false);
    // later patches reach appended rows
    model.pySet({ _patch: { seq: 2, rows: { [added[0]!.address]: { status: "confirmed" } } } });
    expect(store.get("status", 5)).toBe("confirmed");
    // a replayed (older) message changes nothing; an overlapping one adds only what is new
    append(model, 1, 5, added);
    expect(store.length).toBe(7);
    const more = newRows(1, 10);
    append(model, 3, 5, [...added, ...more], {}, false);
    expect(store.length).toBe(8);
    expect(store.keyOf(7)).toBe(more[0]!.address);
    expect(store.get("status", 5)).toBe("confirmed");
    expect(store.isFresh(7)).toBe(false); // a resync's rows are not "new"
    store.dispose();
  });

  it("asks for a resync when rows were missed, and starts over with a new snapshot", () => {
    const rows = makeRows(3);
    const model = makeModel(rows);
    const store = new RowStore(model);
    append(model, 4, 6, newRows(1, 0)); // rows 3..5 never arrived
    expect(store.length).toBe(3);
    expect(model.sent).toContainEqual({ type: "resync" });
    append(model, 5, 3, newRows(3, 0), {}, false);
    expect(store.length).toBe(6);
    // refresh: a new snapshot drops the appended rows (they are in it now)
    model.pySet({ _rows: ipcDataView(makeRows(4)), _rows_version: 2 });
    expect(store.length).toBe(4);
    expect(store.freshAt.size).toBe(0);
    store.dispose();
  });

  it("appends to an empty table", () => {
    const model = makeModel([]);
    model.pySet({ _rows: new DataView(new ArrayBuffer(0)) });
    const store = new RowStore(model);
    expect(store.length).toBe(0);
    const added = newRows(2, 0);
    append(model, 1, 0, added);
    expect(store.length).toBe(2);
    expect(store.keyOf(1)).toBe(added[1]!.address);
    store.dispose();
  });
});

describe("appended rows in the table", () => {
  it("counts, sorts, filters and searches new rows, highlights them briefly, keeps the rest", () => {
    const rows = makeRows(20, (i) => ({ payment_ogpu: 1 + i }));
    const t = m(rows);
    expect(t.counter()).toBe("Showing 20 of 20");
    // the user sorts by payment (descending), selects a row and opens a review
    const sort = t.q<HTMLButtonElement>('.ogpu-rt-th[data-col="payment_ogpu"] button');
    click(sort);
    click(sort);
    vi.advanceTimersByTime(20);
    const sel = t.row(rows[18]!.address).querySelector<HTMLInputElement>(".ogpu-rt-check")!;
    sel.checked = true;
    click(sel);
    const target = rows[19]!.address;
    click(t.button(`Confirm response ${target}`, t.row(target)));
    vi.advanceTimersByTime(20);
    expect(t.q(".ogpu-rt-review").style.display).not.toBe("none");
    const selected = new Set(t.store.selection);

    const added = newRows(2, 0, (i) => ({ payment_ogpu: i === 0 ? 100 : 0.5 }));
    append(liveModel(t), 1, 20, added);
    vi.advanceTimersByTime(20);
    expect(t.counter()).toBe("Showing 22 of 22");
    const keys = t.shownKeys();
    expect(keys[0]).toBe(added[0]!.address); // sorted in: the biggest payment first
    expect(t.t.order().positionOf(21)).toBe(21); // the smallest payment last
    expect(t.row(added[0]!.address).getAttribute("data-new")).toBe("true");
    expect(t.row(added[0]!.address).classList.contains("ogpu-rt-new")).toBe(true);
    expect(t.row(rows[19]!.address).hasAttribute("data-new")).toBe(false);
    // selection, sort and the open review are untouched
    expect(t.store.selection).toEqual(selected);
    expect(t.t.spec().sort).toEqual([{ column: "payment_ogpu", dir: "desc" }]);
    expect(t.q(".ogpu-rt-review").style.display).not.toBe("none");
    expect(t.row(target).classList.contains("ogpu-rt-reviewing")).toBe(true);
    // the view sent to Python covers the new rows (snapshot positions 20 and 21)
    t.t.flushView();
    const views = t.model.savedValues("_view");
    const last = views[views.length - 1] as { all: boolean; positions: DataView };
    expect(last.all).toBe(false);
    expect(last.positions.byteLength).toBe(22 * 4);
    expect(last.positions.getUint32(0, true)).toBe(20);
    // search and filters include them
    typeInto(t.q<HTMLInputElement>('input[type="search"]'), added[1]!.address.slice(2, 12).toLowerCase());
    vi.advanceTimersByTime(20);
    expect(t.shownKeys()).toEqual([added[1]!.address]);
    expect(t.counter()).toBe("Showing 1 of 22");
    typeInto(t.q<HTMLInputElement>('input[type="search"]'), "");
    vi.advanceTimersByTime(20);
    // the highlight ends
    for (const b of [20, 21]) t.store.freshAt.set(b, Date.now() - FRESH_MS - 1);
    vi.advanceTimersByTime(FRESH_MS + 100);
    expect(t.row(added[0]!.address).hasAttribute("data-new")).toBe(false);
  });

  it("keeps the rows on screen in place when new rows sort above them", () => {
    const rows = makeRows(2000, (i) => ({ payment_ogpu: 1 + i }));
    const t = m(rows);
    const sort = t.q<HTMLButtonElement>('.ogpu-rt-th[data-col="payment_ogpu"] button');
    click(sort);
    vi.advanceTimersByTime(20);
    const sc = t.scroll();
    sc.scrollTop = 1000 * 32;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(20);
    const before = sc.scrollTop;
    const firstShown = (): string => {
      const rowsShown = t.shown().filter((e) => Number(e.style.transform.match(/[\d.]+/)?.[0] ?? 0) >= sc.scrollTop - 32);
      return rowsShown[0]?.getAttribute("data-response") ?? "";
    };
    const top = firstShown();
    append(liveModel(t), 1, 2000, newRows(3, 0, () => ({ payment_ogpu: 0.1 }))); // sort first
    vi.advanceTimersByTime(20);
    expect(sc.scrollTop).toBe(before + 3 * 32);
    expect(firstShown()).toBe(top);
    expect(t.counter()).toBe("Showing 2,003 of 2,003");
    // at the very top, new rows show (no anchoring)
    sc.scrollTop = 0;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(20);
    const more = newRows(1, 10, () => ({ payment_ogpu: 0.01 }));
    append(liveModel(t), 2, 2003, more);
    vi.advanceTimersByTime(20);
    expect(sc.scrollTop).toBe(0);
    expect(t.shownKeys()[0]).toBe(more[0]!.address);
  });

  it("a category filter offers new values", () => {
    const rows = makeRows(4, () => ({ task_status: "responded" }));
    const t = m(rows);
    append(liveModel(t), 1, 4, newRows(1, 0, () => ({ task_status: "finalized" })));
    vi.advanceTimersByTime(20);
    const select = t.q<HTMLSelectElement>('select[aria-label="Filter Task status"]');
    expect(Array.from(select.options).map((o) => o.value)).toContain("finalized");
  });
});

describe("the live indicator", () => {
  const status = (extra: Record<string, unknown> = {}) => ({
    state: "live",
    updated: Date.now() / 1000 - 3,
    error: "",
    block: 120,
    refreshing: false,
    interval: 2,
    ...extra,
  });

  it("says live and how long ago the data was updated; data-live on the root", () => {
    const t = m(makeRows(3), { live: true, _live_status: status() });
    const ind = t.q(".ogpu-rt-live");
    expect(ind.getAttribute("data-live")).toBe("on");
    expect(t.q(".ogpu-rt").getAttribute("data-live")).toBe("on");
    expect(t.q(".ogpu-rt-live-label").textContent).toBe("Live");
    expect(t.q(".ogpu-rt-live-age").textContent).toMatch(/^updated [34] s ago$/);
    expect(t.q(".ogpu-rt-live-badge").getAttribute("role")).toBe("status");
    // the node goes down
    t.model.pySet({ _live_status: status({ state: "reconnecting", error: "ReadError: connection refused" }) });
    expect(t.q(".ogpu-rt-live-label").textContent).toBe("Reconnecting…");
    expect(ind.getAttribute("data-state")).toBe("reconnecting");
    expect(t.q(".ogpu-rt-live-badge").title).toContain("connection refused");
    expect(ind.getAttribute("data-live")).toBe("on");
    // the shared poller dies: the table says so, with the reason, and never "Live"
    t.model.pySet({ _live_status: status({ state: "error", error: "PollerDiedError: died" }) });
    expect(t.q(".ogpu-rt-live-label").textContent).toBe("Not live (error)");
    expect(ind.getAttribute("data-state")).toBe("error");
    expect(t.q(".ogpu-rt-live-badge").title).toContain("PollerDiedError");
  });

  it("counts the seconds by itself", () => {
    const t = m(makeRows(1), { live: true, _live_status: status({ updated: Date.now() / 1000 }) });
    expect(t.q(".ogpu-rt-live-age").textContent).toBe("updated just now");
    const spy = vi.spyOn(Date, "now").mockReturnValue(Date.now() + 5_000);
    vi.advanceTimersByTime(1_000);
    expect(t.q(".ogpu-rt-live-age").textContent).toMatch(/^updated [45] s ago$/);
    spy.mockRestore();
  });

  it("the Pause/Resume switch sets `live` (both ways), data-live follows", () => {
    const t = m(makeRows(2), { live: true, _live_status: status() });
    click(t.button("Pause"));
    expect(t.model.savedValues("live")).toEqual([false]);
    expect(t.q(".ogpu-rt").getAttribute("data-live")).toBe("off");
    expect(t.q(".ogpu-rt-live-label").textContent).toBe("Paused");
    expect(t.button("Resume").getAttribute("aria-pressed")).toBe("true");
    t.model.pySet({ _live_status: status({ state: "paused" }) });
    click(t.button("Resume"));
    expect(t.model.savedValues("live")).toEqual([false, true]);
    expect(t.q(".ogpu-rt").getAttribute("data-live")).toBe("on");
    // Python switches it too
    t.model.pySet({ live: false, _live_status: status({ state: "paused" }) });
    expect(t.q(".ogpu-rt-live").getAttribute("data-live")).toBe("off");
    expect(t.model.savedValues("live")).toEqual([false, true]); // no echo
  });

  it("Refresh asks Python once and waits for it", () => {
    const t = m(makeRows(2), { live: true, _live_status: status() });
    const b = t.button("Refresh");
    click(b);
    expect(t.model.sent.filter((x) => (x as { type: string }).type === "refresh")).toHaveLength(1);
    expect(b.disabled).toBe(true);
    t.model.pySet({ _live_status: status({ refreshing: true }) });
    expect(t.q(".ogpu-rt-live-age").textContent).toBe("refreshing…");
    vi.advanceTimersByTime(1_100);
    expect(b.disabled).toBe(true);
    t.model.pySet({ _live_status: status({ refreshing: false, updated: Date.now() / 1000 }) });
    expect(b.disabled).toBe(false);
  });

  it("is hidden for a kernel without live updates, and validates what it reads", () => {
    const t = m(makeRows(1));
    expect(t.q(".ogpu-rt-live").style.display).toBe("none");
    expect(t.q(".ogpu-rt").hasAttribute("data-live")).toBe(false);
    expect(readLiveStatus({ state: "bogus" })).toBeNull();
    expect(readLiveStatus({ state: "paused", updated: "x" })?.updated).toBeNull();
    expect(agoText(0.4)).toBe("just now");
    expect(agoText(59)).toBe("59 s ago");
    expect(agoText(125)).toBe("2 min ago");
    expect(agoText(7200)).toBe("2 h ago");
    expect(agoText(-5)).toBe("just now");
  });
});
