import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ACTION_STATES, isInProgress, isTerminal, toActionState } from "../src/core/states";

describe("action states", () => {
  it("keeps the one-line form the Python test parses", () => {
    // (a path: under jsdom the global URL is not node's)
    const src = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), "../src/core/states.ts"), "utf8");
    const m = /^export const ACTION_STATES = \[(.*)\] as const;$/m.exec(src);
    expect(m).not.toBeNull();
    const parsed = Array.from(m![1]!.matchAll(/"([^"]*)"/g), (x) => x[1]);
    expect(parsed).toEqual([...ACTION_STATES]);
  });

  it("classifies states and ignores unknown values", () => {
    expect(toActionState("pending")).toBe("pending");
    expect(toActionState("bogus")).toBe("");
    expect(toActionState(null)).toBe("");
    expect(ACTION_STATES.filter(isInProgress)).toEqual(["signing", "pending"]);
    expect(ACTION_STATES.filter(isTerminal)).toEqual(["mined", "reverted", "refused"]);
  });
});
