"""Live updates: one Nexus event poller per network, shared by every watcher and table.

:mod:`.events`
    The four events (``ResponseSubmitted``, ``ResponseStatusChanged``, ``TaskStatusChanged``,
    ``TaskPublished``) as frozen dataclasses, and their decoding from ``eth_getLogs``.
:mod:`.poller`
    :func:`subscribe`, :class:`Subscription`, :class:`EventPoller` and :data:`POLLERS` (the
    one owner of the process's pollers): a block cursor over ``eth_getLogs`` (2 HTTP requests
    per idle poll), a trailing re-read window against reorgs and lagging replicas, halving of
    refused ranges, backoff on errors.
:mod:`.state`
    States only move forward (``newer_task_status``, ``newer_response_status``).
:mod:`.watch`
    ``watch_responses`` (:class:`ResponseWatcher`).
:mod:`.wait`
    ``wait_for_responses``, ``wait_for_confirmed_response``.
"""

from __future__ import annotations

from .events import (
    Event,
    ResponseStatusChanged,
    ResponseSubmitted,
    TaskPublished,
    TaskStatusChanged,
    decode_log,
)
from .poller import POLLERS, EventPoller, Pollers, Subscription, subscribe
from .state import is_final, newer_response_status, newer_task_status
from .wait import wait_for_confirmed_response, wait_for_responses
from .watch import ResponseWatcher, watch_responses

__all__ = [
    "POLLERS",
    "Event",
    "EventPoller",
    "Pollers",
    "ResponseStatusChanged",
    "ResponseSubmitted",
    "ResponseWatcher",
    "Subscription",
    "TaskPublished",
    "TaskStatusChanged",
    "decode_log",
    "is_final",
    "newer_response_status",
    "newer_task_status",
    "subscribe",
    "wait_for_confirmed_response",
    "wait_for_responses",
    "watch_responses",
]
