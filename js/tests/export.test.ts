import { describe, expect, it } from "vitest";
import {
  exportTable,
  isoUtc,
  neutralizeFormula,
  plainNumber,
  quoteField,
  weiToOgpu,
  type ExportColumn,
} from "../src/export/export";
import { makeRows } from "./helpers";
import { click, mountPerTest } from "./mount";

const m = mountPerTest();

/** Let promise callbacks run (timers are fake in these tests). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF records). */
function parse(text: string, sep = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === sep) {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

const COLS: ExportColumn[] = [
  { source: "address", label: "Response", kind: "address" },
  { source: "data", label: "Data", kind: "text" },
  { source: "payment_ogpu", label: "Payment", kind: "ogpu" },
  { source: "timestamp", label: "Submitted", kind: "datetime" },
  { source: "confirmed", label: "Confirmed", kind: "bool" },
];

const ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

describe("export (pure)", () => {
  it("quotes per RFC 4180 and round-trips hostile strings", () => {
    const hostile = [
      'a "quoted", value',
      "line\r\nbreak",
      "lone\nnewline",
      "tab\there",
      "<img src=x onerror=alert(1)>",
      "\u202Eevil\u0000nul",
      "",
      "   spaces   ",
    ];
    const rows = hostile.map((data) => ({ address: ADDRESS, data, payment: "1", payment_ogpu: 1e-18, timestamp: 0, confirmed: false }));
    for (const format of ["csv", "tsv"] as const) {
      const text = exportTable(rows, COLS, format);
      expect(text.endsWith("\r\n")).toBe(true);
      const parsed = parse(text, format === "csv" ? "," : "\t");
      expect(parsed).toHaveLength(hostile.length + 1);
      expect(parsed.slice(1).map((r) => r[1])).toEqual(hostile);
      for (const r of parsed) expect(r).toHaveLength(6);
    }
    expect(quoteField("plain", ",")).toBe("plain");
    expect(quoteField('say "hi"', ",")).toBe('"say ""hi"""');
    expect(quoteField("a,b", "\t")).toBe("a,b");
    expect(quoteField("a\tb", "\t")).toBe('"a\tb"');
  });

  it("neutralizes spreadsheet formulas in text, never in addresses or numbers", () => {
    for (const s of ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]) {
      expect(neutralizeFormula(s)).toBe(`'${s}`);
    }
    expect(neutralizeFormula("ipfs://x")).toBe("ipfs://x");
    expect(neutralizeFormula("a=b")).toBe("a=b");
    const text = exportTable(
      [{ address: ADDRESS, data: "=cmd|' /C calc'!A0", payment: "5", payment_ogpu: 5e-18, timestamp: 1, confirmed: true }],
      COLS,
      "csv",
    );
    const [, row] = parse(text);
    expect(row![1]).toBe("'=cmd|' /C calc'!A0");
    expect(row![0]).toBe(ADDRESS);
  });

  it("writes exact wei and exact OGPU, never floats or exponents", () => {
    const big = "123456789012345678901234567890";
    const rows = [
      { address: ADDRESS, data: "", payment: big, payment_ogpu: 123456789012.34567, timestamp: 1_790_000_000, confirmed: true },
      { address: ADDRESS, data: "", payment: "1", payment_ogpu: 1e-18, timestamp: 1_790_000_000.5, confirmed: false },
      { address: ADDRESS, data: "", payment: "1500000000000000000", payment_ogpu: 1.5, timestamp: null, confirmed: null },
    ];
    const parsed = parse(exportTable(rows, COLS, "csv"));
    expect(parsed[0]).toEqual(["Response", "Data", "Payment (OGPU)", "Payment (wei)", "Submitted", "Confirmed"]);
    expect(parsed[1]!.slice(2)).toEqual(["123456789012.34567890123456789", big, "2026-09-21T14:13:20Z", "true"]);
    expect(parsed[2]!.slice(2)).toEqual(["0.000000000000000001", "1", "2026-09-21T14:13:20.500Z", "false"]);
    expect(parsed[3]!.slice(2)).toEqual(["1.5", "1500000000000000000", "", ""]);
    expect(weiToOgpu("0")).toBe("0");
    expect(weiToOgpu("1000000000000000000")).toBe("1");
    expect(weiToOgpu("1e18")).toBe("");
    expect(plainNumber(1e-7)).toBe("0.0000001");
    expect(plainNumber(1e21)).toBe("1000000000000000000000");
    expect(isoUtc(0)).toBe("1970-01-01T00:00:00Z");
    expect(isoUtc("nonsense")).toBe("");
  });

  it("exports only the columns given, in their order", () => {
    const rows = [{ address: ADDRESS, data: "d", payment: "7", payment_ogpu: 7e-18, timestamp: 0, confirmed: true, secret: "x" }];
    const cols = [COLS[1]!, COLS[0]!];
    const parsed = parse(exportTable(rows, cols, "csv"));
    expect(parsed).toEqual([
      ["Data", "Response"],
      ["d", ADDRESS],
    ]);
  });
});

describe("export (toolbar)", () => {
  async function answerWei(t: ReturnType<typeof m>, values: (string | null)[]): Promise<void> {
    const ask = t.model.sent.find((s) => (s as { type?: string }).type === "wei") as { id: string };
    expect(ask).toBeDefined();
    await t.model.pyMsg({ type: "wei", id: ask.id, version: 1, addresses: null, values, error: "" });
  }

  it("copies the view as TSV with exact wei from Python, in display order", async () => {
    const rows = makeRows(4, (i) => ({ data: i === 2 ? "=2+2" : `r${i}` }));
    const t = m(rows);
    const writes: string[] = [];
    Object.defineProperty(window.navigator, "clipboard", {
      configurable: true,
      value: { writeText: (s: string) => (writes.push(s), Promise.resolve()) },
    });
    click(t.button("Copy view (TSV)"));
    const wei = rows.map((_, i) => `${i + 1}000000000000000000000001`);
    await answerWei(t, wei);
    await settle();
    expect(writes).toHaveLength(1);
    const parsed = parse(writes[0]!, "\t");
    const header = parsed[0]!;
    expect(header[0]).toBe("Response");
    expect(header).toContain("Payment (wei)");
    const w = header.indexOf("Payment (wei)");
    expect(parsed.slice(1).map((r) => r[w])).toEqual(t.shownKeys().map((k) => wei[rows.findIndex((r) => r.address === k)]));
    expect(parsed.slice(1).map((r) => r[0])).toEqual(t.shownKeys());
    const d = header.indexOf("Data");
    expect(parsed.slice(1).map((r) => r[d])).toContain("'=2+2");
  });

  it("Copy selection appears with a selection and exports only the selected rows", async () => {
    const rows = makeRows(5);
    const t = m(rows);
    const sel = t.q<HTMLButtonElement>('[data-export="copy-selection"]');
    expect(sel.style.display).toBe("none");
    t.model.pySet({ selected_keys: [rows[3]!.address, rows[1]!.address] });
    t.t.flush();
    expect(sel.style.display).toBe("");
    const writes: string[] = [];
    Object.defineProperty(window.navigator, "clipboard", {
      configurable: true,
      value: { writeText: (s: string) => (writes.push(s), Promise.resolve()) },
    });
    click(sel);
    await answerWei(t, rows.map((r) => r.payment));
    await settle();
    const parsed = parse(writes[0]!, "\t");
    expect(parsed.slice(1).map((r) => r[0])).toEqual([rows[1]!.address, rows[3]!.address]);
  });

  it("follows the column layout: hidden columns are left out, the order is the display order", async () => {
    const rows = makeRows(3);
    const t = m(rows, { column_layout: { order: ["task", "address"], hidden: ["data", "provider"], widths: {} } });
    const writes: string[] = [];
    Object.defineProperty(window.navigator, "clipboard", {
      configurable: true,
      value: { writeText: (s: string) => (writes.push(s), Promise.resolve()) },
    });
    click(t.button("Copy view (TSV)"));
    await answerWei(t, rows.map((r) => r.payment));
    await settle();
    const header = parse(writes[0]!, "\t")[0]!;
    expect(header.slice(0, 2)).toEqual(["Task", "Response"]);
    expect(header).not.toContain("Data");
    expect(header).not.toContain("Provider");
  });

  it("a failed wei answer shows in the banner and copies nothing", async () => {
    const t = m(makeRows(2));
    click(t.button("Download CSV"));
    const ask = t.model.sent.find((s) => (s as { type?: string }).type === "wei") as { id: string };
    await t.model.pyMsg({ type: "wei", id: ask.id, values: ["1"], error: "" });
    await settle();
    expect(t.store.notices.list.at(-1)?.message).toMatch(/Export failed/);
  });
});
