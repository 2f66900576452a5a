"""Without anvil the devnet fails with one clear error: $ANVIL naming nothing, or no anvil
anywhere (the advice says how to install it)."""

from __future__ import annotations

import pytest

from ogpu_widgets.devnet import AnvilNotFoundError, Devnet, find_anvil


def test_anvil_missing_gives_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("ANVIL", str(tmp_path / "nope"))
    with pytest.raises(AnvilNotFoundError, match=r"\$ANVIL"):
        find_anvil()
    monkeypatch.delenv("ANVIL")
    monkeypatch.delenv("FOUNDRY_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("ogpu_widgets.devnet.process.REPO_ROOT", tmp_path)
    with pytest.raises(AnvilNotFoundError, match="npm install -g @foundry-rs/anvil"):
        Devnet().start()
