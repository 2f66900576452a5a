/**
 * Exact payments (wei as decimal strings) asked of Python with the `wei` custom message: the
 * snapshot carries only the float OGPU. Per-row answers are cached per store (payments never
 * change); the whole-table answer (for the export) is not kept.
 */
import { onCustomMessage, sendMessage } from "../core/model";
import { newId, type RowStore } from "./store";
import { isRecord } from "../core/types";

const DIGITS = /^[0-9]+$/;
const cache = new WeakMap<RowStore, Map<string, string>>();
const asked = new WeakMap<RowStore, Set<string>>();

/** The exact wei of row `address` when known ("" otherwise): a patched `payment`, or an answer. */
export function weiOf(store: RowStore, address: string): string {
  const base = store.indexOf(address);
  const patched = base >= 0 ? store.get("payment", base) : null;
  if (typeof patched === "string" && DIGITS.test(patched)) return patched;
  return cache.get(store)?.get(address) ?? "";
}

/** Ask Python once for the wei of `addresses` (at most 500); `done` runs when they arrive. */
export function fetchWei(store: RowStore, addresses: readonly string[], done: () => void): void {
  const known = cache.get(store) ?? new Map<string, string>();
  cache.set(store, known);
  const pending = asked.get(store) ?? new Set<string>();
  asked.set(store, pending);
  const want = addresses.filter((a) => a !== "" && !known.has(a) && !pending.has(a)).slice(0, 500);
  if (want.length === 0) return;
  for (const a of want) pending.add(a);
  const id = newId();
  const stop = onCustomMessage(store.model, (content) => {
    if (!isRecord(content) || content["type"] !== "wei" || content["id"] !== id) return;
    stop();
    const values = content["values"];
    if (Array.isArray(values)) {
      want.forEach((a, i) => {
        const v: unknown = values[i];
        if (typeof v === "string" && DIGITS.test(v)) known.set(a, v);
      });
    }
    for (const a of want) pending.delete(a);
    done();
  });
  try {
    sendMessage(store.model, { type: "wei", id, addresses: [...want] });
  } catch {
    stop();
    for (const a of want) pending.delete(a);
  }
}
