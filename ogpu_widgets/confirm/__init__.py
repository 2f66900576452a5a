"""Confirming responses: ``Controller.confirmResponse`` sent at most once per task, always with
an outcome (mined, reverted with the contract's reason, or still pending).

    c = confirm_response("0xRESPONSE", account=key)      # or CLIENT_PRIVATE_KEY
    c.state, c.tx_hash, c.block_number, c.error

What happens, in order (one pipeline, :mod:`.pipeline`, for every call that checks):

1. **Read** (:mod:`.preflight`; nothing is signed): one batched JSON-RPC read of the
   responses, their tasks, the tasks' clients (``Terminal.isAgentOf`` when the signer is not
   the client) and the signer's pending/latest nonces. The response -> task -> source links
   never change, so they are cached per chain and role (:mod:`.process`); later reads of the
   same response take one batch.
2. **Pending elsewhere** (:mod:`.elsewhere`): a confirmation of the same task from the same
   key waiting in the node's pool, not sent by this process, is refused.
3. **Rules and registration** (:mod:`.rules`, :mod:`.process`): a confirmation of the task
   already in this process is joined (same response) or refused
   (:class:`~ogpu_widgets.errors.ConfirmationInFlightError`); then THE one set of rules
   (shared with the table), each refusal a typed, data-carrying error. Nothing refused: each
   confirmation is registered, never twice per (chain, task).
4. **Simulation and fee plan** (:mod:`.fees`): ``eth_call`` and ``eth_estimateGas`` at the
   ``pending`` block with the current fees, in one batch; revert strings map to the same
   typed refusals. EIP-1559 fees when the latest block has ``baseFeePerGas``, a legacy gas
   price otherwise; gas is the estimate times :data:`GAS_MARGIN`.
5. **Funds**: a signer who cannot pay the most the gas can cost is refused.
6. **Sending** (:func:`.pipeline.dispatch`, :mod:`.broadcast`): nonces per (chain, account)
   under a lock held from reservation to broadcast. The signed raw transaction and its hash
   are recorded on the :class:`Confirmation` before broadcast; "already known" or a lost
   reply mean *in flight*.
7. **Watching** (:mod:`.tracker`): one background thread polls receipts in batches and has a
   transaction the node forgot rebroadcast, the *same* raw transaction
   (:mod:`.confirmation`, :mod:`.outcome`).

``preflight``/``estimate_fee`` (and the wallet's ``estimate``) run steps 1-5 without
registering; ``confirm_response``/``confirm_many`` (and the wallet's ``prepare``) all of
them. ``authorize_agent``/``revoke_agent`` (:mod:`.agents`) read and check their own call,
then are priced, registered, sent and watched the same way.

In a :class:`~ogpu_widgets.ResponseTable` with ``account="browser"`` (:class:`BrowserWallet`,
:mod:`.wallet`), steps 1-5 run for the wallet's account, the page's wallet signs and sends
exactly the transaction checked, and its hash is watched as in step 7.

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
