"""Shared fixtures: real anvil devnets (never a mocked provider)."""

from __future__ import annotations

import contextlib

import pytest

from ogpu_widgets.devnet import Devnet
from ogpu_widgets.table.livescope import TICKER


def _close_tables_of(dev: Devnet) -> None:
    """Live tables a test left open on this devnet stop polling before it goes away (no poll
    warnings from a dead chain)."""
    for table in list(TICKER._tables):
        network = table.__dict__.get("_network")
        if network is not None and network.rpc_url == dev.network.rpc_url:
            with contextlib.suppress(Exception):
                table.close()


@pytest.fixture(scope="session")
def devnet():
    """One devnet for the whole session. Tests create their own sources and tasks on it and
    must not change chain-wide settings (automine, clock): use ``fresh_devnet`` for that."""
    with Devnet() as dev:
        yield dev
        _close_tables_of(dev)


@pytest.fixture
def fresh_devnet():
    """A devnet of this test's own (anvil starts in well under a second)."""
    with Devnet() as dev:
        yield dev
        _close_tables_of(dev)
