import { describe, expect, it } from "vitest";
import { RowStore, findStore } from "../src/store/rowstore";
import { decodeSnapshot, toBytes } from "../src/data/arrow";
import { FakeModel, addr, ipcBytes, ipcDataView, makeModel, makeRows } from "./helpers";
import { Dictionary, Float64, Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray } from "apache-arrow";

describe("arrow decoding", () => {
  it("decodes a DataView and an ArrayBuffer", () => {
    const rows = makeRows(5);
    const bytes = ipcBytes(rows);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    for (const v of [ipcDataView(rows), ab, bytes]) {
      const snap = decodeSnapshot(v);
      expect(snap.length).toBe(5);
      expect(snap.columns.get("address")?.get(2)).toBe(rows[2]?.address);
      expect(snap.columns.get("status")?.get(0)).toBe("confirmed");
      expect(snap.columns.get("payment_ogpu")?.get(1)).toBeCloseTo(0.002);
      expect(snap.columns.get("confirmed")?.get(0)).toBe(true);
      expect(snap.columns.get("confirmed")?.get(1)).toBe(false);
      expect(snap.columns.get("payment")?.get(4)).toBe("5000000000000000");
    }
  });

  it("handles empty bytes and nulls", () => {
    expect(decodeSnapshot(new DataView(new ArrayBuffer(0))).length).toBe(0);
    expect(decodeSnapshot(null).length).toBe(0);
    expect(toBytes(42)).toBeNull();
    const t = new Table({
      s: vectorFromArray(["a", null, "ü✓"], new Utf8()),
      n: vectorFromArray([1, null, 3], new Float64()),
    });
    const snap = decodeSnapshot(tableToIPC(t));
    expect(snap.columns.get("s")?.get(1)).toBeNull();
    expect(snap.columns.get("s")?.get(2)).toBe("ü✓");
    expect(snap.columns.get("n")?.get(1)).toBeNull();
  });

  it("decodes multi-batch streams with differing dictionaries", () => {
    const a = ipcBytes(makeRows(3, () => ({ status: "submitted" })));
    const b = ipcBytes(makeRows(2, (i) => ({ address: addr(100 + i), status: "confirmed", reason: "x" })));
    const ta = tableFromIPC(a);
    const tb = tableFromIPC(b);
    const bytes = tableToIPC(ta.concat(tb), "stream");
    expect(tableFromIPC(bytes).batches.length).toBe(2);
    const snap = decodeSnapshot(bytes);
    expect(snap.length).toBe(5);
    expect(snap.columns.get("status")?.get(0)).toBe("submitted");
    expect(snap.columns.get("status")?.get(4)).toBe("confirmed");
    expect(snap.columns.get("address")?.get(4)).toBe(addr(101));
    expect(snap.columns.get("reason")?.get(4)).toBe("x");
    expect(snap.columns.get("reason")?.get(3)).toBe("x");
    expect(snap.columns.get("status")?.get(2)).toBe("submitted");
  });
});

describe("RowStore", () => {
  it("applies patches in seq order and ignores stale ones", () => {
    const rows = makeRows(4);
    const model = makeModel(rows);
    const store = new RowStore(model);
    const a1 = rows[1]!.address;
    model.pySet({ _patch: { seq: 5, rows: { [a1]: { action: "signing" } } } });
    expect(store.get("action", 1)).toBe("signing");
    model.pySet({ _patch: { seq: 4, rows: { [a1]: { action: "stale" } } } });
    expect(store.get("action", 1)).toBe("signing");
    model.pySet({ _patch: { seq: 5, rows: { [a1]: { action: "again" } } } });
    expect(store.get("action", 1)).toBe("signing");
    model.pySet({ _patch: { seq: 6, rows: { [a1]: { action: "pending", tx_hash: "0x" + "ab".repeat(32) } } } });
    expect(store.get("action", 1)).toBe("pending");
    expect(store.get("tx_hash", 1)).toBe("0x" + "ab".repeat(32));
    expect(store.get("action", 0)).toBe("");
  });

  it("ignores patches for unknown addresses", () => {
    const rows = makeRows(2);
    const model = makeModel(rows);
    const store = new RowStore(model);
    model.pySet({ _patch: { seq: 1, rows: { "0xnot-there": { action: "signing" } } } });
    expect(store.get("action", 0)).toBe("");
    expect(store.lastSeq).toBe(1);
  });

  it("a new _rows_version drops patches and resets seq", () => {
    const rows = makeRows(3);
    const model = makeModel(rows);
    const store = new RowStore(model);
    const a0 = rows[0]!.address;
    model.pySet({ _patch: { seq: 10, rows: { [a0]: { status: "confirmed", action: "mined" } } } });
    expect(store.get("action", 0)).toBe("mined");
    const rows2 = makeRows(3, (i) => ({ status: "submitted", data: `v2 ${i}` }));
    model.pySet({ _rows: ipcDataView(rows2), _rows_version: 2 });
    expect(store.get("action", 0)).toBe("");
    expect(store.get("data", 0)).toBe("v2 0");
    // seq restarted by Python: accepted after the reset
    model.pySet({ _patch: { seq: 1, rows: { [a0]: { action: "signing" } } } });
    expect(store.get("action", 0)).toBe("signing");
  });

  it("applies a patch that arrives in the same message as a new snapshot to the new snapshot", () => {
    const rows = makeRows(3);
    const model = makeModel(rows);
    const store = new RowStore(model);
    const rows2 = makeRows(3, (i) => ({ address: addr(50 + i) }));
    // _patch listed first: its change event fires before _rows_version's
    model.pySet({ _patch: { seq: 1, rows: { [addr(51)]: { action: "pending" } } }, _rows: ipcDataView(rows2), _rows_version: 2 });
    expect(store.get("action", 1)).toBe("pending");
    expect(store.keyOf(1)).toBe(addr(51));
  });

  it("sends resync and is found by any proxy of the model", () => {
    const rows = makeRows(2);
    const model = makeModel(rows);
    const store = new RowStore(model);
    store.resync();
    expect(model.sent).toEqual([{ type: "resync" }]);
    // a different proxy object over the same attributes
    const proxy = new FakeModel();
    proxy.attrs = model.attrs;
    expect(findStore(proxy)).toBe(store);
  });

  it("syncs selection without echo", () => {
    const rows = makeRows(3);
    const model = makeModel(rows);
    const store = new RowStore(model);
    let events = 0;
    store.on("selection", () => events++);
    store.setSelection(new Set([rows[0]!.address]));
    expect(model.savedValues("selected_keys")).toEqual([[rows[0]!.address]]);
    expect(events).toBe(1);
    // Python sets the same value: nothing happens
    model.pySet({ selected_keys: [rows[0]!.address] });
    expect(events).toBe(1);
    // Python sets a new value: adopted, not re-sent
    model.pySet({ selected_keys: [rows[1]!.address, rows[2]!.address] });
    expect(events).toBe(2);
    expect(store.selection).toEqual(new Set([rows[1]!.address, rows[2]!.address]));
    expect(model.savedValues("selected_keys")).toHaveLength(1);
  });
});

describe("arrow types", () => {
  it("reads timestamp, int64 and dictionary<int8> columns", async () => {
    const { TimestampMillisecond, TimestampSecond, Int64, Int8 } = await import("apache-arrow");
    const t = new Table({
      ts_ms: vectorFromArray([1795888984000, null], new TimestampMillisecond()),
      ts_s: vectorFromArray([1795888984000, 5000], new TimestampSecond()),
      big: vectorFromArray([12n, -3n], new Int64()),
      cat: vectorFromArray(["b", "a"], new Dictionary(new Utf8(), new Int8())),
    });
    const snap = decodeSnapshot(tableToIPC(t));
    expect(snap.columns.get("ts_ms")?.get(0)).toBe(1795888984);
    expect(snap.columns.get("ts_ms")?.get(1)).toBeNull();
    expect(snap.columns.get("ts_s")?.get(0)).toBe(1795888984);
    expect(snap.columns.get("big")?.get(1)).toBe(-3);
    expect(snap.columns.get("cat")?.get(0)).toBe("b");
    expect(snap.columns.get("cat")?.get(1)).toBe("a");
  });
});
