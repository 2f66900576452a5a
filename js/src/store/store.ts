/**
 * The per-model row store: the decoded `_rows` snapshot plus the `_patch` overlay, the selection
 * (synced with `selected_keys`), pending confirm requests and fee estimates. Shared by every view
 * of the model.
 */
import {
  appendRows,
  decodeSnapshot,
  EMPTY_SNAPSHOT,
  type BaseColumn,
  type Snapshot,
} from "../data/arrow";
import { PackedAddressColumn, StringColumn } from "../data/textcolumns";
import type { AnyModel } from "@anywidget/types";
import { onCustomMessage, onTraitChange, sendMessage, type WidgetModel } from "../core/model";
import { parseResultAnswer, type ResultAnswer } from "../results/results";
import { isTerminal } from "../core/states";
import { KEY_COLUMN, isRecord, type EstimateReply, type ReplyValue, type Scalar } from "../core/types";
import { incomingSelection, readSelectedKeys, sameSelection, sendSelection } from "../table/viewsync";

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

export interface PendingRequest {
  id: string;
  /** True once Python's patches started reporting progress for this request. */
  acked: boolean;
}

export interface EstimateState {
  address: string;
  pending: boolean;
  fee: number | null;
  error: string;
}

export interface Notice {
  id: number;
  level: "info" | "error";
  message: string;
}

export interface StoreEvents {
  rows: RowsChange;
  selection: undefined;
  confirm: string | null;
  estimate: string;
  /** A result answer arrived for this address. */
  result: string;
  notices: undefined;
}

/** Result answers kept per store (the most recently used). */
const MAX_RESULTS = 64;
/** How long a row that just appeared on chain stays highlighted (ms). */
export const FRESH_MS = 4000;

type Listener<T> = (arg: T) => void;

/** A fresh request id: crypto.randomUUID when available, otherwise a random v4-style id. */
export function newId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      /* non-secure context: fall through */
    }
  }
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Convert a JSON patch value to a Scalar. */
export function toScalar(v: unknown): Scalar {
  if (v == null) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isNaN(v) ? null : v;
  if (typeof v === "bigint") return Number(v);
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null;
  }
}

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
  selection: Set<string> = new Set();
  readonly requests = new Map<string, PendingRequest>();
  /** Outcome of finished requests by id: "rejected" (a `_reply` error) or "done". */
  readonly outcomes = new Map<string, "rejected" | "done">();
  readonly replyErrors = new Map<string, string>();
  readonly estimates = new Map<string, EstimateState>();
  /** Whole results by response address (detail and compare views), least recent first. */
  readonly results = new Map<string, ResultAnswer>();
  /** Result requests in flight: id → address. */
  private readonly resultIds = new Map<string, string>();
  notices: Notice[] = [];
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
  private listeners: { [K in keyof StoreEvents]?: Set<Listener<StoreEvents[K]>> } = {};
  private noticeSeq = 0;
  /** The patch seq whose gap already asked for a resync. */
  private gapSeq = -1;
  private disposed = false;
  private readonly unlisten: (() => void)[] = [];

  /** Shared stores are registered so that every view of the model finds them. */
  private readonly shared: boolean;

  constructor(model: AnyModel<WidgetModel>, options: { shared?: boolean } = {}) {
    this.model = model;
    this.shared = options.shared ?? true;
    if (this.shared) registry.set(model, this);
    this.rebuildIfNeeded(true);
    this.selection = new Set(readSelectedKeys(model));
    const p: unknown = model.get("_patch");
    if (isRecord(p)) this.applyPatch(p, false);

    this.unlisten.push(
      onTraitChange(model, "_rows", () => this.rebuildIfNeeded(false)),
      onTraitChange(model, "_rows_version", () => this.rebuildIfNeeded(false)),
      onTraitChange(model, "_patch", () => {
        this.rebuildIfNeeded(false);
        const v: unknown = model.get("_patch");
        if (isRecord(v)) this.applyPatch(v, true);
      }),
      onTraitChange(model, "selected_keys", () => this.onSelectedKeys()),
      onTraitChange(model, "_reply", () => this.onReply()),
      onCustomMessage(model, (content) => this.onCustom(content)),
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
    this.listeners = {};
  }

  // ---- events ---------------------------------------------------------------------------

  on<K extends keyof StoreEvents>(name: K, cb: Listener<StoreEvents[K]>): () => void {
    let set: Set<Listener<StoreEvents[K]>> | undefined = this.listeners[name];
    if (!set) {
      set = new Set();
      (this.listeners as Record<string, unknown>)[name] = set;
    }
    set.add(cb);
    return () => set.delete(cb);
  }

  private emit<K extends keyof StoreEvents>(name: K, arg: StoreEvents[K]): void {
    const set: Set<Listener<StoreEvents[K]>> | undefined = this.listeners[name];
    if (!set) return;
    for (const cb of Array.from(set)) {
      try {
        cb(arg);
      } catch (e) {
        console.error("[ogpu-widgets]", e);
      }
    }
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
    if (this.shared) registerAlias(rows, this);
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
  applyPatch(p: Record<string, unknown>, emit: boolean): void {
    const seq = p["seq"];
    if (typeof seq !== "number" || !(seq > this.lastSeq)) return;
    this.lastSeq = seq;
    const added = isRecord(p["append"]) ? this.applyAppend(p["append"], seq) : null;
    const rows = isRecord(p["rows"]) ? p["rows"] : {};
    const touchedRows = new Set<number>();
    const touchedCols = new Set<string>();
    let unknown = 0;
    for (const addr of Object.keys(rows)) {
      const changes = rows[addr];
      if (!isRecord(changes)) continue;
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
        if (col === "action") this.onAction(addr, v);
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
  private applyAppend(a: Record<string, unknown>, seq: number): { from: number; to: number; fresh: boolean } | null {
    const start = a["start"];
    if (typeof start !== "number" || !Number.isInteger(start) || start < 0) return null;
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
      added = decodeSnapshot(a["rows"]);
    } catch (e) {
      this.notify("error", `Could not decode new rows: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    const skip = have - start; // rows of this message the store already holds
    if (added.length <= skip) return null;
    try {
      this.snapshot = skip === 0 ? appendRows(this.snapshot, added) : this.appendTail(added, skip);
    } catch (e) {
      this.notify("error", `Could not add new rows: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    const to = this.snapshot.length;
    const fresh = a["new"] === true;
    if (fresh) {
      const now = Date.now();
      for (let i = have; i < to; i++) this.freshAt.set(i, now);
    }
    this.rowsVersion++;
    this.keyIndex = null;
    return { from: have, to, fresh };
  }

  /** The snapshot with the rows of `value` after its first `skip` rows appended (a resync). */
  private appendTail(added: Snapshot, skip: number): Snapshot {
    const base = this.snapshot;
    const length = base.length + added.length - skip;
    const columns = new Map<string, BaseColumn>();
    for (const name of new Set([...base.columns.keys(), ...added.columns.keys()])) {
      const first = base.columns.get(name);
      const second = added.columns.get(name);
      const split = base.length;
      columns.set(name, {
        length,
        get: (i: number): Scalar =>
          i < split ? (first ? first.get(i) : null) : second ? second.get(i - split + skip) : null,
      });
    }
    return { length, columns };
  }

  /** True while row `i` is highlighted as just added. */
  isFresh(i: number, now: number = Date.now()): boolean {
    const t = this.freshAt.get(i);
    if (t === undefined) return false;
    if (now - t < FRESH_MS) return true;
    this.freshAt.delete(i);
    return false;
  }

  private onAction(addr: string, action: Scalar): void {
    const req = this.requests.get(addr);
    // any non-empty value acknowledges the request (Python started working on it)
    if (!req || typeof action !== "string" || action.length === 0) return;
    req.acked = true;
    if (isTerminal(action)) {
      this.requests.delete(addr);
      this.outcomes.set(req.id, "done");
    }
    this.emit("confirm", addr);
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
      const m = new Map<string, number>();
      const base = this.snapshot.columns.get(KEY_COLUMN);
      if (base) {
        if (base instanceof StringColumn || base.dict) {
          const all: readonly (Scalar | undefined)[] =
            base instanceof StringColumn ? base.materialize() : codesToValues(base);
          for (let i = 0; i < all.length; i++) {
            const k = all[i];
            if (typeof k === "string" && !m.has(k)) m.set(k, i);
          }
        } else {
          for (let i = 0; i < base.length; i++) {
            const k = base.get(i);
            if (typeof k === "string" && !m.has(k)) m.set(k, i);
          }
        }
      }
      this.keyIndex = m;
    }
    return this.keyIndex.get(addr) ?? -1;
  }

  // ---- selection ------------------------------------------------------------------------

  private onSelectedKeys(): void {
    const keys = incomingSelection(this.model, this.selection);
    if (keys === null) return; // our own echo, or nothing new
    this.selection = keys;
    this.emit("selection", undefined);
  }

  /** User changed the selection: store it and sync to Python (not re-sent when unchanged). */
  setSelection(keys: Set<string>): void {
    if (sameSelection(keys, this.selection)) return;
    this.selection = keys;
    try {
      sendSelection(this.model, keys);
    } catch (e) {
      this.notify("error", `Could not sync the selection: ${String(e)}`);
    }
    this.emit("selection", undefined);
  }

  // ---- confirm requests -----------------------------------------------------------------

  /** Send a `_confirm_request` for `addr` (once; returns the id, or null if one is pending). */
  requestConfirm(addr: string): string | null {
    if (this.requests.has(addr)) return null;
    const id = newId();
    this.requests.set(addr, { id, acked: false });
    this.replyErrors.delete(addr);
    try {
      this.model.set("_confirm_request", { id, response: addr });
      this.model.save_changes();
    } catch (e) {
      this.requests.delete(addr);
      this.outcomes.set(id, "rejected");
      this.replyErrors.set(addr, String(e));
      this.notify("error", `Could not send the confirm request: ${String(e)}`);
    }
    this.emit("confirm", addr);
    return id;
  }

  private onReply(): void {
    const v: unknown = this.model.get("_reply");
    if (!isRecord(v)) return;
    const reply = v as Partial<ReplyValue>;
    if (reply.ok !== false) return;
    const id = typeof reply.id === "string" ? reply.id : "";
    const error = typeof reply.error === "string" && reply.error !== "" ? reply.error : "request rejected";
    let addr: string | null = null;
    for (const [a, req] of this.requests) {
      if (req.id === id) {
        addr = a;
        break;
      }
    }
    if (addr !== null) {
      this.requests.delete(addr);
      this.outcomes.set(id, "rejected");
      this.replyErrors.set(addr, error);
      this.notify("error", `Confirm ${addr} failed: ${error}`);
      this.emit("confirm", addr);
    } else {
      this.notify("error", error);
      this.emit("confirm", null);
    }
  }

  // ---- estimates ------------------------------------------------------------------------

  requestEstimate(addr: string): string {
    const id = newId();
    this.estimates.set(id, { address: addr, pending: true, fee: null, error: "" });
    try {
      sendMessage(this.model, { type: "estimate", id, response: addr });
    } catch (e) {
      this.estimates.set(id, { address: addr, pending: false, fee: null, error: String(e) });
    }
    return id;
  }

  // ---- results --------------------------------------------------------------------------

  /** Ask Python for the results of these rows (it skips those it has or is fetching). */
  requestResults(addresses: string[]): void {
    try {
      sendMessage(this.model, { type: "results", addresses });
    } catch (e) {
      this.notify("error", `Could not ask the kernel for results: ${String(e)}`);
    }
  }

  /**
   * The whole result of `addr` if known; otherwise ask Python for it (once at a time) and
   * return null (a "result" event follows). `retry` asks again for a failed one.
   */
  result(addr: string, retry = false): ResultAnswer | null {
    const known = this.results.get(addr);
    if (known && !(retry && known.kind === "error")) {
      this.results.delete(addr);
      this.results.set(addr, known);
      return known;
    }
    for (const a of this.resultIds.values()) if (a === addr) return null;
    const id = newId();
    this.resultIds.set(id, addr);
    try {
      sendMessage(this.model, { type: "result", id, response: addr });
    } catch (e) {
      this.resultIds.delete(id);
      this.notify("error", `Could not ask the kernel for a result: ${String(e)}`);
    }
    return null;
  }

  /** A result request is in flight for `addr`. */
  resultPending(addr: string): boolean {
    for (const a of this.resultIds.values()) if (a === addr) return true;
    return false;
  }

  private onResult(content: unknown): void {
    const answer = parseResultAnswer(content);
    if (answer === null) return;
    const addr = this.resultIds.get(answer.id);
    if (addr === undefined) return; // not ours (another view's store, or a stale id)
    this.resultIds.delete(answer.id);
    this.results.delete(addr);
    this.results.set(addr, answer);
    while (this.results.size > MAX_RESULTS) {
      const oldest = this.results.keys().next().value;
      if (oldest === undefined) break;
      this.results.delete(oldest);
    }
    this.emit("result", addr);
  }

  private onCustom(content: unknown): void {
    if (isRecord(content) && content["type"] === "result") {
      this.onResult(content);
      return;
    }
    if (!isRecord(content) || content["type"] !== "estimate") return;
    const msg = content as Partial<EstimateReply>;
    const id = typeof msg.id === "string" ? msg.id : "";
    const prev = this.estimates.get(id);
    if (!prev) return;
    const fee = typeof msg.fee_ogpu === "number" && Number.isFinite(msg.fee_ogpu) ? msg.fee_ogpu : null;
    const error = typeof msg.error === "string" ? msg.error : "";
    this.estimates.set(id, {
      address: prev.address,
      pending: false,
      fee,
      error: fee === null && error === "" ? "no estimate" : error,
    });
    this.emit("estimate", id);
  }

  // ---- local notices --------------------------------------------------------------------

  notify(level: "info" | "error", message: string): void {
    this.notices = [...this.notices.slice(-4), { id: ++this.noticeSeq, level, message }];
    if (level === "error") console.warn("[ogpu-widgets]", message);
    this.emit("notices", undefined);
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.emit("notices", undefined);
  }
}

function codesToValues(base: BaseColumn): Scalar[] {
  const d = base.dict;
  if (!d) return [];
  const vals = d.values.all();
  const out = new Array<Scalar>(d.codes.length);
  for (let i = 0; i < d.codes.length; i++) {
    const c = d.codes[i] ?? -1;
    out[i] = c < 0 ? null : (vals[c] ?? null);
  }
  return out;
}

// ---- registry: one store per model ----------------------------------------------------------
//
// anywidget hands `initialize` and each `render` a different proxy object for the same model,
// so the store is also registered under the identity of the current `_rows` value (the same
// DataView object is returned by every proxy's `get`).

const registry = new WeakMap<object, RowStore>();

function registerAlias(key: unknown, store: RowStore): void {
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
