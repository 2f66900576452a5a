/**
 * Column definitions (from the `columns` trait) and per-kind cell renderers.
 *
 * Cells are created once per pooled row element and updated in place; every value is written
 * with textContent / title / a checked href, never as markup.
 */
import {
  addressHref,
  badgeTone,
  formatBool,
  formatDatetime,
  formatOgpu,
  isAddress,
  relativeTime,
  safeDataHref,
  shortHex,
  toNumber,
  toText,
} from "../core/format";
import { el, setAttr, setText, setTitle } from "../core/dom";
import { resultMark, rowResultState } from "../results/results";
import type { RowStore } from "../store/rowstore";
import { COLUMN_KINDS, CONTROL_COLUMNS, KEY_COLUMN, isRecord, type ColumnKind, type Scalar } from "../core/types";

export type FilterType = "text" | "category" | "range" | "bool";

export interface ColumnDef {
  name: string;
  /** The store column its values (for sort, filter and search) come from. */
  source: string;
  label: string;
  kind: ColumnKind;
  /** Minimum width in px. */
  width: number;
  /** Takes the remaining width. */
  flex: boolean;
  filter: FilterType;
  /** Included in the global search. */
  searchable: boolean;
  numeric: boolean;
}

const WIDTH: Record<ColumnKind, number> = {
  address: 140,
  text: 180,
  ogpu: 130,
  wei: 180,
  category: 120,
  bool: 100,
  datetime: 200,
  result: 240,
};

const FILTER: Record<ColumnKind, FilterType> = {
  address: "text",
  text: "text",
  ogpu: "range",
  wei: "text",
  category: "category",
  bool: "bool",
  datetime: "text",
  result: "text",
};

const CONTROL = new Set<string>(CONTROL_COLUMNS);

export function makeColumnDef(name: string, label: string, kind: ColumnKind): ColumnDef {
  return {
    name,
    source: kind === "result" ? "result_preview" : name,
    label,
    kind,
    width: WIDTH[kind],
    flex: kind === "text" || kind === "result",
    filter: FILTER[kind],
    searchable: kind === "address" || kind === "text" || kind === "category" || kind === "wei" || kind === "result",
    numeric: kind === "ogpu" || kind === "datetime",
  };
}

function guessKind(name: string): ColumnKind {
  if (["address", "task", "provider", "client", "source"].includes(name)) return "address";
  if (name === "payment_ogpu" || name.endsWith("_ogpu")) return "ogpu";
  if (name === "payment" || name.endsWith("_wei")) return "wei";
  if (["status", "task_status", "delivery_method"].includes(name)) return "category";
  if (name === "confirmed") return "bool";
  if (name === "timestamp" || name.endsWith("_expiry") || name.endsWith("_at")) return "datetime";
  if (name === "result") return "result";
  return "text";
}

/** Parse the `columns` trait; fall back to the snapshot's columns when it is empty. */
export function resolveColumns(trait: unknown, available: readonly string[]): ColumnDef[] {
  const out: ColumnDef[] = [];
  const seen = new Set<string>();
  if (Array.isArray(trait)) {
    for (const c of trait) {
      if (!isRecord(c)) continue;
      const name = c["name"];
      if (typeof name !== "string" || name === "" || seen.has(name) || CONTROL.has(name)) continue;
      const rawKind = c["kind"];
      const kind: ColumnKind = COLUMN_KINDS.includes(rawKind as ColumnKind) ? (rawKind as ColumnKind) : "text";
      const label = typeof c["label"] === "string" && c["label"] !== "" ? c["label"] : name;
      seen.add(name);
      out.push(makeColumnDef(name, label, kind));
    }
  }
  if (out.length === 0) {
    for (const name of available) {
      if (CONTROL.has(name) || seen.has(name)) continue;
      seen.add(name);
      out.push(makeColumnDef(name, name, guessKind(name)));
    }
    // keep the key first
    const k = out.findIndex((c) => c.name === KEY_COLUMN);
    if (k > 0) out.unshift(...out.splice(k, 1));
  }
  return out;
}

// ---- cells ----------------------------------------------------------------------------------

export interface CellCtx {
  explorer: string | null;
  nowMs: number;
}

export interface Cell {
  readonly el: HTMLElement;
  update(v: Scalar, ctx: CellCtx): void;
  /** Cells drawn from several store columns render from the row instead of one value. */
  bind?(store: RowStore, base: number, ctx: CellCtx): void;
}

const MAX_INLINE = 300;

function cellEl(doc: Document, col: ColumnDef): HTMLElement {
  const c = el(doc, "div", `ogpu-rt-cell ogpu-rt-k-${col.kind}`);
  c.setAttribute("role", "gridcell");
  return c;
}

/** Show or hide (display: none) an element, touching its style only when that changes. */
export function setDisplay(node: HTMLElement, visible: boolean): void {
  const want = visible ? "" : "none";
  if (node.style.display !== want) node.style.display = want;
}

const show = setDisplay;

/** Set text only when it differs (an equal textContent write still replaces the text node). */

function setHref(a: HTMLAnchorElement, href: string | null): void {
  if (href === null) {
    if (a.hasAttribute("href")) a.removeAttribute("href");
  } else if (a.getAttribute("href") !== href) {
    a.setAttribute("href", href);
  }
}

export function makeLink(doc: Document): HTMLAnchorElement {
  const a = el(doc, "a");
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/** A small per-row action button (handled by delegation on `data-action`). Its glyph is drawn
 * by CSS, and only on a hovered or focused row (cheaper rows to paint). */
function iconButton(doc: Document, action: string, col: ColumnDef, icon: string): HTMLButtonElement {
  const b = el(doc, "button", "ogpu-rt-icon");
  b.type = "button";
  b.dataset["action"] = action;
  b.dataset["col"] = col.name;
  b.append(el(doc, "span", icon));
  return b;
}

/** The parts of a cell that shows its value as a link or as text (see `linkOrText`), both of
 * class `cls`, followed by one icon button (`action`, drawn as `icon`). */
function linkOrTextCell(
  doc: Document,
  col: ColumnDef,
  cls: string,
  action: string,
  icon: string,
): { root: HTMLElement; link: HTMLAnchorElement; span: HTMLElement; button: HTMLButtonElement } {
  const root = cellEl(doc, col);
  const link = makeLink(doc);
  link.className = cls;
  const span = el(doc, "span", cls);
  const button = iconButton(doc, action, col, icon);
  root.append(link, span, button);
  return { root, link, span, button };
}

function addressCell(doc: Document, col: ColumnDef): Cell {
  const { root, link, span, button: copy } = linkOrTextCell(doc, col, "ogpu-rt-addr", "copy", "ogpu-rt-copyicon");
  let last: Scalar | undefined;
  let lastExplorer: string | null | undefined;
  return {
    el: root,
    update(v, ctx) {
      if (v === last && ctx.explorer === lastExplorer) return;
      last = v;
      lastExplorer = ctx.explorer;
      const s = toText(v);
      const shown = isAddress(s) ? shortHex(s) : s.length > 24 ? shortHex(s, 10, 6) : s;
      const href = s ? addressHref(ctx.explorer, s) : null;
      setTitle(root, s);
      linkOrText(link, span, href, shown);
      if (href !== null) setAttr(link, "aria-label", `${col.label} ${s} on explorer`);
      show(copy, s !== "");
      setAttr(copy, "aria-label", `Copy ${col.label.toLowerCase()} ${s}`);
    },
  };
}

/** Show `text` in `link` (to `href`) when there is a link, else in `span`. */
function linkOrText(link: HTMLAnchorElement, span: HTMLElement, href: string | null, text: string): void {
  setHref(link, href);
  setText(href !== null ? link : span, text);
  show(link, href !== null);
  show(span, href === null);
}

/** A cell of `root` that `draw`s a value only when it differs from the one drawn last. */
function redrawnOnChange(root: HTMLElement, draw: (v: Scalar) => void): Cell {
  let last: Scalar | undefined;
  return {
    el: root,
    update(v) {
      if (v === last) return;
      last = v;
      draw(v);
    },
  };
}

function textCell(doc: Document, col: ColumnDef): Cell {
  const { root, link, span, button: expand } = linkOrTextCell(doc, col, "ogpu-rt-text", "expand", "ogpu-rt-expandicon");
  expand.setAttribute("aria-label", `Show full ${col.label.toLowerCase()}`);
  expand.title = `Show full ${col.label.toLowerCase()}`;
  return redrawnOnChange(root, (v) => {
    const s = toText(v);
    const inline = s.length > MAX_INLINE ? `${s.slice(0, MAX_INLINE)}…` : s;
    const href = safeDataHref(v);
    setTitle(root, inline);
    linkOrText(link, span, href, inline);
    show(expand, s !== "");
  });
}

/** Columns a reorg can move back: their badge marks a row whose states a reorg undid. */
const REORG_MARKED = new Set(["status", "task_status"]);

function badgeCell(doc: Document, col: ColumnDef): Cell {
  const root = cellEl(doc, col);
  const badge = el(doc, "span", "ogpu-rt-badge");
  root.append(badge);
  let last: string | undefined;
  const draw = (s: string, reorged: boolean): void => {
    if (last === `${String(reorged)}:${s}`) return;
    last = `${String(reorged)}:${s}`;
    setText(badge, reorged ? `${s} ↺` : s);
    // badges are ellipsized: the full text on hover (and the focus tooltip)
    setTitle(root, reorged ? `${s}: undone by a reorg, this is the chain's state now` : s);
    const tone = badgeTone(s);
    if (badge.dataset["tone"] !== tone) badge.dataset["tone"] = tone;
    badge.classList.toggle("ogpu-rt-reorged", reorged);
    show(badge, s !== "");
  };
  const cell: Cell = { el: root, update: (v) => draw(toText(v), false) };
  if (REORG_MARKED.has(col.name)) {
    cell.bind = (store, base) => draw(toText(store.get(col.name, base)), store.get("reorged", base) === true);
  }
  return cell;
}

/** How long a time-dependent title (e.g. "3 minutes ago") may be left unrefreshed. */
const TITLE_REFRESH_MS = 15_000;

function plainCell(
  doc: Document,
  col: ColumnDef,
  fmt: (v: Scalar, ctx: CellCtx) => [string, string],
  dependsOnNow = false,
): Cell {
  const root = cellEl(doc, col);
  const span = el(doc, "span", "ogpu-rt-val");
  root.append(span);
  let last: Scalar | undefined;
  let lastAt = 0;
  return {
    el: root,
    update(v, ctx) {
      if (v === last && (!dependsOnNow || Math.abs(ctx.nowMs - lastAt) < TITLE_REFRESH_MS)) return;
      last = v;
      lastAt = ctx.nowMs;
      const [text, title] = fmt(v, ctx);
      setText(span, text);
      setTitle(root, title);
    },
  };
}

/**
 * The Result cell: a verification mark, the one-line preview (text only, bidi-isolated,
 * ellipsized) and two buttons, the whole result and the compare view. Carries
 * `data-result-state` (loading | ok | unverified | error | none).
 */
function resultCell(doc: Document, col: ColumnDef): Cell {
  const root = cellEl(doc, col);
  const mark = el(doc, "span", "ogpu-rt-rmark");
  mark.setAttribute("aria-hidden", "true");
  const text = el(doc, "span", "ogpu-rt-rtext");
  const open = iconButton(doc, "result", col, "ogpu-rt-expandicon");
  open.setAttribute("aria-keyshortcuts", "R");
  const compare = iconButton(doc, "compare", col, "ogpu-rt-compareicon");
  compare.setAttribute("aria-keyshortcuts", "C");
  root.append(mark, text, open, compare);
  root.dataset["resultState"] = "loading";
  // constant text is written once; the rest only when it changes (rows are re-bound while
  // scrolling: a row whose key, state and preview are unchanged costs three comparisons)
  open.title = "Show the whole result (R)";
  compare.title = "Compare this task's responses (C)";
  let lastKey: string | null = null;
  let lastState: ReturnType<typeof rowResultState> | null = null;
  let lastPreview: string | null = null;
  const render = (key: string, state: ReturnType<typeof rowResultState>, preview: string): void => {
    if (key !== lastKey) {
      lastKey = key;
      open.setAttribute("aria-label", `Show the result of response ${key}`);
      compare.setAttribute("aria-label", `Compare the responses of the task of ${key}`);
    }
    if (state === lastState && preview === lastPreview) return;
    if (state !== lastState) {
      lastState = state;
      root.dataset["resultState"] = state;
      setText(mark, resultMark(state).mark);
    }
    lastPreview = preview;
    const shown = state === "loading" ? "loading…" : preview || (state === "none" ? "no result" : "");
    setText(text, shown);
    setTitle(root, state === "loading" ? "Loading the result…" : `${resultMark(state).label}: ${shown}`);
  };
  return {
    el: root,
    update(v) {
      // without the row (not used by the table): the value is the preview
      render("", v === null ? "loading" : "unverified", toText(v));
    },
    bind(store, base) {
      render(store.keyOf(base) ?? "", rowResultState(store, base), toText(store.get("result_preview", base)));
    },
  };
}

export function createCell(doc: Document, col: ColumnDef): Cell {
  switch (col.kind) {
    case "result":
      return resultCell(doc, col);
    case "address":
      return addressCell(doc, col);
    case "text":
      return textCell(doc, col);
    case "category":
      return badgeCell(doc, col);
    case "ogpu":
      return plainCell(doc, col, (v) => {
        const n = toNumber(v);
        return [formatOgpu(v), Number.isNaN(n) ? "" : `${String(n)} OGPU`];
      });
    case "wei":
      return plainCell(doc, col, (v) => {
        const s = toText(v);
        return [s, s ? `${s} wei` : ""];
      });
    case "bool":
      return plainCell(doc, col, (v) => {
        const t = formatBool(v);
        return [t, t === "✓" ? "yes" : t === "—" ? "no" : ""];
      });
    case "datetime":
      return plainCell(
        doc,
        col,
        (v, ctx) => {
          const n = toNumber(v);
          const text = formatDatetime(v);
          return [text, Number.isFinite(n) ? `${text} (${relativeTime(n, ctx.nowMs)})` : ""];
        },
        true,
      );
  }
}
