"""The plain readers: each view function by its own ``eth_call`` (in JSON-RPC batches, or one by
one), for nodes that do not run the lens and for items too big for one lens output.

They yield what the lens yields (the same rows and flags). Only definitive answers set the
flags that later become ``NotATaskError`` and the like: a revert, return data that does not
decode, and ``eth_getCode`` saying there is no code. Any other error reply raises
:class:`~ogpu_widgets.errors.ReadError` (see :meth:`Session.eth_calls`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..chain import codec
from ..chain.codec import ADDRESS_MASK, ZERO_ADDRESS, address_of_word, calldata
from ..errors import ReadError
from . import lens
from .rows import HAS_CODE, OK, Range, Resp, SourceRow, TaskRow, response_record

if TYPE_CHECKING:
    from .session import Session

_U64 = (1 << 64) - 1


def _address(value: int) -> str:
    return address_of_word(value.to_bytes(32, "big"))


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))


# ---- tasks ---------------------------------------------------------------------------------------

_TASK_GETTERS = ("taskParams", "getStatus", "getDeliveryMethod", "getAttemptCount",
                 "winningProvider")  # fmt: skip


def tasks(session: Session, addresses: list[str]) -> list[TaskRow]:
    datas = [calldata("Task", name) for name in _TASK_GETTERS]
    got = session.eth_calls([(a, d) for a in addresses for d in datas])
    rows: list[TaskRow] = []
    for k, a in enumerate(addresses):
        params, status, delivery, count, winner = got[5 * k : 5 * k + 5]
        row = TaskRow(a, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, None, 0, "")
        try:
            if None in (params, status, delivery, count, winner):
                raise ValueError("reverted")
            source, config, expiry, payment = codec.task_params(params)
            st, dm = codec.word(status), codec.word(delivery)
            n, win = codec.word(count), codec.word(winner)
            if st > 5 or dm > 1:
                raise ValueError("not a task status")
            win_address = _address(win & ADDRESS_MASK)
            row = TaskRow(a, OK, st, dm, source, ZERO_ADDRESS, payment, expiry, n,
                          None if win_address == ZERO_ADDRESS else win_address, 0,
                          config)  # fmt: skip
        except (ValueError, IndexError):
            pass
        rows.append(row)
    ok = [r for r in rows if r.flags == OK]
    sources = _unique(r.source for r in ok)
    with_attempts = [r for r in ok if r.attempts > 0]
    first = calldata("Task", "getAttemptTimestamps", 0, 0)
    more = session.eth_calls(
        [(s, calldata("Source", "getClient")) for s in sources]
        + [(r.address, first) for r in with_attempts]
    )
    clients = {}
    for s, raw in zip(sources, more[: len(sources)], strict=True):
        ok_client = raw is not None and len(raw) >= 32
        clients[s] = address_of_word(raw[:32]) if ok_client else ZERO_ADDRESS  # type: ignore[index]
    for r, raw in zip(with_attempts, more[len(sources) :], strict=True):
        try:
            values = codec.uint_array(raw)
            if len(values) != 1:
                raise ValueError("not one timestamp")
            r.first_attempt = values[0]
        except (ValueError, TypeError):
            r.flags = HAS_CODE
    for r in ok:
        r.client = clients[r.source]
    mark_code(session, [r for r in rows if r.flags != OK])
    return rows


def mark_code(session: Session, rows: list[Any]) -> None:
    """Set ``flags`` of rows that did not read right to HAS_CODE or 0, from eth_getCode."""
    if not rows:
        return
    code = session.has_code([r.address for r in rows])
    for r in rows:
        r.flags = HAS_CODE if code[r.address] else 0
        if isinstance(r, TaskRow):
            r.status = r.delivery = r.attempts = 0


# ---- responses -----------------------------------------------------------------------------------

_RESPONSE_GETTERS = ("getResponseParams", "getStatus", "confirmedFinal", "responseTimestamp")


def responses(session: Session, addresses: list[str]) -> list[Resp]:
    datas = [calldata("Response", name) for name in _RESPONSE_GETTERS]
    got = session.eth_calls([(a, d) for a in addresses for d in datas])
    out: list[Resp] = []
    bad: list[int] = []
    for k, a in enumerate(addresses):
        params, status, confirmed, ts = got[4 * k : 4 * k + 4]
        try:
            if None in (params, status, confirmed, ts):
                raise ValueError("reverted")
            task, provider, data, payment = codec.response_params(params)
            st, cf, t = codec.word(status), codec.word(confirmed), codec.word(ts)
            if st > 1 or cf > 1:
                raise ValueError("not a response status")
            out.append(response_record(a, OK, st, cf, t & _U64, task, provider, payment, data))
        except (ValueError, IndexError):
            out.append((0, None))
            bad.append(k)
    if bad:
        code = session.has_code([addresses[k] for k in bad])
        for k in bad:
            out[k] = (HAS_CODE if code[addresses[k]] else 0, None)
    return out


# ---- attempter slots -----------------------------------------------------------------------------


def slots(session: Session, ranges: list[Range], detailed: bool) -> list[tuple[int, list[Any]]]:
    got = session.eth_calls(
        [(r.target, calldata("Task", "getResponsesOf", r.lower, r.upper)) for r in ranges]
    )
    found: list[tuple[int, list[str]]] = []
    for raw in got:
        try:
            words = codec.uint_array(raw)
            found.append((OK, [_address(w) for w in words if w & ADDRESS_MASK]))
        except (ValueError, TypeError):
            found.append((0, []))
    if not detailed:
        return found
    details = iter(responses(session, [a for _, addrs in found for a in addrs]))
    return [(flags, [next(details) for _ in addrs]) for flags, addrs in found]


# ---- sources -------------------------------------------------------------------------------------

_SOURCE_GETTERS = ("getClient", "getTaskCount", "getStatus")


def sources(session: Session, addresses: list[str]) -> list[SourceRow]:
    datas = [calldata("Source", name) for name in _SOURCE_GETTERS]
    got = session.eth_calls([(a, d) for a in addresses for d in datas])
    rows = []
    for k, a in enumerate(addresses):
        client, count, status = got[3 * k : 3 * k + 3]
        try:
            c, n, st = codec.word(client), codec.word(count), codec.word(status)
            if st > 1 or c >> 160:
                raise ValueError("not a source")
            rows.append(SourceRow(a, OK, st, _address(c), n))
        except ValueError:
            rows.append(SourceRow(a, 0, 0, ZERO_ADDRESS, 0))
    mark_code(session, [r for r in rows if r.flags != OK])
    return rows


def source_tasks(session: Session, ranges: list[Range]) -> list[tuple[int, list[str]]]:
    """Per range of a source's task slots: (flags, task addresses). ``getTasks`` reads from 0
    only (the deployed contract reverts otherwise); later ranges read ``tasks(i)`` each."""
    calls: list[tuple[str, str]] = []
    for r in ranges:
        if r.lower == 0:
            calls.append((r.target, calldata("Source", "getTasks", 0, r.upper)))
        else:
            calls += [(r.target, calldata("Source", "tasks", i))
                      for i in range(r.lower, r.upper + 1)]  # fmt: skip
    got = iter(session.eth_calls(calls))
    out: list[tuple[int, list[str]]] = []
    for r in ranges:
        try:
            if r.lower == 0:
                values = codec.uint_array(next(got))
            else:
                values = [codec.word(raw) for raw in [next(got) for _ in range(r.size)]]
            out.append((OK, [_address(v & ADDRESS_MASK) for v in values]))
        except (ValueError, TypeError):
            out.append((0, []))
    return out


def client_sources(session: Session, nexus: str, client: str) -> list[str]:
    """Every source of Nexus whose getClient() is ``client``, read plainly."""
    (raw,) = session.eth_calls([(nexus, calldata("Nexus", "getSourceCount"))])
    try:
        count = codec.word(raw)
    except ValueError:
        raise ReadError(
            f"Nexus {nexus} did not answer getSourceCount() at {session.url}; check the "
            "network's Nexus address"
        ) from None
    page = lens.NEXUS_PAGE
    pages = [(lo, min(count, lo + page) - 1) for lo in range(0, count, page)]
    got = session.eth_calls([(nexus, calldata("Nexus", "getSources", lo, hi)) for lo, hi in pages])
    found: list[str] = []
    for raw in got:
        try:
            found += [_address(v & ADDRESS_MASK) for v in codec.uint_array(raw)]
        except (ValueError, TypeError):
            raise ReadError(f"Nexus {nexus} did not answer getSources() at {session.url}") from None
    clients = session.eth_calls([(s, calldata("Source", "getClient")) for s in found])
    return [
        s
        for s, raw in zip(found, clients, strict=True)
        if raw is not None and len(raw) >= 32 and address_of_word(raw[:32]) == client
    ]
