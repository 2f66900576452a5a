"""The table's signer against the clients of its rows: which clients authorized it as their
agent (``Terminal.isAgentOf``, one batch for the distinct clients, read at construction and at
each refresh, and for a client first seen in a live row), and the one banner that says what
the signer may confirm:

* a signer that is neither the client nor an agent of any row's client: one error banner naming
  the signer and the expected client(s) (a few, then "+N more"), rows refused "not the client";
* an agent: an info note "signer 0x…, agent of 0x…".

The key strategy of the confirmer (:mod:`.actions`) holds one :class:`SignerRelations`: it calls
``observe`` at each snapshot and ``agents`` when it decides rows; nothing here decides a row itself (:mod:`.eligibility` does, with the confirm room's
rules)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..confirm.agents import agent_relations
from ..errors import OgpuWidgetsError

__all__ = ["SHOWN", "SignerRelations", "banner_text"]

log = logging.getLogger("ogpu_widgets.table")

#: How many expected clients a banner names before "+N more".
SHOWN = 3


def _clients(df: pd.DataFrame) -> list[str]:
    if "client" not in df.columns or not len(df):
        return []
    return [c for c in dict.fromkeys(df["client"].astype(str).tolist()) if c.startswith("0x")]


class SignerRelations:
    """What a table knows of its kernel signer ``signer`` (an address) on ``network``: the
    clients asked whether it is their agent, those that said yes, the last failure, and the
    banner last shown."""

    def __init__(self, network: Any, signer: str) -> None:
        self.network = network
        self.signer = signer
        self.agent_of: set[str] = set()
        self.asked: set[str] = set()
        self.failure = ""
        self.message: tuple[str, str] | None = None

    def _ask(self, clients: Iterable[str]) -> None:
        """Read ``isAgentOf(client, signer)`` for the clients not asked yet (one batch). A
        failure is kept for the banner and not retried until the next snapshot (a refresh)."""
        todo = [c for c in clients if c != self.signer and c not in self.asked]
        if not todo:
            return
        self.asked.update(todo)
        try:
            answers = agent_relations(self.network, todo, self.signer)
        except OgpuWidgetsError as exc:
            self.failure = str(exc)
            log.warning("could not check whether %s is an agent of %s: %s", self.signer, todo,
                        exc)  # fmt: skip
            return
        self.agent_of.update(c for c, yes in answers.items() if yes)

    def agents(self, df: pd.DataFrame) -> set[str]:
        """The clients among ``df``'s that authorized the signer (asking the chain about
        clients not seen before)."""
        self._ask(_clients(df))
        return self.agent_of

    def observe(self, df: pd.DataFrame) -> tuple[str, str] | None:
        """A new snapshot: read the signer's relations to ``df``'s clients afresh (an agent may
        have been revoked); the banner they call for, when it changed (else None)."""
        self.agent_of, self.asked, self.failure = set(), set(), ""
        clients = _clients(df)
        self._ask(clients)
        message = banner_text(self.signer, clients, self.agent_of, self.failure)
        changed = message is not None and message != self.message
        self.message = message
        return message if changed else None


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
