import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ACTION_STATES, LIVE_STATES, RESULT_STATES, isInProgress, isTerminal, toActionState } from "../src/core/states";

// (a path: under jsdom the global URL is not node's)
const SOURCE = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), "../src/core/states.ts"), "utf8");

/** The names of `export const <name> = [...] as const;` as Python's tests parse them. */
function parsedList(name: string): (string | undefined)[] {
  const m = new RegExp(`^export const ${name} = \\[(.*)\\] as const;$`, "m").exec(SOURCE);
  expect(m).not.toBeNull();
  return Array.from(m![1]!.matchAll(/"([^"]*)"/g), (x) => x[1]);
}

describe("shared state names", () => {
  it("keeps the one-line form the Python tests parse", () => {
    expect(parsedList("ACTION_STATES")).toEqual([...ACTION_STATES]);
    expect(parsedList("RESULT_STATES")).toEqual([...RESULT_STATES]);
    expect(parsedList("LIVE_STATES")).toEqual([...LIVE_STATES]);
    expect(RESULT_STATES).toEqual(["loading", "ok", "unverified", "error", "none"]);
    expect(LIVE_STATES).toEqual(["live", "connecting", "reconnecting", "paused", "off", "error"]);
  });

  it("classifies states and ignores unknown values", () => {
    expect(toActionState("pending")).toBe("pending");
    expect(toActionState("bogus")).toBe("");
    expect(toActionState(null)).toBe("");
    expect(ACTION_STATES.filter(isInProgress)).toEqual(["signing", "pending"]);
    expect(ACTION_STATES.filter(isTerminal)).toEqual(["mined", "reverted", "refused"]);
  });
});
