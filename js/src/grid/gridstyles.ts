/**
 * CSS of the keyboard grid and the layout tools: the pinned checkbox + Confirm box, the compact
 * Confirm cell, focused cells, resize handles, the focus tooltip, and the column menu and help
 * popovers. Appended to the stylesheet by styles.ts (all under `.ogpu-rt`).
 */
import { CHECK_WIDTH, CONFIRM_WIDTH } from "../columns/layout";

export const GRID_CSS = `
/* pinned: the checkbox and Confirm cells of a row share one box, sticky only while the table
   is scrolled sideways (a sticky box is a compositing layer per row: vertical scrolling at
   scrollLeft 0, the common case, pays nothing for it) */
.ogpu-rt-pin {
  grid-column: span 2; display: grid; grid-template-columns: ${CHECK_WIDTH}px ${CONFIRM_WIDTH}px;
  align-items: center; align-self: stretch;
  background-color: var(--ogpu-rt-bg);
  background-image: linear-gradient(var(--ogpu-rt-tint, transparent), var(--ogpu-rt-tint, transparent));
  box-shadow: 1px 0 0 var(--ogpu-rt-border1);
}
.ogpu-rt-scroll.ogpu-rt-hscrolled .ogpu-rt-pin { position: sticky; left: 0; z-index: 1; }
.ogpu-rt-head .ogpu-rt-pin { background-color: var(--ogpu-rt-bg1); }
.ogpu-rt-frow .ogpu-rt-pin > div { padding: 0; }
.ogpu-rt-row:hover { --ogpu-rt-tint: var(--ogpu-rt-hover); }
.ogpu-rt-row.ogpu-rt-selected { --ogpu-rt-tint: var(--ogpu-rt-sel); }
.ogpu-rt-row.ogpu-rt-new { --ogpu-rt-tint: var(--ogpu-rt-info-bg); }
/* the compact Confirm cell; rows that cannot be confirmed show their state, not a button */
.ogpu-rt-k-confirm { padding: 0 4px; gap: 4px; border-left: 0; }
.ogpu-rt-k-confirm > .ogpu-rt-confirm { padding: 0 6px; min-width: 0; max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
.ogpu-rt-k-confirm > .ogpu-rt-confirm:disabled { display: none; }
.ogpu-rt-k-confirm > .ogpu-rt-status, .ogpu-rt-k-confirm > .ogpu-rt-tx {
  min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
}
.ogpu-rt-k-confirm > .ogpu-rt-status[data-phase="unavailable"], .ogpu-rt-k-confirm > .ogpu-rt-status[data-phase="mined"] {
  padding: 1px 6px; border-radius: 999px; font-size: 0.9em; line-height: 18px;
  background: var(--ogpu-rt-neutral-bg); color: var(--ogpu-rt-fg1);
}
.ogpu-rt-k-confirm > .ogpu-rt-status[data-phase="mined"] { background: var(--ogpu-rt-ok-bg); color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-th-confirm { padding: 0 8px; }
/* the focused cell (one tab stop; arrows move it) */
.ogpu-rt [role="gridcell"]:focus, .ogpu-rt [role="columnheader"]:focus {
  outline: 2px solid var(--ogpu-rt-brand); outline-offset: -2px;
}
.ogpu-rt-th { position: relative; z-index: 0; }
.ogpu-rt-resize {
  position: absolute; top: 0; bottom: 0; right: 0; width: 6px; z-index: 2;
  cursor: col-resize; touch-action: none;
}
.ogpu-rt-resize:hover, .ogpu-rt-th:focus > .ogpu-rt-resize { background: var(--ogpu-rt-brand); opacity: 0.5; }
.ogpu-rt-th.ogpu-rt-dragging { opacity: 0.6; outline: 1px dashed var(--ogpu-rt-brand); }
.ogpu-rt-tip {
  position: absolute; z-index: 6; max-width: min(520px, calc(100% - 16px)); padding: 3px 8px;
  background: var(--ogpu-rt-bg2); color: var(--ogpu-rt-fg0); border: 1px solid var(--ogpu-rt-border1);
  border-radius: 3px; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.2); pointer-events: none;
  white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; font-size: 0.95em;
}
.ogpu-rt-popover {
  position: absolute; z-index: 5; right: 8px; top: 40px; width: max-content;
  max-width: calc(100% - 16px); max-height: 380px; overflow: auto; padding: 6px 10px 8px;
  background: var(--ogpu-rt-bg1); color: var(--ogpu-rt-fg1);
  border: 1px solid var(--ogpu-rt-border1); border-radius: 4px; box-shadow: 0 6px 18px rgba(0, 0, 0, 0.25);
}
.ogpu-rt-popover-head { display: flex; align-items: center; gap: 8px; margin-bottom: 6px; }
.ogpu-rt-popover-head > span { flex: 1; font-weight: 600; color: var(--ogpu-rt-fg0); }
.ogpu-rt-collist { list-style: none; margin: 0; padding: 0; }
.ogpu-rt-colitem { display: flex; align-items: center; gap: 4px; min-height: 26px; }
.ogpu-rt-colitem > label { flex: 1; white-space: nowrap; }
.ogpu-rt-colmove { color: var(--ogpu-rt-fg1); }
.ogpu-rt-colmove:disabled { opacity: 0.35; cursor: default; }
.ogpu-rt-keys { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0; }
.ogpu-rt-keys dd { margin: 0; }
.ogpu-rt-keys kbd { font-family: var(--ogpu-rt-mono); font-size: 0.92em; color: var(--ogpu-rt-fg0); }
.ogpu-rt-helpbtn { padding: 0 8px; font-weight: 600; }
`;
