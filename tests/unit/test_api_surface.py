"""The public surface: every name in ``__all__`` resolves, every error class is public, the
confirmation, result and live states are shared by name with the front-end, and constructors are strict."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import ogpu_widgets as ow
from ogpu_widgets import errors

ROOT = Path(__file__).resolve().parents[2]


def test_every_public_name_resolves():
    for name in ow.__all__:
        assert getattr(ow, name) is not None, name
    for name in ("preflight", "estimate_fee", "Preflight", "ResponseTableError", "Confirmation"):
        assert name in ow.__all__ and getattr(ow, name)


def test_every_error_class_is_public():
    classes = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, errors.OgpuWidgetsError)
    }
    assert classes == set(errors.__all__)
    assert set(errors.__all__) <= set(ow.__all__)


def test_errors_carry_declared_data():
    err = errors.NotTaskClientError("no", signer="0x1", expected_client="0x2", response="0x3")
    assert (err.signer, err.expected_client, err.response, err.tx_hash) == ("0x1", "0x2", "0x3",
                                                                            None)  # fmt: skip
    assert err.data == {"expected_client": "0x2", "response": "0x3", "signer": "0x1"}
    with pytest.raises(TypeError, match="carries no 'nonsense'"):
        errors.ConfirmationError("x", nonsense=1)
    import pickle

    back = pickle.loads(pickle.dumps(err))
    assert type(back) is errors.NotTaskClientError and back.expected_client == "0x2"
    many = errors.ConfirmManyError("m", {"0xa": err}, [])
    assert pickle.loads(pickle.dumps(many)).refusals["0xa"].signer == "0x1"


@pytest.mark.parametrize(
    ("name", "enum"),
    [
        ("ACTION_STATES", ow.ConfirmationState),
        ("RESULT_STATES", ow.ResultState),
        ("LIVE_STATES", ow.LiveState),
    ],
)
def test_states_are_shared_by_name_with_the_front_end(name, enum):
    """Confirmation, result and live states: one list of names in Python and in TypeScript."""
    text = (ROOT / "js" / "src" / "core" / "states.ts").read_text()
    m = re.search(rf"export const {name} = \[([^\]]*)\] as const;", text)
    assert m, f"js/src/core/states.ts must export {name} on one line"
    names = re.findall(r'"([^"]*)"', m.group(1))
    assert names == [s.value for s in enum]


def test_rooms_import_one_way():
    """chain imports nothing of the other rooms; read/confirm never import the table; the
    library never imports the devnet."""
    pkg = ROOT / "ogpu_widgets"
    rules = {
        "chain": ("read", "confirm", "table", "devnet", "records"),
        "read": ("confirm", "table", "devnet", "live"),
        "confirm": ("read", "table", "devnet", "live"),
        "live": ("confirm", "table", "devnet"),
        "table": ("devnet",),
        "results": ("confirm", "table", "devnet"),
    }
    for room, banned in rules.items():
        for path in (pkg / room).rglob("*.py"):
            source = path.read_text()
            for other in banned:
                pattern = rf"^\s*(from|import)\s+(ogpu_widgets\.|\.\.)({other})\b"
                assert not re.search(pattern, source, re.M), f"{path} imports {other}"
    # records sits just above chain: it imports no room but chain (nor the package's top)
    source = (pkg / "records.py").read_text()
    for other in ("read", "confirm", "table", "devnet", "live", "results"):
        pattern = rf"^\s*(from|import)\s+(ogpu_widgets\.|\.)({other})\b"
        assert not re.search(pattern, source, re.M), f"records.py imports {other}"
    for path in pkg.glob("*.py"):
        if path.name != "__main__.py":
            assert "devnet" not in re.findall(r"^\s*from\s+\.(\w+)", path.read_text(), re.M)


def test_no_module_is_a_giant():
    """No Python module of the library and no TypeScript module of the front-end passes 400
    lines (``js/tests/structure`` checks the front-end's import graph too)."""
    modules = [*(ROOT / "ogpu_widgets").rglob("*.py"), *(ROOT / "js" / "src").rglob("*.ts")]
    assert len(modules) > 100
    for path in modules:
        n = len(path.read_text().splitlines())
        assert n <= 400, f"{path.relative_to(ROOT)} has {n} lines: split it"


def test_lazy_names_load_their_room():
    for name, room in ow._LAZY.items():
        module = importlib.import_module(f"ogpu_widgets.{room}")
        assert getattr(module, name) is getattr(ow, name)
