/**
 * The one request/reply helper of the front-end, and the one `msg:custom` listener per model.
 *
 * - `ask(model, msg, {timeout, signal})` sends a page → kernel request that carries an id
 *   (`estimate`, `wei`, `result`) and resolves with the kernel's answer of the same type and id,
 *   parsed by protocol.ts. Without a timeout it waits until the answer comes or `signal` aborts.
 * - `serve(model, type, handler)` hands the kernel's own requests of a type (the wallet's
 *   `connect`/`send`) to `handler`, which answers them with `sendMessage`.
 *
 * The listener is attached while something waits on the model (a request in flight or a
 * handler) and removed after, so a closed view leaves no listener behind. Answers nobody waits
 * for (another view's, a stale id, the id "" of an unusable request) are dropped.
 */
import type { AnyModel } from "@anywidget/types";
import type { WidgetModel } from "./model";
import {
  parseEstimateReply,
  parseResultAnswer,
  parseWeiReply,
  type EstimateReply,
  type OutgoingMessage,
  type ResultAnswer,
  type WeiReply,
} from "./protocol";
import { isRecord } from "./types";

/** The answer to each request type. */
export interface Answers {
  estimate: EstimateReply;
  wei: WeiReply;
  result: ResultAnswer;
}

export type RequestType = keyof Answers;
type Requests = { [K in RequestType]: Extract<OutgoingMessage, { type: K }> };
/** A page → kernel request of type `T` (it carries the id its answer repeats). */
export type Request<T extends RequestType = RequestType> = Requests[T];

const PARSERS: { [T in RequestType]: (v: unknown) => Answers[T] | null } = {
  estimate: parseEstimateReply,
  wei: parseWeiReply,
  result: parseResultAnswer,
};

export interface AskOptions {
  /** Reject with `AskTimeout` after this many ms (default: wait for the answer). */
  timeout?: number;
  /** Stop waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The kernel did not answer a request within its timeout. */
export class AskTimeout extends Error {
  constructor(readonly type: RequestType) {
    super(`the kernel did not answer the ${type} request in time`);
    this.name = "AskTimeout";
  }
}

interface Waiting {
  type: RequestType;
  settle(answer: unknown): void;
}

type Handler = (content: Record<string, unknown>) => void;

class Channel {
  readonly waiting = new Map<string, Waiting>();
  readonly handlers = new Map<string, Set<Handler>>();
  private readonly listener = (content: unknown): void => this.dispatch(content);
  private attached = false;

  constructor(private readonly model: AnyModel<WidgetModel>) {}

  private dispatch(content: unknown): void {
    if (!isRecord(content) || typeof content["type"] !== "string") return;
    const type = content["type"];
    const id = content["id"];
    const w = typeof id === "string" ? this.waiting.get(id) : undefined;
    if (w !== undefined && w.type === type) {
      const answer = PARSERS[w.type](content);
      if (answer !== null) w.settle(answer);
      return;
    }
    for (const h of Array.from(this.handlers.get(type) ?? [])) {
      try {
        h(content);
      } catch (e) {
        console.error("[ogpu-widgets]", e);
      }
    }
  }

  /** Attach the listener while something waits, remove it after. */
  sync(): void {
    const busy = this.waiting.size > 0 || this.handlers.size > 0;
    if (busy && !this.attached) this.model.on("msg:custom", this.listener);
    else if (!busy && this.attached) this.model.off("msg:custom", this.listener);
    this.attached = busy;
  }
}

const channels = new WeakMap<object, Channel>();

/** Why a request stopped waiting: the signal's reason (an Error), or an AbortError. */
function aborted(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("the request was aborted", "AbortError");
}

function channelOf(model: AnyModel<WidgetModel>): Channel {
  let c = channels.get(model);
  if (c === undefined) {
    c = new Channel(model);
    channels.set(model, c);
  }
  return c;
}

/** `model.send` restricted to the messages the protocol defines. */
export function sendMessage(model: AnyModel<WidgetModel>, msg: OutgoingMessage): void {
  model.send(msg);
}

/** Send `msg` and resolve with the kernel's answer to it (rejects if it cannot be sent). */
export function ask<M extends Request>(
  model: AnyModel<WidgetModel>,
  msg: M,
  options: AskOptions = {},
): Promise<Answers[M["type"]]> {
  type A = Answers[M["type"]];
  const channel = channelOf(model);
  const { timeout, signal } = options;
  return new Promise<A>((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted(signal));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | null = null;
    const onAbort = (): void => done(() => reject(aborted(signal)));
    const done = (then: () => void): void => {
      if (channel.waiting.get(msg.id) !== waiting) return;
      channel.waiting.delete(msg.id);
      channel.sync();
      if (timer !== null) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      then();
    };
    const waiting: Waiting = {
      type: msg.type,
      settle: (answer) => done(() => resolve(answer as A)),
    };
    channel.waiting.set(msg.id, waiting);
    channel.sync();
    if (timeout !== undefined) timer = setTimeout(() => done(() => reject(new AskTimeout(msg.type))), timeout);
    signal?.addEventListener("abort", onAbort);
    try {
      sendMessage(model, msg);
    } catch (e) {
      done(() => reject(e instanceof Error ? e : new Error(String(e))));
    }
  });
}

/** Hand the kernel's messages of `type` (its own requests) to `handler`; returns the stop. */
export function serve(model: AnyModel<WidgetModel>, type: string, handler: Handler): () => void {
  const channel = channelOf(model);
  let set = channel.handlers.get(type);
  if (set === undefined) {
    set = new Set();
    channel.handlers.set(type, set);
  }
  set.add(handler);
  channel.sync();
  return () => {
    const s = channel.handlers.get(type);
    if (s === undefined || !s.delete(handler)) return;
    if (s.size === 0) channel.handlers.delete(type);
    channel.sync();
  };
}
