/**
 * The per-model row store: the decoded `_rows` snapshot plus the `_patch` overlay (appended rows
 * included), with lookups by row and by response address. Shared by every view of the model.
 * The store's other concerns are parts it holds: the selection (selectedkeys.ts), confirm
 * requests (confirms.ts), fee estimates (estimates.ts), results (resultcache.ts), exact wei
 * (wei.ts) and notices (notices.ts); their events are one `Emitter` (events.ts).
 */
import type { AnyModel } from "@anywidget/types";
import { sendMessage } from "../core/channel";
import { onTraitChange, type WidgetModel } from "../core/model";
import { readPatch, type Patch } from "../core/protocol";
import { KEY_COLUMN, type Scalar } from "../core/types";
import { appendRows, decodeSnapshot } from "../data/arrow";
import { keyIndexOf } from "../data/keyindex";
import { PackedAddressColumn } from "../data/packedaddress";
import { EMPTY_SNAPSHOT, joinTail, toScalar, type BaseColumn, type Snapshot } from "../data/snapshot";
import { ConfirmRequests } from "./confirms";
import { Estimates } from "./estimates";
import { Emitter, type NoticeLevel, type StoreContext, type StoreEvents } from "./events";
import { Notices } from "./notices";
import { ResultCache } from "./resultcache";
import { SelectedKeys } from "./selectedkeys";
import { WeiCache } from "./wei";

export type { RowsChange, StoreEvents } from "./events";

/** How long a row that just appeared on chain stays highlighted (ms). */
export const FRESH_MS = 4000;

export class RowStore {
  readonly model: AnyModel<WidgetModel>;
  snapshot: Snapshot = EMPTY_SNAPSHOT;
  /** Bumped on every new snapshot. */
  epoch = 0;
  /** Bumped whenever rows are appended (caches over whole columns depend on it). */
  rowsVersion = 0;
  /** Rows appended since the snapshot by live updates: row index → `Date.now()` when added. */
  readonly freshAt = new Map<number, number>();
  lastSeq = -Infinity;
  private readonly events = new Emitter<StoreEvents>();
  private readonly closing = new AbortController();
  /** The page's own notices (shown as banners). */
  readonly notices = new Notices(this.events);
  readonly selected: SelectedKeys;
  readonly confirms: ConfirmRequests;
  readonly estimates: Estimates;
  readonly results: ResultCache;
  readonly wei: WeiCache;
  /** The last sort/filter state of any view, used to initialise new views. */
  uiState: unknown = null;
  /** Last `_view` value sent by any view (so views don't re-send the same value). */
  lastViewSent: { all: boolean; positions: Uint32Array } | null = null;

  private rowsRef: unknown = undefined;
  private version: unknown = undefined;
  private overlays = new Map<string, Map<number, Scalar>>();
  private colVersions = new Map<string, number>();
  private keyIndex: Map<string, number> | null = null;
  private memo = new Map<string, { ver: string; value: unknown }>();
  /** The patch seq whose gap already asked for a resync. */
  private gapSeq = -1;
  private disposed = false;
  private readonly unlisten: (() => void)[] = [];

  /** Shared stores are registered so that every view of the model finds them. */
  private readonly shared: boolean;

  constructor(model: AnyModel<WidgetModel>, options: { shared?: boolean } = {}) {
    this.model = model;
    this.shared = options.shared ?? true;
    const ctx: StoreContext = {
      model,
      events: this.events,
      notify: (level, message) => this.notices.notify(level, message),
      signal: this.closing.signal,
    };
    this.selected = new SelectedKeys(ctx);
    this.confirms = new ConfirmRequests(ctx);
    this.estimates = new Estimates(ctx);
    this.results = new ResultCache(ctx);
    this.wei = new WeiCache(ctx, (address) => {
      const i = this.indexOf(address);
      return i >= 0 ? this.get("payment", i) : null;
    });
    if (this.shared) registerStore(model, this);
    this.rebuildIfNeeded(true);
    const p = readPatch(model.get("_patch"));
    if (p !== null) this.applyPatch(p, false);

    this.unlisten.push(
      onTraitChange(model, "_rows", () => this.rebuildIfNeeded(false)),
      onTraitChange(model, "_rows_version", () => this.rebuildIfNeeded(false)),
      onTraitChange(model, "_patch", () => {
        this.rebuildIfNeeded(false);
        const v = readPatch(model.get("_patch"));
        if (v !== null) this.applyPatch(v, true);
      }),
      this.selected.listen(),
      this.confirms.listen(),
    );
  }

  /** Ask Python for every change since the snapshot (sent once, at startup). */
  resync(): void {
    try {
      sendMessage(this.model, { type: "resync" });
    } catch (e) {
      this.notify("error", `Could not ask the kernel for updates: ${String(e)}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const off of this.unlisten.splice(0)) off();
    this.closing.abort();
    this.events.clear();
  }

  // ---- events ---------------------------------------------------------------------------

  on<K extends keyof StoreEvents>(name: K, cb: (arg: StoreEvents[K]) => void): () => void {
    return this.events.on(name, cb);
  }

  private emit<K extends keyof StoreEvents>(name: K, arg: StoreEvents[K]): void {
    this.events.emit(name, arg);
  }

  notify(level: NoticeLevel, message: string): void {
    this.notices.notify(level, message);
  }

  /** The selected response addresses (shared with Python as `selected_keys`). */
  get selection(): ReadonlySet<string> {
    return this.selected.keys;
  }

  /** User changed the selection: store it and sync to Python (not re-sent when unchanged). */
  setSelection(keys: Set<string>): void {
    this.selected.set(keys);
  }

  // ---- snapshot & patches ---------------------------------------------------------------

  get length(): number {
    return this.snapshot.length;
  }

  private rebuildIfNeeded(initial: boolean): void {
    const rows: unknown = this.model.get("_rows");
    const version: unknown = this.model.get("_rows_version");
    if (!initial && rows === this.rowsRef && version === this.version) return;
    this.rowsRef = rows;
    this.version = version;
    if (this.shared) registerStore(rows, this);
    try {
      this.snapshot = decodeSnapshot(rows);
    } catch (e) {
      this.snapshot = EMPTY_SNAPSHOT;
      this.notify("error", `Could not decode the table data: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.epoch++;
    this.rowsVersion = 0;
    this.freshAt.clear();
    this.lastSeq = -Infinity;
    this.overlays.clear();
    this.colVersions.clear();
    this.keyIndex = null;
    this.memo.clear();
    if (!initial) this.emit("rows", { kind: "reset" });
  }

  /** Apply a `_patch` value (ignored unless its seq is newer than the last applied one). */
  applyPatch(p: Patch, emit: boolean): void {
    const { seq, rows } = p;
    if (!(seq > this.lastSeq)) return;
    this.lastSeq = seq;
    const added = p.append !== null ? this.applyAppend(p.append, seq) : null;
    const touchedRows = new Set<number>();
    const touchedCols = new Set<string>();
    let unknown = 0;
    for (const addr of Object.keys(rows)) {
      const changes = rows[addr] ?? {};
      const idx = this.indexOf(addr);
      if (idx < 0) {
        unknown++;
        continue;
      }
      touchedRows.add(idx);
      for (const col of Object.keys(changes)) {
        if (col === KEY_COLUMN) continue;
        let ov = this.overlays.get(col);
        if (!ov) {
          ov = new Map();
          this.overlays.set(col, ov);
        }
        const v = toScalar(changes[col]);
        ov.set(idx, v);
        touchedCols.add(col);
        if (col === "action") this.confirms.onAction(addr, v);
      }
    }
    if (unknown > 0) {
      console.warn(`[ogpu-widgets] patch ${seq}: ${unknown} row(s) not in the snapshot were ignored`);
    }
    for (const col of touchedCols) this.colVersions.set(col, (this.colVersions.get(col) ?? 0) + 1);
    if (emit && added !== null) {
      this.emit("rows", { kind: "append", ...added, rows: touchedRows, columns: touchedCols });
    } else if (emit && touchedRows.size > 0) {
      this.emit("rows", { kind: "patch", rows: touchedRows, columns: touchedCols });
    }
  }

  /**
   * Append the rows of a patch's `append` (`{start, rows, new}`): the rows from index `start`
   * that the store does not hold yet. A gap (rows missed, e.g. a view created late) asks
   * Python for everything since the snapshot instead. Returns the rows added, or null.
   */
  private applyAppend(a: NonNullable<Patch["append"]>, seq: number): { from: number; to: number; fresh: boolean } | null {
    const { start } = a;
    const have = this.snapshot.length;
    if (start > have) {
      if (this.gapSeq !== seq) {
        this.gapSeq = seq;
        this.resync();
      }
      return null;
    }
    let added: Snapshot;
    try {
      added = decodeSnapshot(a.rows);
    } catch (e) {
      this.notify("error", `Could not decode new rows: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    const skip = have - start; // rows of this message the store already holds
    if (added.length <= skip) return null;
    try {
      this.snapshot = skip === 0 ? appendRows(this.snapshot, added) : joinTail(this.snapshot, added, skip);
    } catch (e) {
      this.notify("error", `Could not add new rows: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    const to = this.snapshot.length;
    const fresh = a.new;
    if (fresh) {
      const now = Date.now();
      for (let i = have; i < to; i++) this.freshAt.set(i, now);
    }
    this.rowsVersion++;
    this.keyIndex = null;
    return { from: have, to, fresh };
  }

  /** True while row `i` is highlighted as just added. */
  isFresh(i: number, now: number = Date.now()): boolean {
    const t = this.freshAt.get(i);
    if (t === undefined) return false;
    if (now - t < FRESH_MS) return true;
    this.freshAt.delete(i);
    return false;
  }

  /** Value of `col` at snapshot row `i`, patches applied. */
  get(col: string, i: number): Scalar {
    const ov = this.overlays.get(col);
    if (ov !== undefined) {
      const v = ov.get(i);
      if (v !== undefined || ov.has(i)) return v ?? null;
    }
    const base = this.snapshot.columns.get(col);
    return base ? base.get(i) : null;
  }

  hasColumn(col: string): boolean {
    return this.snapshot.columns.has(col) || this.overlays.has(col);
  }

  baseColumn(col: string): BaseColumn | undefined {
    return this.snapshot.columns.get(col);
  }

  overlay(col: string): ReadonlyMap<number, Scalar> | undefined {
    return this.overlays.get(col);
  }

  columnNames(): string[] {
    return Array.from(this.snapshot.columns.keys());
  }

  /** A version string for caches over column `col`. */
  columnVersion(col: string): string {
    return `${this.epoch}:${this.rowsVersion}:${this.colVersions.get(col) ?? 0}`;
  }

  /** Memoise `compute()` for column `col` until the column changes. */
  cached<T>(key: string, col: string, compute: () => T): T {
    const ver = this.columnVersion(col);
    const hit = this.memo.get(key);
    if (hit && hit.ver === ver) return hit.value as T;
    const value = compute();
    this.memo.set(key, { ver, value });
    return value;
  }

  keyOf(i: number): string | null {
    const v = this.get(KEY_COLUMN, i);
    return typeof v === "string" ? v : null;
  }

  /** Snapshot index of a response address, or -1. */
  indexOf(addr: string): number {
    const packed = this.snapshot.columns.get(KEY_COLUMN);
    if (packed instanceof PackedAddressColumn) return packed.indexMap().get(addr.toLowerCase()) ?? -1;
    if (!this.keyIndex) {
      const base = this.snapshot.columns.get(KEY_COLUMN);
      this.keyIndex = base ? keyIndexOf(base) : new Map();
    }
    return this.keyIndex.get(addr) ?? -1;
  }
}

// ---- registry: one store per model ----------------------------------------------------------
//
// anywidget hands `initialize` and each `render` a different proxy object for the same model,
// so the store is also registered under the identity of the current `_rows` value (the same
// DataView object is returned by every proxy's `get`).

const registry = new WeakMap<object, RowStore>();

function registerStore(key: unknown, store: RowStore): void {
  if (typeof key === "object" && key !== null) registry.set(key, store);
}

export function unregisterStore(model: AnyModel<WidgetModel>, store: RowStore): void {
  if (registry.get(model) === store) registry.delete(model);
  const rows: unknown = model.get("_rows");
  if (typeof rows === "object" && rows !== null && registry.get(rows) === store) registry.delete(rows);
}

export function findStore(model: AnyModel<WidgetModel>): RowStore | undefined {
  const direct = registry.get(model);
  if (direct) return direct;
  const rows: unknown = model.get("_rows");
  if (typeof rows === "object" && rows !== null) return registry.get(rows);
  return undefined;
}
