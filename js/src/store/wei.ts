/**
 * Exact payments (wei as decimal strings) asked of Python with the `wei` custom message (the
 * snapshot carries only the float OGPU), through the one request helper: `requestWei` is the one
 * way to ask, for some rows (the review panel, the detail view, the payment tooltips; answers
 * cached per store: payments never change) or for every row in row order (the export; not kept).
 */
import type { AnyModel } from "@anywidget/types";
import { ask, type AskOptions } from "../core/channel";
import { newId } from "../core/ids";
import type { WidgetModel } from "../core/model";
import { readWei } from "../core/protocol";
import type { Scalar } from "../core/types";
import { ignoreAbort, type StoreContext } from "./events";

/** Most addresses one per-row request asks for. */
const MAX_ASK = 500;

/**
 * Ask for the wei of `addresses` (by address), or of every row in row order (`undefined`).
 * Resolves to the values ("" where the kernel knows none); rejects with the kernel's error.
 */
export async function requestWei(
  model: AnyModel<WidgetModel>,
  addresses: readonly string[] | undefined,
  options: AskOptions = {},
): Promise<string[]> {
  const id = newId();
  const msg = addresses === undefined ? { type: "wei" as const, id } : { type: "wei" as const, id, addresses: [...addresses] };
  const reply = await ask(model, msg, options);
  if (reply.error !== "") throw new Error(reply.error);
  return reply.values ?? [];
}

/** The per-row wei of a store. */
export class WeiCache {
  private readonly known = new Map<string, string>();
  private readonly asked = new Set<string>();

  constructor(
    private readonly ctx: StoreContext,
    /** The row's `payment` as patched (exact wei when a patch carried it). */
    private readonly patched: (address: string) => Scalar,
  ) {}

  /** The exact wei of row `address` when known ("" otherwise): a patched `payment`, or an answer. */
  of(address: string): string {
    return readWei(this.patched(address)) || (this.known.get(address) ?? "");
  }

  /** Ask Python once for the wei of `addresses` (at most 500); `done` runs when they arrive. */
  fetch(addresses: readonly string[], done: () => void): void {
    const want = addresses.filter((a) => a !== "" && !this.known.has(a) && !this.asked.has(a)).slice(0, MAX_ASK);
    if (want.length === 0) return;
    for (const a of want) this.asked.add(a);
    const { model, signal } = this.ctx;
    const finish = (values: readonly string[]): void => {
      want.forEach((a, i) => {
        const v = values[i] ?? "";
        if (v !== "") this.known.set(a, v);
      });
      for (const a of want) this.asked.delete(a);
      done();
    };
    requestWei(model, want, { signal }).then(
      finish,
      ignoreAbort(signal, () => finish([])),
    );
  }
}
