"""Live updates: one Nexus event poller per network, shared by every watcher and table.

:mod:`.events`
    The four events (``ResponseSubmitted``, ``ResponseStatusChanged``, ``TaskStatusChanged``,
    ``TaskPublished``) as frozen dataclasses, and their decoding from ``eth_getLogs``.
:mod:`.registry`
    :func:`subscribe` and :data:`POLLERS` (the one owner of the process's pollers).
:mod:`.subscription`
    :class:`Subscription` (one subscriber) and :class:`Health` (how its poller is doing: state,
    last success, last error; given to ``on_health`` after every poll).
:mod:`.delivery`
    :class:`~.delivery.Delivery`: a subscriber's callbacks, in order on its own thread (never
    the poller's), bounded.
:mod:`.poller`
    :class:`EventPoller`: a block cursor over ``eth_getLogs`` (2 HTTP requests
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
from .poller import EventPoller
from .registry import POLLERS, Pollers, subscribe
from .state import is_final, newer_response_status, newer_task_status
from .subscription import Health, Subscription
from .wait import wait_for_confirmed_response, wait_for_responses
from .watch import ResponseWatcher, watch_responses

__all__ = [
    "POLLERS",
    "Event",
    "EventPoller",
    "Health",
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
