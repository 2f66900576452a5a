import { describe, expect, it } from "vitest";
import {
  parseEstimateReply,
  parseWeiReply,
  readBanner,
  readLiveStatus,
  readPatch,
  readRejection,
} from "../src/core/protocol";

describe("the protocol's checks of kernel values", () => {
  it("reads estimate replies, the exact fee only when it is digits", () => {
    expect(parseEstimateReply({ type: "estimate", id: "a", fee_ogpu: 0.1, fee_wei: "100", error: "" })).toEqual({
      type: "estimate",
      id: "a",
      fee_ogpu: 0.1,
      fee_wei: "100",
      error: "",
      refusal: null,
    });
    const odd = parseEstimateReply({ type: "estimate", id: "a", fee_ogpu: NaN, fee_wei: "1e18", refusal: { label: 3 } });
    expect(odd).toMatchObject({ fee_ogpu: null, fee_wei: "", error: "", refusal: null });
    expect(parseEstimateReply({ type: "estimate", id: 1 })).toBeNull();
    expect(parseEstimateReply({ type: "wei", id: "a" })).toBeNull();
  });

  it("reads wei replies: digits or '' per value", () => {
    expect(parseWeiReply({ type: "wei", id: "w", values: ["1", null, "-2", 3], error: "" })?.values).toEqual(["1", "", "", ""]);
    expect(parseWeiReply({ type: "wei", id: "w", values: "x", error: "boom" })).toEqual({ type: "wei", id: "w", values: null, error: "boom" });
  });

  it("reads patches: bad rows are left out, an append needs a row index", () => {
    expect(readPatch({ rows: {} })).toBeNull();
    const p = readPatch({ seq: 2, rows: { "0xa": { action: "pending" }, "0xb": 5 }, append: { start: -1, rows: null } });
    expect(p).toEqual({ seq: 2, rows: { "0xa": { action: "pending" } }, append: null });
    expect(readPatch({ seq: 3, rows: [], append: { start: 4, rows: "bytes", new: true } })?.append).toEqual({ start: 4, rows: "bytes", new: true });
  });

  it("reads the live status, the banner and a rejected reply", () => {
    expect(readLiveStatus({ state: "sleeping" })).toBeNull();
    expect(readLiveStatus({ state: "reconnecting", error: "down" })).toMatchObject({ state: "reconnecting", error: "down", interval: 2 });
    expect(readBanner({ level: "warn", message: 1 })).toEqual({ level: "info", message: "", seq: 0 });
    expect(readRejection({ id: "x", ok: true })).toBeNull();
    expect(readRejection({ id: "x", ok: false, error: "" })).toEqual({ id: "x", error: "request rejected" });
  });
});
