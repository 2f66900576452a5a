"""Shared fixtures: real anvil devnets (never a mocked provider), reads that retry at once,
and the check that a test leaves no event poller running."""

from __future__ import annotations

import threading

import pytest

from ogpu_widgets.chain.rpc import CAPABILITIES, RetryPolicy
from ogpu_widgets.devnet import Devnet
from ogpu_widgets.live import POLLERS
from ogpu_widgets.read import session


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


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A result cache of this test's own (``OGPU_WIDGETS_CACHE``)."""
    monkeypatch.setenv("OGPU_WIDGETS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def forget_capabilities():
    """What nodes refused (batches, the read lens) is forgotten before and after the test."""
    CAPABILITIES.forget()
    yield
    CAPABILITIES.forget()


@pytest.fixture
def fast_retries(monkeypatch, forget_capabilities):
    """Reads give up after three attempts without back-off to sit through (a test of faults
    need not wait for a real node's patience)."""
    monkeypatch.setattr(session, "RETRY", RetryPolicy(attempts=3, backoff=0.001))


@pytest.fixture
def no_poller_left():
    """The test starts with no event poller (what earlier tests left open is closed first: a
    table never closed keeps its poller), and after it every poller is closed and no poller
    thread is left running."""
    POLLERS.close_all()
    yield
    POLLERS.close_all()
    assert POLLERS.pollers() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ogpu-live-")]
