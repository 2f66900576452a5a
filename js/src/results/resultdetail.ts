/**
 * The detail view of a row's result: the whole result as Python sent it (docs/widget-protocol.md),
 * drawn as collapsible, escaped JSON, inert text, or an image made from its bytes (PNG, JPEG, GIF
 * or WebP, checked by their magic bytes; never SVG or HTML). Everything is text nodes; the only
 * URL ever set is a Blob (or data:) URL of checked image bytes.
 */
import { AddressChip } from "../ui/address";
import { button, detailDialog, el } from "../core/dom";
import { shortHex } from "../core/format";
import { historyOf, historyText } from "../confirm/history";
import { messageBlock, summarize } from "../ui/messages";
import { paymentText } from "../confirm/reviewpanel";
import { IMAGE_MIMES, type ResultAnswer } from "../core/protocol";
import { decodeBase64, inertText, jsonString, resultMark, sniffImage, verificationText } from "./results";
import { listen, type TableState } from "../table/tablestate";

/** Children of one JSON node rendered before a "show more" button. */
const MAX_CHILDREN = 200;
/** Characters of one string (or of a text result) shown before a "show all" button. */
const MAX_STRING = 10_000;
const MAX_TEXT = 200_000;
/** JSON nodes open when shown, to this depth. */
const OPEN_DEPTH = 2;

function formatSize(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** A long string cut at `max` characters, with a button that shows the rest. */
function longText(doc: Document, text: string, max: number, className: string): HTMLElement {
  const span = el(doc, "span", className);
  if (text.length <= max) {
    span.textContent = text;
    return span;
  }
  span.textContent = `${text.slice(0, max)}…`;
  const wrap = el(doc, "span");
  const more = button(doc, "ogpu-rt-btn ogpu-rt-more", `Show all ${text.length.toLocaleString("en-US")} characters`);
  more.addEventListener("click", () => {
    span.textContent = text;
    more.remove();
  });
  wrap.append(span, more);
  return wrap;
}

function scalarNode(doc: Document, v: unknown): HTMLElement {
  if (typeof v === "string") {
    const node = longText(doc, jsonString(v), MAX_STRING, "ogpu-rt-jv");
    (node.classList.contains("ogpu-rt-jv") ? node : (node.firstElementChild as HTMLElement)).dataset["type"] = "string";
    return node;
  }
  const span = el(doc, "span", "ogpu-rt-jv");
  let text: string;
  if (v === null || v === undefined) text = "null";
  else if (typeof v === "number" || typeof v === "boolean") text = String(v);
  else text = typeof v === "bigint" ? String(v) : "?";
  span.textContent = text;
  span.dataset["type"] = v === null || v === undefined ? "null" : typeof v;
  return span;
}

/** A JSON value as a tree of `<details>` nodes (children rendered when first opened). */
export function jsonTree(doc: Document, value: unknown, key: string | null = null, depth = 0): HTMLElement {
  const isArr = Array.isArray(value);
  const isObj = !isArr && typeof value === "object" && value !== null;
  const keyEl = (): HTMLElement | null => {
    if (key === null) return null;
    const k = el(doc, "span", "ogpu-rt-jk", `${key}: `);
    return k;
  };
  if (!isArr && !isObj) {
    const row = el(doc, "div", "ogpu-rt-jrow");
    const k = keyEl();
    if (k) row.append(k);
    row.append(scalarNode(doc, value));
    return row;
  }
  const entries: [string, unknown][] = isArr
    ? (value as unknown[]).map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>).map(([k, v]) => [jsonString(k), v]);
  const details = el(doc, "details", "ogpu-rt-jnode");
  const summary = el(doc, "summary");
  const k = keyEl();
  if (k) summary.append(k);
  const n = entries.length;
  summary.append(
    el(doc, "span", "ogpu-rt-jsum", isArr ? `[ ${n} item${n === 1 ? "" : "s"} ]` : `{ ${n} key${n === 1 ? "" : "s"} }`),
  );
  const children = el(doc, "div", "ogpu-rt-jchildren");
  details.append(summary, children);
  let shown = 0;
  const renderMore = (): void => {
    const end = Math.min(n, shown + MAX_CHILDREN);
    for (let i = shown; i < end; i++) {
      const [ck, cv] = entries[i] ?? ["", null];
      children.append(jsonTree(doc, cv, ck, depth + 1));
    }
    shown = end;
    if (shown < n) {
      const more = button(doc, "ogpu-rt-btn ogpu-rt-more", `Show ${Math.min(MAX_CHILDREN, n - shown)} more of ${n - shown}`);
      more.addEventListener("click", () => {
        more.remove();
        renderMore();
      });
      children.append(more);
    }
  };
  let rendered = false;
  const ensure = (): void => {
    if (rendered) return;
    rendered = true;
    renderMore();
  };
  if (depth < OPEN_DEPTH) {
    details.open = true;
    ensure();
  }
  details.addEventListener("toggle", () => {
    if (details.open) ensure();
  });
  return details;
}

/** A checked image: the bytes must be PNG/JPEG/GIF/WebP by their magic, matching `mime`. */
export function imageUrl(win: Window, answer: ResultAnswer): { url: string; revoke: () => void } | null {
  if (!IMAGE_MIMES.includes(answer.mime) || answer.image === "") return null;
  const bytes = decodeBase64(answer.image);
  if (bytes === null) return null;
  const real = sniffImage(bytes);
  if (real === null || real !== answer.mime) return null;
  const U = (win as Window & { URL?: typeof URL }).URL;
  if (U && typeof U.createObjectURL === "function" && typeof Blob === "function") {
    const url = U.createObjectURL(new Blob([bytes], { type: real }));
    return { url, revoke: () => U.revokeObjectURL(url) };
  }
  return { url: `data:${real};base64,${answer.image}`, revoke: () => undefined };
}

/** The body of a result answer (JSON tree, text, image, hex, or the error). */
export function renderResultBody(
  doc: Document,
  win: Window,
  answer: ResultAnswer,
  onRevoke: (revoke: () => void) => void,
): HTMLElement {
  const box = el(doc, "div", "ogpu-rt-result-body");
  box.dataset["kind"] = answer.kind;
  if (answer.error !== "") {
    // one line a person can act on; the whole error behind a disclosure
    const full = inertText(answer.error);
    box.append(messageBlock(doc, summarize(full, "error"), full, "ogpu-rt-result-error"));
  }
  if (answer.kind === "json") {
    if (answer.text !== "") {
      const pre = el(doc, "pre", "ogpu-rt-result-text");
      pre.append(longText(doc, inertText(answer.text), MAX_TEXT, "ogpu-rt-jtext"));
      box.append(pre);
    } else {
      const tree = el(doc, "div", "ogpu-rt-jtree");
      tree.append(jsonTree(doc, answer.value));
      box.append(tree);
    }
  } else if (answer.kind === "text") {
    const pre = el(doc, "pre", "ogpu-rt-result-text");
    pre.append(longText(doc, inertText(typeof answer.value === "string" ? answer.value : ""), MAX_TEXT, "ogpu-rt-jtext"));
    box.append(pre);
  } else if (answer.kind === "image") {
    const img = imageUrl(win, answer);
    if (img !== null) {
      const image = el(doc, "img", "ogpu-rt-result-img");
      image.alt =
        answer.width !== null && answer.height !== null
          ? `Result image ${answer.width}×${answer.height}`
          : "Result image";
      image.decoding = "async";
      image.referrerPolicy = "no-referrer";
      image.src = img.url;
      onRevoke(img.revoke);
      box.append(image);
    } else if (answer.error === "") {
      box.append(el(doc, "p", "ogpu-rt-result-error", "not shown: only PNG, JPEG, GIF and WebP images are drawn"));
    }
  } else if (answer.kind === "binary") {
    const pre = el(doc, "pre", "ogpu-rt-result-text", typeof answer.value === "string" ? answer.value : "");
    box.append(el(doc, "p", "ogpu-rt-result-note", `Binary, ${formatSize(answer.size)}; the first bytes:`), pre);
  }
  if (answer.truncated && answer.kind !== "image") {
    box.append(el(doc, "p", "ogpu-rt-result-note", "Cut: only the beginning of this result was sent to the browser."));
  }
  return box;
}

export interface DialogHost {
  /** Another dialog opens: close this one. */
  closeOthers(except: unknown): void;
  /** The Compare button of the detail view. */
  compare(base: number, trigger: HTMLElement | null): void;
}

export class ResultDetail {
  readonly el: HTMLElement;
  private readonly title: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly meta: HTMLElement;
  /** The row's payment (exact wei) and the transaction that confirmed it. */
  private readonly facts: HTMLElement;
  private readonly payment: HTMLElement;
  private readonly history: HTMLElement;
  private readonly historyTx: AddressChip;
  private readonly content: HTMLElement;
  readonly compareBtn: HTMLButtonElement;
  readonly closeBtn: HTMLButtonElement;
  private shown: { base: number; address: string; trigger: HTMLElement | null } | null = null;
  private revokes: (() => void)[] = [];

  constructor(
    private readonly state: TableState,
    private readonly host: DialogHost,
  ) {
    const doc = state.doc;
    let head: HTMLElement;
    ({ el: this.el, head, title: this.title, closeBtn: this.closeBtn } = detailDialog(
      doc, "ogpu-rt-detail ogpu-rt-result-detail", "Close the result"));
    this.badge = el(doc, "span", "ogpu-rt-rbadge");
    this.compareBtn = button(doc, "ogpu-rt-btn", "Compare", "Compare this task's responses");
    this.compareBtn.setAttribute("aria-keyshortcuts", "C");
    head.append(this.title, this.badge, this.compareBtn, this.closeBtn);
    this.meta = el(doc, "div", "ogpu-rt-result-meta");
    this.facts = el(doc, "div", "ogpu-rt-result-meta ogpu-rt-result-facts");
    this.payment = el(doc, "span", "ogpu-rt-result-payment");
    this.history = el(doc, "span", "ogpu-rt-result-history");
    this.historyTx = new AddressChip(doc, "confirming transaction");
    this.facts.append(this.payment, this.history, this.historyTx.el);
    this.content = el(doc, "div", "ogpu-rt-result-scroll");
    this.el.append(head, this.meta, this.facts, this.content);
    listen(state, this.closeBtn, "click", () => this.close());
    listen(state, this.compareBtn, "click", () => {
      const s = this.shown;
      if (s !== null) host.compare(s.base, s.trigger);
    });
    listen(state, this.el, "keydown", (e) => {
      const ke = e as KeyboardEvent;
      if ((ke.key === "c" || ke.key === "C") && !ke.ctrlKey && !ke.metaKey && !ke.altKey && this.shown) {
        ke.preventDefault();
        ke.stopPropagation();
        host.compare(this.shown.base, this.shown.trigger);
      }
    });
    state.cleanups.push(
      state.store.on("result", (addr) => {
        if (this.shown !== null && this.shown.address === addr) this.render();
      }),
      state.store.on("rows", (change) => {
        const s = this.shown;
        if (s === null || change.kind === "reset") return;
        if (change.rows.has(s.base)) this.renderFacts(s.base, s.address);
      }),
      () => this.revoke(),
    );
  }

  get isOpen(): boolean {
    return this.shown !== null;
  }

  get address(): string | null {
    return this.shown?.address ?? null;
  }

  open(base: number, trigger: HTMLElement | null): void {
    const key = this.state.store.keyOf(base);
    if (key === null) return;
    this.host.closeOthers(this);
    this.shown = { base, address: key, trigger };
    this.el.setAttribute("aria-label", `Result of response ${key}`);
    this.title.textContent = `Result of ${shortHex(key)}`;
    this.title.title = key;
    this.state.store.results.result(key, true);
    this.render();
    this.el.style.display = "";
    this.el.dataset["open"] = "true";
    this.closeBtn.focus({ preventScroll: true });
  }

  private revoke(): void {
    for (const r of this.revokes.splice(0)) r();
  }

  render(): void {
    const s = this.shown;
    if (s === null) return;
    const { doc, win, store } = this.state;
    this.revoke();
    this.renderFacts(s.base, s.address);
    const answer = store.results.get(s.address) ?? null;
    if (answer === null) {
      this.badge.textContent = resultMark("loading").mark;
      this.badge.dataset["resultState"] = "loading";
      this.meta.textContent = "";
      this.content.replaceChildren(el(doc, "p", "ogpu-rt-result-note", "Loading the result…"));
      this.el.dataset["resultState"] = "loading";
      return;
    }
    this.el.dataset["resultState"] = answer.state;
    this.badge.dataset["resultState"] = answer.state;
    this.badge.textContent = verificationText(answer.verified, answer.state);
    const parts: string[] = [answer.kind];
    if (answer.size > 0) parts.push(formatSize(answer.size));
    if (answer.cid !== "") parts.push(`CID ${answer.cid}`);
    this.meta.textContent = inertText(parts.join(" · "));
    this.content.replaceChildren(renderResultBody(doc, win, answer, (r) => this.revokes.push(r)));
  }

  /** "Payment 1.5 OGPU (1500000000000000000 wei)", and for a confirmed row its transaction. */
  private renderFacts(base: number, address: string): void {
    const { store, explorer } = this.state;
    const wei = store.wei.of(address);
    if (wei === "") {
      store.wei.fetch([address], () => {
        if (this.shown?.address === address) this.renderFacts(this.shown.base, address);
      });
    }
    this.payment.textContent = `Payment ${paymentText(store.get("payment_ogpu", base), wei)}`;
    const h = historyOf(store, base);
    const text = historyText(h);
    this.history.textContent = h.state === "none" ? "" : h.state === "found" ? "· confirmed by" : `· ${text.line}`;
    this.history.title = text.title;
    this.historyTx.el.style.display = h.state === "found" ? "" : "none";
    if (h.state === "found") this.historyTx.set(h.tx, explorer);
  }

  close(restoreFocus = true): void {
    if (this.shown === null) return;
    const t = this.shown.trigger;
    this.shown = null;
    this.el.style.display = "none";
    delete this.el.dataset["open"];
    this.content.replaceChildren();
    this.revoke();
    if (restoreFocus && t && t.isConnected) t.focus({ preventScroll: true });
  }
}
