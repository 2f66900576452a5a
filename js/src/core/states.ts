/**
 * Row confirmation progress: the values of the `action` control column. Python has an enum with
 * the same names (a Python test parses the line below, so keep it on one line, double-quoted).
 */
export const ACTION_STATES = ["", "signing", "pending", "mined", "reverted", "refused"] as const;

export type ActionState = typeof ACTION_STATES[number];

/** No confirmation in progress for the row. */
export const NO_ACTION = ACTION_STATES[0];

/** States in which a transaction is being signed or mined. */
export const IN_PROGRESS_STATES: readonly ActionState[] = ["signing", "pending"];

/** States that end a confirmation (success or failure). */
export const TERMINAL_STATES: readonly ActionState[] = ["mined", "reverted", "refused"];

const KNOWN: ReadonlySet<unknown> = new Set<unknown>(ACTION_STATES);

export function isActionState(v: unknown): v is ActionState {
  return KNOWN.has(v);
}

/** A cell value as an action state ("" for anything unknown). */
export function toActionState(v: unknown): ActionState {
  return isActionState(v) ? v : NO_ACTION;
}

export function isInProgress(v: unknown): boolean {
  return isActionState(v) && IN_PROGRESS_STATES.includes(v);
}

export function isTerminal(v: unknown): boolean {
  return isActionState(v) && TERMINAL_STATES.includes(v);
}

/**
 * The state of a row's result (`result_state`, and `state` in a result answer); "loading" until
 * the kernel reports one. Shared by name with Python like ACTION_STATES (one line, double-quoted).
 */
export const RESULT_STATES = ["loading", "ok", "unverified", "error", "none"] as const;

export type ResultState = (typeof RESULT_STATES)[number];

/** Whether the table follows the chain (`_live_status.state`). Shared by name with Python. */
export const LIVE_STATES = ["live", "connecting", "reconnecting", "paused", "off", "error"] as const;

export type LiveState = (typeof LIVE_STATES)[number];

const RESULTS: ReadonlySet<unknown> = new Set<unknown>(RESULT_STATES);
const LIVE: ReadonlySet<unknown> = new Set<unknown>(LIVE_STATES);

export function isResultState(v: unknown): v is ResultState {
  return RESULTS.has(v);
}

export function isLiveState(v: unknown): v is LiveState {
  return LIVE.has(v);
}
