/** The state of an open review, and what it says about the other responses of the task. */
import { toText } from "../core/format";
import type { RowStore } from "../store/rowstore";

export interface ReviewState {
  address: string;
  base: number;
  estimateId: string;
  /** "review" until "Confirm payment" is clicked, then "submitted". */
  phase: "review" | "submitted";
  requestId: string | null;
}

export interface ReviewPanelCallbacks {
  onConfirm(): void;
  onCancel(): void;
}

/** Snapshot rows of the task of row `base` (this one included), in snapshot order. */
export function taskRows(store: RowStore, base: number): number[] {
  const task = store.get("task", base);
  if (task === null) return [base];
  const index = store.cached("task-rows", "task", () => {
    const m = new Map<string, number[]>();
    for (let i = 0; i < store.length; i++) {
      const t = toText(store.get("task", i));
      let list = m.get(t);
      if (!list) {
        list = [];
        m.set(t, list);
      }
      list.push(i);
    }
    return m;
  });
  return index.get(toText(task)) ?? [base];
}

/** What the review panel says about the other responses of the task. */
export function othersText(n: number): string {
  if (n <= 0) return "No other response of this task is in the table.";
  return n === 1
    ? "1 other response of this task will not be paid."
    : `${n} other responses of this task will not be paid.`;
}
