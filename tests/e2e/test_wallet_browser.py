"""Signing in the browser's wallet, in a real JupyterLab and Chromium.

An EIP-1193 provider is injected into the page (Playwright ``add_init_script``) as
``window.ethereum``: ``request()``, ``on()``, ``removeListener()``. It is backed by one of
anvil's unlocked accounts and forwards ``eth_sendTransaction`` (and every other read) to the
devnet's RPC with ``fetch``, as a wallet would; it records every call, can reject (4001), and
starts on whatever chain a test sets, honouring ``wallet_switchEthereumChain`` and
``wallet_addEthereumChain``. The kernel holds no key (``account="browser"``)."""

from __future__ import annotations

import json
import re

import pytest
from harness import notebook_lab, seeded_chain
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000  # ms

WALLET = """
(() => {
  const cfg = %s;
  const state = {
    account: cfg.account,
    chainId: cfg.chainId,
    known: [cfg.chainId],
    reject: false,
    calls: [],
    listeners: {},
  };
  window.__wallet = state;
  const fail = (code, message) => Object.assign(new Error(message), { code });
  async function rpc(method, params) {
    const r = await fetch(cfg.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params || [] }),
    });
    const j = await r.json();
    if (j.error) throw fail(j.error.code, j.error.message);
    return j.result;
  }
  function emit(event, value) {
    for (const fn of state.listeners[event] || []) fn(value);
  }
  window.ethereum = {
    isOgpuTestWallet: true,
    async request({ method, params }) {
      state.calls.push({ method, params: JSON.parse(JSON.stringify(params === undefined ? null : params)) });
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [state.account];
        case "eth_chainId":
          return state.chainId;
        case "wallet_switchEthereumChain": {
          const id = String(params[0].chainId).toLowerCase();
          if (!state.known.includes(id)) throw fail(4902, "Unrecognized chain ID " + id);
          state.chainId = id;
          emit("chainChanged", id);
          return null;
        }
        case "wallet_addEthereumChain":
          state.known.push(String(params[0].chainId).toLowerCase());
          return null;
        case "eth_sendTransaction":
          if (state.reject) throw fail(4001, "User rejected the request.");
          if (state.chainId !== cfg.realChainId) throw fail(-32000, "wrong chain " + state.chainId);
          return rpc("eth_sendTransaction", params);
        default:
          return rpc(method, params);
      }
    },
    on(event, fn) {
      (state.listeners[event] = state.listeners[event] || []).push(fn);
    },
    removeListener(event, fn) {
      state.listeners[event] = (state.listeners[event] || []).filter((f) => f !== fn);
    },
  };
})();
"""


def wallet_cell(state: str, tasks: list[str]) -> str:
    return (
        "import ogpu_widgets as ow\n"
        f"table = ow.ResponseTable(tasks={tasks!r}, network={state!r}, account='browser',\n"
        "                          live=False, results=False)\n"
        "table"
    )


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with seeded_chain(tmp_path_factory.mktemp("chain"), tasks=4) as c:
        yield c.dev, c.tasks, c.responses, c.state


@pytest.fixture(scope="module")
def lab(chain, browser, tmp_path_factory):
    dev, tasks, responses, state = chain
    real = hex(dev.network.chain_id)
    cfg = {"account": dev.client.address, "chainId": real, "realChainId": real,
           "rpcUrl": dev.rpc_url}  # fmt: skip
    with notebook_lab(browser, tmp_path_factory.mktemp("wallet-lab"), wallet_cell(state, tasks),
                      notebook="wallet.ipynb",
                      init_script=WALLET % json.dumps(cfg)) as (page, table, kernel, _):  # fmt: skip
        yield page, table, kernel


def wallet(page) -> dict:
    return page.evaluate("() => JSON.parse(JSON.stringify(window.__wallet))")


def set_wallet(page, **values) -> None:
    page.evaluate(
        "(v) => { Object.assign(window.__wallet, v); window.__wallet.calls = []; }", values
    )


def confirm(page, table, response: str) -> None:
    row = table.locator(f'[data-response="{response}"]')
    row.get_by_role("button", name=re.compile("^Confirm")).click()
    page.get_by_role("button", name="Confirm payment").click()


def methods(page) -> list[str]:
    return [c["method"] for c in wallet(page)["calls"]]


def test_confirm_through_the_wallet_checked_on_chain(chain, lab):
    dev, tasks, responses, _ = chain
    page, table, k = lab
    expect(table.get_by_text("signer: browser wallet (not connected)")).to_be_visible()
    assert k.eval("table.read_only") is False and k.eval("table.account") == ""
    provider = dev.providers[0].address
    before = dev.call("Vault", dev.contracts["vault"], "balanceOf", provider)
    set_wallet(page)

    confirm(page, table, responses[0])
    row = table.locator(f'[data-response="{responses[0]}"]')
    expect(row).to_contain_text("confirmed", timeout=WAIT)

    # on chain, not from the widget's own state
    assert dev.call("Task", tasks[0], "getStatus") == 5
    assert dev.call("Response", responses[0], "confirmedFinal") is True
    after = dev.call("Vault", dev.contracts["vault"], "balanceOf", provider)
    assert after - before == 10**18
    calls = wallet(page)["calls"]
    names = [c["method"] for c in calls]
    assert names.index("eth_requestAccounts") < names.index("eth_sendTransaction")
    assert "wallet_switchEthereumChain" not in names  # already on the right chain
    (send,) = [c for c in calls if c["method"] == "eth_sendTransaction"]
    tx = send["params"][0]
    assert tx["from"] == dev.client.address and tx["to"] == dev.network.controller
    assert tx["chainId"] == hex(dev.network.chain_id)
    # the kernel tracked the wallet's hash: same Confirmation as for a kernel key, no key
    state = k.eval(f"table.confirmations[{responses[0]!r}].to_dict()")
    assert state["state"] == "mined" and state["signer"] == dev.client.address
    assert k.eval("table.account") == dev.client.address
    expect(table.locator(".ogpu-rt-account")).to_contain_text("signer")


def test_a_rejection_returns_the_row_to_idle(chain, lab):
    dev, tasks, responses, _ = chain
    page, table, k = lab
    set_wallet(page, reject=True)
    confirm(page, table, responses[1])
    row = table.locator(f'[data-response="{responses[1]}"]')
    expect(row).to_contain_text("rejected in wallet", timeout=WAIT)
    expect(row.get_by_role("button", name=re.compile("^Confirm"))).to_be_enabled()
    assert dev.call("Task", tasks[1], "getStatus") != 5
    assert k.eval(f"ow.pending_confirmation({tasks[1]!r}, network=table.network) is None")
    assert "eth_sendTransaction" in methods(page)  # the wallet prompted, the user said no

    set_wallet(page, reject=False)  # a retry is possible
    confirm(page, table, responses[1])
    expect(row).to_contain_text("confirmed", timeout=WAIT)
    assert dev.call("Response", responses[1], "confirmedFinal") is True


def test_a_wallet_on_another_chain_is_switched(chain, lab):
    dev, tasks, responses, _ = chain
    page, table, k = lab
    set_wallet(page, chainId="0x1", known=["0x1"])
    confirm(page, table, responses[2])
    row = table.locator(f'[data-response="{responses[2]}"]')
    expect(row).to_contain_text("confirmed", timeout=WAIT)
    assert dev.call("Response", responses[2], "confirmedFinal") is True
    calls = wallet(page)["calls"]
    names = [c["method"] for c in calls]
    switch = names.index("wallet_switchEthereumChain")
    add = names.index("wallet_addEthereumChain")
    assert switch < add < names.index("eth_sendTransaction")
    (added,) = calls[add]["params"]
    assert added == {
        "chainId": hex(dev.network.chain_id),
        "chainName": f"OpenGPU ({dev.network.name})",
        "nativeCurrency": {"name": "OGPU", "symbol": "OGPU", "decimals": 18},
        "rpcUrls": [dev.network.rpc_url],
        **({"blockExplorerUrls": [dev.network.explorer_url]} if dev.network.explorer_url else {}),
    }
    assert wallet(page)["chainId"] == hex(dev.network.chain_id)


def test_a_wallet_account_that_is_neither_client_nor_agent_is_refused_before_any_prompt(chain, lab):
    dev, tasks, responses, _ = chain
    page, table, k = lab
    set_wallet(page, account=dev.stranger.address)
    before = dev.w3().eth.get_transaction_count(dev.stranger.address)
    confirm(page, table, responses[3])
    row = table.locator(f'[data-response="{responses[3]}"]')
    expect(row).to_contain_text(re.compile(r"refused: .*not the (task's )?client"), timeout=WAIT)
    error = k.eval(f"table._overrides[{responses[3]!r}]['action_error']")
    assert dev.stranger.address in error  # the typed refusal names the wallet's account
    names = methods(page)
    assert "eth_requestAccounts" in names
    assert "eth_sendTransaction" not in names  # never prompted
    assert dev.call("Task", tasks[3], "getStatus") != 5
    assert dev.w3().eth.get_transaction_count(dev.stranger.address) == before
    assert k.eval("table.account") == dev.stranger.address
