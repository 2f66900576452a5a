import { Table, tableToIPC, vectorFromArray, makeData, makeVector, Dictionary, FixedSizeBinary, Utf8, Int32, Float64, Bool } from "apache-arrow";
import type { AnyModel } from "@anywidget/types";
import type { WidgetModel } from "../src/core/model";
import type { ColumnSpec } from "../src/core/types";

type Cb = (...args: unknown[]) => void;

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return false; // identity only, like Backbone for buffers
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * A tiny stand-in for the anywidget model (Backbone semantics: `set` fires `change:<name>` only
 * when the value changed, synchronously; local sets fire too).
 */
export class FakeModel implements AnyModel<WidgetModel> {
  attrs = new Map<string, unknown>();
  listeners = new Map<string, Set<Cb>>();
  /** Every `save_changes()` call: the attributes set since the previous save. */
  saved: Record<string, unknown>[] = [];
  /** Every `send()` content. */
  sent: unknown[] = [];
  private pending: Record<string, unknown> = {};

  constructor(initial: Record<string, unknown> = {}) {
    for (const [k, v] of Object.entries(initial)) this.attrs.set(k, v);
  }

  readonly widget_manager: AnyModel<WidgetModel>["widget_manager"] = {
    get_model: () => Promise.reject(new Error("no widget manager in tests")),
  };

  get<K extends keyof WidgetModel>(name: K): WidgetModel[K] {
    return this.attrs.get(name) as WidgetModel[K];
  }

  set<K extends keyof WidgetModel>(name: K, value: WidgetModel[K]): void {
    const prev = this.attrs.get(name);
    this.attrs.set(name, value);
    this.pending[name] = value;
    if (!deepEqual(prev, value)) this.trigger(`change:${name}`, this, value);
  }

  save_changes(): void {
    this.saved.push(this.pending);
    this.pending = {};
  }

  send(content: unknown): void {
    this.sent.push(content);
  }

  on(name: string, cb: (...args: never[]) => void): void {
    let s = this.listeners.get(name);
    if (!s) {
      s = new Set();
      this.listeners.set(name, s);
    }
    s.add(cb as Cb);
  }

  off(name?: string | null, cb?: ((...args: never[]) => void) | null): void {
    if (name == null) this.listeners.clear();
    else if (!cb) this.listeners.delete(name);
    else this.listeners.get(name)?.delete(cb as Cb);
  }

  trigger(name: string, ...args: unknown[]): void {
    for (const cb of Array.from(this.listeners.get(name) ?? [])) cb(...args);
  }

  /** Python changes one or more traits in one message: all values first, then the events. */
  pySet(values: Record<string, unknown>): void {
    const changed: string[] = [];
    for (const [k, v] of Object.entries(values)) {
      if (!deepEqual(this.attrs.get(k), v)) changed.push(k);
      this.attrs.set(k, v);
    }
    for (const k of changed) this.trigger(`change:${k}`, this, values[k]);
  }

  /** Python sends a custom message; resolves once the answers it settles have been handled. */
  async pyMsg(content: unknown): Promise<void> {
    this.trigger("msg:custom", content, []);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  /** Values saved for `name`, in order. */
  savedValues(name: string): unknown[] {
    return this.saved.filter((s) => name in s).map((s) => s[name]);
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}

export function addr(i: number): string {
  // deterministic mixed-case 40-hex-digit address
  const hex = (i * 2654435761 + 0x1234).toString(16).padStart(8, "0").slice(-8);
  const body = `${hex}${"0".repeat(24)}${i.toString(16).padStart(8, "0")}`.slice(0, 40);
  return `0x${body.replace(/[a-f]/g, (c, k: number) => (k % 2 ? c.toUpperCase() : c))}`;
}

export interface RowInit {
  address?: string;
  task?: string;
  provider?: string;
  data?: string;
  payment?: string;
  payment_ogpu?: number;
  status?: string;
  confirmed?: boolean;
  timestamp?: number;
  task_status?: string;
  can_confirm?: boolean;
  reason?: string;
  action?: string;
  tx_hash?: string;
  action_error?: string;
}

export function makeRows(n: number, f: (i: number) => RowInit = () => ({})): Required<RowInit>[] {
  const out: Required<RowInit>[] = [];
  for (let i = 0; i < n; i++) {
    const r = f(i);
    out.push({
      address: r.address ?? addr(i),
      task: r.task ?? addr(1_000_000 + (i % 7)),
      provider: r.provider ?? addr(2_000_000 + (i % 13)),
      data: r.data ?? `result ${i}`,
      payment: r.payment ?? String(BigInt(i + 1) * 10n ** 15n),
      payment_ogpu: r.payment_ogpu ?? (i + 1) / 1000,
      status: r.status ?? (i % 3 === 0 ? "confirmed" : "submitted"),
      confirmed: r.confirmed ?? i % 3 === 0,
      timestamp: r.timestamp ?? 1_790_000_000 + i * 60,
      task_status: r.task_status ?? (i % 2 === 0 ? "responded" : "finalized"),
      can_confirm: r.can_confirm ?? i % 3 !== 0,
      reason: r.reason ?? (i % 3 === 0 ? "task finalized" : ""),
      action: r.action ?? "",
      tx_hash: r.tx_hash ?? "",
      action_error: r.action_error ?? "",
    });
  }
  return out;
}

function dictVector(values: string[]) {
  return vectorFromArray(values, new Dictionary(new Utf8(), new Int32()));
}

/** Arrow IPC stream bytes like the Python side sends (string columns dictionary-encoded). */
/**
 * Addresses packed like the Python side does: 25 bytes each, the 20 address bytes then a
 * 40-bit mask (LSB first) whose bit i says hex digit i is upper case.
 */
export function packAddresses(addresses: string[]) {
  const bytes = new Uint8Array(addresses.length * 25);
  addresses.forEach((a, r) => {
    const digits = a.slice(2);
    for (let k = 0; k < 20; k++) bytes[r * 25 + k] = parseInt(digits.slice(2 * k, 2 * k + 2), 16);
    for (let i = 0; i < 40; i++) {
      const ch = digits[i]!;
      if (ch !== ch.toLowerCase()) bytes[r * 25 + 20 + (i >> 3)]! |= 1 << (i & 7);
    }
  });
  return makeVector(makeData({ type: new FixedSizeBinary(25), length: addresses.length, data: bytes }));
}

export interface IpcOptions {
  dictionary?: boolean;
  dictionaryAll?: boolean;
  packedAddress?: boolean;
}

export function ipcBytes(rows: Required<RowInit>[], opts: IpcOptions = {}): Uint8Array {
  const dict = opts.dictionary ?? true;
  const all = opts.dictionaryAll ?? false;
  const col = (k: keyof RowInit) => rows.map((r) => r[k]);
  const plain = (k: keyof RowInit) => vectorFromArray(col(k) as string[], new Utf8());
  const str = (k: keyof RowInit) => (dict ? dictVector(col(k) as string[]) : plain(k));
  const num = (k: keyof RowInit) => vectorFromArray(col(k) as number[], new Float64());
  const bool = (k: keyof RowInit) => vectorFromArray(col(k) as boolean[], new Bool());
  const table = new Table({
    address: opts.packedAddress
      ? packAddresses(col("address") as string[])
      : all
        ? str("address")
        : plain("address"),
    task: str("task"),
    provider: str("provider"),
    data: all ? str("data") : plain("data"),
    payment: all ? str("payment") : plain("payment"),
    payment_ogpu: num("payment_ogpu"),
    status: str("status"),
    confirmed: bool("confirmed"),
    timestamp: num("timestamp"),
    task_status: str("task_status"),
    can_confirm: bool("can_confirm"),
    reason: str("reason"),
    action: str("action"),
    tx_hash: str("tx_hash"),
    action_error: str("action_error"),
  });
  return tableToIPC(table, "stream");
}

/** As a DataView (what ipywidgets hands over for bytes traits). */
export function ipcDataView(rows: Required<RowInit>[], opts: IpcOptions = {}): DataView {
  const b = ipcBytes(rows, opts);
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export const COLUMNS: ColumnSpec[] = [
  { name: "address", label: "Response", kind: "address" },
  { name: "task", label: "Task", kind: "address" },
  { name: "provider", label: "Provider", kind: "address" },
  { name: "data", label: "Data", kind: "text" },
  { name: "payment", label: "Payment (wei)", kind: "wei" },
  { name: "payment_ogpu", label: "Payment", kind: "ogpu" },
  { name: "status", label: "Status", kind: "category" },
  { name: "confirmed", label: "Confirmed", kind: "bool" },
  { name: "timestamp", label: "Time", kind: "datetime" },
  { name: "task_status", label: "Task status", kind: "category" },
];

export function makeModel(rows: Required<RowInit>[], extra: Record<string, unknown> = {}): FakeModel {
  return new FakeModel({
    _rows: ipcDataView(rows),
    _rows_version: 1,
    columns: COLUMNS,
    _patch: { seq: 0, rows: {} },
    read_only: false,
    account: "0x00000000000000000000000000000000000000Aa",
    explorer_url: "https://ogpuscan.io",
    banner: { level: "info", message: "", seq: 0 },
    selected_keys: [],
    _view: { all: true, positions: new DataView(new ArrayBuffer(0)) },
    _confirm_request: {},
    _reply: {},
    ...extra,
  });
}

/** Decode a `_view.positions` DataView into numbers. */
export function decodePositions(v: unknown): number[] {
  const dv = v as DataView;
  const out: number[] = [];
  for (let i = 0; i < dv.byteLength; i += 4) out.push(dv.getUint32(i, true));
  return out;
}
