import { describe, expect, it } from "vitest";
import { makeColumnDef } from "../src/columns/columns";
import {
  CONFIRM_WIDTH,
  MAX_WIDTH,
  MIN_WIDTH,
  applyLayout,
  emptyLayout,
  moveColumn,
  moveColumnTo,
  parseLayout,
  setHidden,
  toTrait,
} from "../src/columns/layout";
import { makeRows } from "./helpers";
import { choose, click, mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

const COLS = [
  makeColumnDef("address", "Response", "address"),
  makeColumnDef("task", "Task", "address"),
  makeColumnDef("data", "Data", "text"),
  makeColumnDef("status", "Status", "category"),
];

function headerNames(t: Mounted): string[] {
  return t.qa(".ogpu-rt-hrow .ogpu-rt-th[data-col]").map((e) => e.dataset["col"] ?? "");
}

function savedLayouts(t: Mounted): unknown[] {
  return t.model.savedValues("column_layout");
}

describe("the layout model", () => {
  it("reads tolerantly: bad entries dropped, widths clamped", () => {
    expect(parseLayout(null)).toEqual(emptyLayout());
    expect(parseLayout("x")).toEqual(emptyLayout());
    const l = parseLayout({
      order: ["task", 3, "task", "", "address"],
      hidden: "data",
      widths: { task: 5, data: 1e9, status: "wide", address: Number.NaN },
    });
    expect(l).toEqual({ order: ["task", "address"], hidden: [], widths: { task: MIN_WIDTH, data: MAX_WIDTH } });
  });

  it("applies order, hidden and widths; unknown names are ignored; one column always stays", () => {
    const l = { order: ["status", "nope", "task"], hidden: ["data"], widths: { task: 300 } };
    const cols = applyLayout(COLS, l);
    expect(cols.map((c) => c.name)).toEqual(["status", "task", "address"]);
    expect(cols[1]!.width).toBe(300);
    expect(cols[1]!.flex).toBe(false);
    const all = setHidden(COLS, setHidden(COLS, setHidden(COLS, emptyLayout(), "address", true), "task", true), "data", true);
    expect(setHidden(COLS, all, "status", true)).toBe(all); // the last shown column stays
    expect(applyLayout(COLS, all).map((c) => c.name)).toEqual(["status"]);
  });

  it("moves columns by steps and by drop target", () => {
    let l = moveColumn(COLS, emptyLayout(), "status", -2);
    expect(l.order).toEqual(["address", "status", "task", "data"]);
    l = moveColumnTo(COLS, l, "address", "data");
    expect(l.order).toEqual(["status", "task", "data", "address"]);
    expect(moveColumn(COLS, l, "status", -1)).toBe(l);
    expect(toTrait({ order: [], hidden: [], widths: { b: 1, a: 2 } })).toEqual({ order: [], hidden: [], widths: { a: 2, b: 1 } });
  });
});

describe("the table's layout", () => {
  it("pins a compact Confirm column and uses the saved layout on load", () => {
    const rows = makeRows(5);
    const t = m(rows, { column_layout: { order: ["task", "address"], hidden: ["data", "provider"], widths: { task: 222 } } });
    expect(headerNames(t).slice(0, 2)).toEqual(["task", "address"]);
    expect(headerNames(t)).not.toContain("data");
    const cols = t.q(".ogpu-rt").style.getPropertyValue("--ogpu-rt-cols");
    expect(cols.startsWith(`36px ${CONFIRM_WIDTH}px 222px `)).toBe(true);
    const row = t.row(rows[0]!.address);
    const pin = row.querySelector(".ogpu-rt-pin")!;
    expect(pin.querySelectorAll('[role="gridcell"]')).toHaveLength(2);
    expect(pin.querySelector(".ogpu-rt-k-confirm")).not.toBeNull();
    expect(row.querySelectorAll('[role="gridcell"]')).toHaveLength(2 + headerNames(t).length);
    expect(savedLayouts(t)).toEqual([]); // applying is not a change
  });

  it("hides, shows and moves columns from the column menu, recording column_layout", () => {
    const rows = makeRows(5);
    const t = m(rows);
    click(t.button("Columns"));
    const menu = t.q('[role="dialog"][aria-label="Columns"]');
    expect(menu.style.display).toBe("");
    const box = (name: string) => menu.querySelector<HTMLInputElement>(`li[data-col="${name}"] input`)!;
    box("data").checked = false;
    box("data").dispatchEvent(new Event("change", { bubbles: true }));
    expect(headerNames(t)).not.toContain("data");
    expect(savedLayouts(t).at(-1)).toEqual({ order: [], hidden: ["data"], widths: {} });
    click(t.button(/^Move task up$/i, menu));
    expect(headerNames(t)[0]).toBe("task");
    expect(document.activeElement?.getAttribute("aria-label")).toMatch(/^Move task (up|down)$/i);
    box("data").checked = true;
    box("data").dispatchEvent(new Event("change", { bubbles: true }));
    expect(headerNames(t)).toContain("data");
    const last = savedLayouts(t).at(-1) as { hidden: string[]; order: string[] };
    expect(last.hidden).toEqual([]);
    expect(last.order[0]).toBe("task");
    // rows follow the header's order
    t.t.flush();
    const firstData = t.row(rows[0]!.address).querySelectorAll<HTMLElement>('[role="gridcell"]')[2]!;
    expect(firstData.title).toBe(rows[0]!.task);
    click(t.button("Reset columns", menu));
    expect(headerNames(t)[0]).toBe("address");
  });

  it("Alt+Right/Left on a header resizes; Alt+Shift moves; the focus stays on the column", () => {
    const rows = makeRows(3);
    const t = m(rows);
    const th = t.q('.ogpu-rt-th[data-col="task"]');
    th.tabIndex = 0;
    th.focus();
    th.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", altKey: true, bubbles: true, cancelable: true }));
    const w = (savedLayouts(t).at(-1) as { widths: Record<string, number> }).widths["task"]!;
    expect(w).toBeGreaterThanOrEqual(MIN_WIDTH);
    const after = document.activeElement as HTMLElement;
    expect(after.dataset["col"]).toBe("task");
    after.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", altKey: true, shiftKey: true, bubbles: true, cancelable: true }));
    expect(headerNames(t)[0]).toBe("task");
    expect((document.activeElement as HTMLElement).dataset["col"]).toBe("task");
  });

  it("applies a layout set from Python, and drops the filter of a column it hides", () => {
    const rows = makeRows(9);
    const t = m(rows);
    choose(t.q<HTMLSelectElement>('select[data-filter="status"]'), "confirmed");
    expect(t.counter()).toBe("Showing 3 of 9");
    t.model.pySet({ column_layout: { order: [], hidden: ["status"], widths: {} } });
    expect(headerNames(t)).not.toContain("status");
    expect(t.counter()).toBe("Showing 9 of 9");
    expect(savedLayouts(t)).toEqual([]); // not echoed back
    t.model.pySet({ column_layout: {} });
    expect(headerNames(t)).toContain("status");
  });

  it("shows the state, not a disabled button, for rows that cannot be confirmed; badges have titles", () => {
    const rows = makeRows(3, (i) => ({
      can_confirm: i !== 1,
      reason: i === 1 ? "task finalized" : "",
      status: "manual_confirmation_pending",
      confirmed: false,
    }));
    const t = m(rows);
    const r0 = t.row(rows[1]!.address);
    const btn = r0.querySelector<HTMLButtonElement>(".ogpu-rt-confirm")!;
    expect(btn.disabled).toBe(true); // hidden by the stylesheet: `.ogpu-rt-k-confirm > .ogpu-rt-confirm:disabled`
    const state = r0.querySelector<HTMLElement>(".ogpu-rt-status")!;
    expect(state.textContent).toContain("finalized");
    expect(state.title).toContain("finalized"); // the full text of the ellipsized state
    const badgeCell = r0.querySelector<HTMLElement>(".ogpu-rt-k-category")!;
    expect(badgeCell.title).toBe("manual_confirmation_pending");
    const css = document.getElementById("ogpu-rt-style")?.textContent ?? "";
    expect(css).toContain(".ogpu-rt-k-confirm > .ogpu-rt-confirm:disabled { display: none; }");
    expect(css).toContain(".ogpu-rt-scroll.ogpu-rt-hscrolled .ogpu-rt-pin { position: sticky; left: 0; z-index: 1; }");
    // sticky only while scrolled sideways
    const scroll = t.scroll();
    scroll.scrollLeft = 200;
    scroll.dispatchEvent(new Event("scroll"));
    expect(scroll.classList.contains("ogpu-rt-hscrolled")).toBe(true);
    scroll.scrollLeft = 0;
    scroll.dispatchEvent(new Event("scroll"));
    expect(scroll.classList.contains("ogpu-rt-hscrolled")).toBe(false);
  });
});
