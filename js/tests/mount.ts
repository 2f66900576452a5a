import { afterEach, beforeEach, vi } from "vitest";
import { createTable, type TableHandle, type TableOptions } from "../src/table/table";
import { RowStore } from "../src/store/rowstore";
import { makeModel, type FakeModel, type RowInit } from "./helpers";

export interface Mounted {
  model: FakeModel;
  host: HTMLElement;
  store: RowStore;
  t: TableHandle;
  /** Row elements currently shown, in display order. */
  shown(): HTMLElement[];
  /** Addresses currently shown, in display order. */
  shownKeys(): string[];
  row(address: string): HTMLElement;
  q<T extends Element = HTMLElement>(sel: string): T;
  qa<T extends Element = HTMLElement>(sel: string): T[];
  button(name: string | RegExp, within?: Element): HTMLButtonElement;
  counter(): string;
  scroll(): HTMLElement;
  destroy(): void;
}

export function accessibleName(e: Element): string {
  return (e.getAttribute("aria-label") ?? e.textContent ?? "").trim();
}

export function mount(
  rows: Required<RowInit>[],
  extra: Record<string, unknown> = {},
  opts: TableOptions = {},
): Mounted {
  const model = makeModel(rows, extra);
  const host = document.createElement("div");
  document.body.append(host);
  const store = new RowStore(model);
  const t = createTable(model, host, { viewportHeight: 480, store, ...opts });
  const m: Mounted = {
    model,
    host,
    store,
    t,
    shown() {
      const els = Array.from(host.querySelectorAll<HTMLElement>(".ogpu-rt-body .ogpu-rt-row")).filter(
        (e) => e.style.display !== "none",
      );
      return els.sort(
        (a, b) => Number(a.getAttribute("aria-rowindex")) - Number(b.getAttribute("aria-rowindex")),
      );
    },
    shownKeys() {
      return m.shown().map((e) => e.getAttribute("data-response") ?? "");
    },
    row(address) {
      const r = m.shown().find((e) => e.getAttribute("data-response") === address);
      if (!r) throw new Error(`row ${address} not shown`);
      return r;
    },
    q<T extends Element = HTMLElement>(sel: string): T {
      const e = host.querySelector<T>(sel);
      if (!e) throw new Error(`no ${sel}`);
      return e;
    },
    qa<T extends Element = HTMLElement>(sel: string): T[] {
      return Array.from(host.querySelectorAll<T>(sel));
    },
    button(name, within) {
      const all = Array.from((within ?? host).querySelectorAll<HTMLButtonElement>("button")).filter(
        (b) => b.style.display !== "none",
      );
      const b = all.find((x) =>
        typeof name === "string" ? accessibleName(x) === name : name.test(accessibleName(x)),
      );
      if (!b) throw new Error(`no button ${String(name)}`);
      return b;
    },
    counter() {
      return m.q(".ogpu-rt-count").textContent ?? "";
    },
    scroll() {
      return m.q(".ogpu-rt-scroll");
    },
    destroy() {
      t.destroy();
      host.remove();
    },
  };
  return m;
}

export function click(e: Element, init: MouseEventInit = {}): void {
  e.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, ...init }));
}

/** Checkbox click (activation toggles `checked` before listeners run, as in browsers). */
export function clickCheckbox(box: HTMLInputElement, init: MouseEventInit = {}): void {
  box.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, ...init }));
}

export function typeInto(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

export function choose(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

/** Fake timers, animation frames included, as every DOM test here uses them. */
export const FAKE_TIMERS = {
  toFake: ["setTimeout", "clearTimeout", "requestAnimationFrame", "cancelAnimationFrame"],
} satisfies Parameters<typeof vi.useFakeTimers>[0];

/** Call at the top of a test file: fake timers around each test, and a `mount` whose tables
 * are destroyed after each test. */
export function mountPerTest(): typeof mount {
  let mounted: Mounted[] = [];
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS);
  });
  afterEach(() => {
    for (const x of mounted) x.destroy();
    mounted = [];
    vi.useRealTimers();
  });
  return (...args) => {
    const x = mount(...args);
    mounted.push(x);
    return x;
  };
}
