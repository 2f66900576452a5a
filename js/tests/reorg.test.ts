import { describe, expect, it } from "vitest";
import { makeRows } from "./helpers";
import { mountPerTest, type Mounted } from "./mount";

const m = mountPerTest();

function rows() {
  return makeRows(3, (i) => ({
    status: i === 0 ? "confirmed" : "submitted",
    task_status: "finalized",
    confirmed: i === 0,
    can_confirm: false,
    reason: "task finalized",
  }));
}

function badges(t: Mounted, address: string): HTMLElement[] {
  return [...t.row(address).querySelectorAll<HTMLElement>(".ogpu-rt-badge")];
}

describe("rows a reorg moved back", () => {
  it("are marked on their status badges, with the reason in the title", () => {
    const r = rows();
    const t = m(r);
    const [a, b] = [r[0]!.address, r[1]!.address];
    expect(badges(t, a).some((x) => x.classList.contains("ogpu-rt-reorged"))).toBe(false);
    t.model.pySet({
      _patch: {
        seq: 1,
        rows: {
          [a]: { status: "submitted", confirmed: false, task_status: "responded", reorged: true },
          [b]: { task_status: "responded" },
        },
      },
    });
    t.t.flush();
    const marked = badges(t, a).filter((x) => x.classList.contains("ogpu-rt-reorged"));
    expect(marked.map((x) => x.textContent).sort()).toEqual(["responded ↺", "submitted ↺"]);
    for (const x of marked) expect(x.parentElement?.title).toMatch(/undone by a reorg/);
    // a sibling that only followed its task is not marked
    expect(badges(t, b).some((x) => x.classList.contains("ogpu-rt-reorged"))).toBe(false);
    expect(badges(t, b).map((x) => x.textContent)).toContain("responded");
  });
});
