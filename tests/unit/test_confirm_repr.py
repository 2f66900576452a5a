"""The confirm room's objects have a repr even half built (as a debugger or a traceback with
locals shows them while ``__init__`` fails): no chain needed."""

from __future__ import annotations

import pytest

from ogpu_widgets.confirm import Confirmation, Preflight
from ogpu_widgets.confirm.engine import Calls, Engine
from ogpu_widgets.confirm.signer import Signer
from ogpu_widgets.confirm.tracker import Tracker


@pytest.mark.parametrize("cls", [Confirmation, Engine, Signer, Tracker, Calls, Preflight])
def test_repr_of_half_built_objects_never_raises(cls):
    obj = cls.__new__(cls)
    assert isinstance(repr(obj), str)
