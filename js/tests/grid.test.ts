import { describe, expect, it, vi } from "vitest";
import { longestIncreasing, moveOutOfOrder } from "../src/grid/domorder";
import { COLUMNS, ipcDataView, makeRows } from "./helpers";
import { click, mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

function key(target: Element, k: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}

function active(): HTMLElement {
  return document.activeElement as HTMLElement;
}

/** Press a key on whatever has the focus. */
function press(k: string, init: KeyboardEventInit = {}): KeyboardEvent {
  return key(active(), k, init);
}

function rowOf(e: Element): string {
  return e.closest(".ogpu-rt-row")?.getAttribute("data-response") ?? "";
}

function colOf(e: Element): number {
  const row = e.closest('[role="row"]')!;
  return Array.from(row.querySelectorAll('[role="gridcell"], [role="columnheader"]')).indexOf(e);
}

/** Tab into the grid: focus its one tab stop. */
function tabIn(t: Mounted): HTMLElement {
  const stops = tabStops(t);
  expect(stops).toHaveLength(1);
  stops[0]!.focus();
  return stops[0]!;
}

/** Elements inside the grid that Tab would stop on (the review panel excluded). */
function tabStops(t: Mounted): HTMLElement[] {
  const grid = t.q(".ogpu-rt-scroll");
  const all = [grid, ...Array.from(grid.querySelectorAll<HTMLElement>("*"))];
  return all.filter((e) => {
    if (e.closest(".ogpu-rt-review")) return false;
    if (e.closest('[style*="display: none"]')) return false;
    const ti = e.getAttribute("tabindex");
    if (ti !== null) return Number(ti) >= 0;
    if (e instanceof HTMLButtonElement || e instanceof HTMLInputElement || e instanceof HTMLSelectElement) return !e.disabled;
    return e instanceof HTMLAnchorElement && e.hasAttribute("href");
  });
}

describe("ARIA grid and the roving tab stop", () => {
  it("has grid roles, one tab stop, and rows in DOM order", () => {
    const rows = makeRows(20);
    const t = m(rows);
    const grid = t.q(".ogpu-rt-scroll");
    expect(grid.getAttribute("role")).toBe("grid");
    expect(grid.getAttribute("aria-rowcount")).toBe("22");
    expect(t.qa('.ogpu-rt-hrow [role="columnheader"]')).toHaveLength(12);
    expect(t.row(rows[0]!.address).querySelectorAll('[role="gridcell"]')).toHaveLength(12);
    const stops = tabStops(t);
    expect(stops).toHaveLength(1);
    expect(rowOf(stops[0]!)).toBe(rows[0]!.address);
    expect(stops[0]!.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
  });

  it("moves with arrows, Home/End, PageDown and Ctrl+Home/End; Tab leaves from one stop", () => {
    const rows = makeRows(300);
    const t = m(rows);
    const start = tabIn(t);
    expect(colOf(start)).toBe(1);
    press("ArrowDown");
    expect(rowOf(active())).toBe(rows[1]!.address);
    expect(active().getAttribute("tabindex")).toBe("0");
    expect(tabStops(t)).toEqual([active()]);
    press("ArrowRight");
    expect(colOf(active())).toBe(2);
    press("End");
    expect(colOf(active())).toBe(11);
    press("Home");
    expect(colOf(active())).toBe(0);
    press("PageDown");
    const pos = rows.findIndex((r) => r.address === rowOf(active()));
    expect(pos).toBeGreaterThan(5);
    press("End", { ctrlKey: true });
    expect(rowOf(active())).toBe(rows[299]!.address);
    expect(t.scroll().scrollTop).toBeGreaterThan(0);
    press("Home", { ctrlKey: true });
    expect(rowOf(active())).toBe(rows[0]!.address);
    // up from the first row: the filter row, then the column titles
    press("ArrowUp");
    expect(active().closest(".ogpu-rt-frow")).not.toBeNull();
    press("ArrowUp");
    expect(active().getAttribute("role")).toBe("columnheader");
    expect(tabStops(t)).toEqual([active()]);
    // Enter sorts by the column; Shift+Enter adds the next column to the sort
    press("ArrowRight");
    press("ArrowRight");
    press("Enter");
    expect(active().getAttribute("aria-sort")).toBe("ascending");
    press("ArrowRight");
    press("Enter", { shiftKey: true });
    expect(active().getAttribute("aria-sort")).toBe("ascending");
    expect(t.qa('[aria-sort="ascending"]')).toHaveLength(2);
  });

  it("stops the keys it handles (and unmodified letters) before JupyterLab sees them", () => {
    const rows = makeRows(5);
    const t = m(rows);
    tabIn(t);
    const reached: string[] = [];
    const spy = (e: Event): void => {
      reached.push((e as KeyboardEvent).key);
    };
    document.addEventListener("keydown", spy);
    try {
      const down = press("ArrowDown");
      expect(down.defaultPrevented).toBe(true);
      press("a"); // a notebook command-mode shortcut (insert cell above)
      press("Enter", { shiftKey: true }); // run the cell: not ours
      press("s", { ctrlKey: true }); // save: not ours
      expect(reached).toEqual(["Enter", "s"]);
      // on a toolbar button too; Tab and typing in the search field are left alone
      t.button("Columns").focus();
      press("a");
      press("Tab");
      expect(reached).toEqual(["Enter", "s", "Tab"]);
    } finally {
      document.removeEventListener("keydown", spy);
    }
    expect(t.q(".ogpu-rt").getAttribute("data-lm-suppress-shortcuts")).toBe("true");
  });

  it("Enter edits a filter; Escape returns to its cell", () => {
    const rows = makeRows(5);
    const t = m(rows);
    tabIn(t);
    press("ArrowUp"); // filter row, Confirm column
    press("ArrowRight"); // filter of the first data column
    const cell = active();
    press("Enter");
    expect(active().tagName).toBe("INPUT");
    expect(press("ArrowDown").defaultPrevented).toBe(false); // the field keeps its keys
    press("Escape");
    expect(active()).toBe(cell);
  });

  it("Space and X select the row; Shift+Space selects a range", () => {
    const rows = makeRows(6, () => ({ can_confirm: true }));
    const t = m(rows);
    tabIn(t);
    press(" ");
    expect(t.model.get("selected_keys")).toEqual([rows[0]!.address]);
    press("ArrowDown");
    press("ArrowDown");
    press(" ", { shiftKey: true });
    expect(new Set(t.model.get("selected_keys"))).toEqual(new Set(rows.slice(0, 3).map((r) => r.address)));
    press("x");
    expect(t.model.get("selected_keys")).not.toContain(rows[2]!.address);
    expect(t.row(rows[0]!.address).getAttribute("aria-selected")).toBe("true");
  });

  it("P opens the review, Escape closes it and the focus goes back to the row", () => {
    const rows = makeRows(6, () => ({ can_confirm: true }));
    const t = m(rows);
    tabIn(t);
    press("ArrowDown");
    const addr = rows[1]!.address;
    press("p");
    const panel = t.q(".ogpu-rt-review");
    expect(panel.style.display).toBe("");
    expect(panel.contains(active())).toBe(true);
    press("Escape");
    expect(panel.style.display).toBe("none");
    expect(rowOf(active())).toBe(addr);
    // Enter on the Confirm cell does the same (it clicks the cell's button)
    active().closest<HTMLElement>('[role="gridcell"]')!.focus();
    expect(press("Enter").defaultPrevented).toBe(true);
    expect(panel.style.display).toBe("");
  });

  it("keeps the focus on the row (by address) after the confirmation completes", () => {
    const rows = makeRows(6, () => ({ can_confirm: true }));
    const t = m(rows);
    tabIn(t);
    press("ArrowDown");
    const addr = rows[1]!.address;
    press("p");
    const panel = t.q(".ogpu-rt-review");
    const pay = t.button("Confirm payment", panel);
    pay.focus();
    press("Enter"); // not handled by the grid: the button's own activation
    click(pay);
    t.model.pySet({ _patch: { seq: 1, rows: { [addr]: { action: "pending", can_confirm: false } } } });
    t.t.flush();
    t.model.pySet({ _patch: { seq: 2, rows: { [addr]: { action: "mined", status: "confirmed", confirmed: true } } } });
    t.t.flush();
    t.t.flush();
    expect(rowOf(active())).toBe(addr);
    expect(active().getAttribute("role")).toBe("gridcell");
    // the state is shown instead of a button; Escape closes the finished review
    press("Escape");
    expect(panel.style.display).toBe("none");
    expect(rowOf(active())).toBe(addr);
  });

  it("keeps the focus on its row when a sort moves it, and when it is scrolled away", () => {
    const rows = makeRows(400);
    const t = m(rows);
    tabIn(t);
    press("ArrowDown");
    press("ArrowDown");
    const addr = rows[2]!.address;
    const cellEl = active();
    click(t.q<HTMLButtonElement>('.ogpu-rt-th[data-col="payment_ogpu"] button'));
    click(t.q<HTMLButtonElement>('.ogpu-rt-th[data-col="payment_ogpu"] button')); // descending
    t.t.flush();
    expect(active()).toBe(cellEl);
    expect(rowOf(active())).toBe(addr);
    // scrolled far away, the focused row is not recycled for another row
    t.scroll().scrollTop = 5000;
    t.t.flush();
    expect(rowOf(active())).toBe(addr);
    expect(rowOf(cellEl)).toBe(addr);
  });
});

describe("focus across updates", () => {
  it("follows its row through a new snapshot (rows re-ordered) and live appends", () => {
    const rows = makeRows(50);
    const t = m(rows);
    tabIn(t);
    press("ArrowDown");
    press("ArrowDown");
    press("ArrowRight");
    const addr = rows[2]!.address;
    expect(rowOf(active())).toBe(addr);
    // Python sends the rows again, reversed: every row element is re-bound
    t.model.pySet({ _rows: ipcDataView([...rows].reverse()), _rows_version: 2 });
    t.t.flush();
    expect(rowOf(active())).toBe(addr);
    expect(colOf(active())).toBe(2);
    expect(tabStops(t)).toEqual([active()]);
    // a patch and a re-render leave it alone
    t.model.pySet({ _patch: { seq: 1, rows: { [addr]: { status: "confirmed" } } } });
    t.t.flush();
    expect(rowOf(active())).toBe(addr);
  });
});

describe("DOM order in the virtualized body", () => {
  function domKeys(t: Mounted): string[] {
    return Array.from(t.q(".ogpu-rt-body").children)
      .filter((e) => e.classList.contains("ogpu-rt-row") && (e as HTMLElement).style.display !== "none")
      .map((e) => e.getAttribute("data-response") ?? "");
  }

  it("matches the display order while scrolling and after a sort", () => {
    const rows = makeRows(2000);
    const t = m(rows);
    for (const top of [320, 640, 3200, 3232, 1600, 0, 40_000]) {
      t.scroll().scrollTop = top;
      t.t.flush();
      t.t.flush();
      expect(domKeys(t)).toEqual(t.shownKeys());
    }
    click(t.q<HTMLButtonElement>('.ogpu-rt-th[data-col="payment_ogpu"] button'));
    click(t.q<HTMLButtonElement>('.ogpu-rt-th[data-col="payment_ogpu"] button'));
    t.t.flush();
    expect(domKeys(t)).toEqual(t.shownKeys());
  });

  it("moves only the rows out of place", () => {
    const parent = document.createElement("div");
    const els = Array.from({ length: 8 }, (_, i) => {
      const e = document.createElement("div");
      e.id = `e${i}`;
      parent.append(e);
      return e;
    });
    // a scroll by 3 rows: the first three were re-bound to the end
    const want = [...els.slice(3), ...els.slice(0, 3)];
    const obs = new MutationObserver(() => undefined);
    obs.observe(parent, { childList: true });
    moveOutOfOrder(parent, want, document);
    const moves = obs.takeRecords().filter((r) => r.addedNodes.length > 0).length;
    expect(Array.from(parent.children)).toEqual(want);
    expect(moves).toBe(3);
    expect(longestIncreasing([3, 4, 5, 0, 1, 2, 6]).size).toBe(4);
  });
});

describe("per-frame cost", () => {
  it("writes nothing to the DOM when a patch leaves the shown rows unchanged", () => {
    const rows = makeRows(60);
    const t = m(rows, {}, {});
    t.t.flush();
    const obs = new MutationObserver(() => undefined);
    obs.observe(t.q(".ogpu-rt-body"), { subtree: true, childList: true, attributes: true, characterData: true });
    const same: Record<string, Record<string, unknown>> = {};
    for (const r of rows.slice(0, 30)) same[r.address] = { status: r.status, payment: r.payment };
    t.model.pySet({ _patch: { seq: 1, rows: same } });
    t.t.flush();
    expect(obs.takeRecords()).toEqual([]);
    // a frame with nothing to do (e.g. the header re-measured) writes nothing either
    t.t.flush();
    expect(obs.takeRecords()).toEqual([]);
  });

  it("the Result column writes nothing for unchanged rows, and only what changed", () => {
    const cols = [...COLUMNS.slice(0, 4), { name: "result", label: "Result", kind: "result" }, ...COLUMNS.slice(4)];
    const rows = makeRows(40);
    const t = m(rows, { columns: cols });
    const ok = (i: number) => ({ result_state: "ok", result_preview: `p${i}`, result_kind: "text" });
    const all: Record<string, Record<string, unknown>> = {};
    rows.forEach((r, i) => (all[r.address] = ok(i)));
    t.model.pySet({ _patch: { seq: 1, rows: all } });
    t.t.flush();
    const obs = new MutationObserver(() => undefined);
    obs.observe(t.q(".ogpu-rt-body"), { subtree: true, childList: true, attributes: true, characterData: true });
    t.model.pySet({ _patch: { seq: 2, rows: all } }); // the same values again
    t.t.flush();
    expect(obs.takeRecords()).toEqual([]);
    // one preview changes: its text and title, nothing else
    t.model.pySet({ _patch: { seq: 3, rows: { [rows[3]!.address]: { ...ok(3), result_preview: "new" } } } });
    t.t.flush();
    const recs = obs.takeRecords();
    const touched = new Set(recs.map((r) => (r.target instanceof Element ? r.target : r.target.parentElement)!.closest(".ogpu-rt-row")));
    expect(touched.size).toBe(1);
    expect(recs.some((r) => r.type === "attributes" && r.attributeName === "aria-label")).toBe(false);
    expect(recs.length).toBeLessThanOrEqual(3);
  });

  it("a fast scroll that re-binds every row moves no element", () => {
    const rows = makeRows(20_000);
    const t = m(rows, {}, { overscan: 4 });
    t.t.flush();
    const obs = new MutationObserver(() => undefined);
    obs.observe(t.q(".ogpu-rt-body"), { childList: true });
    for (let i = 1; i <= 10; i++) {
      t.scroll().scrollTop = i * 40 * 32; // 40 rows per frame, as the benchmark scrolls
      t.t.flush();
      expect(t.shownKeys()).toContain(rows[i * 40]!.address);
    }
    expect(obs.takeRecords().filter((r) => r.addedNodes.length > 0)).toHaveLength(0);
  });

  it("scrolling by one row re-binds one row and moves one element", () => {
    const rows = makeRows(2000);
    const t = m(rows, {}, { overscan: 4 });
    t.scroll().scrollTop = 3200;
    t.t.flush();
    t.t.flush();
    const obs = new MutationObserver(() => undefined);
    obs.observe(t.q(".ogpu-rt-body"), { childList: true });
    t.scroll().scrollTop = 3232;
    t.t.flush();
    const moved = obs.takeRecords().filter((r) => r.addedNodes.length > 0).length;
    expect(moved).toBeLessThanOrEqual(1);
  });
});

describe("results demand", () => {
  it("asks for the rows on screen once the scrolling settles, not during it", () => {
    const cols = [...COLUMNS.slice(0, 4), { name: "result", label: "Result", kind: "result" }, ...COLUMNS.slice(4)];
    const rows = makeRows(3000);
    const t = m(rows, { columns: cols }, { resultsDebounceMs: 120 });
    vi.advanceTimersByTime(200);
    const asks = () => t.model.sent.filter((s) => (s as { type?: string }).type === "results").length;
    expect(asks()).toBe(1);
    for (let i = 1; i <= 20; i++) {
      t.scroll().scrollTop = i * 400;
      t.t.flush();
      vi.advanceTimersByTime(50); // a frame every 50 ms: never idle for 120 ms
    }
    expect(asks()).toBe(1);
    vi.advanceTimersByTime(200);
    expect(asks()).toBe(2);
    const last = t.model.sent.at(-1) as { addresses: string[] };
    expect(last.addresses[0]).toBe(t.shownKeys()[0]);
    // frames that show the same rows ask nothing new
    t.t.flush();
    vi.advanceTimersByTime(500);
    expect(asks()).toBe(2);
  });
});

describe("help", () => {
  it("? and the toolbar button open the shortcuts; Escape gives the focus back", () => {
    const rows = makeRows(3);
    const t = m(rows);
    const cell = tabIn(t);
    press("?");
    const help = t.q('[role="dialog"][aria-label="Keyboard shortcuts"]');
    expect(help.style.display).toBe("");
    expect(help.textContent).toContain("Review and confirm");
    press("Escape");
    expect(help.style.display).toBe("none");
    expect(active()).toBe(cell);
    const btn = t.button("Keyboard shortcuts");
    click(btn);
    expect(help.style.display).toBe("");
    press("Escape");
    expect(active()).toBe(btn);
  });
});
