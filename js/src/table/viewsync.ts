/**
 * `_view` (JS → Python): the display order, debounced, sent only when it differs from the last
 * value any view of the model sent (`RowStore.lastViewSent`), so views do not echo each other.
 * The selection's sync (`selected_keys`) is store/selectedkeys.ts.
 */
import type { AnyModel } from "@anywidget/types";
import type { WidgetModel } from "../core/model";
import type { ViewValue } from "../core/protocol";
import type { RowStore } from "../store/rowstore";

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
