"""The anvil process: finding the binary, spawning it on a free loopback port (with a
parent-death signal, so it never outlives Python), waiting until it answers, stopping it, and
stopping every devnet still running when the interpreter exits."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path
from typing import Any

from ..chain.rpc import RetryPolicy, RpcClient, Unreachable
from .accounts import DEV_MNEMONIC
from .errors import AnvilNotFoundError, DevnetError

__all__ = ["REPO_ROOT", "AnvilProcess", "checkout_root", "find_anvil", "free_port"]

#: Where the repository would be if this package runs from a checkout (in a wheel install this
#: is ``site-packages``, which is not a checkout: see :func:`checkout_root`).
REPO_ROOT = Path(__file__).resolve().parents[2]

HOW_TO_GET_ANVIL = (
    "Get anvil (the local Ethereum node of Foundry) in one of these ways:\n"
    "  npm install -g @foundry-rs/anvil    (with Node.js; puts anvil on PATH)\n"
    "  curl -L https://foundry.paradigm.xyz | bash; foundryup\n"
    "                                      (Foundry's installer, https://getfoundry.sh;"
    " puts anvil in ~/.foundry/bin)\n"
    "  set $ANVIL to the path of an anvil binary you already have"
)


def checkout_root() -> Path | None:
    """The repository root when this package runs from a source checkout, else ``None``."""
    root = REPO_ROOT
    if (root / "pyproject.toml").is_file() and (root / "js" / "package.json").is_file():
        return root
    return None


def _executable(path: Path | str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def _binary_name() -> str:
    return "anvil.exe" if os.name == "nt" else "anvil"


def _candidates() -> list[tuple[str, Path]]:
    """(where, path) of each place anvil may be, after ``$ANVIL`` and ``PATH``."""
    name = _binary_name()
    out = []
    foundry_dir = os.environ.get("FOUNDRY_DIR")
    if foundry_dir:
        out.append(("$FOUNDRY_DIR/bin", Path(foundry_dir) / "bin" / name))
    out.append(("~/.foundry/bin", Path.home() / ".foundry" / "bin" / name))
    root = checkout_root()
    if root is not None:
        machine = platform.machine().lower()
        arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
            machine, machine
        )
        system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(
            sys.platform, sys.platform
        )
        nm = root / "js" / "node_modules"
        out.append(
            ("js/node_modules", nm / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / name)
        )
        out.append(("js/node_modules", nm / ".bin" / name))
    return out


def find_anvil() -> str:
    """The anvil binary: ``$ANVIL`` if set, else ``anvil`` on ``PATH``, else Foundry's install
    directory (``$FOUNDRY_DIR/bin``, then ``~/.foundry/bin``), else, when running from a checkout,
    the one ``npm ci`` in ``js/`` installs (``@foundry-rs/anvil``). Raises
    :class:`AnvilNotFoundError` saying how to get it."""
    env = os.environ.get("ANVIL")
    if env:
        if _executable(env):
            return env
        raise AnvilNotFoundError(
            f"$ANVIL is set to {env!r}, which is not an executable file; unset it or point it "
            "at the anvil binary"
        )
    on_path = shutil.which(_binary_name())
    if on_path:
        return on_path
    candidates = _candidates()
    for _, path in candidates:
        if _executable(path):
            return str(path)
    looked = ["PATH", *dict.fromkeys(where for where, _ in candidates)]
    message = f"anvil was not found (looked in {', '.join(looked)}). {HOW_TO_GET_ANVIL}"
    if checkout_root() is not None:
        message += (
            "\n  cd js && npm ci                     (in this checkout; `make install` does it)"
        )
    raise AnvilNotFoundError(message)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()  # a Ctrl-C in a terminal reaches us, and we stop anvil ourselves


# ---- what is stopped at exit ----------------------------------------------------------------------

_live: weakref.WeakSet[Any] = weakref.WeakSet()


def track(obj: Any) -> None:
    """Stop ``obj`` (anything with ``stop()``) when the interpreter exits."""
    _live.add(obj)


def untrack(obj: Any) -> None:
    _live.discard(obj)


@atexit.register
def _stop_all() -> None:
    for obj in list(_live):
        with contextlib.suppress(Exception):
            obj.stop()


# ---- the process ------------------------------------------------------------------------------------


class AnvilProcess:
    """One anvil on 127.0.0.1: ``port`` (``None``: a free one, retried if it is taken between
    probe and bind), the devnet mnemonic's ``accounts`` funded, ``chain_id``, optional
    ``hardfork``."""

    def __init__(
        self,
        binary: str,
        *,
        port: int | None,
        chain_id: int,
        accounts: int,
        hardfork: str | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.binary = binary
        self.port = port
        self._fixed_port = port is not None
        self.chain_id = chain_id
        self.accounts = accounts
        self.hardfork = hardfork
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        last_error: DevnetError | None = None
        for _ in range(3):  # a free port can be taken between probe and bind
            port = self.port if self._fixed_port else free_port()
            try:
                self._spawn(port)
                return
            except DevnetError as exc:
                last_error = exc
                if self._fixed_port:
                    raise
        assert last_error is not None
        raise last_error

    def _command(self, port: int) -> list[str]:
        cmd = [
            self.binary,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
            "--balance", "10000000",
            "--mnemonic", DEV_MNEMONIC,
            "--order", "fifo",
            "--gas-limit", "10000000000",
            "--code-size-limit", "100000",
        ]  # fmt: skip
        if self.hardfork:
            cmd += ["--hardfork", self.hardfork]
        return cmd

    def _spawn(self, port: int) -> None:
        try:
            proc = subprocess.Popen(
                self._command(port),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                preexec_fn=_die_with_parent if os.name == "posix" else None,
            )
        except OSError as exc:
            raise DevnetError(f"cannot run anvil at {self.binary!r}: {exc}") from exc
        self.proc, self.port = proc, port
        # one try per probe: the loop below is the patience, waking early if anvil exits
        probe = RpcClient(self.url, timeout=2.0, name="devnet", policy=RetryPolicy(attempts=1))
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                self.proc = None
                raise DevnetError(f"anvil exited at start (code {proc.returncode}): {err.strip()}")
            with contextlib.suppress(Unreachable):
                answer = probe.single("eth_chainId")
                if isinstance(answer, str) and int(answer, 16) == self.chain_id:
                    return
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        self.stop()
        raise DevnetError(f"anvil did not answer on port {port} within {self.start_timeout} s")

    def stop(self) -> None:
        """Terminate anvil (kill it if it does not go). Safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
