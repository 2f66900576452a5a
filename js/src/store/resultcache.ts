/**
 * Results of the store's rows: the `results` demand (rows on screen without one, answered with
 * patches) and whole results by response address for the detail and compare views (asked with
 * `{"type": "result"}` through the one request helper), the most recently used kept.
 */
import { ask, sendMessage } from "../core/channel";
import { newId } from "../core/ids";
import type { ResultAnswer } from "../core/protocol";
import { ignoreAbort, type StoreContext } from "./events";

/** Result answers kept per store (the most recently used). */
const MAX_RESULTS = 64;

export class ResultCache {
  /** Whole results by response address, least recent first. */
  readonly answers = new Map<string, ResultAnswer>();
  /** Addresses whose result is being asked for. */
  private readonly asking = new Set<string>();

  constructor(private readonly ctx: StoreContext) {}

  /** Ask Python for the results of these rows (it skips those it has or is fetching). */
  demand(addresses: string[]): void {
    try {
      sendMessage(this.ctx.model, { type: "results", addresses });
    } catch (e) {
      this.ctx.notify("error", `Could not ask the kernel for results: ${String(e)}`);
    }
  }

  get(addr: string): ResultAnswer | undefined {
    return this.answers.get(addr);
  }

  /** A result request is in flight for `addr`. */
  pending(addr: string): boolean {
    return this.asking.has(addr);
  }

  /**
   * The whole result of `addr` if known; otherwise ask Python for it (once at a time) and
   * return null (a "result" event follows). `retry` asks again for a failed one.
   */
  result(addr: string, retry = false): ResultAnswer | null {
    const known = this.answers.get(addr);
    if (known && !(retry && known.kind === "error")) {
      this.touch(addr, known);
      return known;
    }
    if (this.asking.has(addr)) return null;
    const { model, signal, notify } = this.ctx;
    this.asking.add(addr);
    ask(model, { type: "result", id: newId(), response: addr }, { signal }).then(
      (answer) => {
        this.asking.delete(addr);
        this.keep(addr, answer);
      },
      ignoreAbort(signal, (e) => {
        this.asking.delete(addr);
        notify("error", `Could not ask the kernel for a result: ${String(e)}`);
      }),
    );
    return null;
  }

  /** Store `answer` as the most recently used. */
  private touch(addr: string, answer: ResultAnswer): void {
    this.answers.delete(addr);
    this.answers.set(addr, answer);
  }

  private keep(addr: string, answer: ResultAnswer): void {
    this.touch(addr, answer);
    while (this.answers.size > MAX_RESULTS) {
      const oldest = this.answers.keys().next().value;
      if (oldest === undefined) break;
      this.answers.delete(oldest);
    }
    this.ctx.events.emit("result", addr);
  }
}
