"""One deadline for a whole HTTP exchange: a gateway (or a redirect target) that drips its status
line, its headers or its body a byte at a time never holds a fetch past its ``timeout`` or the
call past its ``budget``; after the call no thread or socket of it is left, and a process that
fetched from such a server exits at once."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from slowloris import Slowloris
from support import until

import ogpu_widgets as ow
from ogpu_widgets.results.unixfs import add_file

CID = str(add_file(b'{"ok": true}')[0])
TESTS = Path(__file__).resolve().parents[1]


def response(data: str) -> ow.TaskResponse:
    return ow.TaskResponse(
        "0x" + "1" * 40, "0x" + "7" * 40, "0x" + "8" * 40, data, 0, "submitted", False, 0
    )


def in_thread(call):
    """Run ``call`` on a daemon thread; (done event, box of its value or exception)."""
    box: dict = {}
    done = threading.Event()

    def target():
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, daemon=True).start()
    return done, box


def sockets() -> int:
    """Open sockets of this process."""
    fds = Path("/proc/self/fd")
    n = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            n += os.readlink(fd).startswith("socket:")
    return n


def threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("ogpu-results")}


@pytest.mark.parametrize("mode", ["headers", "body", "chunks", "tls", "continue"])
def test_a_dripping_gateway_meets_the_timeout_without_a_budget(mode):
    with Slowloris(mode) as slow:
        url = slow.url.replace("http:", "https:") if mode == "tls" else slow.url
        started = time.monotonic()
        done, box = in_thread(
            lambda: ow.fetch_results(
                [response(f"ipfs://{CID}")],
                gateway=url,
                timeout=1,
                cache=False,
                progress=False,
            )  # fmt: skip
        )
        until(done.is_set, timeout=8, what="fetch_results to return")
        took = time.monotonic() - started
        until(lambda: not threads(), timeout=5, what="the worker to end (not abandoned)")
    assert "error" not in box, box
    df = box["value"]
    assert df["result_error"].iloc[0].startswith("timed out"), df["result_error"].iloc[0]
    assert df["result_verified"].isna().iloc[0]
    assert took < 1 + 1.0, took


def test_fetch_data_meets_its_timeout_and_a_redirect_target_is_watched_too():
    with Slowloris("headers") as slow, Slowloris(redirect=slow.url + "/x") as hop:
        done, box = in_thread(
            lambda: response(hop.url + "/result.json").fetch_data(
                timeout=1, allow_urls=True, allow_private=True, cache=False
            )
        )
        until(done.is_set, timeout=8, what="fetch_data to return")
        assert slow.accepted == 1  # the redirect was followed to the dripping server
    assert isinstance(box.get("error"), ow.ResultTimeoutError), box


def test_after_a_budget_no_thread_or_socket_of_the_call_is_left():
    before_sockets = sockets()
    with Slowloris("headers") as slow:
        before = sockets()
        started = time.monotonic()
        datas = [f"ipfs://{add_file(str(i).encode())[0]}" for i in range(6)]
        df = ow.fetch_results(
            [response(d) for d in datas], gateway=slow.url, timeout=60, budget=1, workers=3,
            cache=False, progress=False,
        )  # fmt: skip
        took = time.monotonic() - started
        assert took < 1 + 0.6, took
        assert (df["result_error"] == "timed out: the time budget ran out").all()
        until(lambda: not threads(), timeout=5, what="the workers to end")
        until(lambda: sockets() <= before, timeout=5, what="the call's sockets to close")
    until(lambda: sockets() <= before_sockets, timeout=5, what="the server's sockets to close")


def test_a_process_that_fetched_from_a_dripping_server_with_a_budget_exits_at_once():
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(TESTS)!r})
        from slowloris import Slowloris
        import ogpu_widgets as ow
        slow = Slowloris("headers")
        r = ow.TaskResponse("0x" + "1" * 40, "0x" + "7" * 40, "0x" + "8" * 40,
                            "ipfs://{CID}", 0, "submitted", False, 0)
        df = ow.fetch_results([r], gateway=slow.url, timeout=60, budget=1, cache=False,
                              progress=False)
        print(df["result_error"].iloc[0], flush=True)
        """
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "timed out: the time budget ran out"
    assert took < 15, took  # the import of the library is most of it
