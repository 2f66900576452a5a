import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RowStore } from "../src/store/rowstore";
import { incomingSelection, sameKeys } from "../src/store/selectedkeys";
import { ViewSync, type CurrentView } from "../src/table/viewsync";
import { decodePositions, makeModel, makeRows } from "./helpers";

describe("selected_keys sync", () => {
  it("treats a value equal to the current selection as an echo", () => {
    const rows = makeRows(3);
    const [a, b] = [rows[0]!.address, rows[1]!.address];
    const model = makeModel(rows, { selected_keys: [b, a, a] });
    expect(sameKeys([b, a, a], new Set([a, b]))).toBe(true);
    expect(incomingSelection(model, new Set([a, b]))).toBeNull();
    expect(incomingSelection(model, new Set([a]))).toEqual(new Set([a, b]));
  });

  it("does not send back a selection it just received from Python", () => {
    const rows = makeRows(4);
    const model = makeModel(rows);
    const store = new RowStore(model);
    let events = 0;
    store.on("selection", () => events++);
    const keys = [rows[3]!.address, rows[1]!.address];
    model.pySet({ selected_keys: keys });
    expect(events).toBe(1);
    // the view re-applies what it shows (same keys, another Set, another order): no echo
    store.setSelection(new Set([...keys].reverse()));
    expect(events).toBe(1);
    expect(model.savedValues("selected_keys")).toHaveLength(0);
    // Python repeats itself: nothing new
    model.pySet({ selected_keys: [...keys] });
    expect(events).toBe(1);
  });
});

describe("_view sync", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("debounces, skips unchanged views and shares the last value between views", () => {
    const rows = makeRows(5);
    const model = makeModel(rows);
    const store = new RowStore(model);
    let view: CurrentView = { all: false, order: Uint32Array.from([4, 2]) };
    const first = new ViewSync(model, store, () => view, 150);
    const second = new ViewSync(model, store, () => view, 150);

    first.schedule();
    vi.advanceTimersByTime(100);
    first.schedule(); // restarts the delay
    vi.advanceTimersByTime(100);
    expect(model.savedValues("_view")).toHaveLength(0);
    expect(first.pending).toBe(true);
    vi.advanceTimersByTime(50);
    expect(first.pending).toBe(false);
    const sent = model.savedValues("_view") as { all: boolean; positions: DataView }[];
    expect(sent).toHaveLength(1);
    expect(sent[0]!.all).toBe(false);
    expect(decodePositions(sent[0]!.positions)).toEqual([4, 2]);

    // another view of the same model showing the same order does not re-send it
    second.schedule();
    second.flush();
    expect(model.savedValues("_view")).toHaveLength(1);

    // snapshot order without "all" (e.g. a search matching every row) sends every position
    view = { all: false, order: null };
    second.flush(); // nothing pending: no-op
    expect(model.savedValues("_view")).toHaveLength(1);
    second.send();
    const full = model.savedValues("_view")[1] as { all: boolean; positions: DataView };
    expect(full.all).toBe(false);
    expect(decodePositions(full.positions)).toEqual([0, 1, 2, 3, 4]);

    view = { all: true, order: null };
    first.schedule();
    first.cancel();
    vi.advanceTimersByTime(500);
    expect(model.savedValues("_view")).toHaveLength(2);
    first.send();
    const last = model.savedValues("_view")[2] as { all: boolean; positions: DataView };
    expect(last.all).toBe(true);
    expect(last.positions.byteLength).toBe(0);
  });
});
