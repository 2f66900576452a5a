/**
 * Pointer interactions on the column headers: drag a header's right edge to resize the column
 * (the grid template follows the pointer; the width is committed on release), and drag a
 * header onto another to move the column there. The keyboard equivalents are Alt+Left/Right
 * and Alt+Shift+Left/Right on a header cell (grid.ts) and the column menu (colmenu.ts).
 */
import type { ColumnDef } from "./columns";
import { el } from "../core/dom";
import { clampWidth } from "./layout";

export interface HeaderDragHooks {
  /** While resizing: the width to show now (not committed). */
  preview(name: string, width: number): void;
  /** Resizing ended. */
  commitWidth(name: string, width: number): void;
  /** A header was dropped onto the header of `target`. */
  moveTo(name: string, target: string): void;
}

/** Pixels the pointer must travel before a press on a header becomes a drag. */
const DRAG_START = 8;

/** Wire a header cell: a resize handle on its right edge and drag-to-reorder. */
export function wireHeaderCell(doc: Document, th: HTMLElement, col: ColumnDef, hooks: HeaderDragHooks): void {
  const win = doc.defaultView ?? window;
  const handle = el(doc, "div", "ogpu-rt-resize");
  handle.setAttribute("aria-hidden", "true");
  handle.title = `Drag to resize ${col.label} (or Alt+Left/Right on the header)`;
  th.append(handle);
  th.setAttribute("aria-description", "Alt+Left/Right resizes, Alt+Shift+Left/Right moves the column");

  handle.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    const startX = e.clientX;
    const startW = th.getBoundingClientRect().width || col.width;
    let w = startW;
    const move = (ev: PointerEvent): void => {
      w = clampWidth(startW + ev.clientX - startX);
      hooks.preview(col.name, w);
    };
    const up = (): void => {
      win.removeEventListener("pointermove", move);
      win.removeEventListener("pointerup", up);
      win.removeEventListener("pointercancel", up);
      hooks.commitWidth(col.name, w);
    };
    win.addEventListener("pointermove", move);
    win.addEventListener("pointerup", up);
    win.addEventListener("pointercancel", up);
  });

  th.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || e.target === handle || e.shiftKey) return;
    const startX = e.clientX;
    const startY = e.clientY;
    let dragging = false;
    const move = (ev: PointerEvent): void => {
      if (!dragging && Math.hypot(ev.clientX - startX, ev.clientY - startY) > DRAG_START) {
        dragging = true;
        th.classList.add("ogpu-rt-dragging");
      }
    };
    const up = (ev: PointerEvent): void => {
      win.removeEventListener("pointermove", move);
      win.removeEventListener("pointerup", up);
      win.removeEventListener("pointercancel", up);
      if (!dragging) return;
      th.classList.remove("ogpu-rt-dragging");
      // the click that follows a drag is not a sort
      const swallow = (c: Event): void => {
        c.stopPropagation();
        c.preventDefault();
      };
      th.addEventListener("click", swallow, { capture: true, once: true });
      win.setTimeout(() => th.removeEventListener("click", swallow, { capture: true }), 0);
      const over = doc.elementFromPoint?.(ev.clientX, ev.clientY);
      const target = over?.closest<HTMLElement>(".ogpu-rt-th[data-col]");
      const name = target?.dataset["col"];
      if (name !== undefined && name !== col.name) hooks.moveTo(col.name, name);
    };
    win.addEventListener("pointermove", move);
    win.addEventListener("pointerup", up);
    win.addEventListener("pointercancel", up);
  });
}
