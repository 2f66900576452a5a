"""The provider simulator: a background thread whose providers attempt and answer the devnet's
open tasks at about a given rate."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .accounts import DevAccount
from .errors import DevnetError

if TYPE_CHECKING:
    from .devnet import Devnet

__all__ = ["ProviderSimulator"]

_CLOSED = (3, 4, 5)  # CANCELED, EXPIRED, FINALIZED


class ProviderSimulator:
    """Background thread: providers attempt and answer open tasks at about ``rate`` per second."""

    def __init__(self, devnet: Devnet, rate: float, tasks: Sequence[str] | None = None) -> None:
        if rate <= 0:
            raise DevnetError(f"simulate rate {rate!r} must be positive (responses per second)")
        self.devnet = devnet
        self.rate = rate
        self._tasks = list(tasks) if tasks is not None else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ogpu-provider-sim", daemon=True)
        self.submitted: list[str] = []
        self.errors: list[str] = []
        self._cursor = -1
        self._closed: set[str] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        with contextlib.suppress(ValueError):
            self.devnet._simulators.remove(self)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _next(self) -> tuple[str, DevAccount] | None:
        """The next open task (round robin) and a provider that has not attempted it."""
        dev = self.devnet
        tasks = self._tasks if self._tasks is not None else list(dev.tasks)
        for _ in range(len(tasks)):
            self._cursor = (self._cursor + 1) % len(tasks)
            t = tasks[self._cursor]
            if t in self._closed:
                continue
            if dev.call("Task", t, "getStatus") in _CLOSED:
                self._closed.add(t)
                continue
            for p in dev.providers:
                if dev.call("Task", t, "getAttempterId", p.address) == 0:
                    return t, p
            self._closed.add(t)
        return None

    def _run(self) -> None:
        period = 1.0 / self.rate
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                if not self.devnet.running:
                    return
                pick = self._next()
                if pick:
                    self.submitted.append(self.devnet.respond(*pick))
            except Exception as exc:  # keep simulating; the chain may refuse a late answer
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(max(0.0, period - (time.monotonic() - began)))
