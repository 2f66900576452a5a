/**
 * What every part of a row store shares: its typed events, and the context a part is built
 * with (the model, the events, the notices, and the signal that ends its requests).
 */
import type { AnyModel } from "@anywidget/types";
import type { WidgetModel } from "../core/model";

export type RowsChange =
  | { kind: "reset" }
  | { kind: "patch"; rows: ReadonlySet<number>; columns: ReadonlySet<string> }
  /** Rows `from`..`to`-1 were added (then `rows`/`columns` patched); `fresh`: just appeared on chain. */
  | {
      kind: "append";
      from: number;
      to: number;
      fresh: boolean;
      rows: ReadonlySet<number>;
      columns: ReadonlySet<string>;
    };

export interface StoreEvents {
  rows: RowsChange;
  selection: undefined;
  confirm: string | null;
  estimate: string;
  /** A result answer arrived for this address. */
  result: string;
  notices: undefined;
}

type Listener<T> = (arg: T) => void;

/** Typed listeners; a listener that throws is logged and the others still run. */
export class Emitter<E> {
  private listeners: { [K in keyof E]?: Set<Listener<E[K]>> } = {};

  on<K extends keyof E>(name: K, cb: Listener<E[K]>): () => void {
    let set: Set<Listener<E[K]>> | undefined = this.listeners[name];
    if (!set) {
      set = new Set();
      this.listeners[name] = set;
    }
    set.add(cb);
    return () => set.delete(cb);
  }

  emit<K extends keyof E>(name: K, arg: E[K]): void {
    const set: Set<Listener<E[K]>> | undefined = this.listeners[name];
    if (!set) return;
    for (const cb of Array.from(set)) {
      try {
        cb(arg);
      } catch (e) {
        console.error("[ogpu-widgets]", e);
      }
    }
  }

  clear(): void {
    this.listeners = {};
  }
}

export type NoticeLevel = "info" | "error";

/** What a store part is built with. */
export interface StoreContext {
  readonly model: AnyModel<WidgetModel>;
  readonly events: Emitter<StoreEvents>;
  notify(this: void, level: NoticeLevel, message: string): void;
  /** Aborted when the store is disposed: requests in flight stop waiting. */
  readonly signal: AbortSignal;
}

/** A request the store gave up on (disposed): nothing to report. */
export function ignoreAbort(signal: AbortSignal, report: (e: unknown) => void): (e: unknown) => void {
  return (e) => {
    if (!signal.aborted) report(e);
  };
}
