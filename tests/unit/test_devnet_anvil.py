"""Where the devnet finds anvil: $ANVIL, PATH, Foundry's install directory, a checkout's
js/node_modules; and what it says when there is none. Fake executables in temporary
directories, no network."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from ogpu_widgets.devnet import AnvilNotFoundError, Devnet, DevnetError, find_anvil, process

SLEEP = shutil.which("sleep") or "/bin/sleep"


def fake_anvil(path: Path, script: str = "exit 0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No anvil anywhere: empty PATH and HOME, no $ANVIL or $FOUNDRY_DIR, not a checkout."""
    empty = tmp_path / "empty"
    (empty / "bin").mkdir(parents=True)
    (empty / "home").mkdir()
    monkeypatch.delenv("ANVIL", raising=False)
    monkeypatch.delenv("FOUNDRY_DIR", raising=False)
    monkeypatch.setenv("PATH", str(empty / "bin"))
    monkeypatch.setenv("HOME", str(empty / "home"))
    monkeypatch.setattr(process, "REPO_ROOT", tmp_path / "site-packages")
    return tmp_path


def test_anvil_env_wins(nowhere, monkeypatch):
    fake_anvil(nowhere / "empty" / "bin" / "anvil")
    chosen = fake_anvil(nowhere / "elsewhere" / "my-anvil")
    monkeypatch.setenv("ANVIL", str(chosen))
    assert find_anvil() == str(chosen)


def test_anvil_env_that_is_not_executable_is_an_error(nowhere, monkeypatch):
    fake_anvil(nowhere / "empty" / "bin" / "anvil")
    plain = nowhere / "plain"
    plain.write_text("not a program")
    monkeypatch.setenv("ANVIL", str(plain))
    with pytest.raises(AnvilNotFoundError, match=r"\$ANVIL is set to .*not an executable"):
        find_anvil()


def test_path_first(nowhere, monkeypatch):
    on_path = fake_anvil(nowhere / "empty" / "bin" / "anvil")
    fake_anvil(nowhere / "empty" / "home" / ".foundry" / "bin" / "anvil")
    assert find_anvil() == str(on_path)


def test_foundry_home_directory(nowhere):
    installed = fake_anvil(nowhere / "empty" / "home" / ".foundry" / "bin" / "anvil")
    assert find_anvil() == str(installed)


def test_foundry_dir_before_home(nowhere, monkeypatch):
    fake_anvil(nowhere / "empty" / "home" / ".foundry" / "bin" / "anvil")
    custom = fake_anvil(nowhere / "foundry" / "bin" / "anvil")
    monkeypatch.setenv("FOUNDRY_DIR", str(nowhere / "foundry"))
    assert find_anvil() == str(custom)


def test_a_non_executable_file_is_skipped(nowhere):
    home_anvil = nowhere / "empty" / "home" / ".foundry" / "bin" / "anvil"
    home_anvil.parent.mkdir(parents=True)
    home_anvil.write_text("not executable")
    with pytest.raises(AnvilNotFoundError):
        find_anvil()


def _checkout(root: Path) -> Path:
    (root / "js").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\n")
    (root / "js" / "package.json").write_text("{}\n")
    return root


def test_checkout_node_modules_last(nowhere, monkeypatch):
    root = _checkout(nowhere / "repo")
    npm_anvil = fake_anvil(root / "js" / "node_modules" / ".bin" / "anvil")
    monkeypatch.setattr(process, "REPO_ROOT", root)
    assert process.checkout_root() == root
    assert find_anvil() == str(npm_anvil)
    installed = fake_anvil(nowhere / "empty" / "home" / ".foundry" / "bin" / "anvil")
    assert find_anvil() == str(installed)  # Foundry's install comes before the checkout's


def test_node_modules_outside_a_checkout_are_ignored(nowhere, monkeypatch):
    """Installed from a wheel, the package's grandparent is site-packages: not a checkout,
    even if a js/node_modules happens to sit there."""
    site = nowhere / "site-packages"
    fake_anvil(site / "js" / "node_modules" / ".bin" / "anvil")
    monkeypatch.setattr(process, "REPO_ROOT", site)
    assert process.checkout_root() is None
    with pytest.raises(AnvilNotFoundError):
        find_anvil()


def test_not_found_says_how_to_get_it(nowhere):
    with pytest.raises(AnvilNotFoundError) as info:
        find_anvil()
    message = str(info.value)
    for how in ("npm install -g @foundry-rs/anvil", "foundryup", "getfoundry.sh", "$ANVIL"):
        assert how in message
    assert "PATH" in message and "~/.foundry/bin" in message
    assert "npm ci" not in message  # not a checkout: no advice about js/
    with pytest.raises(AnvilNotFoundError, match="npm install -g"):
        Devnet().start()
    assert isinstance(info.value, FileNotFoundError)


def test_not_found_in_a_checkout_also_mentions_npm_ci(nowhere, monkeypatch):
    monkeypatch.setattr(process, "REPO_ROOT", _checkout(nowhere / "repo"))
    with pytest.raises(AnvilNotFoundError, match=r"cd js && npm ci"):
        find_anvil()


def test_an_anvil_that_exits_at_start_is_reported(nowhere):
    broken = fake_anvil(nowhere / "broken", "echo 'unsupported option' >&2; exit 3")
    with pytest.raises(DevnetError, match=r"anvil exited at start \(code 3\): unsupported option"):
        Devnet(anvil=str(broken)).start()


@pytest.mark.skipif(os.name != "posix", reason="shebang scripts")
def test_an_anvil_that_never_answers_times_out(nowhere):
    silent = fake_anvil(nowhere / "silent", f"exec {SLEEP} 30")
    dev = Devnet(anvil=str(silent), start_timeout=0.5)
    with pytest.raises(DevnetError, match=r"did not answer on port \d+ within 0.5 s"):
        dev.start()
    assert not dev.running
