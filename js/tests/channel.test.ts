import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AskTimeout, ask, serve } from "../src/core/channel";
import { FakeModel } from "./helpers";

describe("the request/reply helper", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends the request and resolves with the parsed answer of the same type and id", async () => {
    const model = new FakeModel();
    const answer = ask(model, { type: "estimate", id: "e1", response: "0xabc" });
    expect(model.sent).toEqual([{ type: "estimate", id: "e1", response: "0xabc" }]);
    expect(model.listenerCount()).toBe(1);
    // another id, another type with the same id: not this request's answer
    await model.pyMsg({ type: "estimate", id: "e2", fee_ogpu: 9, error: "" });
    await model.pyMsg({ type: "wei", id: "e1", values: ["1"], error: "" });
    await model.pyMsg({ type: "estimate", id: "e1", fee_ogpu: 0.5, fee_wei: "500000000000000000", error: "" });
    await expect(answer).resolves.toEqual({
      type: "estimate",
      id: "e1",
      fee_ogpu: 0.5,
      fee_wei: "500000000000000000",
      error: "",
      refusal: null,
    });
    expect(model.listenerCount()).toBe(0);
  });

  it("keeps one listener per model however many requests wait", async () => {
    const model = new FakeModel();
    const a = ask(model, { type: "wei", id: "w1", addresses: ["0x1"] });
    const b = ask(model, { type: "result", id: "r1", response: "0x1" });
    expect(model.listenerCount()).toBe(1);
    await model.pyMsg({ type: "result", id: "r1", kind: "text", value: "hi", state: "unverified" });
    await model.pyMsg({ type: "wei", id: "w1", values: ["12", "x"], error: "" });
    expect((await a).values).toEqual(["12", ""]);
    expect((await b).value).toBe("hi");
    expect(model.listenerCount()).toBe(0);
  });

  it("times out, aborts, and rejects what cannot be sent, leaving no listener", async () => {
    const model = new FakeModel();
    const late = ask(model, { type: "wei", id: "w1" }, { timeout: 1000 });
    vi.advanceTimersByTime(1001);
    await expect(late).rejects.toBeInstanceOf(AskTimeout);
    const stop = new AbortController();
    const gone = ask(model, { type: "result", id: "r1", response: "0x1" }, { signal: stop.signal });
    stop.abort();
    await expect(gone).rejects.toThrow();
    model.send = () => {
      throw new Error("comm closed");
    };
    await expect(ask(model, { type: "estimate", id: "e1", response: "0x1" })).rejects.toThrow("comm closed");
    expect(model.listenerCount()).toBe(0);
    // an answer after the request stopped waiting is dropped
    await model.pyMsg({ type: "wei", id: "w1", values: [], error: "" });
  });

  it("hands the kernel's own requests to the handler of their type", async () => {
    const model = new FakeModel();
    const seen: unknown[] = [];
    const stop = serve(model, "wallet", (m) => seen.push(m));
    const waiting = ask(model, { type: "estimate", id: "e1", response: "0x1" });
    expect(model.listenerCount()).toBe(1);
    await model.pyMsg({ type: "wallet", id: "k1", op: "connect" });
    await model.pyMsg({ type: "estimate", id: "e1", fee_ogpu: 1, error: "" });
    await waiting;
    expect(seen).toEqual([{ type: "wallet", id: "k1", op: "connect" }]);
    stop();
    expect(model.listenerCount()).toBe(0);
    await model.pyMsg({ type: "wallet", id: "k2", op: "connect" });
    expect(seen).toHaveLength(1);
  });
});
