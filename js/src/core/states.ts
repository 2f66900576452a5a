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
