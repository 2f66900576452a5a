import { describe, expect, it } from "vitest";
import {
  explorerBase,
  formatBool,
  formatDatetime,
  formatNumber6,
  formatOgpu,
  groupDigits,
  relativeTime,
  shortHex,
  txHref,
  addressHref,
} from "../src/core/format";
import { posAt, totalHeight, visibleRange, yOf, type Layout } from "../src/grid/scroller";
import { isIdentitySpec, nextSort, emptySpec } from "../src/columns/sortfilter";
import { sortIndices } from "../src/columns/sortkeys";
import { resolveColumns } from "../src/columns/columns";
import { positionsView } from "../src/table/viewsync";
import { confirmInfo } from "../src/confirm/review";
import { RowStore } from "../src/store/rowstore";
import { makeModel, makeRows, ipcDataView } from "./helpers";
import { computeOrder } from "../src/columns/sortfilter";

describe("format", () => {
  it("formats OGPU with up to 6 decimals", () => {
    expect(formatOgpu(1.5)).toBe("1.5 OGPU");
    expect(formatOgpu(0.1234567)).toBe("0.123457 OGPU");
    expect(formatOgpu(2)).toBe("2 OGPU");
    expect(formatOgpu(0)).toBe("0 OGPU");
    expect(formatOgpu(null)).toBe("");
    expect(formatOgpu("3.25")).toBe("3.25 OGPU");
    expect(formatNumber6(-0.0000001)).toBe("0");
  });

  it("formats datetimes in UTC", () => {
    expect(formatDatetime(0)).toBe("1970-01-01 00:00:00 UTC");
    expect(formatDatetime(1795888984)).toBe("2026-11-28 18:03:04 UTC");
    expect(formatDatetime(null)).toBe("");
    const now = 1_800_000_000_000;
    expect(relativeTime(now / 1000 - 180, now)).toBe("3 min ago");
    expect(relativeTime(now / 1000 + 7200, now)).toBe("in 2 h");
    expect(relativeTime(now / 1000 - 5, now)).toBe("just now");
    expect(relativeTime(now / 1000 - 3 * 86400, now)).toBe("3 d ago");
  });

  it("shortens and groups", () => {
    expect(shortHex("0x1234567890abcdef1234567890abcdef1234ABCD")).toBe("0x1234…ABCD");
    expect(shortHex("0x12")).toBe("0x12");
    expect(groupDigits(0)).toBe("0");
    expect(groupDigits(1234567)).toBe("1,234,567");
    expect(groupDigits(100)).toBe("100");
    expect(formatBool(true)).toBe("✓");
    expect(formatBool(false)).toBe("—");
    expect(formatBool(null)).toBe("");
  });

  it("builds explorer links only for valid inputs", () => {
    const base = explorerBase("https://ogpuscan.io/");
    expect(base).toBe("https://ogpuscan.io");
    const a = "0x1234567890abcdef1234567890abcdef1234ABCD";
    expect(addressHref(base, a)).toBe(`https://ogpuscan.io/address/${a}`);
    expect(addressHref(base, "0x12/../../x")).toBeNull();
    expect(txHref(base, `0x${"a".repeat(64)}`)).toBe(`https://ogpuscan.io/tx/0x${"a".repeat(64)}`);
    expect(txHref(base, "0xabc")).toBeNull();
    expect(explorerBase("javascript:alert(1)")).toBeNull();
    expect(explorerBase("data:text/html,x")).toBeNull();
    expect(explorerBase("https://u:p@x.io")).toBeNull();
    expect(explorerBase("")).toBeNull();
    expect(explorerBase("https://x.io/explorer/")).toBe("https://x.io/explorer");
  });
});

describe("scroller geometry", () => {
  const l: Layout = { count: 100, rowH: 32, panelPos: 10, panelH: 200 };
  it("inserts the panel after its row", () => {
    expect(yOf(l, 10)).toBe(320);
    expect(yOf(l, 11)).toBe(352 + 200);
    expect(totalHeight(l)).toBe(3200 + 200);
    expect(posAt(l, 330)).toBe(10);
    expect(posAt(l, 400)).toBe(10); // inside the panel
    expect(posAt(l, 352 + 200)).toBe(11);
    expect(posAt(l, 1e9)).toBe(99);
  });
  it("caps the range", () => {
    const big: Layout = { count: 1_000_000, rowH: 32, panelPos: -1, panelH: 0 };
    const [a, b] = visibleRange(big, 32 * 5000, 100_000, 8, 150);
    expect(a).toBe(5000 - 8);
    expect(b - a).toBe(150);
    expect(visibleRange({ ...big, count: 0 }, 0, 480, 8)).toEqual([0, 0]);
  });
});

describe("sorting helpers", () => {
  it("cycles sort keys", () => {
    expect(nextSort([], "a", false)).toEqual([{ column: "a", dir: "asc" }]);
    expect(nextSort([{ column: "a", dir: "asc" }], "a", false)).toEqual([{ column: "a", dir: "desc" }]);
    expect(nextSort([{ column: "a", dir: "desc" }], "a", false)).toEqual([]);
    expect(nextSort([{ column: "a", dir: "asc" }], "b", false)).toEqual([{ column: "b", dir: "asc" }]);
    expect(nextSort([{ column: "a", dir: "asc" }], "b", true)).toEqual([
      { column: "a", dir: "asc" },
      { column: "b", dir: "asc" },
    ]);
  });
  it("sorts stably with nulls last in both directions", () => {
    const keys = Float64Array.from([3, NaN, 1, 3, NaN, 2]);
    const idx = () => Uint32Array.from([0, 1, 2, 3, 4, 5]);
    expect(Array.from(sortIndices(idx(), [{ values: keys, dir: "asc" }]))).toEqual([2, 5, 0, 3, 1, 4]);
    expect(Array.from(sortIndices(idx(), [{ values: keys, dir: "desc" }]))).toEqual([0, 3, 5, 2, 1, 4]);
  });
  it("identity spec", () => {
    const s = emptySpec();
    expect(isIdentitySpec(s)).toBe(true);
    s.filters = { x: { type: "text", value: "  " } };
    expect(isIdentitySpec(s)).toBe(true);
    s.filters = { x: { type: "range", min: null, max: 3 } };
    expect(isIdentitySpec(s)).toBe(false);
  });
  it("positions are little-endian uint32", () => {
    const dv = positionsView(Uint32Array.from([1, 256, 70000]));
    expect(dv.byteLength).toBe(12);
    expect(dv.getUint32(4, true)).toBe(256);
    expect(dv.getUint8(4)).toBe(0);
    expect(dv.getUint8(5)).toBe(1);
  });
});

describe("columns", () => {
  it("parses the columns trait, dropping control columns and unknown kinds", () => {
    const cols = resolveColumns(
      [
        { name: "address", label: "Response", kind: "address" },
        { name: "can_confirm", label: "x", kind: "bool" },
        { name: "weird", label: "", kind: "nope" },
        { name: "address", label: "dup", kind: "text" },
        "junk",
      ],
      [],
    );
    expect(cols.map((c) => [c.name, c.label, c.kind])).toEqual([
      ["address", "Response", "address"],
      ["weird", "weird", "text"],
    ]);
  });
  it("falls back to the snapshot columns", () => {
    const cols = resolveColumns([], ["task", "address", "payment_ogpu", "status", "action", "timestamp"]);
    expect(cols.map((c) => `${c.name}:${c.kind}`)).toEqual([
      "address:address",
      "task:address",
      "payment_ogpu:ogpu",
      "status:category",
      "timestamp:datetime",
    ]);
  });
});

describe("fully dictionary-encoded snapshots", () => {
  it("searches, patches and keys rows with a dictionary-encoded address column", () => {
    const rows = makeRows(500, (i) => ({ data: i === 321 ? "Special Payload" : `d${i}` }));
    const model = makeModel(rows, { _rows: ipcDataView(rows, { dictionaryAll: true }) });
    const store = new RowStore(model);
    expect(store.baseColumn("address")?.dict).toBeDefined();
    expect(store.keyOf(7)).toBe(rows[7]!.address);
    const cols = resolveColumns(model.get("columns"), []);
    const spec = emptySpec();
    spec.search = "special payload";
    expect(Array.from(computeOrder(store, cols, spec) ?? [])).toEqual([321]);
    spec.search = rows[42]!.address.toLowerCase();
    expect(Array.from(computeOrder(store, cols, spec) ?? [])).toEqual([42]);
    model.pySet({ _patch: { seq: 1, rows: { [rows[42]!.address]: { data: "patched PAYLOAD" } } } });
    spec.search = "patched";
    expect(Array.from(computeOrder(store, cols, spec) ?? [])).toEqual([42]);
    spec.search = "";
    spec.sort = [{ column: "address", dir: "asc" }];
    const order = Array.from(computeOrder(store, cols, spec) ?? []);
    const sorted = rows.map((r, i) => [r.address.toLowerCase(), i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(order).toEqual(sorted.map((x) => x[1]));
  });

  it("derives confirm info from control columns", () => {
    const rows = makeRows(3, (i) => ({ can_confirm: i === 0, reason: i === 1 ? "task expired" : "" }));
    const model = makeModel(rows);
    const store = new RowStore(model);
    expect(confirmInfo(store, 0, false)).toMatchObject({ phase: "idle", clickable: true, reason: "" });
    expect(confirmInfo(store, 1, false)).toMatchObject({ phase: "unavailable", clickable: false, reason: "task expired" });
    expect(confirmInfo(store, 2, false)).toMatchObject({ clickable: false, reason: "cannot be confirmed" });
    expect(confirmInfo(store, 0, true)).toMatchObject({ clickable: false, reason: "read-only" });
  });
});

describe("packed (fixed-size binary) addresses", () => {
  it("rebuilds checksummed addresses and supports search, sort and patches", () => {
    const rows = makeRows(300, (i) => ({
      address: i === 5 ? "0x5eB561A4216363698B529b4a97b750923cEB3fFD" : undefined,
    }));
    const model = makeModel(rows, { _rows: ipcDataView(rows, { packedAddress: true }) });
    const store = new RowStore(model);
    rows.forEach((r, i) => expect(store.keyOf(i)).toBe(r.address));
    const cols = resolveColumns(model.get("columns"), []);
    const spec = emptySpec();
    spec.search = "0x5eb561a4216363698b529b4a97b750923ceb3ffd";
    expect(Array.from(computeOrder(store, cols, spec) ?? [])).toEqual([5]);
    spec.search = "";
    spec.filters = { address: { type: "text", value: rows[77]!.address.slice(-12).toUpperCase() } };
    expect(Array.from(computeOrder(store, cols, spec) ?? [])).toEqual([77]);
    spec.filters = {};
    spec.sort = [{ column: "address", dir: "desc" }];
    const order = Array.from(computeOrder(store, cols, spec) ?? []);
    const sorted = rows
      .map((r, i) => [r.address.toLowerCase(), i] as const)
      .sort((a, b) => (a[0] < b[0] ? 1 : -1))
      .map((x) => x[1]);
    expect(order).toEqual(sorted);
    model.pySet({ _patch: { seq: 1, rows: { [rows[5]!.address]: { action: "signing" } } } });
    expect(store.get("action", 5)).toBe("signing");
  });
});
