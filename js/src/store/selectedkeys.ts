/**
 * The selection (`selected_keys`, both ways), shared by every view of the model. A value from
 * Python that equals the current selection is our own echo (or nothing new) and is ignored; a
 * user selection equal to the current one is not re-sent.
 */
import type { AnyModel } from "@anywidget/types";
import { onTraitChange, type WidgetModel } from "../core/model";
import type { StoreContext } from "./events";

/** The `selected_keys` trait as a list of strings (anything else is ignored). */
export function readSelectedKeys(model: AnyModel<WidgetModel>): string[] {
  const v: unknown = model.get("selected_keys");
  return Array.isArray(v) ? v.filter((k): k is string => typeof k === "string") : [];
}

/** Same keys, ignoring order and duplicates in `a`. */
export function sameKeys(a: readonly string[], b: ReadonlySet<string>): boolean {
  if (a.length !== b.size) {
    // duplicates in `a` could still make it equal
    const s = new Set(a);
    if (s.size !== b.size) return false;
    for (const k of s) if (!b.has(k)) return false;
    return true;
  }
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

export function sameSelection(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}

/**
 * Python changed `selected_keys`: the new selection, or null when it equals `current` (our own
 * echo, or nothing new).
 */
export function incomingSelection(model: AnyModel<WidgetModel>, current: ReadonlySet<string>): Set<string> | null {
  const keys = readSelectedKeys(model);
  return sameKeys(keys, current) ? null : new Set(keys);
}

/** Send a user selection to Python (throws what the model throws). */
export function sendSelection(model: AnyModel<WidgetModel>, keys: ReadonlySet<string>): void {
  model.set("selected_keys", Array.from(keys));
  model.save_changes();
}

export class SelectedKeys {
  keys: Set<string>;

  constructor(private readonly ctx: StoreContext) {
    this.keys = new Set(readSelectedKeys(ctx.model));
  }

  /** Follow Python's changes; returns the function that stops. */
  listen(): () => void {
    return onTraitChange(this.ctx.model, "selected_keys", () => {
      const keys = incomingSelection(this.ctx.model, this.keys);
      if (keys === null) return; // our own echo, or nothing new
      this.keys = keys;
      this.ctx.events.emit("selection", undefined);
    });
  }

  /** User changed the selection: store it and sync to Python (not re-sent when unchanged). */
  set(keys: Set<string>): void {
    if (sameSelection(keys, this.keys)) return;
    this.keys = keys;
    try {
      sendSelection(this.ctx.model, keys);
    } catch (e) {
      this.ctx.notify("error", `Could not sync the selection: ${String(e)}`);
    }
    this.ctx.events.emit("selection", undefined);
  }
}
