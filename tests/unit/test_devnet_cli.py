"""The devnet command refuses bad arguments before it starts anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_rejects_bad_arguments():
    proc = subprocess.run(
        [sys.executable, "-m", "ogpu_widgets", "devnet", "--tasks", "-1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "must not be negative" in proc.stderr
