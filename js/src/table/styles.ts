/**
 * Theme: JupyterLab CSS variables first, VS Code variables second, light defaults last.
 * Everything is scoped under `.ogpu-rt`. Injected once per document as a <style> element.
 */

import { GRID_CSS } from "../grid/gridstyles";
import { MESSAGES_CSS } from "../ui/messagestyles";

export const STYLE_ID = "ogpu-rt-style";
export const STYLE_VERSION = "5";

export const ROW_HEIGHT = 32;
export const PANEL_HEIGHT = 252;

export const CSS = `
.ogpu-rt {
  --ogpu-rt-bg: var(--jp-layout-color0, var(--vscode-editor-background, #ffffff));
  --ogpu-rt-bg1: var(--jp-layout-color1, var(--vscode-editor-background, #ffffff));
  --ogpu-rt-bg2: var(--jp-layout-color2, var(--vscode-editorWidget-background, #eeeeee));
  --ogpu-rt-fg0: var(--jp-ui-font-color0, var(--vscode-foreground, rgba(0, 0, 0, 1)));
  --ogpu-rt-fg1: var(--jp-ui-font-color1, var(--vscode-foreground, rgba(0, 0, 0, 0.87)));
  --ogpu-rt-fg2: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, rgba(0, 0, 0, 0.54)));
  --ogpu-rt-border1: var(--jp-border-color1, var(--vscode-panel-border, #bdbdbd));
  --ogpu-rt-border2: var(--jp-border-color2, var(--vscode-editorWidget-border, #e0e0e0));
  --ogpu-rt-brand: var(--jp-brand-color1, var(--vscode-focusBorder, #1976d2));
  --ogpu-rt-link: var(--jp-content-link-color, var(--vscode-textLink-foreground, #1565c0));
  --ogpu-rt-font: var(--jp-ui-font-family, var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif));
  --ogpu-rt-mono: var(--jp-code-font-family, var(--vscode-editor-font-family, ui-monospace, SFMono-Regular, Menlo, monospace));
  --ogpu-rt-size: var(--jp-ui-font-size1, var(--vscode-font-size, 13px));
  --ogpu-rt-input-bg: var(--jp-input-background, var(--vscode-input-background, var(--ogpu-rt-bg)));
  --ogpu-rt-hover: var(--jp-layout-color2, var(--vscode-list-hoverBackground, rgba(0, 0, 0, 0.04)));
  --ogpu-rt-sel: var(--jp-brand-color3, var(--vscode-list-inactiveSelectionBackground, rgba(25, 118, 210, 0.12)));
  --ogpu-rt-ok-fg: #1b5e20;   --ogpu-rt-ok-bg: rgba(46, 160, 67, 0.16);
  --ogpu-rt-bad-fg: #b71c1c;  --ogpu-rt-bad-bg: rgba(229, 57, 53, 0.14);
  --ogpu-rt-warn-fg: #8a4b00; --ogpu-rt-warn-bg: rgba(245, 158, 11, 0.18);
  --ogpu-rt-info-fg: #0d47a1; --ogpu-rt-info-bg: rgba(30, 136, 229, 0.14);
  --ogpu-rt-final-fg: #4a148c; --ogpu-rt-final-bg: rgba(142, 36, 170, 0.14);
  --ogpu-rt-neutral-fg: var(--ogpu-rt-fg1); --ogpu-rt-neutral-bg: rgba(127, 127, 127, 0.16);
  --ogpu-rt-max-height: 480px;
  position: relative;
  box-sizing: border-box;
  font-family: var(--ogpu-rt-font);
  font-size: var(--ogpu-rt-size);
  color: var(--ogpu-rt-fg1);
  background: var(--ogpu-rt-bg);
  border: 1px solid var(--ogpu-rt-border2);
  border-radius: 4px;
  max-width: 100%;
}
body[data-jp-theme-light="false"] .ogpu-rt,
body.vscode-dark .ogpu-rt,
body.vscode-high-contrast:not(.vscode-high-contrast-light) .ogpu-rt {
  --ogpu-rt-ok-fg: #7ee787;   --ogpu-rt-ok-bg: rgba(46, 160, 67, 0.22);
  --ogpu-rt-bad-fg: #ff8a80;  --ogpu-rt-bad-bg: rgba(229, 57, 53, 0.22);
  --ogpu-rt-warn-fg: #ffd180; --ogpu-rt-warn-bg: rgba(245, 158, 11, 0.22);
  --ogpu-rt-info-fg: #90caf9; --ogpu-rt-info-bg: rgba(30, 136, 229, 0.22);
  --ogpu-rt-final-fg: #e1bee7; --ogpu-rt-final-bg: rgba(142, 36, 170, 0.26);
  --ogpu-rt-hover: rgba(255, 255, 255, 0.05);
  --ogpu-rt-sel: rgba(66, 165, 245, 0.2);
  --ogpu-rt-link: var(--jp-content-link-color, var(--vscode-textLink-foreground, #64b5f6));
}
.ogpu-rt *, .ogpu-rt *::before, .ogpu-rt *::after { box-sizing: border-box; }
.ogpu-rt :focus-visible { outline: 2px solid var(--ogpu-rt-brand); outline-offset: -2px; }
.ogpu-rt a { color: var(--ogpu-rt-link); text-decoration: none; }
.ogpu-rt a:hover { text-decoration: underline; }
.ogpu-rt button, .ogpu-rt input, .ogpu-rt select {
  font: inherit; color: var(--ogpu-rt-fg1);
}
.ogpu-rt input[type="search"], .ogpu-rt input[type="number"], .ogpu-rt select {
  background: var(--ogpu-rt-input-bg);
  border: 1px solid var(--ogpu-rt-border1);
  border-radius: 3px;
  padding: 2px 4px;
  min-width: 0;
  width: 100%;
  height: 24px;
}
.ogpu-rt-banners:empty { display: none; }
.ogpu-rt-banner {
  display: flex; align-items: flex-start; gap: 8px;
  padding: 6px 10px; border-bottom: 1px solid var(--ogpu-rt-border2);
  background: var(--ogpu-rt-info-bg); color: var(--ogpu-rt-fg0);
  white-space: pre-wrap; overflow-wrap: anywhere;
}
.ogpu-rt-banner[data-level="error"] { background: var(--ogpu-rt-bad-bg); }
.ogpu-rt-banner > span { flex: 1; }
.ogpu-rt-toolbar {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px;
  padding: 6px 8px; border-bottom: 1px solid var(--ogpu-rt-border2); background: var(--ogpu-rt-bg1);
}
.ogpu-rt-toolbar input[type="search"] { width: 260px; max-width: 100%; }
.ogpu-rt-count { color: var(--ogpu-rt-fg2); font-variant-numeric: tabular-nums; }
.ogpu-rt-account { margin-left: auto; color: var(--ogpu-rt-fg2); font-family: var(--ogpu-rt-mono); font-size: 0.92em; }
.ogpu-rt-scroll {
  position: relative; overflow: auto; max-height: var(--ogpu-rt-max-height);
  overscroll-behavior: contain; contain: content;
}
.ogpu-rt-head {
  position: sticky; top: 0; z-index: 3; background: var(--ogpu-rt-bg1);
  border-bottom: 1px solid var(--ogpu-rt-border1); min-width: var(--ogpu-rt-min-width, 100%);
}
.ogpu-rt-hrow, .ogpu-rt-frow, .ogpu-rt-row {
  display: grid; grid-template-columns: var(--ogpu-rt-cols); align-items: center;
  min-width: var(--ogpu-rt-min-width, 100%);
}
.ogpu-rt-th {
  display: flex; align-items: center; height: 30px; padding: 0 4px; min-width: 0;
  font-weight: 600; color: var(--ogpu-rt-fg0); user-select: none;
}
.ogpu-rt-sort {
  flex: 1; display: flex; align-items: center; gap: 4px; min-width: 0; height: 26px;
  background: none; border: 0; padding: 0 4px; cursor: pointer; text-align: left;
  font-weight: 600; color: var(--ogpu-rt-fg0); border-radius: 3px;
}
.ogpu-rt-sort:hover { background: var(--ogpu-rt-hover); }
.ogpu-rt-sort > .ogpu-rt-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ogpu-rt-ind { color: var(--ogpu-rt-brand); font-size: 0.85em; white-space: nowrap; }
.ogpu-rt-frow > div { padding: 2px 4px 4px; min-width: 0; display: flex; gap: 4px; }
.ogpu-rt-body { position: relative; min-width: var(--ogpu-rt-min-width, 100%); }
.ogpu-rt-row {
  position: absolute; left: 0; right: 0; top: 0; height: ${ROW_HEIGHT}px;
  border-bottom: 1px solid var(--ogpu-rt-border2); background: var(--ogpu-rt-bg);
  contain: strict;
}
.ogpu-rt-row:hover { background: var(--ogpu-rt-hover); }
.ogpu-rt-row.ogpu-rt-selected { background: var(--ogpu-rt-sel); }
.ogpu-rt-row.ogpu-rt-reviewing { box-shadow: inset 3px 0 0 var(--ogpu-rt-brand); }
.ogpu-rt-cell {
  display: flex; align-items: center; gap: 4px; height: ${ROW_HEIGHT - 1}px; padding: 0 8px;
  min-width: 0; overflow: hidden; white-space: nowrap;
}
.ogpu-rt-checkcell { justify-content: center; padding: 0; user-select: none; }
/* (the checkbox and Confirm cells are pinned by one sticky box per row: .ogpu-rt-pin in
   gridstyles.ts; never a sticky cell each, which costs a layer per cell) */
.ogpu-rt-k-confirm { border-left: 1px solid var(--ogpu-rt-border2); }
.ogpu-rt-addr, .ogpu-rt-k-wei, .ogpu-rt-tx { font-family: var(--ogpu-rt-mono); font-size: 0.95em; }
.ogpu-rt-k-ogpu, .ogpu-rt-k-wei { justify-content: flex-end; font-variant-numeric: tabular-nums; }
.ogpu-rt-k-datetime { font-variant-numeric: tabular-nums; }
.ogpu-rt-k-bool { justify-content: center; }
.ogpu-rt-text, .ogpu-rt-val, .ogpu-rt-status { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.ogpu-rt-text { flex: 1; }
.ogpu-rt-icon {
  flex: none; width: 22px; height: 22px; padding: 0; border: 0; border-radius: 3px; cursor: pointer;
  background: none; color: var(--ogpu-rt-fg2); line-height: 1;
}
/* Row icons (copy, expand) are drawn only on a hovered or focused row: the buttons are always
   there (same size, focusable, named), but rows scrolled past are cheaper to lay out and paint. */
.ogpu-rt-copyicon, .ogpu-rt-expandicon, .ogpu-rt-compareicon { display: none; }
.ogpu-rt-row:hover .ogpu-rt-icon > span, .ogpu-rt-row:focus-within .ogpu-rt-icon > span,
.ogpu-rt-icon[data-copied] > span { display: inline-block; }
.ogpu-rt-expandicon::before { content: "⤢"; }
.ogpu-rt-compareicon::before { content: "⇆"; }
/* copy icon: two overlapping squares drawn with borders (no font glyph needed) */
.ogpu-rt-copyicon { position: relative; width: 12px; height: 12px; vertical-align: middle; }
.ogpu-rt-copyicon::before, .ogpu-rt-copyicon::after {
  content: ""; position: absolute; width: 8px; height: 8px; border: 1.5px solid currentColor; border-radius: 1.5px;
}
.ogpu-rt-copyicon::before { left: 0; top: 0; border-right: 0; border-bottom: 0; opacity: 0.7; }
.ogpu-rt-copyicon::after { left: 3.5px; top: 3.5px; }
.ogpu-rt-icon[data-copied] .ogpu-rt-copyicon::before { border: 0; opacity: 1; content: "✓"; width: auto; height: auto; top: -3px; color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-icon[data-copied] .ogpu-rt-copyicon::after { display: none; }
.ogpu-rt-icon:hover, .ogpu-rt-icon:focus-visible { background: var(--ogpu-rt-hover); color: var(--ogpu-rt-fg0); }
.ogpu-rt-badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 0.9em; line-height: 18px;
  background: var(--ogpu-rt-neutral-bg); color: var(--ogpu-rt-neutral-fg);
  overflow: hidden; text-overflow: ellipsis; max-width: 100%;
}
.ogpu-rt-badge[data-tone="ok"] { background: var(--ogpu-rt-ok-bg); color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-badge[data-tone="bad"] { background: var(--ogpu-rt-bad-bg); color: var(--ogpu-rt-bad-fg); }
.ogpu-rt-badge[data-tone="warn"] { background: var(--ogpu-rt-warn-bg); color: var(--ogpu-rt-warn-fg); }
.ogpu-rt-badge[data-tone="info"] { background: var(--ogpu-rt-info-bg); color: var(--ogpu-rt-info-fg); }
.ogpu-rt-badge.ogpu-rt-reorged { outline: 1px dashed currentColor; outline-offset: -1px; }
.ogpu-rt-badge[data-tone="final"] { background: var(--ogpu-rt-final-bg); color: var(--ogpu-rt-final-fg); }
.ogpu-rt-btn {
  height: 24px; padding: 0 10px; border-radius: 3px; cursor: pointer; white-space: nowrap;
  border: 1px solid var(--ogpu-rt-border1); background: var(--ogpu-rt-bg1); color: var(--ogpu-rt-fg1);
}
.ogpu-rt-btn:hover:not(:disabled) { border-color: var(--ogpu-rt-brand); }
.ogpu-rt-btn:disabled { opacity: 0.5; cursor: not-allowed; }
.ogpu-rt-primary { background: var(--ogpu-rt-brand); border-color: var(--ogpu-rt-brand); color: #fff; }
.ogpu-rt-status { color: var(--ogpu-rt-fg2); }
.ogpu-rt-status[data-phase="mined"] { color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-status[data-phase="reverted"], .ogpu-rt-status[data-phase="refused"] { color: var(--ogpu-rt-bad-fg); }
.ogpu-rt-status[data-phase="signing"], .ogpu-rt-status[data-phase="pending"], .ogpu-rt-status[data-phase="requested"] { color: var(--ogpu-rt-info-fg); }
.ogpu-rt-review {
  position: absolute; left: 0; right: 0; top: 0; z-index: 2; height: ${PANEL_HEIGHT}px;
  padding: 4px 8px 6px; background: var(--ogpu-rt-bg);
  border-bottom: 1px solid var(--ogpu-rt-border2);
}
.ogpu-rt-review-cell { height: 100%; }
.ogpu-rt-review-region {
  position: sticky; left: 8px; height: 100%; width: min(100%, 760px); min-width: 320px;
  overflow: auto; padding: 8px 14px; background: var(--ogpu-rt-bg1);
  border: 1px solid var(--ogpu-rt-brand); border-radius: 4px; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.15);
}
.ogpu-rt-review-title { font-weight: 600; color: var(--ogpu-rt-fg0); margin-bottom: 6px; }
.ogpu-rt-review-fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 6px; }
.ogpu-rt-review-fields dt { color: var(--ogpu-rt-fg2); }
.ogpu-rt-review-fields dd { margin: 0; font-family: var(--ogpu-rt-mono); overflow-wrap: anywhere; }
.ogpu-rt-review-warn { margin: 4px 0; font-weight: 600; color: var(--ogpu-rt-warn-fg); }
.ogpu-rt-review-status { min-height: 1.4em; color: var(--ogpu-rt-fg1); overflow-wrap: anywhere; }
.ogpu-rt-review-status[data-phase="reverted"], .ogpu-rt-review-status[data-phase="refused"] { color: var(--ogpu-rt-bad-fg); }
.ogpu-rt-review-status[data-phase="mined"] { color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-review-actions { display: flex; gap: 8px; margin-top: 6px; }
.ogpu-rt-empty { padding: 16px; color: var(--ogpu-rt-fg2); text-align: center; }
.ogpu-rt-detail {
  position: absolute; z-index: 5; left: 8px; right: 8px; top: 48px; max-height: 360px;
  display: flex; flex-direction: column; background: var(--ogpu-rt-bg1);
  border: 1px solid var(--ogpu-rt-border1); border-radius: 4px; box-shadow: 0 6px 18px rgba(0, 0, 0, 0.25);
}
.ogpu-rt-detail-head { display: flex; align-items: center; gap: 8px; padding: 6px 10px; border-bottom: 1px solid var(--ogpu-rt-border2); }
.ogpu-rt-detail-head > span { flex: 1; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ogpu-rt-detail pre {
  margin: 0; padding: 8px 10px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere;
  font-family: var(--ogpu-rt-mono); font-size: 0.95em; color: var(--ogpu-rt-fg0);
}

/* results: the Result cell, its marks, the detail and compare views (payload text only via
   textContent; bidi-isolated, ellipsized or wrapped anywhere so no payload breaks the layout) */
.ogpu-rt-rmark { flex: none; width: 1.1em; text-align: center; font-weight: 700; color: var(--ogpu-rt-fg2); }
.ogpu-rt-rtext {
  flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  unicode-bidi: isolate; font-family: var(--ogpu-rt-mono); font-size: 0.92em;
}
[data-result-state="ok"] > .ogpu-rt-rmark { color: var(--ogpu-rt-ok-fg); }
[data-result-state="unverified"] > .ogpu-rt-rmark { color: var(--ogpu-rt-warn-fg); }
[data-result-state="error"] > .ogpu-rt-rmark, [data-result-state="error"] > .ogpu-rt-rtext { color: var(--ogpu-rt-bad-fg); }
[data-result-state="loading"] > .ogpu-rt-rtext, [data-result-state="none"] > .ogpu-rt-rtext { color: var(--ogpu-rt-fg2); font-style: italic; }
.ogpu-rt:has(> [data-open="true"]) { min-height: 600px; }
.ogpu-rt-result-detail, .ogpu-rt-compare { max-height: 540px; }
.ogpu-rt-rbadge { flex: none; padding: 1px 8px; border-radius: 999px; font-size: 0.9em; background: var(--ogpu-rt-neutral-bg); }
.ogpu-rt-rbadge[data-result-state="ok"] { background: var(--ogpu-rt-ok-bg); color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-rbadge[data-result-state="unverified"] { background: var(--ogpu-rt-warn-bg); color: var(--ogpu-rt-warn-fg); }
.ogpu-rt-rbadge[data-result-state="error"] { background: var(--ogpu-rt-bad-bg); color: var(--ogpu-rt-bad-fg); }
.ogpu-rt-result-meta {
  padding: 4px 10px; color: var(--ogpu-rt-fg2); font-size: 0.9em; overflow-wrap: anywhere; unicode-bidi: isolate;
}
.ogpu-rt-result-meta:empty { display: none; }
.ogpu-rt-result-scroll { flex: 1 1 auto; min-height: 0; overflow: auto; padding: 6px 10px 10px; }
.ogpu-rt-result-body { min-width: 0; }
.ogpu-rt-result-error { margin: 4px 0; color: var(--ogpu-rt-bad-fg); overflow-wrap: anywhere; white-space: pre-wrap; unicode-bidi: isolate; }
.ogpu-rt-result-note { margin: 4px 0; color: var(--ogpu-rt-fg2); }
.ogpu-rt-detail pre.ogpu-rt-result-text { padding: 0; unicode-bidi: isolate; }
.ogpu-rt-result-img { display: block; max-width: 100%; max-height: 420px; height: auto; background: var(--ogpu-rt-bg2); }
.ogpu-rt-jtree { font-family: var(--ogpu-rt-mono); font-size: 0.95em; color: var(--ogpu-rt-fg0); }
.ogpu-rt-jnode > summary { cursor: pointer; list-style-position: outside; margin-left: 1em; }
.ogpu-rt-jchildren { padding-left: 16px; margin-left: 4px; border-left: 1px dotted var(--ogpu-rt-border1); }
.ogpu-rt-jrow { margin-left: 1em; min-width: 0; }
.ogpu-rt-jk { color: var(--ogpu-rt-fg2); unicode-bidi: isolate; overflow-wrap: anywhere; }
.ogpu-rt-jsum { color: var(--ogpu-rt-fg2); }
.ogpu-rt-jv { unicode-bidi: isolate; white-space: pre-wrap; overflow-wrap: anywhere; }
.ogpu-rt-jv[data-type="string"] { color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-jv[data-type="number"] { color: var(--ogpu-rt-info-fg); }
.ogpu-rt-jv[data-type="boolean"], .ogpu-rt-jv[data-type="null"] { color: var(--ogpu-rt-final-fg); }
.ogpu-rt-jtext { unicode-bidi: isolate; }
.ogpu-rt-more { margin: 2px 0 2px 1em; height: 20px; font-size: 0.9em; }
.ogpu-rt-cmp-scroll { flex: 1 1 auto; min-height: 0; overflow: auto; padding: 6px 10px; }
.ogpu-rt-cmp { border-collapse: collapse; font-size: 0.95em; }
.ogpu-rt-cmp th, .ogpu-rt-cmp td {
  border: 1px solid var(--ogpu-rt-border2); padding: 3px 8px; text-align: left; vertical-align: top;
  max-width: 320px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; unicode-bidi: isolate;
}
.ogpu-rt-cmp thead th { position: sticky; top: 0; background: var(--ogpu-rt-bg2); z-index: 1; }
.ogpu-rt-cmp th.ogpu-rt-cmp-key { color: var(--ogpu-rt-fg2); font-weight: 600; font-family: var(--ogpu-rt-mono); }
.ogpu-rt-cmp-fields td { font-family: var(--ogpu-rt-mono); }
.ogpu-rt-cmp-this { color: var(--ogpu-rt-fg2); font-weight: 400; }
.ogpu-rt-cmp tr[data-diff="true"] > th::before { content: "≠ "; color: var(--ogpu-rt-warn-fg); }
.ogpu-rt-cmp td[data-differs="true"] { background: var(--ogpu-rt-warn-bg); color: var(--ogpu-rt-fg0); }
.ogpu-rt-cmp td[data-missing="true"] { color: var(--ogpu-rt-fg2); }
.ogpu-rt-cmp [data-result-state="ok"] { color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-cmp [data-result-state="unverified"] { color: var(--ogpu-rt-warn-fg); }
.ogpu-rt-cmp [data-result-state="error"] { color: var(--ogpu-rt-bad-fg); }
.ogpu-rt-cmp .ogpu-rt-status { margin-left: 6px; }
.ogpu-rt-cmp-review:empty { display: none; }
.ogpu-rt-cmp-review { padding: 0 10px 8px; }
.ogpu-rt-review.ogpu-rt-review-docked { position: static; height: auto; padding: 0; border: 0; transform: none; }
.ogpu-rt-review-docked .ogpu-rt-review-region { position: static; height: auto; width: 100%; }
.ogpu-rt-review-fields dd.ogpu-rt-review-result { display: flex; gap: 4px; min-width: 0; white-space: nowrap; overflow: hidden; }
.ogpu-rt-review-others { margin: 2px 0; color: var(--ogpu-rt-fg1); }

/* live updates: the indicator, and rows that just appeared (briefly highlighted) */
.ogpu-rt-live { margin-left: auto; display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.ogpu-rt-live ~ .ogpu-rt-account { margin-left: 4px; }
.ogpu-rt-live-badge {
  display: inline-flex; align-items: center; gap: 5px; padding: 1px 8px; border-radius: 999px;
  font-size: 0.9em; line-height: 18px; background: var(--ogpu-rt-neutral-bg); color: var(--ogpu-rt-neutral-fg);
}
.ogpu-rt-live-dot { width: 7px; height: 7px; border-radius: 50%; background: currentColor; flex: none; }
.ogpu-rt-live[data-state="live"] .ogpu-rt-live-badge { background: var(--ogpu-rt-ok-bg); color: var(--ogpu-rt-ok-fg); }
.ogpu-rt-live[data-state="connecting"] .ogpu-rt-live-badge { background: var(--ogpu-rt-info-bg); color: var(--ogpu-rt-info-fg); }
.ogpu-rt-live[data-state="reconnecting"] .ogpu-rt-live-badge,
.ogpu-rt-live[data-state="off"] .ogpu-rt-live-badge { background: var(--ogpu-rt-warn-bg); color: var(--ogpu-rt-warn-fg); }
.ogpu-rt-live[data-state="error"] .ogpu-rt-live-badge { background: var(--ogpu-rt-bad-bg); color: var(--ogpu-rt-bad-fg); }
.ogpu-rt-live[data-state="paused"] .ogpu-rt-live-dot { border-radius: 1px; }
.ogpu-rt-live-age { color: var(--ogpu-rt-fg2); font-variant-numeric: tabular-nums; font-size: 0.92em; }
.ogpu-rt-row.ogpu-rt-new { background: var(--ogpu-rt-info-bg); box-shadow: inset 3px 0 0 var(--ogpu-rt-info-fg); }
.ogpu-rt-row.ogpu-rt-new.ogpu-rt-selected { background: var(--ogpu-rt-sel); }
${GRID_CSS}
${MESSAGES_CSS}`;

/** Inject the stylesheet once per document (replaced if an older version is present). */
export function injectStyles(doc: Document): void {
  const existing = doc.getElementById(STYLE_ID);
  if (existing && existing.getAttribute("data-version") === STYLE_VERSION) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.setAttribute("data-version", STYLE_VERSION);
  style.textContent = CSS;
  if (existing) existing.replaceWith(style);
  else (doc.head ?? doc.documentElement).appendChild(style);
}
