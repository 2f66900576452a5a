/**
 * The widget model: every synced trait of `ResponseTable` (ogpu_widgets/table/widget.py) with its
 * type, as documented in docs/widget-protocol.md. Every `model.get`/`model.set` goes through
 * `AnyModel<WidgetModel>`, so trait names and value shapes are checked by the compiler.
 *
 * The types say what the protocol promises; values still come from the kernel, so the code that
 * reads them keeps validating at run time.
 */
import type { AnyModel } from "@anywidget/types";
import type {
  BannerValue,
  ColumnLayoutValue,
  ConfirmRequestValue,
  LiveStatusValue,
  PatchMessage,
  ReplyValue,
  ViewValue,
} from "./protocol";
import type { ColumnSpec } from "./types";

/** A traitlets `Dict()` before Python first sets it. */
export type EmptyDict = Record<string, never>;

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

/** Listen to `change:<trait>`; returns the function that stops listening. */
export function onTraitChange(model: AnyModel<WidgetModel>, trait: TraitName, cb: () => void): () => void {
  const event = `change:${trait}` as const;
  model.on(event, cb);
  return () => model.off(event, cb);
}
