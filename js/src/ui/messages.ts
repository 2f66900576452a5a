/**
 * Messages a person can act on: every refusal or error is shown as one line that says what
 * happened and what to do ("Refused: the task is already finalized — nothing to pay"), with the
 * full text (often long, full of hex) behind a `<details>` disclosure. Text only: everything is
 * written with textContent.
 *
 * The lines for the refusal rules are keyed by the rule's label (Python's
 * `ogpu_widgets.confirm.rules.LABELS`, the row's `reason`, the estimate's `refusal.label`) and
 * match `SUMMARIES` in `ogpu_widgets/table/refusal.py`.
 */
import { el } from "../core/dom";
import { shortHex } from "../core/format";

/** One line per refusal rule label (and per refusal no rule names, by error class). */
export const REASON_SUMMARIES: Readonly<Record<string, string>> = {
  "read-only": "no signer is configured — pass account=... to sign",
  "first-response source": "this task's source confirms the first response by itself",
  confirmed: "the response is already confirmed — nothing to pay",
  "task finalized": "the task is already finalized — nothing to pay",
  "task canceled": "the task was canceled — nothing to pay",
  "task expired": "the task has expired — it can no longer be confirmed",
  "not the client": "the signer is not the task's client — use the client's key",
  "not the task's client": "the signer is not the task's client — use the client's key",
  "confirmation pending": "a confirmation of this task is already pending — wait for it",
  InsufficientFundsError: "the signer cannot pay the gas — send it some OGPU first",
  InvalidResponseError: "not a response the protocol knows on this network",
  ResponseNotFoundError: "no contract at this address on this network",
  TransactionRevertedError: "the simulation reverted — nothing was sent",
};

/** Patterns of the library's own error texts → the line to show (first match wins). */
const PATTERNS: readonly [RegExp, string][] = [
  [/already waiting in the node's pool|pending elsewhere|already (?:signing|pending|mined)|confirmation pending/i, "confirmation pending"],
  [/already finali[sz]ed|AlreadyFinalized/i, "task finalized"],
  [/was canceled|task canceled/i, "task canceled"],
  [/has expired|\bExpired\b|task expired/i, "task expired"],
  [/is not the client|NotOwner|not the (?:task's )?client/i, "not the client"],
  [/already confirmed|AlreadyConfirmed/i, "confirmed"],
  [/cannot pay|insufficient funds|holds .* but .*cost/i, "InsufficientFundsError"],
  [/not a response the protocol knows|NotEligible/i, "InvalidResponseError"],
  [/no contract code|has no code/i, "ResponseNotFoundError"],
  [/read-only|no signer/i, "read-only"],
  [/first-response|FIRST_RESPONSE/i, "first-response source"],
];

const NODE_TROUBLE =
  /NodeUnavailable|did not answer|no usable answer|unavailable|timed? ?out|could not (?:reach|connect)|connection|HTTP 5\d\d|HTTP 429/i;

/** The rule label (or error class) an error text is about, or "" when none matches. */
export function classifyError(text: string): string {
  for (const [re, label] of PATTERNS) if (re.test(text)) return label;
  return "";
}

/** Long hex runs shortened (`0x1234…abcd`), whitespace collapsed, cut at `max` characters. */
export function compactText(text: string, max = 140): string {
  let s = text.replace(/0x[0-9a-fA-F]{14,}/g, (h) => shortHex(h)).replace(/\s+/g, " ").trim();
  // one sentence is enough for a summary
  const stop = s.search(/[.;](?:\s|$)/);
  if (stop > 20) s = s.slice(0, stop);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export type MessageKind = "refused" | "reverted" | "error" | "reason";

const PREFIX: Record<MessageKind, string> = {
  refused: "Refused: ",
  reverted: "Reverted: ",
  error: "Error: ",
  reason: "",
};

/**
 * The one line for a refusal or error. `label` (a rule label or error class, when Python named
 * one) wins over what the text says; unknown texts are compacted (hex shortened, one sentence).
 */
export function summarize(text: string, kind: MessageKind, label = ""): string {
  const key = label !== "" && label in REASON_SUMMARIES ? label : classifyError(text);
  let line = key !== "" ? (REASON_SUMMARIES[key] ?? "") : "";
  if (line === "" && kind !== "reverted" && NODE_TROUBLE.test(text)) {
    line = "the node did not answer — try again in a moment";
  }
  if (line === "") line = compactText(text) || (kind === "reverted" ? "the transaction failed on chain" : "no details");
  if (kind === "reason") return line.charAt(0).toUpperCase() + line.slice(1);
  return PREFIX[kind] + line;
}


/**
 * A message block: the summary line, then (when the full text says more) a `<details>` whose
 * `<summary>` is "Details" and whose body is the full text in a wrapped `<pre>`.
 */
export class MessageBlock {
  readonly el: HTMLElement;
  private readonly line: HTMLElement;
  private readonly details: HTMLDetailsElement;
  private readonly full: HTMLElement;
  private last = "";

  constructor(doc: Document, className = "") {
    this.el = el(doc, "div", `ogpu-rt-msg${className ? ` ${className}` : ""}`);
    this.line = el(doc, "span", "ogpu-rt-msg-line");
    this.details = el(doc, "details", "ogpu-rt-msg-details");
    const sum = el(doc, "summary", "", "Details");
    this.full = el(doc, "pre", "ogpu-rt-msg-full");
    this.details.append(sum, this.full);
    this.el.append(this.line, this.details);
  }

  /** Show `summary` with `full` behind the disclosure ("" hides the block). */
  set(summary: string, full = ""): void {
    const sig = `${summary}\u0000${full}`;
    if (sig === this.last) return;
    this.last = sig;
    this.line.textContent = summary;
    this.line.title = full !== "" ? full : summary;
    const more = full.trim() !== "" && full.trim() !== summary.trim();
    this.full.textContent = more ? full : "";
    this.details.style.display = more ? "" : "none";
    if (!more) this.details.open = false;
    this.el.style.display = summary === "" ? "none" : "";
  }

  get text(): string {
    return this.line.textContent ?? "";
  }
}

/** The same line in a row's lower-case style ("refused: …"). */
export function rowLine(line: string): string {
  return line.charAt(0).toLowerCase() + line.slice(1);
}

/** A one-off message element (summary + disclosure). */
export function messageBlock(doc: Document, summary: string, full: string, className = ""): HTMLElement {
  const b = new MessageBlock(doc, className);
  b.set(summary, full);
  return b.el;
}
