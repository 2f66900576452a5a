/**
 * Fee estimates for the review panel, by estimate id: the fee (OGPU, and the exact wei when
 * the kernel sent it) or why there is none, and the refusal the kernel already predicts. Asked
 * with `{"type": "estimate"}` through the one request helper (core/channel.ts).
 */
import { ask } from "../core/channel";
import { newId } from "../core/ids";
import type { PredictedRefusal } from "../core/protocol";
import { ignoreAbort, type StoreContext } from "./events";

export interface EstimateState {
  address: string;
  pending: boolean;
  fee: number | null;
  /** The exact fee in wei ("" when the kernel sent none). */
  feeWei: string;
  error: string;
  /** The refusal the estimate predicts (null: none, or no answer yet). */
  refusal: PredictedRefusal | null;
}

export class Estimates {
  private readonly byId = new Map<string, EstimateState>();

  constructor(private readonly ctx: StoreContext) {}

  get(id: string): EstimateState | undefined {
    return this.byId.get(id);
  }

  /** Ask for the fee of confirming `addr`; returns the estimate's id (an "estimate" event follows). */
  request(addr: string): string {
    const { model, signal, events } = this.ctx;
    const id = newId();
    const settle = (s: Omit<EstimateState, "address" | "pending">): void => {
      this.byId.set(id, { address: addr, pending: false, ...s });
      events.emit("estimate", id);
    };
    this.byId.set(id, { address: addr, pending: true, fee: null, feeWei: "", error: "", refusal: null });
    ask(model, { type: "estimate", id, response: addr }, { signal }).then(
      (reply) => {
        const fee = reply.fee_ogpu;
        const error = fee === null && reply.fee_wei === "" && reply.error === "" ? "no estimate" : reply.error;
        settle({ fee, feeWei: reply.fee_wei, error, refusal: reply.refusal });
      },
      ignoreAbort(signal, (e) => settle({ fee: null, feeWei: "", error: String(e), refusal: null })),
    );
    return id;
  }
}
