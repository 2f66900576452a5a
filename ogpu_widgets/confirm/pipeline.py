"""THE confirm pipeline: for a set of responses and a signer, in this order,

1. **read** (:func:`read`): one batched pre-flight read (:mod:`.preflight`), re-checked against
   remembered confirmations (a restarted devnet behind the same URL is read afresh); a set
   with two responses of one task is refused at once (:class:`DuplicateTaskError`);
2. **pending elsewhere** (:mod:`.elsewhere`): a confirmation of the same task from the same
   signer waiting in the node's pool, not sent by this process;
3. **rules and registration** (:func:`admit`): a confirmation of the task already in this
   process (joined when it is of the same response and the caller joins, else refused), then
   the one set of rules (:func:`~.rules.check`), then pending elsewhere; when nothing is
   refused and the caller registers, each response gets its :class:`Confirmation` in the
   registry (never twice) under the registry's lock;
4. **simulation and fee plan** (:func:`~.fees.simulate`), at the ``pending`` block;
5. **funds**: the signer's balance against the most the set can cost.

:func:`run` returns a :class:`Run`: per response a :class:`Quote` (a refusal, a joined
confirmation, or a priced transaction with its registered confirmation) and the one error the
call raises (``Run.error``). Registered confirmations of a run that ends refused are abandoned.
Every public call goes through it: ``confirm_response``, ``confirm_many``, ``preflight``,
``estimate_fee`` and the browser wallet's ``prepare`` and ``estimate``. :func:`dispatch` then
signs and sends (also an agent change's transaction) with consecutive nonces, and hands them
to the one tracker.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..chain.network import Network
from ..errors import (
    ConfirmationError,
    ConfirmManyError,
    DuplicateTaskError,
    InsufficientFundsError,
    OgpuWidgetsError,
)
from ..records import ConfirmationState, TaskStatus
from .broadcast import send
from .confirmation import Confirmation
from .elsewhere import pending_elsewhere
from .engine import Engine
from .fees import Plan, check_funds, simulate
from .preflight import Reading, State, read_states
from .process import PROCESS
from .rules import check, in_flight_error
from .signer import Signer

__all__ = ["Quote", "Run", "admit", "dispatch", "join", "quote", "read", "run", "typed"]

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


@dataclass
class Quote:
    """One response through the pipeline: ``refusal`` (the typed error), or ``joined`` (its
    confirmation already in this process), or ``plan`` (priced; ``confirmation`` is the one
    registered for it, ``None`` when only quoted)."""

    state: State
    refusal: ConfirmationError | None = None
    joined: Confirmation | None = None
    plan: Plan | None = None
    confirmation: Confirmation | None = None


@dataclass
class Run:
    """What the pipeline found for a set of responses: a :class:`Quote` per response (in
    order), the signer's balance (once simulated) and the error the call raises, if any."""

    reading: Reading
    quotes: list[Quote]
    balance: int = 0
    error: BaseException | None = None
    new: list[Confirmation] = field(default_factory=list)


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
    for i, c in enumerate(suspects):  # no receipt, the node has it: a reorg put it back in flight
        if found[2 * i] is None and isinstance(found[2 * i + 1], dict):
            c.unmined(True)
            PROCESS.tracker.add(c)
    # unknown to the node: no receipt and no transaction (an error reply tells nothing)
    stale = [c for i, c in enumerate(suspects) if found[2 * i] is None and found[2 * i + 1] is None]
    if not stale:
        return reading
    for c in stale:
        c.unmined(False)  # undone by a reorg, or another chain: on this one nothing was paid
        logger.warning(
            "the node at %s does not know transaction %s, which confirmed %s, and says task %s "
            "is open: another chain answers at this URL; forgetting what was remembered",
            engine.network.rpc_url, c.tx_hash, c.response, c.task,
        )  # fmt: skip
        PROCESS.registry.remove(c)
    PROCESS.forget_chain(reading.identity)
    return read_states(engine, responses, signer)


def _one_per_task(reading: Reading) -> None:
    by_task: dict[str, list[str]] = {}
    for s in reading.states:
        if s.task:
            by_task.setdefault(s.task, []).append(s.response)
    dupes = {t: rs for t, rs in by_task.items() if len(rs) > 1}
    if dupes:
        raise DuplicateTaskError(
            "a task pays one response, but these tasks got several; keep one response per "
            "task (nothing was sent): "
            + "; ".join(f"task {t}: {', '.join(rs)}" for t, rs in dupes.items())
        )


def admit(
    engine: Engine,
    reading: Reading,
    signer: str,
    elsewhere: dict[str, ConfirmationError],
    *,
    register: bool,
    join: bool,
) -> list[Quote]:
    """Step 3, under the registry lock: per response, the confirmation of its task already in
    this process (joined if ``join`` and of the same response, else refused), else the rules,
    else pending elsewhere. With ``register`` and nothing refused, each response not joined gets
    a new registered :class:`Confirmation`."""
    registry = PROCESS.registry
    quotes = [Quote(s) for s in reading.states]
    with registry.lock:
        for q in quotes:
            s = q.state
            entry = registry.get(reading.identity, s.task) if s.task else None
            if entry is not None:
                if join and entry.response == s.response:
                    q.joined = entry
                else:
                    q.refusal = in_flight_error(entry, s.response)
                continue
            try:
                check(s, signer)
            except ConfirmationError as exc:
                q.refusal = exc
                continue
            q.refusal = elsewhere.get(s.response)
        if register and not any(q.refusal for q in quotes):
            for q in quotes:
                if q.joined is None:
                    q.confirmation = Confirmation(engine, reading.identity, q.state, signer)
                    registry.add(q.confirmation)
    return quotes


def many_message(refusals: dict[str, BaseException], what: str) -> str:
    lines = [f"{len(refusals)} response(s) {what}; nothing was sent:"]
    lines += [f"  {r}: {type(e).__name__}: {e}" for r, e in refusals.items()]
    return "\n".join(lines)


def _price(engine: Engine, r: Run, fresh: list[Quote], signer: str) -> None:
    """Steps 4 and 5 for the responses not joined; sets ``r.error`` on a refusal."""
    plans, refusals, r.balance = simulate(engine, [q.state for q in fresh], signer, r.reading.block)
    for q in fresh:
        q.plan, q.refusal = plans.get(q.state.response), refusals.get(q.state.response)
    if refusals:
        r.error = (next(iter(refusals.values())) if len(fresh) == 1 else
                   ConfirmManyError(many_message(refusals, "simulation refused"), refusals))  # fmt: skip
        return
    total = sum(q.plan.max_cost for q in fresh if q.plan)
    one = fresh[0].state if len(fresh) == 1 else None
    what = "this confirmation" if one else f"these {len(fresh)} confirmations"
    data = {"response": one.response, "task": one.task} if one else {}
    try:
        check_funds(r.balance, total, signer, what, **data)
    except InsufficientFundsError as exc:
        r.error = exc
        if one:
            fresh[0].refusal = exc


def run(
    engine: Engine,
    responses: Sequence[str],
    signer: str,
    *,
    register: bool = False,
    join: bool = True,
    many: bool = False,
) -> Run:
    """The pipeline (see the module docstring) for ``responses`` and ``signer``. With
    ``register`` the priced responses are registered (and abandoned again if the run ends
    refused); ``join`` joins a confirmation of the same response already in this process
    (else it is refused); ``many`` words the errors for a set (:class:`ConfirmManyError`)."""
    reading = read(engine, responses, signer)
    if many:
        _one_per_task(reading)
    elsewhere = pending_elsewhere(engine, reading, signer)
    r = Run(reading, admit(engine, reading, signer, elsewhere, register=register,
                           join=register and join))  # fmt: skip
    refusals = {q.state.response: q.refusal for q in r.quotes if q.refusal}
    if refusals:
        r.error = (ConfirmManyError(many_message(refusals, "refused"), refusals) if many
                   else next(iter(refusals.values())))  # fmt: skip
        return r
    fresh = [q for q in r.quotes if q.joined is None]
    r.new = [q.confirmation for q in fresh if q.confirmation is not None]
    if not fresh:
        return r
    try:
        _price(engine, r, fresh, signer)
    except BaseException as exc:
        for c in r.new:
            PROCESS.registry.abandon(c, exc)
        raise
    if r.error is not None:
        for c in r.new:
            PROCESS.registry.abandon(c, r.error)
    return r


def quote(network: Network, response: str, signer: str) -> tuple[Quote, Run]:
    """``response`` through the pipeline for ``signer`` without registering: its priced
    :class:`Quote`, or its typed refusal raised. What ``preflight``, ``estimate_fee`` and the
    browser wallet's ``estimate`` return."""
    r = run(PROCESS.engine(network), [response], signer)
    if r.error is not None:
        raise r.error
    return r.quotes[0], r


def join(entry: Confirmation, on_update: Callable | None, engine: Engine) -> Confirmation:
    """Follow ``entry``, a confirmation of the same response already in this process."""
    entry.wait_sent(timeout=max(60.0, 4 * engine.network.request_timeout))
    entry.add_callback(on_update, now=True)
    logger.debug("joined the confirmation of %s already in this process", entry.response)
    return entry


def dispatch(engine: Engine, new: list[Confirmation], signer: Signer, plans: list[Plan]) -> None:
    """Sign and broadcast ``new`` in order with consecutive nonces (the nonce lock of (chain,
    signer) held throughout), then hand them to the tracker. A transaction not sent is
    abandoned (and its error raised); ones sent stay. ``on_update`` callbacks run outside the
    nonce lock (they may take locks of their own)."""
    sent: list[Confirmation] = []
    failure: BaseException | None = None
    try:
        with typed("sending the confirmation"):
            for c in new:
                c.announce()  # signing
            with PROCESS.nonces.lock((new[0].identity, signer.address)):
                for c, plan in zip(new, plans, strict=True):
                    send(engine, c, signer, plan, PROCESS.nonces)
                    sent.append(c)
    except BaseException as exc:
        failure = exc
    for c in sent:
        c.announce()  # pending
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
