import { describe, expect, it, vi } from "vitest";
import { decodePositions, makeRows } from "./helpers";
import { choose, click, clickCheckbox, mount, mountPerTest, typeInto, type Mounted } from "./mount";

const m = mountPerTest();

function sortButton(t: Mounted, col: string): HTMLButtonElement {
  return t.q<HTMLButtonElement>(`.ogpu-rt-th[data-col="${col}"] button`);
}

function th(t: Mounted, col: string): HTMLElement {
  return t.q(`.ogpu-rt-th[data-col="${col}"]`);
}

describe("rendering", () => {
  it("renders rows with roles, data-response and formatted cells", () => {
    const rows = makeRows(5, (i) => ({ payment_ogpu: i === 1 ? 1.23456789 : 2, timestamp: 1795888984 }));
    const t = m(rows);
    expect(t.q(".ogpu-rt-scroll").getAttribute("role")).toBe("grid");
    expect(t.q(".ogpu-rt").getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    const shown = t.shown();
    expect(shown).toHaveLength(5);
    expect(t.shownKeys()).toEqual(rows.map((r) => r.address));
    const r1 = t.row(rows[1]!.address);
    expect(r1.getAttribute("role")).toBe("row");
    expect(r1.querySelectorAll('[role="gridcell"]').length).toBe(1 + 10 + 1);
    const text = r1.textContent ?? "";
    expect(text).toContain("1.234568 OGPU");
    expect(text).toContain(`${rows[1]!.address.slice(0, 6)}…${rows[1]!.address.slice(-4)}`);
    expect(text).toContain("2026-11-28 18:03:04 UTC");
    expect(t.counter()).toBe("Showing 5 of 5");
    // explorer link for the address
    const link = r1.querySelector<HTMLAnchorElement>("a.ogpu-rt-addr")!;
    expect(link.getAttribute("href")).toBe(`https://ogpuscan.io/address/${rows[1]!.address}`);
    expect(link.rel).toBe("noopener noreferrer");
    expect(link.target).toBe("_blank");
    // badge + bool
    expect(r1.querySelector(".ogpu-rt-badge")?.getAttribute("data-tone")).toBe("neutral");
    const r0 = t.row(rows[0]!.address);
    expect(r0.querySelector(".ogpu-rt-badge")?.getAttribute("data-tone")).toBe("ok");
    expect(r0.querySelector(".ogpu-rt-k-bool")?.textContent).toBe("✓");
    expect(r1.querySelector(".ogpu-rt-k-bool")?.textContent).toBe("—");
    // relative time in the title
    expect(r0.querySelector<HTMLElement>(".ogpu-rt-k-datetime")!.title).toMatch(/ago|in |just now/);
  });

  it("shows shortened addresses without links when no explorer is set", () => {
    const rows = makeRows(2);
    const t = m(rows, { explorer_url: "" });
    const r = t.row(rows[0]!.address);
    expect(r.querySelector("a[href]")).toBeNull();
    expect(r.textContent).toContain(`${rows[0]!.address.slice(0, 6)}…`);
  });

  it("ignores a non-http explorer_url", () => {
    const rows = makeRows(1);
    const t = m(rows, { explorer_url: "javascript:alert(1)//" });
    expect(t.host.querySelector("a[href]")).toBeNull();
  });

  it("copies the full address", async () => {
    const rows = makeRows(1);
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(window.navigator, "clipboard", { value: { writeText }, configurable: true });
    const t = m(rows);
    const copy = t.button(`Copy response ${rows[0]!.address}`);
    click(copy);
    expect(writeText).toHaveBeenCalledWith(rows[0]!.address);
    await Promise.resolve();
    expect(copy.hasAttribute("data-copied")).toBe(true);
    Object.defineProperty(window.navigator, "clipboard", { value: undefined, configurable: true });
  });

  it("expands long data into a text panel", () => {
    const long = "x".repeat(500) + "<b>not bold</b>";
    const rows = makeRows(1, () => ({ data: long }));
    const t = m(rows);
    click(t.button("Show full data"));
    const dialog = t.q('[role="dialog"]');
    expect(dialog.style.display).toBe("");
    expect(dialog.querySelector("pre")?.textContent).toBe(long);
    expect(dialog.querySelector("b")).toBeNull();
    click(t.button("Close full value"));
    expect(dialog.style.display).toBe("none");
  });

  it("shows Python banners (dismissible) and local errors", () => {
    const t = m(makeRows(1), { banner: { level: "error", message: "RPC down <img src=x onerror=alert(1)>", seq: 1 } });
    const b = t.q(".ogpu-rt-banner");
    expect(b.getAttribute("role")).toBe("alert");
    expect(b.textContent).toContain("RPC down <img");
    expect(b.querySelector("img")).toBeNull();
    click(t.button("Dismiss message"));
    expect(t.host.querySelector(".ogpu-rt-banner")).toBeNull();
    t.model.pySet({ banner: { level: "info", message: "Refreshed", seq: 2 } });
    expect(t.q(".ogpu-rt-banner").textContent).toContain("Refreshed");
    t.model.pySet({ banner: { level: "info", message: "", seq: 3 } });
    expect(t.host.querySelector(".ogpu-rt-banner")).toBeNull();
  });

  it("cleans up listeners and DOM", () => {
    const rows = makeRows(3);
    const t = mount(rows);
    const before = t.model.listenerCount();
    expect(before).toBeGreaterThan(0);
    t.t.destroy();
    // only the store's own listeners remain (it is owned by the model, not the view)
    t.store.dispose();
    expect(t.model.listenerCount()).toBe(0);
    expect(t.host.querySelector(".ogpu-rt")).toBeNull();
    t.host.remove();
  });
});

describe("virtualization", () => {
  it("keeps at most 150 row elements for 100,000 rows", () => {
    const rows = makeRows(100_000);
    const t = m(rows);
    const all = () => t.host.querySelectorAll(".ogpu-rt-row").length;
    expect(all()).toBeLessThanOrEqual(150);
    expect(t.shown().length).toBeGreaterThan(10);
    expect(t.counter()).toBe("Showing 100,000 of 100,000");
    const body = t.q(".ogpu-rt-body");
    expect(body.style.height).toBe(`${100_000 * 32}px`);

    // scroll to the middle
    const sc = t.scroll();
    sc.scrollTop = 50_000 * 32;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(20);
    const keys = t.shownKeys();
    expect(keys).toContain(rows[50_005]!.address);
    expect(keys).not.toContain(rows[0]!.address);
    expect(all()).toBeLessThanOrEqual(150);

    // a huge viewport is still capped
    Object.defineProperty(sc, "clientHeight", { value: 20_000, configurable: true });
    sc.scrollTop = 10_000 * 32;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(20);
    expect(all()).toBeLessThanOrEqual(150);
    expect(t.shown().length).toBe(150);
  });

  it("reuses row elements while scrolling", () => {
    const rows = makeRows(10_000);
    const t = m(rows);
    const before = new Set(t.qa(".ogpu-rt-row"));
    const sc = t.scroll();
    for (let k = 1; k <= 50; k++) {
      sc.scrollTop = k * 97 * 32;
      sc.dispatchEvent(new Event("scroll"));
      vi.advanceTimersByTime(17);
    }
    const after = t.qa(".ogpu-rt-row");
    // viewport (15 rows) + 2 × overscan (8) + partial rows
    expect(after.length).toBeLessThanOrEqual(15 + 16 + 2);
    expect(after.filter((e) => before.has(e)).length).toBeGreaterThanOrEqual(before.size);
  });
});

describe("fast scrolling", () => {
  it("renders only the viewport while scrolling fast, then the overscan again", () => {
    const rows = makeRows(10_000);
    const t = m(rows);
    const sc = t.scroll();
    const settled = t.shown().length;
    // 40 rows a frame: overscan rows would be replaced before ever being seen
    sc.scrollTop = 4_000 * 32;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(17);
    const fast = t.shownKeys();
    expect(fast.length).toBeLessThan(settled);
    expect(fast.length).toBeGreaterThanOrEqual(15); // the whole 480 px viewport
    expect(fast).toContain(rows[4_000]!.address);
    expect(fast).toContain(rows[4_014]!.address);
    // scrolling stopped: the next frame brings the overscan back
    vi.advanceTimersByTime(17);
    const slow = t.shownKeys();
    expect(slow.length).toBeGreaterThan(fast.length);
    expect(slow).toContain(rows[3_995]!.address);
    expect(slow).toContain(rows[4_020]!.address);
    expect(t.qa(".ogpu-rt-row").length).toBeLessThanOrEqual(150);
  });

  it("does not rewrite unchanged row content", () => {
    const rows = makeRows(3);
    const t = m(rows);
    const r = t.row(rows[1]!.address);
    const confirm = r.querySelector<HTMLButtonElement>(".ogpu-rt-confirm")!;
    const status = r.querySelector(".ogpu-rt-status")!;
    const textNodes = [confirm.firstChild, status.firstChild];
    const mo = new MutationObserver(() => undefined);
    mo.observe(r, { subtree: true, childList: true, attributes: true, characterData: true });
    // a patch to another row re-renders nothing here; a re-render of this row with equal
    // content changes nothing in the DOM
    t.model.pySet({ _patch: { seq: 1, rows: { [rows[1]!.address]: { payment_ogpu: rows[1]!.payment_ogpu } } } });
    t.t.flush();
    expect(mo.takeRecords()).toEqual([]);
    expect([confirm.firstChild, status.firstChild]).toEqual(textNodes);
    mo.disconnect();
  });
});

describe("sorting", () => {
  it("cycles asc → desc → none with aria-sort", () => {
    const rows = makeRows(4, (i) => ({ payment_ogpu: [10, 9, 100, 9][i]! }));
    const t = m(rows);
    const b = sortButton(t, "payment_ogpu");
    expect(th(t, "payment_ogpu").getAttribute("aria-sort")).toBe("none");
    click(b);
    t.t.flush();
    expect(th(t, "payment_ogpu").getAttribute("aria-sort")).toBe("ascending");
    // numeric, stable for the tie (rows 1 and 3 keep snapshot order)
    expect(t.shownKeys()).toEqual([1, 3, 0, 2].map((i) => rows[i]!.address));
    click(b);
    t.t.flush();
    expect(th(t, "payment_ogpu").getAttribute("aria-sort")).toBe("descending");
    expect(t.shownKeys()).toEqual([2, 0, 1, 3].map((i) => rows[i]!.address));
    click(b);
    t.t.flush();
    expect(th(t, "payment_ogpu").getAttribute("aria-sort")).toBe("none");
    expect(t.shownKeys()).toEqual(rows.map((r) => r.address));
  });

  it("sorts strings case-insensitively and wei numerically", () => {
    const rows = makeRows(4, (i) => ({ data: ["banana", "Apple", "cherry", "apple"][i]!, payment: ["100", "9", "1000", "25"][i]! }));
    const t = m(rows);
    click(sortButton(t, "data"));
    t.t.flush();
    expect(t.shownKeys()).toEqual([1, 3, 0, 2].map((i) => rows[i]!.address));
    click(sortButton(t, "payment"));
    t.t.flush();
    expect(t.shownKeys()).toEqual([1, 3, 0, 2].map((i) => rows[i]!.address));
    expect(th(t, "data").getAttribute("aria-sort")).toBe("none");
  });

  it("multi-column sort with shift-click, keyboard reachable", () => {
    const rows = makeRows(6, (i) => ({ status: i % 2 ? "submitted" : "confirmed", payment_ogpu: [3, 1, 2, 6, 5, 4][i]! }));
    const t = m(rows);
    const sb = sortButton(t, "status");
    expect(sb.tagName).toBe("BUTTON"); // Enter/Space activate natively
    click(sb);
    click(sortButton(t, "payment_ogpu"), { shiftKey: true });
    click(sortButton(t, "payment_ogpu"), { shiftKey: true }); // → desc
    t.t.flush();
    // confirmed (0,2,4) by payment desc: 4(5),0(3),2(2); submitted (1,3,5): 3(6),5(4),1(1)
    expect(t.shownKeys()).toEqual([4, 0, 2, 3, 5, 1].map((i) => rows[i]!.address));
    expect(th(t, "status").getAttribute("aria-sort")).toBe("ascending");
    expect(th(t, "payment_ogpu").getAttribute("aria-sort")).toBe("descending");
    expect(th(t, "payment_ogpu").textContent).toContain("▼2");
    // shift-click again removes payment from the sort
    click(sortButton(t, "payment_ogpu"), { shiftKey: true });
    t.t.flush();
    expect(t.shownKeys()).toEqual([0, 2, 4, 1, 3, 5].map((i) => rows[i]!.address));
  });

  it("sorts datetime numerically and puts nulls last", () => {
    const rows = makeRows(3, (i) => ({ timestamp: [300, 20, 1000][i]! }));
    const t = m(rows);
    click(sortButton(t, "timestamp"));
    t.t.flush();
    expect(t.shownKeys()).toEqual([1, 0, 2].map((i) => rows[i]!.address));
  });
});

describe("filters and search", () => {
  const rows = makeRows(30, (i) => ({
    data: i === 7 ? "Needle in the HAYSTACK" : `result ${i}`,
    status: i % 3 === 0 ? "confirmed" : "submitted",
    payment_ogpu: i,
    confirmed: i % 3 === 0,
  }));

  it("text filter (case-insensitive contains) on address", () => {
    const t = m(rows);
    const input = t.q<HTMLInputElement>('input[data-filter="address"]');
    typeInto(input, rows[12]!.address.slice(20).toUpperCase());
    t.t.flush();
    expect(t.shownKeys()).toEqual([rows[12]!.address]);
    expect(t.counter()).toBe("Showing 1 of 30");
    typeInto(input, "");
    t.t.flush();
    expect(t.counter()).toBe("Showing 30 of 30");
  });

  it("category select lists distinct values and filters", () => {
    const t = m(rows);
    const sel = t.q<HTMLSelectElement>('select[data-filter="status"]');
    expect(Array.from(sel.options).map((o) => o.value)).toEqual(["", "confirmed", "submitted"]);
    choose(sel, "confirmed");
    t.t.flush();
    expect(t.counter()).toBe("Showing 10 of 30");
    choose(sel, "");
    expect(t.counter()).toBe("Showing 30 of 30");
  });

  it("min/max range on OGPU and bool select", () => {
    const t = m(rows);
    typeInto(t.q<HTMLInputElement>('input[data-filter="payment_ogpu:min"]'), "10");
    typeInto(t.q<HTMLInputElement>('input[data-filter="payment_ogpu:max"]'), "19.5");
    expect(t.counter()).toBe("Showing 10 of 30");
    choose(t.q<HTMLSelectElement>('select[data-filter="confirmed"]'), "true");
    expect(t.counter()).toBe("Showing 3 of 30"); // 12, 15, 18
    t.t.flush();
    expect(t.shownKeys()).toEqual([12, 15, 18].map((i) => rows[i]!.address));
  });

  it("datetime filter matches the formatted UTC string", () => {
    const rs = makeRows(3, (i) => ({ timestamp: [1795888984, 1795888984 + 86400 * 40, 0][i]! }));
    const t = m(rs);
    typeInto(t.q<HTMLInputElement>('input[data-filter="timestamp"]'), "2026-11");
    expect(t.counter()).toBe("Showing 1 of 3");
  });

  it("global search over string columns and full addresses", () => {
    const t = m(rows);
    const search = t.q<HTMLInputElement>('input[type="search"][aria-label="Search all columns"]');
    typeInto(search, "haystack");
    t.t.flush();
    expect(t.shownKeys()).toEqual([rows[7]!.address]);
    typeInto(search, rows[21]!.address.toLowerCase());
    t.t.flush();
    expect(t.shownKeys()).toEqual([rows[21]!.address]);
    typeInto(search, "SUBMITTED");
    expect(t.counter()).toBe("Showing 20 of 30");
    typeInto(search, "no such thing");
    expect(t.counter()).toBe("Showing 0 of 30");
    expect(t.q(".ogpu-rt-empty").textContent).toContain("No rows match");
  });

  it("re-filters when a patch changes a filtered column", () => {
    const t = m(rows);
    choose(t.q<HTMLSelectElement>('select[data-filter="status"]'), "submitted");
    expect(t.counter()).toBe("Showing 20 of 30");
    t.model.pySet({ _patch: { seq: 1, rows: { [rows[1]!.address]: { status: "confirmed", confirmed: true } } } });
    expect(t.counter()).toBe("Showing 19 of 30");
  });

  it("filters 100,000 rows quickly", () => {
    const big = makeRows(100_000, (i) => ({ data: `payload ${i % 1000}`, payment_ogpu: (i * 7919) % 100_000 }));
    const t = m(big);
    const t0 = performance.now();
    typeInto(t.q<HTMLInputElement>('input[type="search"]'), "payload 99");
    const t1 = performance.now();
    click(sortButton(t, "payment_ogpu"));
    const t2 = performance.now();
    click(sortButton(t, "address"), { shiftKey: true });
    const t3 = performance.now();
    expect(t.counter()).toBe("Showing 1,100 of 100,000");
    // generous bounds for slow CI; typical numbers are far lower
    expect(t1 - t0).toBeLessThan(1000);
    expect(t2 - t1).toBeLessThan(1000);
    expect(t3 - t2).toBeLessThan(1000);
    console.log(`100k: search ${(t1 - t0).toFixed(1)} ms, sort ${(t2 - t1).toFixed(1)} ms, multi-sort ${(t3 - t2).toFixed(1)} ms`);
  });
});

describe("_view sync", () => {
  it("sends debounced positions after sort/filter and all:true when cleared", () => {
    const rows = makeRows(6, (i) => ({ payment_ogpu: [5, 3, 4, 1, 2, 0][i]! }));
    const t = m(rows);
    expect(t.model.savedValues("_view")).toHaveLength(0);
    click(sortButton(t, "payment_ogpu"));
    typeInto(t.q<HTMLInputElement>('input[data-filter="payment_ogpu:min"]'), "1");
    vi.advanceTimersByTime(100);
    expect(t.model.savedValues("_view")).toHaveLength(0);
    vi.advanceTimersByTime(60);
    const sent = t.model.savedValues("_view");
    expect(sent).toHaveLength(1);
    const v = sent[0] as { all: boolean; positions: DataView };
    expect(v.all).toBe(false);
    expect(v.positions).toBeInstanceOf(DataView);
    expect(decodePositions(v.positions)).toEqual([3, 4, 1, 2, 0]);

    // no change → nothing re-sent
    typeInto(t.q<HTMLInputElement>('input[data-filter="payment_ogpu:min"]'), "1.0");
    vi.advanceTimersByTime(200);
    expect(t.model.savedValues("_view")).toHaveLength(1);

    click(t.button("Reset view"));
    vi.advanceTimersByTime(200);
    const last = t.model.savedValues("_view").at(-1) as { all: boolean; positions: DataView };
    expect(last.all).toBe(true);
    expect(last.positions).toBeInstanceOf(DataView);
    expect(last.positions.byteLength).toBe(0);
  });

  it("sends the filtered snapshot order for search only", () => {
    const rows = makeRows(5, (i) => ({ data: i % 2 ? "odd" : "even" }));
    const t = m(rows);
    typeInto(t.q<HTMLInputElement>('input[type="search"]'), "odd");
    vi.advanceTimersByTime(150);
    const v = t.model.savedValues("_view")[0] as { all: boolean; positions: DataView };
    expect(v.all).toBe(false);
    expect(decodePositions(v.positions)).toEqual([1, 3]);
  });
});

describe("selection", () => {
  const rows = makeRows(10);
  const box = (t: Mounted, i: number) =>
    t.row(rows[i]!.address).querySelector<HTMLInputElement>("input.ogpu-rt-check")!;

  it("checkbox, shift-range and header select-all sync to selected_keys", () => {
    const t = m(rows);
    clickCheckbox(box(t, 2));
    expect(t.model.savedValues("selected_keys").at(-1)).toEqual([rows[2]!.address]);
    clickCheckbox(box(t, 5), { shiftKey: true });
    expect(new Set(t.model.savedValues("selected_keys").at(-1) as string[])).toEqual(
      new Set([2, 3, 4, 5].map((i) => rows[i]!.address)),
    );
    expect(box(t, 4).checked).toBe(true);
    const header = t.q<HTMLInputElement>('input[aria-label="Select all shown rows"]');
    expect(header.indeterminate).toBe(true);
    clickCheckbox(header);
    expect((t.model.savedValues("selected_keys").at(-1) as string[]).length).toBe(10);
    expect(header.checked).toBe(true);
    clickCheckbox(header);
    expect(t.model.savedValues("selected_keys").at(-1)).toEqual([]);
    expect(box(t, 4).checked).toBe(false);
  });

  it("shift-range follows the display order", () => {
    const t = m(rows);
    click(sortButton(t, "address"));
    click(sortButton(t, "address")); // desc
    t.t.flush();
    const keys = t.shownKeys();
    const boxOf = (k: string) => t.row(k).querySelector<HTMLInputElement>("input.ogpu-rt-check")!;
    clickCheckbox(boxOf(keys[1]!));
    clickCheckbox(boxOf(keys[3]!), { shiftKey: true });
    expect(new Set(t.model.savedValues("selected_keys").at(-1) as string[])).toEqual(
      new Set([keys[1], keys[2], keys[3]]),
    );
  });

  it("header select-all selects only the filtered rows", () => {
    const t = m(rows);
    choose(t.q<HTMLSelectElement>('select[data-filter="status"]'), "confirmed");
    clickCheckbox(t.q<HTMLInputElement>('input[aria-label="Select all shown rows"]'));
    expect(new Set(t.model.savedValues("selected_keys").at(-1) as string[])).toEqual(
      new Set([0, 3, 6, 9].map((i) => rows[i]!.address)),
    );
  });

  it("applies Python selection without echo", () => {
    const t = m(rows);
    t.model.pySet({ selected_keys: [rows[1]!.address, rows[7]!.address] });
    t.t.flush();
    expect(box(t, 1).checked).toBe(true);
    expect(box(t, 7).checked).toBe(true);
    expect(box(t, 0).checked).toBe(false);
    expect(t.model.savedValues("selected_keys")).toHaveLength(0);
    expect(t.q(".ogpu-rt-toolbar").textContent).toContain("2 selected");
    // user change after a Python change is sent once
    clickCheckbox(box(t, 1));
    expect(t.model.savedValues("selected_keys")).toEqual([[rows[7]!.address]]);
  });
});
