"""The steps the public calls share: re-checking remembered confirmations against the chain,
registering (never twice), and simulating, signing and sending in order."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence

from ..errors import ConfirmationError, ConfirmManyError, OgpuWidgetsError
from ..records import ConfirmationState, TaskStatus
from .broadcast import send
from .confirmation import Confirmation
from .engine import Engine
from .fees import check_funds, simulate
from .preflight import Reading, State, check, in_flight_error, read_states
from .process import PROCESS
from .signer import Signer

__all__ = ["join", "prepare_and_send", "read", "register", "typed"]

logger = logging.getLogger("ogpu_widgets.confirm")


@contextlib.contextmanager
def typed(what: str) -> Iterator[None]:
    """Let only :class:`OgpuWidgetsError` out: anything else (a reply of a shape no node should
    give, a bug) becomes a :class:`ConfirmationError` saying what it was."""
    try:
        yield
    except OgpuWidgetsError:
        raise
    except Exception as exc:
        raise ConfirmationError(
            f"{what} failed unexpectedly ({type(exc).__name__}: {exc}); check "
            "pending_confirmation(task) before trying again"
        ) from exc


def read(engine: Engine, responses: Sequence[str], signer: str) -> Reading:
    """:func:`read_states`, after which remembered mined confirmations of the tasks read are
    re-checked against the chain: a confirmation whose transaction the node does not know, of
    a task the chain says is still open, belongs to another chain that answered at the same
    URL with the same identity (a restarted devnet). It is forgotten, with everything else
    remembered about that identity, and the responses are read afresh."""
    reading = read_states(engine, responses, signer)
    suspects: list[Confirmation] = []
    for s in reading.states:
        entry = PROCESS.registry.get(reading.identity, s.task) if s.task else None
        if (
            entry is not None
            and entry.state == ConfirmationState.MINED
            and entry.tx_hash
            and not s.confirmed
            and s.task_status != TaskStatus.FINALIZED
        ):
            suspects.append(entry)
    if not suspects:
        return reading
    calls = []
    for c in suspects:
        calls += [
            ("eth_getTransactionReceipt", [c.tx_hash]),
            ("eth_getTransactionByHash", [c.tx_hash]),
        ]
    found = engine.rpc.batch(calls)
    # unknown to the node: no receipt and no transaction (an error reply tells nothing)
    stale = [c for i, c in enumerate(suspects) if found[2 * i] is None and found[2 * i + 1] is None]
    if not stale:
        return reading
    for c in stale:
        logger.warning(
            "the node at %s does not know transaction %s, which confirmed %s, and says task %s "
            "is open: another chain answers at this URL; forgetting what was remembered",
            engine.network.rpc_url, c.tx_hash, c.response, c.task,
        )  # fmt: skip
        PROCESS.registry.remove(c)
    PROCESS.forget_chain(reading.identity)
    return read_states(engine, responses, signer)


def join(entry: Confirmation, on_update: Callable | None, engine: Engine) -> Confirmation:
    entry._wait_sent(timeout=max(60.0, 4 * engine.network.request_timeout))
    entry._add_callback(on_update, now=True)
    logger.debug("joined the confirmation of %s already in this process", entry.response)
    return entry


def register(
    engine: Engine,
    reading: Reading,
    signer: str,
    elsewhere: dict[str, ConfirmationError],
    states: Sequence[State] | None = None,
) -> tuple[list[Confirmation | None], dict[str, ConfirmationError], list[Confirmation]]:
    """Under the registry lock: for each state, the existing confirmation of the same response
    (joined), or a refusal, or — if nothing is refused at all — a new registered confirmation.
    Returns (joined-or-None per state, refusals, new confirmations)."""
    identity = reading.identity
    states = reading.states if states is None else states
    joined: list[Confirmation | None] = []
    refusals: dict[str, ConfirmationError] = {}
    registry = PROCESS.registry
    with registry.lock:
        for s in states:
            entry = registry.get(identity, s.task) if s.task else None
            if entry is not None:
                if entry.response == s.response:
                    joined.append(entry)
                else:
                    joined.append(None)
                    refusals[s.response] = in_flight_error(entry, s.response)
                continue
            joined.append(None)
            try:
                check(s, signer)
            except ConfirmationError as exc:
                refusals[s.response] = exc
                continue
            if s.response in elsewhere:
                refusals[s.response] = elsewhere[s.response]
        if refusals:
            return joined, refusals, []
        new = []
        for s, j in zip(states, joined, strict=True):
            if j is None:
                c = Confirmation(engine, identity, s, signer)
                registry.add(c)
                new.append(c)
        return joined, refusals, new


def many_message(refusals: dict[str, BaseException], what: str) -> str:
    lines = [f"{len(refusals)} response(s) {what}; nothing was sent:"]
    lines += [f"  {r}: {type(e).__name__}: {e}" for r, e in refusals.items()]
    return "\n".join(lines)


def prepare_and_send(
    engine: Engine, new: list[Confirmation], states: list[State], signer: Signer, block: dict
) -> None:
    """Simulate, check funds, then sign and broadcast ``new`` in order with consecutive nonces.
    A confirmation that was not sent is abandoned (and its error raised); ones sent stay.
    ``on_update`` callbacks run outside the nonce lock (they may take locks of their own)."""
    sent: list[Confirmation] = []
    failure: BaseException | None = None
    try:
        with typed("sending the confirmation"):
            plans, refusals, balance = simulate(engine, states, signer.address, block)
            if refusals:
                if len(new) == 1:
                    raise next(iter(refusals.values()))
                raise ConfirmManyError(many_message(refusals, "simulation refused"), refusals)
            total = sum(plans[c.response].max_cost for c in new)
            what = "this confirmation" if len(new) == 1 else f"these {len(new)} confirmations"
            data = {"response": new[0].response, "task": new[0].task} if len(new) == 1 else {}
            check_funds(balance, total, signer.address, what, **data)
            for c in new:
                c._notify()  # signing
            with PROCESS.nonces.lock((new[0]._identity, signer.address)):
                for c in new:
                    send(engine, c, signer, plans[c.response], PROCESS.nonces)
                    sent.append(c)
    except BaseException as exc:
        failure = exc
    for c in sent:
        c._notify()  # pending
        PROCESS.tracker.add(c)
    if failure is None:
        return
    rest = new[len(sent) :]
    for c in rest:
        PROCESS.registry.abandon(c, failure)
    if sent:
        raise ConfirmManyError(
            f"sent {len(sent)} of {len(new)} confirmations, then: {failure}; the rest were "
            "not sent",
            {c.response: failure for c in rest},  # type: ignore[misc]
            sent,
        ) from failure
    raise failure
