"""The table's signer against the clients of its rows: which clients authorized it as their
agent (``Terminal.isAgentOf``, one batch for the distinct clients, read at construction and at
each refresh, and for a client first seen in a live row), and the one banner that says what
the signer may confirm:

* a signer that is neither the client nor an agent of any row's client: one error banner naming
  the signer and the expected client(s) (a few, then "+N more"), rows refused "not the client";
* an agent: an info note "signer 0x…, agent of 0x…".

The widget calls :func:`observe` when it takes a snapshot and :func:`agent_of` when it decides
rows; nothing here decides a row itself (:mod:`.eligibility` does, with the confirm room's
rules)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..confirm.agents import agent_relations
from ..confirm.wallet import BrowserWallet
from ..errors import OgpuWidgetsError

__all__ = ["SHOWN", "agent_of", "banner_text", "observe"]

log = logging.getLogger("ogpu_widgets.table")

#: How many expected clients a banner names before "+N more".
SHOWN = 3
_STATE = "_signer_relations"


class _Relations:
    """What the table knows of its signer: the clients asked and those that said yes."""

    __slots__ = ("agent_of", "asked", "failure", "message")

    def __init__(self) -> None:
        self.agent_of: set[str] = set()
        self.asked: set[str] = set()
        self.failure = ""
        self.message: tuple[str, str] | None = None


def _relations(table: Any) -> _Relations:
    rel = table.__dict__.get(_STATE)
    if rel is None:
        rel = table.__dict__[_STATE] = _Relations()
    return rel


def _address(table: Any) -> str | None:
    """The kernel signer's address; None when read-only or when the page's wallet signs (its
    account is checked by pre-flight at confirm time)."""
    signer = getattr(table, "_signer", None)
    address = getattr(signer, "address", None) if signer is not None else None
    if not isinstance(address, str) or isinstance(signer, BrowserWallet):
        return None
    return address


def _clients(df: pd.DataFrame) -> list[str]:
    if "client" not in df.columns or not len(df):
        return []
    return [c for c in dict.fromkeys(df["client"].astype(str).tolist()) if c.startswith("0x")]


def _ask(table: Any, rel: _Relations, clients: Iterable[str], signer: str) -> None:
    """Read ``isAgentOf(client, signer)`` for the clients not asked yet (one batch). A failure
    is kept for the banner and not retried until the next snapshot (a refresh)."""
    todo = [c for c in clients if c != signer and c not in rel.asked]
    if not todo:
        return
    rel.asked.update(todo)
    try:
        answers = agent_relations(table._network, todo, signer)
    except OgpuWidgetsError as exc:
        rel.failure = str(exc)
        log.warning("could not check whether %s is an agent of %s: %s", signer, todo, exc)
        return
    rel.agent_of.update(c for c, yes in answers.items() if yes)


def agent_of(table: Any, df: pd.DataFrame) -> set[str]:
    """The clients among ``df``'s that authorized the table's signer (asking the chain about
    clients not seen before)."""
    signer = _address(table)
    if signer is None:
        return set()
    rel = _relations(table)
    _ask(table, rel, _clients(df), signer)
    return rel.agent_of


def observe(table: Any, df: pd.DataFrame) -> None:
    """A new snapshot: read the signer's relations to ``df``'s clients afresh (an agent may
    have been revoked) and show the banner they call for (only when it changes)."""
    signer = _address(table)
    if signer is None:
        return
    rel = _relations(table)
    rel.agent_of, rel.asked, rel.failure = set(), set(), ""
    clients = _clients(df)
    _ask(table, rel, clients, signer)
    message = banner_text(signer, clients, rel.agent_of, rel.failure)
    if message is not None and message != rel.message:
        table._set_banner(*message)
    rel.message = message


def _listed(addresses: list[str]) -> str:
    shown = ", ".join(addresses[:SHOWN])
    more = len(addresses) - SHOWN
    return shown + (f" +{more} more" if more > 0 else "")


def banner_text(
    signer: str, clients: list[str], agent_for: set[str], failure: str = ""
) -> tuple[str, str] | None:
    """(message, level) of the signer banner, or None when the signer is the client of every
    row."""
    foreign = [c for c in clients if c != signer and c not in agent_for]
    agent = [c for c in clients if c in agent_for]
    parts = []
    if agent:
        parts.append(f"signer {signer}, agent of {_listed(agent)}")
    if not foreign:
        return ("; ".join(parts), "info") if parts else None
    own = signer in clients
    if not agent and not own:
        text = (
            f"signer {signer} is not the client of these rows (expected "
            f"{'client' if len(foreign) == 1 else 'clients'} {_listed(foreign)}) nor an "
            "authorized agent of it, so no row can be confirmed; pass the client's key "
            f"(account=...) or have the client authorize this signer: "
            f"authorize_agent({signer!r}, account=<client key>)"
        )
    else:
        text = "; ".join(parts) + (
            f"; rows of {_listed(foreign)} are not confirmable by this signer (not the client "
            "nor an agent of it)"
            if parts
            else f"signer {signer} is not the client (nor an agent) of {_listed(foreign)}: "
            "those rows are not confirmable"
        )
    if failure:
        text += f" (whether it is an agent could not be checked: {failure}; try refresh())"
    return text, "info" if agent or own else "error"
