import { describe, expect, it, vi } from "vitest";
import { makeRows } from "./helpers";
import { accessibleName, click, mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

const TX = `0x${"ab12".repeat(16)}`;

function rowsFixture() {
  return makeRows(6, (i) => ({
    can_confirm: i !== 3,
    reason: i === 3 ? "not the task's client" : "",
    payment_ogpu: 1.5,
    payment: "1500000000000000000",
    status: "submitted",
    confirmed: false,
    provider: `0x${"1".repeat(39)}${i}`,
  }));
}

function confirmButton(t: Mounted, address: string): HTMLButtonElement {
  const b = t.row(address).querySelector<HTMLButtonElement>("button.ogpu-rt-confirm");
  if (!b) throw new Error("no confirm button");
  return b;
}

function panel(t: Mounted): HTMLElement {
  return t.q(".ogpu-rt-review");
}

function panelOpen(t: Mounted): boolean {
  return panel(t).style.display !== "none";
}

function status(t: Mounted, address: string): string {
  return t.row(address).querySelector(".ogpu-rt-status")?.textContent ?? "";
}

describe("confirm column", () => {
  it("confirmable rows have an enabled button named Confirm…", () => {
    const rows = rowsFixture();
    const t = m(rows);
    const b = confirmButton(t, rows[1]!.address);
    expect(b.disabled).toBe(false);
    expect(b.tagName).toBe("BUTTON");
    expect(accessibleName(b)).toMatch(/^Confirm/);
    expect(b.getAttribute("aria-label")).toBe(`Confirm response ${rows[1]!.address}`);
    expect(b.textContent).toBe("Confirm…");
  });

  it("non-confirmable rows show a disabled button with the reason as text and title", () => {
    const rows = rowsFixture();
    const t = m(rows);
    const b = confirmButton(t, rows[3]!.address);
    expect(b.disabled).toBe(true);
    expect(b.title).toBe("not the task's client");
    expect(accessibleName(b)).toMatch(/^Confirm/);
    expect(status(t, rows[3]!.address)).toBe("not the task's client");
    click(b);
    expect(panelOpen(t)).toBe(false);
  });

  it("read_only disables every Confirm with reason read-only", () => {
    const rows = rowsFixture();
    const t = m(rows, { read_only: true, account: "" });
    for (const r of rows) {
      const b = confirmButton(t, r.address);
      expect(b.disabled).toBe(true);
      expect(b.title).toBe("read-only");
      expect(status(t, r.address)).toBe("read-only");
    }
    expect(t.q(".ogpu-rt-account").textContent).toBe("read-only");
    // switching read_only off re-enables confirmable rows
    t.model.pySet({ read_only: false, account: "0x00000000000000000000000000000000000000Aa" });
    t.t.flush();
    expect(confirmButton(t, rows[0]!.address).disabled).toBe(false);
  });
});

describe("review state machine", () => {
  it("Confirm → review panel → Cancel returns to idle without a request", async () => {
    const rows = rowsFixture();
    const t = m(rows);
    const addr = rows[2]!.address;
    click(confirmButton(t, addr));
    expect(panelOpen(t)).toBe(true);
    const p = panel(t);
    const text = p.textContent ?? "";
    expect(text).toContain("This releases the payment and cannot be undone");
    // addresses shortened, the full value in the title and the copy button's name
    expect(text).toContain(`${rows[2]!.provider.slice(0, 6)}…${rows[2]!.provider.slice(-4)}`);
    expect(text).not.toContain(rows[2]!.provider);
    const chips = Array.from(p.querySelectorAll<HTMLElement>(".ogpu-rt-chip"));
    expect(chips.map((c) => c.title)).toEqual([addr, rows[2]!.provider, rows[2]!.task]);
    expect(t.button(`Copy provider ${rows[2]!.provider}`, p)).toBeDefined();
    expect(text).toContain("1.5 OGPU (1500000000000000000 wei)");
    expect(text).toContain("estimating…");
    const est = t.model.sent.find((x) => (x as { type?: string }).type === "estimate") as {
      id: string;
      response: string;
    };
    expect(est.response).toBe(addr);
    expect(typeof est.id).toBe("string");
    // reply with the fee
    await t.model.pyMsg({ type: "estimate", id: est.id, fee_ogpu: 0.000123, error: "" });
    expect(p.textContent).toContain("≈ 0.000123 OGPU");
    expect(t.button("Confirm payment", p).disabled).toBe(false);
    click(t.button("Cancel", p));
    expect(panelOpen(t)).toBe(false);
    expect(t.model.savedValues("_confirm_request")).toHaveLength(0);
    expect(confirmButton(t, addr).disabled).toBe(false);
  });

  it("shows an estimate error", async () => {
    const rows = rowsFixture();
    const t = m(rows);
    click(confirmButton(t, rows[0]!.address));
    const est = t.model.sent.at(-1) as { id: string };
    await t.model.pyMsg({ type: "estimate", id: "other", fee_ogpu: 1, error: "" });
    expect(panel(t).textContent).toContain("estimating…");
    await t.model.pyMsg({ type: "estimate", id: est.id, fee_ogpu: null, error: "execution reverted" });
    expect(panel(t).textContent).toContain("execution reverted");
  });

  it("Confirm payment sets _confirm_request once, then patches drive the progress", () => {
    const rows = rowsFixture();
    const t = m(rows);
    const addr = rows[1]!.address;
    click(confirmButton(t, addr));
    const p = panel(t);
    const confirm = t.button("Confirm payment", p);
    click(confirm);
    click(confirm);
    const reqs = t.model.savedValues("_confirm_request") as { id: string; response: string }[];
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.response).toBe(addr);
    expect(reqs[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(confirm.disabled).toBe(true);
    expect(t.button("Cancel", p).disabled).toBe(true);
    t.t.flush();
    expect(status(t, addr)).toBe("requested…");

    t.model.pySet({ _patch: { seq: 1, rows: { [addr]: { action: "signing", can_confirm: false, reason: "confirmation pending" } } } });
    t.t.flush();
    expect(status(t, addr)).toBe("signing…");
    expect(p.textContent).toContain("Signing…");
    expect(confirm.disabled).toBe(true);

    t.model.pySet({ _patch: { seq: 2, rows: { [addr]: { action: "pending", tx_hash: TX } } } });
    t.t.flush();
    expect(status(t, addr)).toBe("pending");
    const link = t.row(addr).querySelector<HTMLAnchorElement>("a.ogpu-rt-tx")!;
    expect(link.getAttribute("href")).toBe(`https://ogpuscan.io/tx/${TX}`);
    expect(link.rel).toBe("noopener noreferrer");
    expect(link.target).toBe("_blank");

    t.model.pySet({ _patch: { seq: 3, rows: { [addr]: { action: "mined", status: "confirmed", confirmed: true } } } });
    t.t.flush();
    expect(status(t, addr)).toBe("✓ confirmed");
    expect(p.textContent).toContain("Confirmed");
    expect(t.model.savedValues("_confirm_request")).toHaveLength(1);
    click(t.button("Close", p));
    expect(panelOpen(t)).toBe(false);
  });

  it("says who signed a mined confirmation when another account did", () => {
    const rows = rowsFixture();
    const t = m(rows);
    const addr = rows[0]!.address;
    const note = "signed by 0xAgent, not by the wallet account 0xClient the kernel checked";
    t.model.pySet({ _patch: { seq: 1, rows: { [addr]: { action: "mined", tx_hash: TX, action_error: note } } } });
    t.t.flush();
    const cell = t.row(addr).querySelector<HTMLElement>(".ogpu-rt-status")!;
    expect(cell.textContent).toBe("✓ confirmed");
    expect(cell.title).toBe(`✓ confirmed: ${note}`);
  });

  it("shows the shortened tx hash without an explorer", () => {
    const rows = rowsFixture();
    const t = m(rows, { explorer_url: "" });
    const addr = rows[0]!.address;
    t.model.pySet({ _patch: { seq: 1, rows: { [addr]: { action: "pending", tx_hash: TX } } } });
    t.t.flush();
    const r = t.row(addr);
    expect(r.querySelector("a.ogpu-rt-tx[href]")).toBeNull();
    expect(r.textContent).toContain(`${TX.slice(0, 8)}…${TX.slice(-6)}`);
  });

  it("reverted and refused show action_error", () => {
    const rows = rowsFixture();
    const t = m(rows);
    const a = rows[0]!.address;
    const b = rows[1]!.address;
    click(confirmButton(t, a));
    click(t.button("Confirm payment", panel(t)));
    t.model.pySet({ _patch: { seq: 1, rows: { [a]: { action: "signing" } } } });
    t.model.pySet({ _patch: { seq: 2, rows: { [a]: { action: "reverted", action_error: "ResponseAlreadyConfirmed()", tx_hash: TX } } } });
    t.model.pySet({ _patch: { seq: 3, rows: { [b]: { action: "refused", action_error: "not the task's client", can_confirm: false, reason: "not the task's client" } } } });
    t.t.flush();
    expect(status(t, a)).toBe("reverted: the response is already confirmed — nothing to pay");
    expect(t.row(a).querySelector(".ogpu-rt-status")?.getAttribute("title")).toBe("ResponseAlreadyConfirmed()");
    const line = panel(t).querySelector(".ogpu-rt-review-status .ogpu-rt-msg-line")?.textContent;
    expect(line).toBe("Reverted: the response is already confirmed — nothing to pay");
    const details = panel(t).querySelector<HTMLDetailsElement>(".ogpu-rt-review-status details")!;
    expect(details.style.display).toBe("");
    expect(details.textContent).toContain("ResponseAlreadyConfirmed()");
    expect(status(t, b)).toBe("refused: the signer is not the task's client — use the client's key");
    expect(confirmButton(t, b).disabled).toBe(true);
    // a reverted row that is still confirmable can be retried
    expect(confirmButton(t, a).disabled).toBe(false);
  });

  it("a _reply error for the request returns the row to idle and shows the error", () => {
    const rows = rowsFixture();
    const t = m(rows);
    const addr = rows[4]!.address;
    click(confirmButton(t, addr));
    click(t.button("Confirm payment", panel(t)));
    const req = t.model.savedValues("_confirm_request")[0] as { id: string };
    t.model.pySet({ _reply: { id: req.id, ok: false, error: "replayed request id" } });
    t.t.flush();
    expect(panelOpen(t)).toBe(false);
    expect(confirmButton(t, addr).disabled).toBe(false);
    expect(status(t, addr)).toBe("error: replayed request id");
    const banner = t.q(".ogpu-rt-banner");
    expect(banner.getAttribute("data-level")).toBe("error");
    expect(banner.textContent).toContain("replayed request id");
    // confirming again sends a fresh id
    click(confirmButton(t, addr));
    click(t.button("Confirm payment", panel(t)));
    const reqs = t.model.savedValues("_confirm_request") as { id: string }[];
    expect(reqs).toHaveLength(2);
    expect(reqs[1]!.id).not.toBe(req.id);
  });

  it("keeps the panel attached to its row while scrolling a virtualized table", () => {
    const rows = makeRows(5000, () => ({ can_confirm: true, reason: "" }));
    const t = m(rows);
    const addr = rows[3]!.address;
    click(confirmButton(t, addr));
    const p = panel(t);
    expect(p.style.transform).toBe(`translateY(${4 * 32}px)`);
    // rows after the reviewed one move down by the panel height
    const r4 = t.row(rows[4]!.address);
    expect(r4.style.transform).not.toBe(`translateY(${4 * 32}px)`);
    const sc = t.scroll();
    sc.scrollTop = 3000 * 32;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(20);
    expect(t.qa(".ogpu-rt-row").length).toBeLessThanOrEqual(150);
    expect(panelOpen(t)).toBe(true); // still there (outside the recycled rows)
    expect(t.shownKeys()).not.toContain(addr);
    sc.scrollTop = 0;
    sc.dispatchEvent(new Event("scroll"));
    vi.advanceTimersByTime(20);
    expect(t.row(addr).classList.contains("ogpu-rt-reviewing")).toBe(true);
    // Escape cancels
    p.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(panelOpen(t)).toBe(false);
  });

  it("uses a fallback id when crypto.randomUUID is missing", () => {
    const desc = Object.getOwnPropertyDescriptor(globalThis.crypto, "randomUUID");
    Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
    try {
      const rows = rowsFixture();
      const t = m(rows);
      click(confirmButton(t, rows[0]!.address));
      click(t.button("Confirm payment", panel(t)));
      const req = t.model.savedValues("_confirm_request")[0] as { id: string };
      expect(req.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      if (desc) Object.defineProperty(globalThis.crypto, "randomUUID", desc);
      else delete (globalThis.crypto as { randomUUID?: unknown }).randomUUID;
    }
  });
});
