/**
 * Export of the table as CSV (RFC 4180) or TSV: a pure function of (rows, columns in display
 * order), so it works whatever decides which columns are visible and in what order.
 *
 * - Only the columns given, in their order. The payment column (`ogpu` kind) becomes two:
 *   "<label> (OGPU)", an exact decimal computed from the wei, and "<label> (wei)"; a `wei` column
 *   is the wei. Wei are full decimal strings (never floats, never exponent notation).
 * - Addresses as given (the store holds them in full EIP-55 form); timestamps as ISO-8601 UTC
 *   (`2026-11-28T18:03:04Z`); booleans `true`/`false`; empty for missing values.
 * - Fields holding the separator, a double quote, CR or LF are quoted, quotes doubled
 *   (RFC 4180); records end with CRLF. The same rule for TSV (spreadsheets parse it on paste).
 * - Spreadsheet formula injection: a text cell (provider-controlled: data, result preview,
 *   categories, any text) beginning with `=`, `+`, `-`, `@`, TAB or CR gets a leading
 *   apostrophe, so a spreadsheet shows it as text instead of evaluating it (OWASP's advice).
 */
import type { ColumnKind, Scalar } from "../core/types";

export interface ExportColumn {
  /** The row field the values come from (a column's `source`, e.g. `result_preview`). */
  source: string;
  label: string;
  kind: ColumnKind;
}

/** One row: values by field name; `payment` holds the exact wei (a decimal string) when known. */
export type ExportRow = Readonly<Record<string, Scalar | undefined>>;

export type ExportFormat = "csv" | "tsv";

const FORMULA_START = /^[=+\-@\t\r]/;

/** A leading apostrophe for text a spreadsheet would evaluate as a formula. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** One field, quoted when it must be (RFC 4180; `sep` is `,` or TAB). */
export function quoteField(text: string, sep: string): string {
  if (text.includes(sep) || text.includes('"') || text.includes("\r") || text.includes("\n")) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

const DIGITS = /^[0-9]+$/;

/** Exact wei → OGPU as a decimal string ("1500000000000000000" → "1.5"); "" for non-digits. */
export function weiToOgpu(wei: string): string {
  if (!DIGITS.test(wei)) return "";
  const padded = wei.replace(/^0+(?=\d)/, "").padStart(19, "0");
  const whole = padded.slice(0, -18).replace(/^0+(?=\d)/, "");
  const frac = padded.slice(-18).replace(/0+$/, "");
  return frac === "" ? whole : `${whole}.${frac}`;
}

/** A finite number as a plain decimal string (no exponent), or "". */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return "";
  const s = String(n);
  if (!/e/i.test(s)) return s;
  if (Math.abs(n) < 1) return n.toFixed(20).replace(/\.?0+$/, "");
  return BigInt(Math.round(n)).toString();
}

/** Unix seconds → `2026-11-28T18:03:04Z` (milliseconds kept only when not whole). */
export function isoUtc(v: Scalar | undefined): string {
  const s = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(s)) return "";
  const d = new Date(Math.round(s * 1000));
  if (Number.isNaN(d.getTime())) return "";
  return d.toISOString().replace(".000Z", "Z");
}

function text(v: Scalar | undefined): string {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : String(v);
}

/** The header cells of one column (two for the payment column). */
export function headerCells(col: ExportColumn): string[] {
  if (col.kind === "ogpu") return [`${col.label} (OGPU)`, `${col.label} (wei)`];
  if (col.kind === "wei") return [`${col.label} (wei)`];
  return [col.label];
}

/** The cells of one value. */
export function valueCells(col: ExportColumn, row: ExportRow): string[] {
  const v = row[col.source];
  switch (col.kind) {
    case "ogpu": {
      const wei = text(row["payment"]);
      if (DIGITS.test(wei)) return [weiToOgpu(wei), wei];
      const n = typeof v === "number" ? v : Number(text(v));
      return [v === null || v === undefined ? "" : plainNumber(n), ""];
    }
    case "wei": {
      const s = text(v);
      if (DIGITS.test(s)) return [s];
      return [typeof v === "number" ? plainNumber(v) : neutralizeFormula(s)];
    }
    case "datetime":
      return [isoUtc(v)];
    case "bool":
      return [v === null || v === undefined ? "" : v === true || v === 1 || v === "true" || v === "True" ? "true" : "false"];
    case "address":
      return [text(v)];
    default:
      return [neutralizeFormula(text(v))];
  }
}

/** The whole export: a header line, then one line per row, CRLF-terminated. */
export function exportTable(rows: readonly ExportRow[], columns: readonly ExportColumn[], format: ExportFormat): string {
  const sep = format === "csv" ? "," : "\t";
  const line = (cells: string[]): string => cells.map((c) => quoteField(c, sep)).join(sep);
  const out: string[] = [line(columns.flatMap(headerCells))];
  for (const row of rows) out.push(line(columns.flatMap((c) => valueCells(c, row))));
  return `${out.join("\r\n")}\r\n`;
}
