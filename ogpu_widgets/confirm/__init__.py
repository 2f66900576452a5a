"""Confirming responses: ``Controller.confirmResponse`` sent at most once per task, always with
an outcome (mined, reverted with the contract's reason, or still pending).

    c = confirm_response("0xRESPONSE", account=key)      # or CLIENT_PRIVATE_KEY
    c.state, c.tx_hash, c.block_number, c.error

What happens, in order (module by module):

1. **Pre-flight** (:mod:`.preflight`; nothing is signed): one batched JSON-RPC read of the
   response, its task, the task's client and the signer's pending/latest nonces. The response
   -> task -> source links never change, so they are cached per chain and role
   (:mod:`.process`); later reads of the same response take one batch. The refusals follow
   THE one set of rules (:mod:`.rules`, shared with the table), each raised as a typed,
   data-carrying error. A confirmation of the same task pending on the node from another
   process is refused (:mod:`.elsewhere`).
2. **Simulation** (:mod:`.fees`): ``eth_call`` and ``eth_estimateGas`` at the ``pending`` block,
   with the signer's balance and the current fees, in one batch; revert strings map to the same
   typed refusals, and a signer who cannot pay for the gas is refused.
3. **Sending** (:mod:`.broadcast`): EIP-1559 fees when the latest block has ``baseFeePerGas``, a
   legacy gas price otherwise; gas is the estimate times :data:`GAS_MARGIN`. Nonces are tracked
   per (chain, account) under a lock held from reservation to broadcast. The signed raw
   transaction and its hash are recorded before broadcast; "already known" or a lost reply
   mean *in flight*.
4. **Watching** (:mod:`.tracker`): one background thread polls receipts in batches and
   rebroadcasts the *same* raw transaction when the node has forgotten it.
5. **Never twice** (:mod:`.process`): a process-wide registry keyed by (chain, task). A second
   request for the same response returns the same :class:`Confirmation`; a request for another
   response of a task with a pending or mined confirmation is refused with
   :class:`~ogpu_widgets.errors.ConfirmationInFlightError`. A remembered confirmation is
   re-checked against the chain before it is reused.

In a :class:`~ogpu_widgets.ResponseTable` with ``account="browser"`` (:class:`BrowserWallet`,
:mod:`.wallet`), steps 1-2 and 5 run for the wallet's account, the page's wallet signs and
sends exactly the transaction checked, and its hash is watched as in step 4.

Only :class:`~ogpu_widgets.errors.OgpuWidgetsError` subclasses leave the public calls. The
private key lives only in the signer (:mod:`.signer`): it is never logged, put in a message,
stored on a :class:`Confirmation`, or left in a local variable of a frame that raises.
"""

from __future__ import annotations

from .agents import AgentChange, authorize_agent, is_agent_of, revoke_agent
from .api import (
    Preflight,
    confirm_many,
    confirm_response,
    confirmations,
    estimate_fee,
    pending_confirmation,
    preflight,
)
from .confirmation import Confirmation
from .fees import GAS_MARGIN
from .rules import LABELS, Facts, verdicts
from .signer import SIGNER_ENV, AccountLike, resolve_signer
from .wallet import BrowserWallet

__all__ = [
    "GAS_MARGIN",
    "LABELS",
    "SIGNER_ENV",
    "AccountLike",
    "AgentChange",
    "BrowserWallet",
    "Confirmation",
    "Facts",
    "Preflight",
    "authorize_agent",
    "confirm_many",
    "confirm_response",
    "confirmations",
    "estimate_fee",
    "is_agent_of",
    "pending_confirmation",
    "preflight",
    "resolve_signer",
    "revoke_agent",
    "verdicts",
]
