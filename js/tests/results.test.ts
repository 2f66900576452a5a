import { describe, expect, it, vi } from "vitest";
import {
  alignResults,
  compactJson,
  flattenResult,
  inertLine,
  inertText,
  sniffImage,
} from "../src/results/results";
import { parseResultAnswer, type ResultAnswer } from "../src/core/protocol";
import { COLUMNS, addr, makeRows, type FakeModel } from "./helpers";
import { click, mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

const RESULT_COLUMNS = [...COLUMNS.slice(0, 4), { name: "result", label: "Result", kind: "result" }, ...COLUMNS.slice(4)];
const TASK = addr(7_000_001);
const OTHER_TASK = addr(7_000_002);

// 1×1 PNG
const PNG_B64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const SVG_B64 = btoa('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>');

function rows3() {
  return makeRows(5, (i) => ({
    task: i < 3 ? TASK : OTHER_TASK,
    provider: addr(3_000_000 + i),
    can_confirm: true,
    reason: "",
    confirmed: false,
    status: "submitted",
  }));
}

function mountResults(rows = rows3(), extra: Record<string, unknown> = {}): Mounted {
  return m(rows, { columns: RESULT_COLUMNS, ...extra });
}

function cell(t: Mounted, address: string): HTMLElement {
  const c = t.row(address).querySelector<HTMLElement>(".ogpu-rt-k-result");
  if (!c) throw new Error("no result cell");
  return c;
}

let seq = 1;
function patch(t: Mounted, rows: Record<string, Record<string, unknown>>): void {
  t.model.pySet({ _patch: { seq: seq++, rows } });
  t.t.flush();
}

function sentOf(model: FakeModel, type: string): Record<string, unknown>[] {
  return model.sent.filter((s): s is Record<string, unknown> => (s as { type?: string }).type === type);
}

/** Python answers the latest result request for `address`. */
async function answer(t: Mounted, address: string, fields: Partial<ResultAnswer> & Record<string, unknown>): Promise<void> {
  const req = sentOf(t.model, "result")
    .filter((s) => s["response"] === address)
    .pop();
  if (!req) throw new Error(`no result request for ${address}`);
  await t.model.pyMsg({
    type: "result",
    id: req["id"],
    kind: "json",
    state: "ok",
    value: null,
    text: "",
    image: "",
    mime: "",
    width: null,
    height: null,
    verified: true,
    error: "",
    cid: "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o",
    size: 10,
    truncated: false,
    ...fields,
  });
}

/** Nothing a payload could turn into markup or script. */
function assertInert(root: Element): void {
  for (const tag of ["script", "svg", "iframe", "object", "embed", "foreignObject", "style", "link", "form"]) {
    expect(root.querySelector(tag), tag).toBeNull();
  }
  for (const e of Array.from(root.querySelectorAll("*"))) {
    for (const a of Array.from(e.attributes)) expect(a.name.startsWith("on"), `${e.tagName} ${a.name}`).toBe(false);
  }
  for (const img of Array.from(root.querySelectorAll("img"))) {
    expect(img.getAttribute("src") ?? "").toMatch(/^(blob:|data:image\/(png|jpeg|gif|webp);base64,)/);
  }
}

describe("Result cell", () => {
  it("starts loading, asks for the rows on screen, and fills in from patches", () => {
    const rows = rows3();
    const t = mountResults(rows);
    for (const r of rows) expect(cell(t, r.address).dataset["resultState"]).toBe("loading");
    expect(cell(t, rows[0]!.address).textContent).toContain("loading…");
    vi.advanceTimersByTime(300);
    const asks = sentOf(t.model, "results");
    expect(asks).toHaveLength(1);
    expect(asks[0]!["addresses"]).toEqual(rows.map((r) => r.address));

    patch(t, {
      [rows[0]!.address]: { result_preview: '{"result":"positive","confidence":0.97}', result_state: "ok", result_kind: "json" },
      [rows[1]!.address]: { result_preview: "a text", result_state: "unverified", result_kind: "text" },
      [rows[2]!.address]: { result_preview: "timed out after 10 s", result_state: "error", result_kind: "error" },
      [rows[3]!.address]: { result_preview: "not fetched: not an IPFS URL", result_state: "none", result_kind: "error" },
    });
    const c0 = cell(t, rows[0]!.address);
    expect(c0.dataset["resultState"]).toBe("ok");
    expect(c0.querySelector(".ogpu-rt-rmark")!.textContent).toBe("✓");
    expect(c0.querySelector(".ogpu-rt-rtext")!.textContent).toBe('{"result":"positive","confidence":0.97}');
    expect(c0.title).toContain("verified");
    expect(cell(t, rows[1]!.address).querySelector(".ogpu-rt-rmark")!.textContent).toBe("?");
    expect(cell(t, rows[2]!.address).dataset["resultState"]).toBe("error");
    expect(cell(t, rows[2]!.address).querySelector(".ogpu-rt-rmark")!.textContent).toBe("✗");
    expect(cell(t, rows[3]!.address).dataset["resultState"]).toBe("none");
    // the row keeps its key
    expect(t.row(rows[0]!.address).getAttribute("data-response")).toBe(rows[0]!.address);
    // only the row still loading is asked for again
    vi.advanceTimersByTime(300);
    const again = sentOf(t.model, "results");
    expect(again).toHaveLength(2);
    expect(again[1]!["addresses"]).toEqual([rows[4]!.address]);
  });

  it("asks for nothing when no Result column is shown", () => {
    const t = m(rows3());
    vi.advanceTimersByTime(500);
    expect(sentOf(t.model, "results")).toHaveLength(0);
  });

  it("caps the demand and asks only for rows near the screen of a large table", () => {
    const rows = makeRows(5000);
    const t = mountResults(rows);
    vi.advanceTimersByTime(300);
    const asked = sentOf(t.model, "results")[0]!["addresses"] as string[];
    expect(asked.length).toBeGreaterThan(10);
    expect(asked.length).toBeLessThanOrEqual(300);
    expect(asked[0]).toBe(rows[0]!.address);
    expect(asked).not.toContain(rows[4000]!.address);
  });

  it("sorts, filters and searches the Result column on its preview", () => {
    const rows = rows3();
    const t = mountResults(rows);
    patch(t, {
      [rows[0]!.address]: { result_preview: "zebra", result_state: "ok", result_kind: "text" },
      [rows[1]!.address]: { result_preview: "apple", result_state: "ok", result_kind: "text" },
      [rows[2]!.address]: { result_preview: "mango", result_state: "ok", result_kind: "text" },
    });
    const search = t.q<HTMLInputElement>("input[type=search]");
    search.value = "mango";
    search.dispatchEvent(new Event("input", { bubbles: true }));
    vi.advanceTimersByTime(400);
    t.t.flush();
    expect(t.shownKeys()).toEqual([rows[2]!.address]);
  });

  it("renders hostile previews as inert, isolated text", () => {
    const rows = rows3();
    const t = mountResults(rows);
    const hostile = '{"x":"<script>alert(1)</script><svg onload=alert(1)>"}';
    patch(t, { [rows[0]!.address]: { result_preview: hostile, result_state: "unverified", result_kind: "json" } });
    expect(cell(t, rows[0]!.address).textContent).toContain("<script>alert(1)</script>");
    assertInert(t.host);
  });
});

describe("detail view", () => {
  it("asks Python for the whole result and draws escaped, collapsible JSON", async () => {
    const rows = rows3();
    const t = mountResults(rows);
    const a = rows[0]!.address;
    const btn = t.button(`Show the result of response ${a}`);
    click(btn);
    const dialog = t.q(".ogpu-rt-result-detail");
    expect(dialog.style.display).toBe("");
    expect(dialog.textContent).toContain("Loading the result");
    const req = sentOf(t.model, "result").pop()!;
    expect(req).toMatchObject({ type: "result", response: a });
    expect(typeof req["id"]).toBe("string");
    await answer(t, a, {
      value: {
        result: "positive",
        confidence: 0.97,
        nested: { deep: { deeper: { x: [1, 2, 3] } } },
        hostile: "<script>alert(1)</script><svg onload=alert(1)><img src=x onerror=alert(1)>",
        rtl: "abc\u202Edcba",
        ansi: "\u001b[31mred\u001b[0m",
      },
    });
    expect(dialog.dataset["resultState"]).toBe("ok");
    expect(dialog.textContent).toContain("✓ verified");
    expect(dialog.textContent).toContain("CID QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
    const details = Array.from(dialog.querySelectorAll("details"));
    expect(details).toHaveLength(3); // the value, "nested", "deep" (its children wait)
    expect(details.map((d) => d.open)).toEqual([true, true, false]);
    expect(dialog.textContent).not.toContain("deeper");
    // opening a closed node draws its children
    details[2]!.open = true;
    details[2]!.dispatchEvent(new Event("toggle"));
    expect(dialog.textContent).toContain("deeper");
    const text = dialog.textContent ?? "";
    expect(text).toContain('"positive"');
    expect(text).toContain('"<script>alert(1)</script><svg onload=alert(1)><img src=x onerror=alert(1)>"');
    expect(text).toContain("\\u202e");
    expect(text).not.toContain("\u202E");
    expect(text).not.toContain("\u001b");
    assertInert(t.host);
    expect(t.host.querySelector("img")).toBeNull();
  });

  it("opens with R from a focused row, closes with Escape and gives the focus back", () => {
    const rows = rows3();
    const t = mountResults(rows);
    const a = rows[1]!.address;
    const confirm = t.row(a).querySelector<HTMLButtonElement>("button.ogpu-rt-confirm")!;
    confirm.focus();
    confirm.dispatchEvent(new KeyboardEvent("keydown", { key: "r", bubbles: true }));
    const dialog = t.q(".ogpu-rt-result-detail");
    expect(dialog.style.display).toBe("");
    expect(dialog.getAttribute("aria-label")).toBe(`Result of response ${a}`);
    expect(document.activeElement?.textContent).toBe("Close");
    (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(dialog.style.display).toBe("none");
    expect(document.activeElement).toBe(confirm);
  });

  it("keeps hostile text inert: controls and bidi visible, a huge line cut with a button", async () => {
    const rows = rows3();
    const t = mountResults(rows);
    const a = rows[0]!.address;
    click(t.button(`Show the result of response ${a}`));
    const long = "A".repeat(300_000);
    await answer(t, a, {
      kind: "text",
      state: "unverified",
      verified: null,
      value: `<svg/onload=alert(1)>\u001b[31mred\u001b[0m \u202Eevil\n${long}`,
    });
    const dialog = t.q(".ogpu-rt-result-detail");
    const pre = dialog.querySelector("pre")!;
    expect(pre.textContent).toContain("<svg/onload=alert(1)>");
    expect(pre.textContent).toContain("␛[31mred");
    expect(pre.textContent).toContain("\\u202eevil");
    expect(pre.textContent.length).toBeLessThan(300_000);
    expect(dialog.textContent).toContain("? unverified");
    assertInert(t.host);
    click(t.button(/^Show all/, dialog));
    expect(pre.textContent).toContain(long);
    assertInert(t.host);
  });

  it("draws PNG bytes as an image and never SVG, whatever the MIME type says", async () => {
    const rows = rows3();
    const t = mountResults(rows);
    const [a, b, c] = rows.map((r) => r.address);
    click(t.button(`Show the result of response ${a!}`));
    await answer(t, a!, { kind: "image", image: PNG_B64, mime: "image/png", width: 1, height: 1, size: 70 });
    const img = t.q<HTMLImageElement>(".ogpu-rt-result-detail img");
    expect(img.alt).toBe("Result image 1×1");
    expect(img.getAttribute("src")).toMatch(/^(blob:|data:image\/png;base64,)/);
    assertInert(t.host);

    click(t.button(`Show the result of response ${b!}`));
    await answer(t, b!, { kind: "image", image: SVG_B64, mime: "image/svg+xml", size: 90 });
    expect(t.host.querySelector(".ogpu-rt-result-detail img")).toBeNull();
    expect(t.q(".ogpu-rt-result-detail").textContent).toContain("only PNG, JPEG, GIF and WebP");

    click(t.button(`Show the result of response ${c!}`));
    await answer(t, c!, { kind: "image", image: SVG_B64, mime: "image/png", size: 90 }); // lying MIME
    expect(t.host.querySelector(".ogpu-rt-result-detail img")).toBeNull();
    assertInert(t.host);
  });

  it("shows the error of a failed result and a cut JSON as text", async () => {
    const rows = rows3();
    const t = mountResults(rows);
    const [a, b] = rows.map((r) => r.address);
    click(t.button(`Show the result of response ${a!}`));
    await answer(t, a!, { kind: "error", state: "error", verified: false, error: "verification failed: block hash mismatch" });
    const dialog = t.q(".ogpu-rt-result-detail");
    expect(dialog.dataset["resultState"]).toBe("error");
    expect(dialog.textContent).toContain("verification failed: block hash mismatch");
    expect(dialog.textContent).toContain("✗");
    click(t.button(`Show the result of response ${b!}`));
    await answer(t, b!, { kind: "json", text: '{"big": [1, 2, 3', truncated: true });
    expect(dialog.textContent).toContain('{"big": [1, 2, 3');
    expect(dialog.textContent).toContain("only the beginning");
  });
});

describe("compare view", () => {
  function openCompare(t: Mounted, address: string): HTMLElement {
    click(t.button(`Compare the responses of the task of ${address}`));
    const view = t.q(".ogpu-rt-compare");
    expect(view.style.display).toBe("");
    return view;
  }

  it("aligns the task's responses by key and highlights what differs", async () => {
    const rows = rows3();
    const t = mountResults(rows);
    const [a, b, c] = rows.map((r) => r.address) as [string, string, string];
    const view = openCompare(t, b);
    // one column per response of the task, the row it was opened from first
    const heads = Array.from(view.querySelectorAll<HTMLElement>("th[data-compare-response]"));
    expect(heads.map((h) => h.dataset["compareResponse"])).toEqual([b, a, c]);
    expect(view.textContent).toContain("Compare the 3 responses of task");
    expect(view.textContent).toContain("(loading)");
    await answer(t, b, { value: { result: "positive", confidence: 0.97, meta: { model: "m1" } } });
    await answer(t, a, { value: { result: "positive", confidence: 0.91, meta: { model: "m1" } }, verified: null, state: "unverified" });
    await answer(t, c, { value: { result: "negative", confidence: 0.91, extra: true }, verified: null, state: "unverified" });
    expect(view.textContent).not.toContain("(loading)");
    const fieldRows = Array.from(view.querySelectorAll<HTMLTableRowElement>(".ogpu-rt-cmp-fields tr"));
    const byKey = new Map(fieldRows.map((r) => [r.querySelector("th")!.textContent, r]));
    expect(Array.from(byKey.keys())).toEqual(["result", "confidence", "meta.model", "extra"]);
    const result = byKey.get("result")!;
    expect(result.dataset["diff"]).toBe("true");
    const cells = Array.from(result.querySelectorAll("td"));
    expect(cells.map((td) => td.textContent)).toEqual(['"positive"', '"positive"', '"negative"']);
    expect(cells.map((td) => td.dataset["differs"] === "true")).toEqual([false, false, true]);
    const conf = Array.from(byKey.get("confidence")!.querySelectorAll("td"));
    expect(conf.map((td) => td.dataset["differs"] === "true")).toEqual([true, false, false]);
    expect(byKey.get("meta.model")!.dataset["diff"]).toBe("true"); // c lacks it
    expect(Array.from(byKey.get("meta.model")!.querySelectorAll("td"))[2]!.textContent).toBe("—");
    // provider, submission time and verification for each column
    expect(view.textContent).toContain("Provider");
    expect(view.textContent).toContain("Submitted");
    expect(view.textContent).toContain("✓ verified");
    expect(view.textContent).toContain("? unverified");
    assertInert(t.host);
  });

  it("confirms through the same review panel and _confirm_request; Escape closes and returns focus", () => {
    const rows = rows3();
    const t = mountResults(rows);
    const [a, b] = rows.map((r) => r.address) as [string, string];
    patch(t, { [a]: { result_preview: '{"result":"positive"}', result_state: "ok", result_kind: "json" } });
    const trigger = t.button(`Compare the responses of the task of ${b}`);
    click(trigger);
    const view = t.q(".ogpu-rt-compare");
    const confirmA = view.querySelector<HTMLButtonElement>(`button[data-compare-confirm="${a}"]`)!;
    expect(confirmA.getAttribute("aria-label")).toBe(`Confirm response ${a}`);
    click(confirmA);
    const panel = view.querySelector<HTMLElement>(".ogpu-rt-review")!;
    expect(panel).not.toBeNull();
    expect(panel.style.display).toBe("");
    expect(panel.textContent).toContain("This releases the payment and cannot be undone.");
    expect(panel.textContent).toContain('{"result":"positive"}');
    expect(panel.textContent).toContain("2 other responses of this task will not be paid.");
    // Escape in the panel cancels the review, focus back on the column's Confirm
    (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(t.host.querySelector(".ogpu-rt-compare .ogpu-rt-review")).toBeNull();
    expect(document.activeElement).toBe(confirmA);
    expect(t.model.savedValues("_confirm_request")).toHaveLength(0);
    // again, and pay
    click(confirmA);
    click(t.button("Confirm payment", view));
    expect(t.model.savedValues("_confirm_request")).toEqual([{ id: expect.any(String) as string, response: a }]);
    patch(t, { [a]: { action: "signing" } });
    expect(view.textContent).toContain("signing…");
    // Escape closes the compare view; the focus goes back to the button that opened it
    view.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(view.style.display).toBe("none");
    expect(document.activeElement).toBe(trigger);
  });

  it("opens with C from a focused row", () => {
    const rows = rows3();
    const t = mountResults(rows);
    const box = t.row(rows[3]!.address).querySelector<HTMLInputElement>("input.ogpu-rt-check")!;
    box.focus();
    box.dispatchEvent(new KeyboardEvent("keydown", { key: "c", bubbles: true }));
    const view = t.q(".ogpu-rt-compare");
    expect(view.style.display).toBe("");
    expect(view.querySelectorAll("th[data-compare-response]")).toHaveLength(2);
    // typing C in the search box does not open anything
    view.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    const search = t.q<HTMLInputElement>("input[type=search]");
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "c", bubbles: true }));
    expect(view.style.display).toBe("none");
  });
});

describe("review panel", () => {
  it("shows the result being paid for, its verification, and the responses that will not be paid", () => {
    const rows = rows3();
    const t = mountResults(rows);
    const a = rows[0]!.address;
    click(t.row(a).querySelector("button.ogpu-rt-confirm")!);
    const panel = t.q(".ogpu-rt-review");
    const result = panel.querySelector<HTMLElement>(".ogpu-rt-review-result")!;
    expect(result.dataset["resultState"]).toBe("loading");
    expect(result.textContent).toContain("loading…");
    expect(panel.textContent).toContain("2 other responses of this task will not be paid.");
    patch(t, { [a]: { result_preview: '{"result":"positive","confidence":0.97}', result_state: "ok", result_kind: "json" } });
    expect(result.dataset["resultState"]).toBe("ok");
    expect(result.textContent).toBe('✓verified — {"result":"positive","confidence":0.97}');
    patch(t, { [a]: { result_preview: "verification failed: hash mismatch", result_state: "error", result_kind: "error" } });
    expect(result.textContent).toContain("✗failed — verification failed");
    click(t.button("Cancel"));
    click(t.row(rows[4]!.address).querySelector("button.ogpu-rt-confirm")!);
    expect(t.q(".ogpu-rt-review").textContent).toContain("1 other response of this task will not be paid.");
  });
});

describe("result helpers", () => {
  it("parses answers strictly", () => {
    expect(parseResultAnswer({ type: "estimate", id: "x" })).toBeNull();
    expect(parseResultAnswer({ type: "result", id: 7 })).toBeNull();
    const a = parseResultAnswer({ type: "result", id: "x", kind: "nonsense", image: "AAAA", mime: "image/svg+xml" })!;
    expect(a.kind).toBe("error");
    expect(a.image).toBe("");
    expect(a.mime).toBe("");
    expect(parseResultAnswer({ type: "result", id: "x", kind: "json", verified: true })!.state).toBe("ok");
  });

  it("makes controls and bidi overrides visible", () => {
    expect(inertText("a\u001bb\nc\u202Ed")).toBe("a␛b\nc\\u202ed");
    expect(inertLine("a\nb\tc\u0000")).toBe("a b c␀");
    expect(compactJson("x".repeat(500), 20)).toHaveLength(20);
  });

  it("sniffs images by their bytes", () => {
    const png = Uint8Array.from(atob(PNG_B64), (ch) => ch.charCodeAt(0));
    expect(sniffImage(png)).toBe("image/png");
    expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImage(new TextEncoder().encode("GIF89a.."))).toBe("image/gif");
    expect(sniffImage(new TextEncoder().encode("RIFF....WEBPVP8 "))).toBe("image/webp");
    expect(sniffImage(new TextEncoder().encode("<svg></svg>"))).toBeNull();
  });

  it("flattens and aligns results", () => {
    const base = parseResultAnswer({ type: "result", id: "1", kind: "json", value: { a: { b: 1 }, v: [1, 2] } })!;
    expect(Array.from(flattenResult(base).entries())).toEqual([
      ["a.b", "1"],
      ["v", "[1,2]"],
    ]);
    const text = parseResultAnswer({ type: "result", id: "2", kind: "text", value: "hi" })!;
    expect(Array.from(flattenResult(text).keys())).toEqual(["(text)"]);
    const rows = alignResults([flattenResult(base), null, flattenResult(text)]);
    expect(rows.map((r) => r.key)).toEqual(["a.b", "v", "(text)"]);
    expect(rows[0]!.values).toEqual(["1", undefined, undefined]);
    expect(rows.every((r) => r.differs)).toBe(true);
  });
});
