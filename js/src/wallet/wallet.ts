/**
 * The browser's wallet (EIP-1193) for a table whose kernel holds no key (`account="browser"`).
 *
 * Python decides and the wallet signs what Python checked: the kernel sends
 * `{"type": "wallet", "id", "op": "connect"}` (answered with the wallet's account and chain) and
 * `{"type": "wallet", "id", "op": "send", "tx", "chain"}` (answered with the transaction hash).
 * Before sending, a wallet on another chain is asked to switch (`wallet_switchEthereumChain`),
 * and on 4902 (unknown chain) to add the network with the explicit parameters Python gave
 * (`wallet_addEthereumChain`); a wallet whose account is no longer `tx.from` is not asked to
 * send. Errors travel back typed: `rejected` (4001), `no_wallet`, `account_mismatch`, `chain`,
 * `wallet`. See docs/widget-protocol.md ("Browser wallet").
 */
import type { AnyModel } from "@anywidget/types";
import { sendMessage, serve } from "../core/channel";
import type { WidgetModel } from "../core/model";
import {
  ADDRESS,
  parseChainId,
  parseWalletRequest,
  type AddChainParameters,
  type WalletErrorKind,
  type WalletReply,
  type WalletRequest,
  type WalletTx,
} from "../core/protocol";
import { isRecord } from "../core/types";


export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | Record<string, unknown>;
}

export type WalletListener = (...args: unknown[]) => void;

/** The part of an EIP-1193 provider (`window.ethereum`) the table uses. */
export interface Eip1193Provider {
  request(args: RequestArguments): Promise<unknown>;
  on?(event: string, listener: WalletListener): unknown;
  removeListener?(event: string, listener: WalletListener): unknown;
}

export const USER_REJECTED = 4001;
export const UNRECOGNIZED_CHAIN = 4902;
export const NO_WALLET_MESSAGE = "no browser wallet found: install one (e.g. MetaMask, Rabby) or pass account=…";
const TEXT_MAX = 300;

/** A wallet failure with its kind and the wallet's error code. */
export class WalletFailure extends Error {
  constructor(
    readonly kind: WalletErrorKind,
    message: string,
    readonly code: number | null = null,
    readonly account: string = "",
  ) {
    super(message);
    this.name = "WalletFailure";
  }
}

/** `window.ethereum` when it is an EIP-1193 provider, else null. */
export function findProvider(win: Window | null | undefined): Eip1193Provider | null {
  if (win === null || win === undefined) return null;
  const eth: unknown = Reflect.get(win, "ethereum");
  if ((typeof eth === "object" || typeof eth === "function") && eth !== null) {
    const request: unknown = Reflect.get(eth, "request");
    if (typeof request === "function") return eth as Eip1193Provider;
  }
  return null;
}

/** The EIP-1193 code of an error (4902 also when a wallet wraps it in `data.originalError`). */
export function errorCode(e: unknown): number | null {
  if (!isRecord(e)) return null;
  const data = e["data"];
  if (isRecord(data) && isRecord(data["originalError"]) && data["originalError"]["code"] === UNRECOGNIZED_CHAIN) {
    return UNRECOGNIZED_CHAIN;
  }
  const code = e["code"];
  return typeof code === "number" && Number.isInteger(code) ? code : null;
}

function errorText(e: unknown): string {
  let text = "";
  if (e instanceof Error) text = e.message;
  else if (isRecord(e) && typeof e["message"] === "string") text = e["message"];
  else if (typeof e === "string") text = e;
  return text.slice(0, TEXT_MAX);
}

/** Any error a wallet call threw, as a typed failure (4001 → `rejected`). */
export function toFailure(e: unknown): WalletFailure {
  if (e instanceof WalletFailure) return e;
  const code = errorCode(e);
  if (code === USER_REJECTED) return new WalletFailure("rejected", "rejected in wallet", code);
  return new WalletFailure("wallet", errorText(e) || "the wallet returned an error", code);
}

function firstAccount(accounts: unknown): string | null {
  if (!Array.isArray(accounts) || accounts.length === 0) return null;
  const a: unknown = accounts[0];
  return typeof a === "string" && ADDRESS.test(a) ? a : null;
}

async function chainOf(p: Eip1193Provider): Promise<bigint | null> {
  return parseChainId(await p.request({ method: "eth_chainId" }));
}

/** `eth_requestAccounts` then `eth_chainId`: the account the wallet offers and its chain. */
export async function connect(p: Eip1193Provider): Promise<{ account: string; chainId: string }> {
  const account = firstAccount(await p.request({ method: "eth_requestAccounts" }));
  if (account === null) throw new WalletFailure("wallet", "the wallet offered no account");
  const chain = await chainOf(p);
  if (chain === null) throw new WalletFailure("wallet", "the wallet did not say which chain it is on");
  return { account, chainId: `0x${chain.toString(16)}` };
}

/** Make the wallet use `chain`: switch, or add it (on 4902) with the explicit parameters. */
export async function ensureChain(p: Eip1193Provider, chain: AddChainParameters): Promise<void> {
  const want = parseChainId(chain.chainId);
  if (want === null) throw new WalletFailure("chain", `the kernel asked for chain ${chain.chainId}, not a chain id`);
  if ((await chainOf(p)) === want) return;
  const switchTo = { method: "wallet_switchEthereumChain", params: [{ chainId: chain.chainId }] };
  try {
    await p.request(switchTo);
  } catch (e) {
    if (errorCode(e) !== UNRECOGNIZED_CHAIN) throw toFailure(e);
    try {
      await p.request({ method: "wallet_addEthereumChain", params: [chain] });
      // some wallets add a chain without switching to it
      if ((await chainOf(p)) !== want) await p.request(switchTo);
    } catch (e2) {
      throw toFailure(e2);
    }
  }
  const now = await chainOf(p);
  if (now !== want) {
    const shown = now === null ? "an unknown chain" : `chain ${now.toString()}`;
    throw new WalletFailure("chain", `the wallet stayed on ${shown} instead of switching to ${chain.chainName} (${want.toString()})`);
  }
}

/** Send exactly `tx` from the wallet, on `chain`, if the wallet's account is still `tx.from`. */
export async function sendTransaction(p: Eip1193Provider, tx: WalletTx, chain: AddChainParameters): Promise<string> {
  await ensureChain(p, chain);
  const current = firstAccount(await p.request({ method: "eth_accounts" }));
  if (current === null || current.toLowerCase() !== tx.from.toLowerCase()) {
    throw new WalletFailure(
      "account_mismatch",
      `the wallet's account is ${current ?? "none"}, not ${tx.from} which the kernel checked`,
      null,
      current ?? "",
    );
  }
  const hash: unknown = await p.request({ method: "eth_sendTransaction", params: [tx] });
  if (typeof hash !== "string") throw new WalletFailure("wallet", "the wallet returned no transaction hash");
  return hash.slice(0, TEXT_MAX); // Python checks it is a hash
}

function failed(id: string, f: WalletFailure): WalletReply {
  return { type: "wallet", id, ok: false, kind: f.kind, code: f.code, error: f.message, account: f.account };
}

/** Do what `req` asks of `provider` (null: no wallet in the page); never throws. */
export async function answerRequest(provider: Eip1193Provider | null, req: WalletRequest): Promise<WalletReply> {
  if (provider === null) return failed(req.id, new WalletFailure("no_wallet", NO_WALLET_MESSAGE));
  try {
    if (req.op === "connect") {
      const c = await connect(provider);
      return { type: "wallet", id: req.id, ok: true, account: c.account, chain_id: c.chainId };
    }
    const hash = await sendTransaction(provider, req.tx, req.chain);
    return { type: "wallet", id: req.id, ok: true, tx_hash: hash };
  } catch (e) {
    return failed(req.id, toFailure(e));
  }
}

/** Request ids answered in this page: one answer per request, however many views a table has. */
const answered = new Set<string>();

/**
 * Answer the kernel's wallet requests for `model` with the page's wallet, and report the
 * wallet's account changes. The wallet is looked up only when a request comes (a table with a
 * kernel key never touches it). Returns the cleanup.
 */
export function attachWallet(model: AnyModel<WidgetModel>, win: Window): () => void {
  let watched: Eip1193Provider | null = null;
  const onAccounts: WalletListener = (accounts) => {
    try {
      sendMessage(model, { type: "wallet", event: "account", account: firstAccount(accounts) ?? "" });
    } catch {
      // the kernel is gone: nothing to tell
    }
  };
  const stop = serve(model, "wallet", (content) => {
    const req = parseWalletRequest(content);
    if (req === null || answered.has(req.id)) return;
    answered.add(req.id);
    const provider = findProvider(win);
    if (provider !== null && watched === null && typeof provider.on === "function") {
      provider.on("accountsChanged", onAccounts);
      watched = provider;
    }
    void answerRequest(provider, req).then((reply) => {
      try {
        sendMessage(model, reply);
      } catch {
        // the kernel is gone; it times the request out
      }
    });
  });
  return () => {
    stop();
    if (watched !== null && typeof watched.removeListener === "function") watched.removeListener("accountsChanged", onAccounts);
    watched = null;
  };
}
