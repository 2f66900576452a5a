import { describe, expect, it } from "vitest";
import { MessageBlock, classifyError, compactText, summarize } from "../src/ui/messages";
import { makeRows } from "./helpers";
import { click, mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

const HEX = `0x${"ab".repeat(20)}`;
const LONG_REFUSAL =
  `simulating Controller.confirmResponse(${HEX}) reverted with AlreadyFinalized: task ` +
  `0x${"cd".repeat(20)} is already finalized (another response was confirmed)`;

function rows() {
  return makeRows(4, () => ({
    can_confirm: true,
    reason: "",
    status: "submitted",
    confirmed: false,
    payment: "1500000000000000000",
    payment_ogpu: 1.5,
  }));
}

function panel(t: Mounted): HTMLElement {
  return t.q(".ogpu-rt-review");
}

function openReview(t: Mounted, address: string): { id: string } {
  const b = t.row(address).querySelector<HTMLButtonElement>("button.ogpu-rt-confirm")!;
  click(b);
  const sent = t.model.sent.filter((x) => (x as { type?: string }).type === "estimate");
  return sent.at(-1) as { id: string };
}

describe("summaries", () => {
  it("turns the library's refusals into one line a person can act on", () => {
    expect(summarize(LONG_REFUSAL, "refused")).toBe("Refused: the task is already finalized — nothing to pay");
    expect(summarize("x", "refused", "task canceled")).toBe("Refused: the task was canceled — nothing to pay");
    expect(summarize("0xA holds 0.1 OGPU (1 wei) but this confirmation may cost up to", "refused")).toMatch(/send it some OGPU/);
    expect(summarize("the node at http://x gave no usable answer (HTTP 503)", "error")).toBe(
      "Error: the node did not answer — try again in a moment",
    );
    expect(classifyError("reverted with NotOwner")).toBe("not the client");
    expect(summarize("not the client", "reason", "not the client")).toMatch(/^The signer is not the task's client/);
  });

  it("shortens unknown texts: hex runs, one sentence, at most 140 characters", () => {
    const s = compactText(`something odd happened with ${HEX} and ${"x".repeat(300)}`);
    expect(s).toContain("0xabab…abab");
    expect(s).not.toContain(HEX);
    expect(s.length).toBeLessThanOrEqual(140);
    expect(summarize("", "error")).toBe("Error: no details");
  });

  it("a message block shows the line and hides the details unless there are more", () => {
    const b = new MessageBlock(document);
    b.set("Refused: short", LONG_REFUSAL);
    const details = b.el.querySelector("details")!;
    expect(b.text).toBe("Refused: short");
    expect(details.style.display).toBe("");
    expect(details.querySelector("summary")?.textContent).toBe("Details");
    expect(details.querySelector("pre")?.textContent).toBe(LONG_REFUSAL);
    b.set("same", "same");
    expect(details.style.display).toBe("none");
    b.set("", "");
    expect(b.el.style.display).toBe("none");
  });

  it("escapes: hostile text stays text in the line and the details", () => {
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const b = new MessageBlock(document);
    b.set(summarize(hostile, "error"), hostile);
    expect(b.el.querySelector("img, script")).toBeNull();
    expect(b.el.querySelector("pre")?.textContent).toBe(hostile);
  });
});

describe("review panel messages", () => {
  it("disables Confirm payment with the reason when the estimate predicts a refusal", async () => {
    const r = rows();
    const t = m(r);
    const est = openReview(t, r[1]!.address);
    const p = panel(t);
    const confirm = t.button("Confirm payment", p);
    expect(confirm.disabled).toBe(false);
    await t.model.pyMsg({
      type: "estimate",
      id: est.id,
      fee_ogpu: null,
      error: LONG_REFUSAL,
      refusal: { label: "task finalized", kind: "TaskFinalizedError", summary: "Refused: the task is already finalized — nothing to pay" },
    });
    expect(confirm.disabled).toBe(true);
    const reason = p.querySelector<HTMLElement>(".ogpu-rt-review-refusal")!;
    expect(reason.style.display).toBe("");
    expect(reason.querySelector(".ogpu-rt-msg-line")?.textContent).toBe("Refused: the task is already finalized — nothing to pay");
    expect(reason.querySelector("pre")?.textContent).toBe(LONG_REFUSAL);
    expect(confirm.getAttribute("aria-describedby")).toBe(reason.id);
    expect(confirm.title).toMatch(/already finalized/);
    // no clipped run of hex anywhere but inside the disclosure
    const visible = Array.from(p.querySelectorAll(".ogpu-rt-msg-line")).map((e) => e.textContent ?? "");
    for (const line of visible) expect(line).not.toMatch(/0x[0-9a-f]{40}/i);
    click(confirm);
    expect(t.model.savedValues("_confirm_request")).toHaveLength(0);
    // Close stays reachable: the header's × and Cancel
    expect(t.button("Close the review", p).disabled).toBe(false);
    click(t.button("Close the review", p));
    expect(panel(t).style.display === "none" || t.store.confirms.requests.size === 0).toBe(true);
  });

  it("shows the exact fee and a predicted refusal whoever signs (a browser-wallet table too)", async () => {
    const r = rows();
    const t = m(r, { account: "browser" });
    const est = openReview(t, r[0]!.address);
    const p = panel(t);
    await t.model.pyMsg({ type: "estimate", id: est.id, fee_ogpu: 0.000021, fee_wei: "21000000000000", error: "", refusal: null });
    const fee = p.querySelector<HTMLElement>(".ogpu-rt-review-fee")!;
    expect(fee.textContent).toBe("≈ 0.000021 OGPU (21000000000000 wei)");
    expect(fee.title).toBe("21000000000000 wei");
    expect(t.button("Confirm payment", p).disabled).toBe(false);
    click(t.button("Cancel", p));
    const again = openReview(t, r[1]!.address);
    await t.model.pyMsg({
      type: "estimate",
      id: again.id,
      fee_ogpu: null,
      error: LONG_REFUSAL,
      refusal: { label: "task finalized", kind: "TaskFinalizedError", summary: "Refused: the task is already finalized — nothing to pay" },
    });
    expect(t.button("Confirm payment", panel(t)).disabled).toBe(true);
    expect(panel(t).querySelector(".ogpu-rt-review-refusal .ogpu-rt-msg-line")?.textContent).toMatch(/already finalized/);
  });

  it("an estimate that fails without predicting a refusal keeps Confirm payment enabled", async () => {
    const r = rows();
    const t = m(r);
    const est = openReview(t, r[0]!.address);
    const p = panel(t);
    await t.model.pyMsg({ type: "estimate", id: est.id, fee_ogpu: null, error: "the node gave no usable answer (HTTP 503)", refusal: null });
    expect(t.button("Confirm payment", p).disabled).toBe(false);
    const fee = p.querySelector(".ogpu-rt-review-feemsg .ogpu-rt-msg-line")?.textContent;
    expect(fee).toBe("Error: the node did not answer — try again in a moment");
  });

  it("shows the payment's exact wei and shortened addresses with copy buttons", () => {
    const r = rows();
    const t = m(r);
    openReview(t, r[2]!.address);
    const p = panel(t);
    expect(p.querySelector(".ogpu-rt-review-payment")?.textContent).toBe("1.5 OGPU (1500000000000000000 wei)");
    const copy = t.button(`Copy response ${r[2]!.address}`, p);
    expect(copy.title).toBe(`Copy ${r[2]!.address}`);
    expect(p.querySelector(".ogpu-rt-review-head")).not.toBeNull();
    expect(p.querySelector(".ogpu-rt-review-actions")?.contains(t.button("Confirm payment", p))).toBe(true);
  });

  it("asks Python for the wei when the row does not carry them", async () => {
    const r = makeRows(2, () => ({ can_confirm: true, reason: "", status: "submitted", confirmed: false, payment: "", payment_ogpu: 2 }));
    const t = m(r);
    openReview(t, r[0]!.address);
    const ask = t.model.sent.find((x) => (x as { type?: string }).type === "wei") as { id: string; addresses: string[] };
    expect(ask.addresses).toEqual([r[0]!.address]);
    expect(panel(t).querySelector(".ogpu-rt-review-payment")?.textContent).toBe("2 OGPU");
    await t.model.pyMsg({ type: "wei", id: ask.id, addresses: [r[0]!.address], values: ["2000000000000000001"], error: "" });
    expect(panel(t).querySelector(".ogpu-rt-review-payment")?.textContent).toBe("2.000000000000000001 OGPU (2000000000000000001 wei)");
  });

  it("a long banner message shows one line with the details behind a disclosure", () => {
    const t = m(rows());
    t.model.pySet({ banner: { level: "error", message: `${LONG_REFUSAL}; ${"more ".repeat(40)}`, seq: 1 } });
    const banner = t.q(".ogpu-rt-banner");
    const line = banner.querySelector(".ogpu-rt-msg-line")?.textContent ?? "";
    expect(line.length).toBeLessThanOrEqual(160);
    expect(banner.querySelector("details pre")?.textContent).toContain("more more");
  });
});
