/**
 * The refusal an estimate predicts (`refusal: {label, kind, summary}` in Python's estimate
 * reply), kept per store by estimate id so the review panel can disable "Confirm payment" and
 * say why. Listeners run after the store has filed the same reply.
 */
import { readRefusal, type PredictedRefusal } from "../ui/messages";
import { onCustomMessage } from "../core/model";
import type { RowStore } from "../store/store";
import { isRecord } from "../core/types";

interface Tracker {
  refusals: Map<string, PredictedRefusal | null>;
  listeners: Set<(id: string) => void>;
}

const trackers = new WeakMap<RowStore, Tracker>();

function tracker(store: RowStore): Tracker {
  let t = trackers.get(store);
  if (t === undefined) {
    const made: Tracker = { refusals: new Map(), listeners: new Set() };
    onCustomMessage(store.model, (content) => {
      if (!isRecord(content) || content["type"] !== "estimate") return;
      const id = content["id"];
      if (typeof id !== "string" || id === "") return;
      made.refusals.set(id, readRefusal(content["refusal"]));
      for (const cb of Array.from(made.listeners)) cb(id);
    });
    trackers.set(store, made);
    t = made;
  }
  return t;
}

/** The refusal predicted by estimate `id` (null: none, or no answer yet). */
export function refusalOf(store: RowStore, id: string): PredictedRefusal | null {
  return tracker(store).refusals.get(id) ?? null;
}

/** Call `cb(id)` after each estimate reply; returns the function that stops it. */
export function onRefusal(store: RowStore, cb: (id: string) => void): () => void {
  const t = tracker(store);
  t.listeners.add(cb);
  return () => t.listeners.delete(cb);
}
