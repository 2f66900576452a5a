"""A ResponseTable's repr never raises, even for one whose constructor never ran."""

from __future__ import annotations

from ogpu_widgets.table import ResponseTable


def test_repr_of_a_half_built_table_never_raises():
    half = ResponseTable.__new__(ResponseTable)
    assert "ResponseTable" in repr(half)
