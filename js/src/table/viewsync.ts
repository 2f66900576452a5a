/**
 * What the front-end tells Python about the view, and how it avoids echo loops:
 *
 * - `_view` (JS → Python): the display order, debounced, sent only when it differs from the last
 *   value any view of the model sent (`RowStore.lastViewSent`);
 * - `selected_keys` (both ways): the store's selection. A value from Python that equals the
 *   current selection is our own echo (or nothing new) and is ignored; a user selection equal to
 *   the current one is not re-sent.
 */
import type { AnyModel } from "@anywidget/types";
import type { ViewValue, WidgetModel } from "../core/model";
import type { RowStore } from "../store/store";

// ---- selected_keys --------------------------------------------------------------------------

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

// ---- _view ------------------------------------------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Little-endian uint32 bytes as a DataView. */
export function positionsView(positions: Uint32Array): DataView {
  if (LITTLE_ENDIAN) {
    const copy = positions.slice();
    return new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  }
  const dv = new DataView(new ArrayBuffer(positions.length * 4));
  for (let i = 0; i < positions.length; i++) dv.setUint32(i * 4, positions[i] ?? 0, true);
  return dv;
}

function equalU32(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The view as the table currently shows it. */
export interface CurrentView {
  /** Every row in snapshot order (no sort, filter or search). */
  all: boolean;
  /** Display order (snapshot indices), or null for snapshot order. */
  order: Uint32Array | null;
}

/** Debounced sender of the `_view` trait for one table view. */
export class ViewSync {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly model: AnyModel<WidgetModel>,
    private readonly store: RowStore,
    private readonly current: () => CurrentView,
    private readonly debounceMs: number,
  ) {}

  /** The view changed: send it after the debounce delay (restarts a pending delay). */
  schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(), this.debounceMs);
  }

  get pending(): boolean {
    return this.timer !== null;
  }

  /** Send a pending view now. */
  flush(): void {
    if (this.timer !== null) this.send();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Send the current view unless it equals the last one sent. */
  send(): void {
    this.cancel();
    const { all, order } = this.current();
    const store = this.store;
    let positions: Uint32Array;
    if (all) positions = new Uint32Array(0);
    else if (order !== null) positions = order;
    else {
      positions = new Uint32Array(store.length);
      for (let i = 0; i < positions.length; i++) positions[i] = i;
    }
    const last = store.lastViewSent ?? { all: true, positions: new Uint32Array(0) };
    if (last.all === all && (all || equalU32(last.positions, positions))) return;
    const copy = positions.slice();
    store.lastViewSent = { all, positions: copy };
    const value: ViewValue = {
      all,
      positions: all ? new DataView(new ArrayBuffer(0)) : positionsView(copy),
    };
    try {
      this.model.set("_view", value);
      this.model.save_changes();
    } catch (e) {
      store.notify("error", `Could not send the view to Python: ${String(e)}`);
    }
  }
}
