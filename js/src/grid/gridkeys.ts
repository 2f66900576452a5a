/**
 * What the grid (grid.ts) and its keys (keyboard.ts) share: the table's hooks, the active row,
 * and the part of the grid the keys drive.
 */
import type { TableBody } from "./body";
import type { TableState } from "../table/tablestate";

/** What the grid asks the table to do. */
export interface GridHooks {
  /** Toggle the selection of the row at display position `pos` (`range`: shift). */
  toggleSelect(pos: number, range: boolean): void;
  /** Open the review panel of a row (confirm it). */
  review(base: number, key: string): void;
  /** The whole result of a row. */
  result(base: number, trigger: HTMLElement): void;
  /** Compare the responses of the row's task. */
  compare(base: number, trigger: HTMLElement): void;
  /** Close the top panel (popover, dialog, review); false when none was open. */
  closeTop(): boolean;
  /** Open the keyboard help. */
  help(trigger: HTMLElement): void;
  /** Alt+Left/Right on a column header: widen or narrow it; Alt+Shift: move it. */
  resizeColumn(name: string, delta: number): void;
  moveColumn(name: string, delta: number): void;
}

/** The active row: a header row, or a body row by address (`base`: its last known snapshot index,
 * checked against the address before use, so no address → index map is built per frame). */
export type ActiveRow = { head: 0 | 1 } | { key: string | null; base?: number };


/** The element can no longer hold the focus (removed, disabled or hidden). */
export function isGone(e: Element | null, root: Element): boolean {
  if (e === null || !e.isConnected) return true;
  if ((e as HTMLButtonElement).disabled === true) return true;
  const el = e as HTMLElement & { checkVisibility?: () => boolean };
  if (typeof el.checkVisibility === "function" && root.getClientRects().length > 0) return !el.checkVisibility();
  for (let n: Element | null = e; n !== null && n !== root; n = n.parentElement) {
    if (n instanceof HTMLElement && n.style.display === "none") return true;
  }
  return false;
}

/** The part of the grid its keys use. */
export interface GridKeys {
  active: ActiveRow;
  readonly state: TableState;
  readonly root: HTMLElement;
  readonly head: HTMLElement;
  readonly body: TableBody;
  readonly hooks: GridHooks;
  readonly panel: () => HTMLElement;
  readonly columnCount: number;
  move(dRow: number, dCol: number, toRow?: number, toCol?: number): void;
  pageRows(): number;
  locate(cell: HTMLElement): boolean;
}
