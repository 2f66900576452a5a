import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { makeModel, makeRows, type FakeModel } from "./helpers";
import type { AnyModel } from "@anywidget/types";
import type { WidgetModel } from "../src/core/model";
import { FAKE_TIMERS } from "./mount";

/** Like anywidget: every hook gets a fresh proxy object over the same underlying model. */
function proxy(base: FakeModel): AnyModel<WidgetModel> {
  return {
    get: base.get.bind(base),
    set: base.set.bind(base),
    save_changes: base.save_changes.bind(base),
    send: base.send.bind(base),
    on: base.on.bind(base),
    off: base.off.bind(base),
    widget_manager: base.widget_manager,
  };
}

beforeEach(() => {
  vi.useFakeTimers(FAKE_TIMERS);
});
afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

describe("anywidget module", () => {
  it("exports { initialize, render }", () => {
    expect(typeof widget.initialize).toBe("function");
    expect(typeof widget.render).toBe("function");
  });

  it("shares one store between initialize and every view, resyncs once", () => {
    const rows = makeRows(20);
    const base = makeModel(rows);
    const cleanupInit = widget.initialize({ model: proxy(base) });
    expect(base.sent.filter((m) => (m as { type?: string }).type === "resync")).toHaveLength(1);

    const el1 = document.createElement("div");
    const el2 = document.createElement("div");
    document.body.append(el1, el2);
    const cleanup1 = widget.render({ model: proxy(base), el: el1 });
    const cleanup2 = widget.render({ model: proxy(base), el: el2 });
    expect(base.sent.filter((m) => (m as { type?: string }).type === "resync")).toHaveLength(1);
    expect(el1.querySelectorAll(".ogpu-rt-row").length).toBeGreaterThan(0);

    // a patch updates both views through the shared store
    const a = rows[1]!.address;
    base.pySet({ _patch: { seq: 1, rows: { [a]: { action: "signing" } } } });
    vi.advanceTimersByTime(20);
    for (const el of [el1, el2]) {
      const status = el.querySelector(`[data-response="${a}"] .ogpu-rt-status`);
      expect(status?.textContent).toBe("signing…");
    }
    // selecting in one view shows in the other, and is saved once
    const box = el1.querySelector<HTMLInputElement>(`[data-response="${a}"] input.ogpu-rt-check`)!;
    box.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(el2.querySelector<HTMLInputElement>(`[data-response="${a}"] input.ogpu-rt-check`)!.checked).toBe(true);
    expect(base.savedValues("selected_keys")).toEqual([[a]]);

    // a refreshed snapshot (new _rows object) is still found by new views
    base.pySet({ _rows: makeModel(makeRows(5)).get("_rows"), _rows_version: 2 });
    const el3 = document.createElement("div");
    document.body.append(el3);
    const cleanup3 = widget.render({ model: proxy(base), el: el3 });
    expect(base.sent.filter((m) => (m as { type?: string }).type === "resync")).toHaveLength(1);
    expect(el3.querySelector(".ogpu-rt-count")?.textContent).toBe("Showing 5 of 5");

    for (const c of [cleanup1, cleanup2, cleanup3, cleanupInit]) c();
    expect(base.listenerCount()).toBe(0);
    expect(el1.childElementCount).toBe(0);
  });

  it("renders without initialize (own store) and cleans up", () => {
    const base = makeModel(makeRows(3));
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model: proxy(base), el });
    expect(el.querySelector(".ogpu-rt-count")?.textContent).toBe("Showing 3 of 3");
    expect(base.sent).toEqual([{ type: "resync" }]);
    cleanup();
    expect(base.listenerCount()).toBe(0);
  });

  it("shows a decode error instead of failing silently", () => {
    const base = makeModel(makeRows(1), { _rows: new DataView(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer) });
    const el = document.createElement("div");
    document.body.append(el);
    const cleanupInit = widget.initialize({ model: proxy(base) });
    const cleanup = widget.render({ model: proxy(base), el });
    const banner = el.querySelector(".ogpu-rt-banner");
    expect(banner?.getAttribute("data-level")).toBe("error");
    expect(banner?.textContent).toContain("Could not decode");
    cleanup();
    cleanupInit();
  });

  it("injects the stylesheet once, scoped under .ogpu-rt", () => {
    const base = makeModel(makeRows(1));
    const els = [document.createElement("div"), document.createElement("div")];
    const cleanups = els.map((el) => {
      document.body.append(el);
      return widget.render({ model: proxy(base), el });
    });
    const styles = document.querySelectorAll("style#ogpu-rt-style");
    expect(styles).toHaveLength(1);
    const css = styles[0]!.textContent ?? "";
    expect(css).toContain("var(--jp-layout-color0, var(--vscode-editor-background");
    // every rule is scoped
    const selectors = css
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .split("}")
      .map((r) => r.split("{")[0]!.trim())
      .filter((s) => s !== "");
    for (const sel of selectors) {
      for (const part of sel.split(",")) expect(part, part).toMatch(/\.ogpu-rt/);
    }
    for (const c of cleanups) c();
  });
});
