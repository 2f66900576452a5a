import { describe, expect, it } from "vitest";
import { safeDataHref } from "../src/core/format";
import { makeRows } from "./helpers";
import { click, mountPerTest } from "./mount";

const m = mountPerTest();

const HOSTILE = [
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  '" onmouseover="alert(1)',
  "' onfocus='alert(1)' autofocus='",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  " javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "vbscript:msgbox(1)",
  "<svg/onload=alert(1)>",
  "<a href=javascript:alert(1)>x</a>",
  "</div><iframe src=javascript:alert(1)></iframe>",
];

/** No element other than what the widget itself creates, and no event-handler attributes. */
function assertInert(root: Element): void {
  for (const tag of ["script", "img", "svg", "iframe", "object", "embed", "b", "form"]) {
    expect(root.querySelector(tag), tag).toBeNull();
  }
  for (const e of Array.from(root.querySelectorAll("*"))) {
    for (const attr of Array.from(e.attributes)) {
      expect(attr.name.startsWith("on"), `${e.tagName} ${attr.name}`).toBe(false);
    }
    if (e instanceof HTMLAnchorElement && e.hasAttribute("href")) {
      const u = new URL(e.href);
      expect(["http:", "https:"]).toContain(u.protocol);
    }
  }
  // only the widget's own anchors exist
  for (const a of Array.from(root.querySelectorAll("a"))) {
    expect(a.className === "" || a.className.startsWith("ogpu-rt")).toBe(true);
  }
}

describe("hostile values", () => {
  it("renders hostile data, addresses and categories as inert text", () => {
    const rows = makeRows(HOSTILE.length, (i) => ({
      data: HOSTILE[i]!,
      task: HOSTILE[(i + 1) % HOSTILE.length]!,
      status: HOSTILE[(i + 2) % HOSTILE.length]!,
      reason: HOSTILE[(i + 3) % HOSTILE.length]!,
      can_confirm: false,
      payment: HOSTILE[(i + 4) % HOSTILE.length]!,
    }));
    const x = m(rows, { banner: { level: "error", message: HOSTILE[1], seq: 1 } });
    expect(x.shown()).toHaveLength(HOSTILE.length);
    assertInert(x.host);
    const text = x.host.textContent ?? "";
    expect(text).toContain("<script>alert(1)</script>");
    expect(text).toContain("<img src=x onerror=alert(1)>");
    expect(text).toContain('" onmouseover="alert(1)');
    expect(text).toContain("javascript:alert(1)");
    // the javascript: value is not a link
    const jsRow = x.row(rows[4]!.address);
    expect(jsRow.querySelector(".ogpu-rt-k-text a[href]")).toBeNull();
    expect(jsRow.querySelector(".ogpu-rt-k-text span.ogpu-rt-text")?.textContent).toBe("javascript:alert(1)");
    // the full-value panel is text as well
    click(x.button("Show full data", x.row(rows[1]!.address)));
    const pre = x.q(".ogpu-rt-detail pre");
    expect(pre.textContent).toBe("<img src=x onerror=alert(1)>");
    expect(pre.children).toHaveLength(0);
    assertInert(x.host);
  });

  it("hostile patch values (action_error, tx_hash, reason) stay text", () => {
    const rows = makeRows(2, () => ({ can_confirm: true, reason: "" }));
    const x = m(rows);
    const a = rows[0]!.address;
    x.model.pySet({
      _patch: {
        seq: 1,
        rows: {
          [a]: { action: "reverted", action_error: HOSTILE[1], tx_hash: "javascript:alert(1)" },
          [rows[1]!.address]: { can_confirm: false, reason: HOSTILE[0], data: HOSTILE[2] },
        },
      },
    });
    x.t.flush();
    assertInert(x.host);
    expect(x.row(a).textContent).toContain("reverted: <img src=x onerror=alert(1)>");
    expect(x.row(a).querySelector("a.ogpu-rt-tx[href]")).toBeNull();
    const b = x.row(rows[1]!.address).querySelector<HTMLButtonElement>("button.ogpu-rt-confirm")!;
    expect(b.title).toBe("<script>alert(1)</script>");
  });

  it("links only http, https and ipfs data", () => {
    const values = [
      "https://example.com/result.json",
      "http://example.com/x?a=1&b=<2>",
      "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/out.json",
      "javascript:alert(1)",
      "data:text/html;base64,PHNjcmlwdD4=",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "https://user:pw@example.com/",
      "ipfs://../../etc",
      "https://example.com/ has spaces",
    ];
    const rows = makeRows(values.length, (i) => ({ data: values[i]! }));
    const x = m(rows);
    const hrefOf = (i: number) =>
      x.row(rows[i]!.address).querySelector<HTMLAnchorElement>(".ogpu-rt-k-text a[href]")?.getAttribute("href") ?? null;
    expect(hrefOf(0)).toBe("https://example.com/result.json");
    expect(hrefOf(1)).toBe("http://example.com/x?a=1&b=%3C2%3E");
    expect(hrefOf(2)).toBe(
      "https://ipfs.io/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/out.json",
    );
    for (let i = 3; i < values.length; i++) expect(hrefOf(i), values[i]).toBeNull();
    const link = x.row(rows[0]!.address).querySelector<HTMLAnchorElement>(".ogpu-rt-k-text a[href]")!;
    expect(link.rel).toBe("noopener noreferrer");
    expect(link.target).toBe("_blank");
    expect(link.textContent).toBe(values[0]);
    assertInert(x.host);
  });

  it("safeDataHref rejects every non-allowed scheme", () => {
    for (const v of [
      "javascript:alert(1)",
      "\tjavascript:alert(1)",
      "java\nscript:alert(1)",
      "data:,x",
      "vbscript:x",
      "blob:https://x/1",
      "ftp://x",
      "//evil.com",
      "ipfs://",
      "ipfs:///x",
      "ipfs://a/../b?x",
    ]) {
      expect(safeDataHref(v), v).toBeNull();
    }
    expect(safeDataHref("https://a.b/c")).toBe("https://a.b/c");
    expect(safeDataHref(42)).toBeNull();
  });
});
