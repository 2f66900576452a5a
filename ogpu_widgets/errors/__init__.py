"""One hierarchy of typed errors. Every message names the bad value and what to do about it.

Errors carry data as declared attributes (``err.tx_hash``, ``err.expected_client``, ...), set by
keyword when raised and ``None`` when not known::

    raise NotTaskClientError("...", response=r, task=t, signer=s, expected_client=c)

Every exception a public call (or the widget's request handling) lets out is an
:class:`OgpuWidgetsError`.

The classes live in :mod:`.base` (input, configuration, the node, results, monitoring, the
widget) and :mod:`.confirming` (the write path); every one is re-exported here.
"""

from __future__ import annotations

from . import base, confirming
from .base import *  # noqa: F403
from .confirming import *  # noqa: F403

__all__ = sorted([*base.__all__, *confirming.__all__])


def _declare_defaults() -> None:
    # every class is shown as ogpu_widgets.errors.<name>, where it is imported from, and
    # every declared attribute reads None until set
    for obj in list(globals().values()):
        if isinstance(obj, type) and issubclass(obj, base.OgpuWidgetsError):
            obj.__module__ = __name__
            for name in obj.__dict__.get("__annotations__", {}):
                if not name.startswith("_") and name not in obj.__dict__:
                    setattr(obj, name, None)


_declare_defaults()
