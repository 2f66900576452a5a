"""In the shipped notebooks, only a cell that says so in its first line confirms (pays)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CONFIRMING_CALLS = re.compile(r"\.confirm\(|confirm_response\(|confirm_many\(|confirmResponse")


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_only_a_dedicated_cell_confirms(name):
    """A cell that confirms (pays a provider) says so in its first line, and does nothing else
    than set up and confirm: no display, no table, no read of results."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or not CONFIRMING_CALLS.search(cell.source):
            continue
        first = cell.source.splitlines()[0]
        assert first.startswith("# THIS CELL") and ("PAYS" in first or "CONFIRMS" in first), (
            f"{name}: a cell that confirms must say so in its first line:\n{cell.source}"
        )
        assert "ResponseTable(" not in cell.source and "load_responses(" not in cell.source
