"""Confirmation owns its transitions: no module but ``confirm/confirmation.py`` writes its
private fields or calls its private methods (a source scan of the library)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "ogpu_widgets"
OWN = ROOT / "confirm" / "confirmation.py"


def _private_names() -> set[str]:
    """The private attributes and methods of Confirmation (``self._x`` in its module)."""
    text = OWN.read_text()
    names = set(re.findall(r"\bself\.(_[a-z]\w*)", text))
    names |= set(re.findall(r"^    def (_[a-z]\w*)\(", text, re.M))
    return names


def test_confirmation_declares_private_state():
    names = _private_names()
    assert {"_state", "_tx_hash", "_raw", "_nonce", "_failure", "_finish"} <= names


def test_no_other_module_touches_confirmations_private_fields():
    names = _private_names()
    pattern = re.compile(r"\b(?!self\b|cls\b)(\w+)\.(" + "|".join(sorted(names)) + r")\b")
    found = []
    for path in ROOT.rglob("*.py"):
        if path == OWN:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in pattern.finditer(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)}")
    assert not found, "\n".join(found)
