/**
 * Styles of the message blocks (one line + a disclosure), the shortened-address chips, the
 * review panel's sticky header and footer, the export group and the history mark.
 * Appended to the table's stylesheet by styles.ts.
 */
export const MESSAGES_CSS = `
/* messages: one line a person can act on, details behind a disclosure */
.ogpu-rt-msg { min-width: 0; }
.ogpu-rt-msg-line { overflow-wrap: anywhere; }
.ogpu-rt-msg-details { margin-top: 2px; }
.ogpu-rt-msg-details > summary { cursor: pointer; color: var(--ogpu-rt-fg2); font-size: 0.92em; }
.ogpu-rt-msg-full {
  margin: 4px 0 0; max-height: 160px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere;
  font-family: var(--ogpu-rt-mono); font-size: 0.9em; color: var(--ogpu-rt-fg1); unicode-bidi: isolate;
}
.ogpu-rt-banner .ogpu-rt-msg { flex: 1; }
/* addresses and hashes: shortened, full value in the title, a copy button */
.ogpu-rt-chip { display: inline-flex; align-items: center; gap: 4px; max-width: 100%; font-family: var(--ogpu-rt-mono); }
.ogpu-rt-chip-copy { display: inline-flex; font-size: 0.95em; }
.ogpu-rt-chip-copy > .ogpu-rt-copyicon { display: inline-block; }
/* the review panel: header and actions stay in view, the fields scroll inside */
.ogpu-rt-review-region { display: flex; flex-direction: column; padding: 0; min-width: 0; }
.ogpu-rt-review-head {
  position: sticky; top: 0; z-index: 1; display: flex; align-items: center; gap: 8px;
  padding: 6px 10px 4px 14px; background: var(--ogpu-rt-bg1); border-bottom: 1px solid var(--ogpu-rt-border2);
}
.ogpu-rt-review-head .ogpu-rt-review-title { flex: 1; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ogpu-rt-review-x { display: inline-flex; font-size: 1.2em; line-height: 1; }
.ogpu-rt-review-body { flex: 1 1 auto; min-height: 0; overflow: auto; padding: 6px 14px; }
.ogpu-rt-review-actions {
  position: sticky; bottom: 0; z-index: 1; flex-wrap: wrap; align-items: center; margin: 0;
  padding: 6px 14px 8px; background: var(--ogpu-rt-bg1); border-top: 1px solid var(--ogpu-rt-border2);
}
.ogpu-rt-review-refusal { flex: 1 1 100%; color: var(--ogpu-rt-bad-fg); font-weight: 600; }
.ogpu-rt-review-feemsg { color: var(--ogpu-rt-bad-fg); font-family: inherit; }
.ogpu-rt-review-fields dd.ogpu-rt-review-payment { overflow-wrap: anywhere; }
.ogpu-rt-review-docked .ogpu-rt-review-region { max-height: min(320px, 55vh); overflow: hidden; }
/* the export group of the toolbar */
.ogpu-rt-export { display: inline-flex; flex-wrap: wrap; gap: 4px; }
.ogpu-rt-export [aria-busy="true"] { opacity: 0.6; cursor: progress; }
/* confirmed rows: their state and the confirming transaction */
.ogpu-rt-status[data-history="unknown"] { color: var(--ogpu-rt-warn-fg); }
`;
