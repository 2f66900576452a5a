import { describe, expect, it } from "vitest";
import {
  NO_WALLET_MESSAGE,
  answerRequest,
  attachWallet,
  ensureChain,
  findProvider,
  type Eip1193Provider,
  type RequestArguments,
  type WalletListener,
} from "../src/wallet/wallet";
import {
  parseWalletRequest,
  type AddChainParameters,
  type WalletReply,
  type WalletRequest,
  type WalletTx,
} from "../src/core/protocol";
import { FakeModel } from "./helpers";

const ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const HASH = `0x${"ab".repeat(32)}`;

const MAINNET: AddChainParameters = {
  chainId: "0x42f",
  chainName: "OpenGPU",
  nativeCurrency: { name: "OGPU", symbol: "OGPU", decimals: 18 },
  rpcUrls: ["https://mainnet-rpc.ogpuscan.io"],
  blockExplorerUrls: ["https://ogpuscan.io"],
};

const TX: WalletTx = {
  from: ACCOUNT,
  to: "0x8661F4B9c30e07A04d795A192478dfD905625a1D",
  data: "0x12345678",
  value: "0x0",
  gas: "0x1d4c0",
  chainId: "0x42f",
  type: "0x2",
  maxFeePerGas: "0x3b9aca00",
  maxPriorityFeePerGas: "0x1",
};

/** An EIP-1193 error as wallets throw them: an Error with a code (and sometimes data). */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** A scriptable EIP-1193 wallet that records every call. */
class FakeWallet implements Eip1193Provider {
  calls: RequestArguments[] = [];
  chain = "0x1";
  known = new Set<string>(["0x1"]);
  account = ACCOUNT;
  /** Methods that fail with this error. */
  fail = new Map<string, RpcError>();
  listeners = new Map<string, Set<WalletListener>>();

  request(args: RequestArguments): Promise<unknown> {
    this.calls.push(args);
    const err = this.fail.get(args.method);
    if (err) return Promise.reject(err);
    const first: unknown = Array.isArray(args.params) ? args.params[0] : undefined;
    switch (args.method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return Promise.resolve([this.account]);
      case "eth_chainId":
        return Promise.resolve(this.chain);
      case "wallet_switchEthereumChain": {
        const id = (first as { chainId: string }).chainId;
        if (!this.known.has(id)) return Promise.reject(new RpcError(4902, "Unrecognized chain ID"));
        this.chain = id;
        return Promise.resolve(null);
      }
      case "wallet_addEthereumChain":
        this.known.add((first as AddChainParameters).chainId);
        return Promise.resolve(null);
      case "eth_sendTransaction":
        return Promise.resolve(HASH);
      default:
        return Promise.reject(new RpcError(4200, `unsupported ${args.method}`));
    }
  }

  on(event: string, listener: WalletListener): void {
    let s = this.listeners.get(event);
    if (!s) this.listeners.set(event, (s = new Set()));
    s.add(listener);
  }

  removeListener(event: string, listener: WalletListener): void {
    this.listeners.get(event)?.delete(listener);
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

const send = (id = "r1"): WalletRequest => ({ id, op: "send", response: OTHER, tx: TX, chain: MAINNET });

describe("wallet: chain switching", () => {
  it("switches, then adds the chain with its full explicit parameters on 4902, then re-checks", async () => {
    const w = new FakeWallet();
    const reply = await answerRequest(w, send());
    expect(reply).toEqual({ type: "wallet", id: "r1", ok: true, tx_hash: HASH });
    expect(w.methods()).toEqual([
      "eth_chainId",
      "wallet_switchEthereumChain",
      "wallet_addEthereumChain",
      "eth_chainId",
      "wallet_switchEthereumChain",
      "eth_chainId",
      "eth_accounts",
      "eth_sendTransaction",
    ]);
    const add = w.calls.find((c) => c.method === "wallet_addEthereumChain");
    expect(add?.params).toEqual([MAINNET]);
    // exactly the transaction Python computed
    expect(w.calls.at(-1)?.params).toEqual([TX]);
  });

  it("only switches when the wallet knows the chain, and does nothing when it is on it", async () => {
    const w = new FakeWallet();
    w.known.add("0x42f");
    await ensureChain(w, MAINNET);
    expect(w.methods()).toEqual(["eth_chainId", "wallet_switchEthereumChain", "eth_chainId"]);
    w.calls = [];
    await ensureChain(w, MAINNET);
    expect(w.methods()).toEqual(["eth_chainId"]);
  });

  it("recognizes 4902 wrapped in data.originalError (MetaMask mobile)", async () => {
    const w = new FakeWallet();
    w.fail.set("wallet_switchEthereumChain", new RpcError(-32603, "internal", { originalError: { code: 4902 } }));
    const add = w.request.bind(w);
    w.request = (args) => {
      if (args.method === "wallet_addEthereumChain") w.fail.delete("wallet_switchEthereumChain");
      return add(args);
    };
    await ensureChain(w, MAINNET);
    expect(w.methods()).toContain("wallet_addEthereumChain");
    expect(w.chain).toBe("0x42f");
  });

  it("a wallet that stays on the wrong chain is a typed chain error, and nothing is sent", async () => {
    const w = new FakeWallet();
    w.known.add("0x42f");
    const original = w.request.bind(w);
    w.request = (args) => (args.method === "wallet_switchEthereumChain" ? Promise.resolve(null) : original(args));
    const reply = await answerRequest(w, send());
    expect(reply).toMatchObject({ ok: false, kind: "chain" });
    expect(w.methods()).not.toContain("eth_sendTransaction");
  });
});

describe("wallet: errors", () => {
  it("maps a rejection (4001) of the send to `rejected`", async () => {
    const w = new FakeWallet();
    w.chain = "0x42f";
    w.fail.set("eth_sendTransaction", new RpcError(4001, "User denied transaction signature."));
    const reply = await answerRequest(w, send());
    expect(reply).toEqual({ type: "wallet", id: "r1", ok: false, kind: "rejected", code: 4001, error: "rejected in wallet", account: "" });
  });

  it("maps a rejection of the connection or of the chain switch to `rejected`", async () => {
    const w = new FakeWallet();
    w.fail.set("eth_requestAccounts", new RpcError(4001, "User rejected the request."));
    expect(await answerRequest(w, { id: "c", op: "connect" })).toMatchObject({ ok: false, kind: "rejected", code: 4001 });
    const w2 = new FakeWallet();
    w2.fail.set("wallet_switchEthereumChain", new RpcError(4001, "no"));
    expect(await answerRequest(w2, send())).toMatchObject({ ok: false, kind: "rejected" });
    expect(w2.methods()).not.toContain("eth_sendTransaction");
  });

  it("other wallet errors are `wallet` with their code and (capped) message", async () => {
    const w = new FakeWallet();
    w.chain = "0x42f";
    w.fail.set("eth_sendTransaction", new RpcError(-32000, "insufficient funds ".repeat(40)));
    const reply = await answerRequest(w, send());
    expect(reply).toMatchObject({ ok: false, kind: "wallet", code: -32000 });
    expect((reply as { error: string }).error.length).toBeLessThanOrEqual(300);
  });

  it("no wallet in the page gives the clear message", async () => {
    expect(findProvider({} as Window)).toBeNull();
    expect(findProvider({ ethereum: { isMetaMask: true } } as unknown as Window)).toBeNull();
    const reply = await answerRequest(null, { id: "c", op: "connect" });
    expect(reply).toEqual({ type: "wallet", id: "c", ok: false, kind: "no_wallet", code: null, error: NO_WALLET_MESSAGE, account: "" });
    expect(NO_WALLET_MESSAGE).toContain("install one (e.g. MetaMask, Rabby) or pass account=");
  });

  it("refuses to send when the wallet's account is not the one Python checked", async () => {
    const w = new FakeWallet();
    w.chain = "0x42f";
    w.account = OTHER;
    const reply = await answerRequest(w, send());
    expect(reply).toMatchObject({ ok: false, kind: "account_mismatch", account: OTHER });
    expect(w.methods()).not.toContain("eth_sendTransaction");
  });

  it("connect reports the account and the chain", async () => {
    const w = new FakeWallet();
    w.chain = "0x42F";
    expect(await answerRequest(w, { id: "c", op: "connect" })).toEqual({
      type: "wallet",
      id: "c",
      ok: true,
      account: ACCOUNT,
      chain_id: "0x42f",
    });
    expect(w.methods()).toEqual(["eth_requestAccounts", "eth_chainId"]);
  });
});

describe("wallet: messages", () => {
  it("parses only well-formed requests, and keeps only the known transaction fields", () => {
    expect(parseWalletRequest({ type: "wallet", id: "x", op: "connect" })).toEqual({ id: "x", op: "connect" });
    const ok = parseWalletRequest({ type: "wallet", id: "x", op: "send", response: OTHER, tx: { ...TX, extra: "0x1" }, chain: MAINNET });
    expect(ok).toEqual({ id: "x", op: "send", response: OTHER, tx: TX, chain: MAINNET });
    expect(parseWalletRequest({ type: "wallet", id: "", op: "connect" })).toBeNull();
    expect(parseWalletRequest({ type: "wallet", id: "x", op: "send", response: OTHER, tx: { ...TX, from: "me" }, chain: MAINNET })).toBeNull();
    expect(parseWalletRequest({ type: "wallet", id: "x", op: "send", response: OTHER, tx: { ...TX, data: "<script>" }, chain: MAINNET })).toBeNull();
    expect(parseWalletRequest({ type: "wallet", id: "x", op: "send", response: OTHER, tx: TX, chain: { ...MAINNET, rpcUrls: [1] } })).toBeNull();
    expect(parseWalletRequest({ type: "estimate", id: "x" })).toBeNull();
  });

  it("answers each request once over the model, however many views listen, and reports account changes", async () => {
    const model = new FakeModel();
    const w = new FakeWallet();
    const win = { ethereum: w } as unknown as Window;
    const stopA = attachWallet(model, win);
    const stopB = attachWallet(model, win);
    model.trigger("msg:custom", { type: "wallet", id: "once-1", op: "connect" });
    await waitFor(() => model.sent.length > 0);
    await Promise.resolve();
    expect(model.sent).toEqual([{ type: "wallet", id: "once-1", ok: true, account: ACCOUNT, chain_id: "0x1" }]);
    expect(w.methods().filter((m) => m === "eth_requestAccounts")).toHaveLength(1);
    for (const l of w.listeners.get("accountsChanged") ?? []) l([OTHER]);
    expect(model.sent.at(-1)).toEqual({ type: "wallet", event: "account", account: OTHER });
    stopA();
    stopB();
    expect(w.listeners.get("accountsChanged")?.size ?? 0).toBe(0);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(cond()).toBe(true);
}

// the union is what Python receives
const _typecheck: WalletReply = { type: "wallet", id: "x", ok: true, tx_hash: HASH };
void _typecheck;
