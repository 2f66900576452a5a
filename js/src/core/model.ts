/**
 * The widget model: every synced trait of `ResponseTable` (ogpu_widgets/table.py) with its type,
 * as documented in docs/widget-protocol.md. Every `model.get`/`model.set` goes through
 * `AnyModel<WidgetModel>`, so trait names and value shapes are checked by the compiler.
 *
 * The types say what the protocol promises; values still come from the kernel, so the code that
 * reads them keeps validating at run time.
 */
import type { AnyModel } from "@anywidget/types";
import type { BannerValue, ColumnSpec, LiveStatusValue, PatchMessage, ReplyValue } from "./types";
import type { WalletAccountEvent, WalletReply } from "../wallet/wallet";

/** A traitlets `Dict()` before Python first sets it. */
export type EmptyDict = Record<string, never>;

/** `_view` (JS → Python): the display order, sent debounced. */
export interface ViewValue {
  all: boolean;
  /** Little-endian uint32 snapshot row indices, in display order (empty when `all`). */
  positions: DataView;
}

/** `_confirm_request` (JS → Python): set by the review panel's "Confirm payment" button. */
export interface ConfirmRequestValue {
  id: string;
  response: string;
}

/** `column_layout` (both ways): the user's column order, hidden columns and widths (px). */
export interface ColumnLayoutValue {
  order: string[];
  hidden: string[];
  widths: Record<string, number>;
}

export interface WidgetModel {
  /** Arrow IPC stream of the base snapshot. */
  _rows: DataView;
  _rows_version: number;
  columns: ColumnSpec[];
  _patch: PatchMessage | EmptyDict;
  read_only: boolean;
  account: string;
  explorer_url: string;
  banner: BannerValue | EmptyDict;
  /** Both ways. */
  selected_keys: string[];
  /** JS → Python. */
  _view: ViewValue | EmptyDict;
  /** JS → Python. */
  _confirm_request: ConfirmRequestValue | EmptyDict;
  _reply: ReplyValue | EmptyDict;
  /** Both ways: the table follows the chain (the toolbar's live/paused switch). */
  live: boolean;
  _live_status: LiveStatusValue | EmptyDict;
  /** Both ways: set by the header and the column menu, applied on load. */
  column_layout: ColumnLayoutValue | EmptyDict;
}

export type TraitName = keyof WidgetModel;

/** Custom messages JS → Python (`model.send`). */
export type OutgoingMessage =
  | { type: "resync" }
  /** Once per view, after its first rows are painted: the kernel starts background lookups. */
  | { type: "painted" }
  | { type: "estimate"; id: string; response: string }
  /** The rows on or near the screen whose results are not known yet (capped, debounced). */
  | { type: "results"; addresses: string[] }
  /** The whole result of one row, for the detail and compare views. */
  | { type: "result"; id: string; response: string }
  /** Read the table's scope again (the toolbar's Refresh button; `table.refresh()`). */
  | { type: "refresh" }
  /** Exact payments (wei as decimal strings): of `addresses`, or of every row in row order. */
  | { type: "wei"; id: string; addresses?: string[] }
  /** The page's answer to a wallet request (`account="browser"`; see wallet.ts). */
  | WalletReply
  /** The wallet's account changed. */
  | WalletAccountEvent;

/** Listen to `change:<trait>`; returns the function that stops listening. */
export function onTraitChange(model: AnyModel<WidgetModel>, trait: TraitName, cb: () => void): () => void {
  const event = `change:${trait}` as const;
  model.on(event, cb);
  return () => model.off(event, cb);
}

/** Listen to custom messages from Python; returns the function that stops listening. */
export function onCustomMessage(model: AnyModel<WidgetModel>, cb: (content: unknown) => void): () => void {
  const handler = (content: unknown): void => cb(content);
  model.on("msg:custom", handler);
  return () => model.off("msg:custom", handler);
}

/** `model.send` restricted to the messages the protocol defines. */
export function sendMessage(model: AnyModel<WidgetModel>, msg: OutgoingMessage): void {
  model.send(msg);
}
