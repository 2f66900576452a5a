/**
 * Confirm requests of the store: `_confirm_request` sent once per row until the row's `action`
 * reports an end state (row patches acknowledge it), or `_reply` rejects it.
 */
import { onTraitChange } from "../core/model";
import { newId } from "../core/ids";
import { readRejection } from "../core/protocol";
import { isTerminal } from "../core/states";
import type { Scalar } from "../core/types";
import type { StoreContext } from "./events";

export interface PendingRequest {
  id: string;
  /** True once Python's patches started reporting progress for this request. */
  acked: boolean;
}

export class ConfirmRequests {
  /** Requests in flight by response address. */
  readonly requests = new Map<string, PendingRequest>();
  /** Outcome of finished requests by id: "rejected" (a `_reply` error) or "done". */
  readonly outcomes = new Map<string, "rejected" | "done">();
  /** The error of a rejected request, by response address. */
  readonly replyErrors = new Map<string, string>();

  constructor(private readonly ctx: StoreContext) {}

  /** Follow `_reply`; returns the function that stops. */
  listen(): () => void {
    return onTraitChange(this.ctx.model, "_reply", () => this.onReply());
  }

  /** Send a `_confirm_request` for `addr` (once; returns the id, or null if one is pending). */
  request(addr: string): string | null {
    if (this.requests.has(addr)) return null;
    const { model, notify, events } = this.ctx;
    const id = newId();
    this.requests.set(addr, { id, acked: false });
    this.replyErrors.delete(addr);
    try {
      model.set("_confirm_request", { id, response: addr });
      model.save_changes();
    } catch (e) {
      this.requests.delete(addr);
      this.outcomes.set(id, "rejected");
      this.replyErrors.set(addr, String(e));
      notify("error", `Could not send the confirm request: ${String(e)}`);
    }
    events.emit("confirm", addr);
    return id;
  }

  /** The row's `action` was patched: any non-empty value acknowledges its request. */
  onAction(addr: string, action: Scalar): void {
    const req = this.requests.get(addr);
    if (!req || typeof action !== "string" || action.length === 0) return;
    req.acked = true;
    if (isTerminal(action)) {
      this.requests.delete(addr);
      this.outcomes.set(req.id, "done");
    }
    this.ctx.events.emit("confirm", addr);
  }

  private onReply(): void {
    const rejected = readRejection(this.ctx.model.get("_reply"));
    if (rejected === null) return;
    const { id, error } = rejected;
    let addr: string | null = null;
    for (const [a, req] of this.requests) {
      if (req.id === id) {
        addr = a;
        break;
      }
    }
    if (addr !== null) {
      this.requests.delete(addr);
      this.outcomes.set(id, "rejected");
      this.replyErrors.set(addr, error);
      this.ctx.notify("error", `Confirm ${addr} failed: ${error}`);
      this.ctx.events.emit("confirm", addr);
    } else {
      this.ctx.notify("error", error);
      this.ctx.events.emit("confirm", null);
    }
  }
}
