"""Shared fixtures: real anvil devnets (never a mocked provider)."""

from __future__ import annotations

import pytest

from ogpu_widgets.devnet import Devnet
from ogpu_widgets.live import POLLERS


def _close_tables_of(dev: Devnet) -> None:
    """Live tables (and watchers) a test left open on this devnet stop polling before it goes
    away (no poll warnings from a dead chain): their subscriptions to its poller are closed."""
    POLLERS.close_all(dev.rpc_url)


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
