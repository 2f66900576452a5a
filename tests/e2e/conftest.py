"""End-to-end fixtures: a real JupyterLab server on loopback and the system Chromium."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from harness import CHROMIUM_ARGS, find_chromium, jupyter_server  # noqa: E402


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = (
            "no Chromium found: install the Debian package `chromium` (.ci/run does) or set "
            "$CHROMIUM to a Chromium binary"
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # in CI a missing browser is a failure, never a skip
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """JupyterLab (and Notebook 7) on loopback with a token and a temporary root."""
    with jupyter_server(tmp_path_factory.mktemp("jupyter")) as server:
        yield server
