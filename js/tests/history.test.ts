import { describe, expect, it } from "vitest";
import { COLUMNS, makeRows } from "./helpers";
import { click, mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

const TX = `0x${"12ab".repeat(16)}`;

function rows() {
  return makeRows(4, (i) => ({
    status: i === 0 ? "confirmed" : "submitted",
    confirmed: i === 0,
    can_confirm: i !== 0,
    reason: i === 0 ? "confirmed" : "",
  }));
}

function cell(t: Mounted, address: string): HTMLElement {
  return t.row(address).querySelector<HTMLElement>(".ogpu-rt-k-confirm")!;
}

function patch(t: Mounted, seq: number, address: string, fields: Record<string, unknown>): void {
  t.model.pySet({ _patch: { seq, rows: { [address]: fields } } });
  t.t.flush();
}

describe("history of confirmed rows", () => {
  it("a confirmed row shows its state, not a disabled Confirm button", () => {
    const r = rows();
    const t = m(r);
    const c = cell(t, r[0]!.address);
    const btn = c.querySelector<HTMLButtonElement>("button.ogpu-rt-confirm")!;
    expect(btn.style.display).toBe("none");
    expect(c.querySelector(".ogpu-rt-status")?.textContent).toBe("✓ confirmed");
    expect(c.querySelector(".ogpu-rt-status")?.getAttribute("title")).toMatch(/looking up/);
    // a row that can be confirmed keeps its button
    expect(cell(t, r[1]!.address).querySelector<HTMLButtonElement>("button.ogpu-rt-confirm")!.style.display).toBe("");
  });

  it("shows the confirming transaction, shortened, with an explorer link", () => {
    const r = rows();
    const t = m(r, { explorer_url: "https://ogpuscan.io" });
    patch(t, 1, r[0]!.address, { confirm_tx: TX, confirm_block: 42, confirm_tx_state: "found" });
    const c = cell(t, r[0]!.address);
    const a = c.querySelector<HTMLAnchorElement>("a.ogpu-rt-tx")!;
    expect(a.getAttribute("href")).toBe(`https://ogpuscan.io/tx/${TX}`);
    expect(a.textContent).toBe(`${TX.slice(0, 8)}…${TX.slice(-6)}`);
    expect(a.title).toBe(TX);
    expect(a.getAttribute("aria-label")).toContain(TX);
    expect(a.rel).toContain("noopener");
    expect(c.querySelector(".ogpu-rt-status")?.getAttribute("title")).toBe(`Confirmed by transaction ${TX} (block 42)`);
  });

  it("without an explorer, the hash is text (full hash in the title)", () => {
    const r = rows();
    const t = m(r, { explorer_url: "" });
    patch(t, 1, r[0]!.address, { confirm_tx: TX, confirm_tx_state: "found" });
    const c = cell(t, r[0]!.address);
    expect(c.querySelector("a.ogpu-rt-tx[href]")).toBeNull();
    const span = c.querySelector<HTMLElement>("span.ogpu-rt-tx")!;
    expect(span.textContent).toBe(`${TX.slice(0, 8)}…${TX.slice(-6)}`);
    expect(span.title).toBe(TX);
  });

  it("an unknown history says so (the node failed), and the table keeps working", () => {
    const r = rows();
    const t = m(r);
    patch(t, 1, r[0]!.address, { confirm_tx_state: "unknown", confirm_tx_error: "the node gave no usable answer" });
    const s = cell(t, r[0]!.address).querySelector<HTMLElement>(".ogpu-rt-status")!;
    expect(s.textContent).toBe("✓ confirmed (tx unknown)");
    expect(s.dataset["history"]).toBe("unknown");
    expect(s.title).toBe("the node gave no usable answer");
    expect(t.shownKeys()).toHaveLength(4);
  });

  it("a hostile confirm_tx is never a link", () => {
    const r = rows();
    const t = m(r, { explorer_url: "https://ogpuscan.io" });
    patch(t, 1, r[0]!.address, { confirm_tx: "javascript:alert(1)", confirm_tx_state: "found" });
    const c = cell(t, r[0]!.address);
    expect(c.querySelector("a[href]")).toBeNull();
    expect(c.querySelector(".ogpu-rt-status")?.textContent).toBe("✓ confirmed");
  });

  it("a row confirmed live gets its transaction from the patch", () => {
    const r = rows();
    const t = m(r, { explorer_url: "https://ogpuscan.io" });
    const a = r[1]!.address;
    patch(t, 1, a, { status: "confirmed", confirmed: true, can_confirm: false, reason: "confirmed", confirm_tx: TX, confirm_tx_state: "found" });
    const c = cell(t, a);
    expect(c.querySelector<HTMLButtonElement>("button.ogpu-rt-confirm")!.style.display).toBe("none");
    expect(c.querySelector("a.ogpu-rt-tx")?.getAttribute("href")).toBe(`https://ogpuscan.io/tx/${TX}`);
  });

  it("the result detail shows the exact wei and the confirming transaction", () => {
    const r = rows();
    const columns = [...COLUMNS, { name: "result", label: "Result", kind: "result" }];
    const t = m(r, { explorer_url: "https://ogpuscan.io", columns });
    patch(t, 1, r[0]!.address, { confirm_tx: TX, confirm_tx_state: "found" });
    click(t.row(r[0]!.address).querySelector<HTMLElement>('[data-action="result"]')!);
    const facts = t.q(".ogpu-rt-result-facts");
    expect(facts.textContent).toContain(`(${r[0]!.payment} wei)`);
    expect(facts.querySelector(`a[href="https://ogpuscan.io/tx/${TX}"]`)).not.toBeNull();
  });

  it("payment cells get the exact wei in their tooltip on hover", async () => {
    const r = makeRows(2, () => ({ payment: "", payment_ogpu: 1.5 }));
    const t = m(r);
    const cell = t.row(r[1]!.address).querySelector<HTMLElement>(".ogpu-rt-k-ogpu")!;
    cell.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    const ask = t.model.sent.find((x) => (x as { type?: string }).type === "wei") as { id: string; addresses: string[] };
    expect(ask.addresses).toEqual([r[1]!.address]);
    await t.model.pyMsg({ type: "wei", id: ask.id, addresses: ask.addresses, values: ["1500000000000000001"], error: "" });
    expect(cell.title).toBe("1.500000000000000001 OGPU (1500000000000000001 wei)");
    expect(cell.textContent).toContain("1.5 OGPU");
  });
});
