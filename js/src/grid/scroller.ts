/**
 * Virtual-scroll geometry: fixed-height rows plus at most one inserted panel (the inline review)
 * under the row at `panelPos`; rows after it are shifted down by the panel height.
 */

export interface Layout {
  count: number;
  rowH: number;
  /** Display position of the row the panel is attached to, or -1. */
  panelPos: number;
  panelH: number;
}

export const MAX_ROW_ELEMENTS = 150;

function hasPanel(l: Layout): boolean {
  return l.panelPos >= 0 && l.panelPos < l.count;
}

export function yOf(l: Layout, pos: number): number {
  return pos * l.rowH + (hasPanel(l) && pos > l.panelPos ? l.panelH : 0);
}

export function panelTop(l: Layout): number {
  return (l.panelPos + 1) * l.rowH;
}

export function totalHeight(l: Layout): number {
  return l.count * l.rowH + (hasPanel(l) ? l.panelH : 0);
}

/** Display position at content offset y (clamped to [0, count-1]; 0 when empty). */
export function posAt(l: Layout, y: number): number {
  if (l.count === 0) return 0;
  let p: number;
  if (!hasPanel(l) || y < panelTop(l)) p = Math.floor(y / l.rowH);
  else if (y < panelTop(l) + l.panelH) p = l.panelPos;
  else p = Math.floor((y - l.panelH) / l.rowH);
  return Math.max(0, Math.min(l.count - 1, p));
}

/** [first, end) display positions to render for a viewport, with overscan, capped. */
export function visibleRange(
  l: Layout,
  scrollTop: number,
  viewport: number,
  overscan: number,
  maxRows: number = MAX_ROW_ELEMENTS,
): [number, number] {
  if (l.count === 0) return [0, 0];
  const top = Math.max(0, scrollTop);
  const first = Math.max(0, posAt(l, top) - overscan);
  let end = Math.min(l.count, posAt(l, top + Math.max(0, viewport)) + 1 + overscan);
  if (end - first > maxRows) end = first + maxRows;
  return [first, end];
}
