"""The command line: ``ogpu-widgets devnet`` (a seeded local devnet) and ``ogpu-widgets demo``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path


def _devnet(args: argparse.Namespace) -> int:
    from .devnet import DEV_KEYS_NOTICE, Devnet
    from .errors import OgpuWidgetsError

    began = time.monotonic()
    dev = Devnet(port=args.port, providers=max(args.responses_per_task, 3))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C (SIGINT) stops the devnet even when this process was started with SIGINT ignored,
    # as a shell's background job is (Python then keeps it ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        dev.start()
        if args.tasks:
            dev.seed(
                tasks=args.tasks,
                responses_per_task=args.responses_per_task,
                delivery=args.delivery,
            )
        seeded = time.monotonic() - began
        if args.simulate_rate:
            dev.simulate(args.simulate_rate)
        state = dev.state()
        n_resp = _count_responses(dev)
        print(f"OpenGPU devnet (anvil) at {state['rpc_url']}  chain id {state['chain_id']}")
        for name, addr in state["contracts"].items():
            print(f"  {name:<10} {addr}")
        print(f"  ipfs       {state.get('ipfs_gateway', '')}  (the results' gateway)")
        print(f"  client     {dev.client.address}")
        print(f"  client key {dev.client.private_key}")
        print(f"  agent      {dev.agent.address}  (authorize it: ow.authorize_agent(...))")
        print(f"  agent key  {dev.agent.private_key}")
        print(f"  ({DEV_KEYS_NOTICE})")
        print(
            f"seeded {len(state['sources'])} sources, {len(state['tasks'])} tasks, "
            f"{n_resp} responses in {seeded:.1f} s"
        )
        if args.state_file:
            dev.write_state(args.state_file)
            print(f"state written to {args.state_file}")
        if args.simulate_rate:
            print(f"provider simulator: about {args.simulate_rate} responses/s")
        if args.exit_after_seed:
            return 0
        print("running; press Ctrl-C to stop", flush=True)
        while not stop.is_set() and dev.running:
            stop.wait(0.5)
        return 0 if dev.running or stop.is_set() else 1
    except KeyboardInterrupt:
        return 0
    except OgpuWidgetsError as exc:  # the devnet's errors, and anvil no longer answering
        print(f"ogpu-widgets devnet: {exc}", file=sys.stderr)
        return 2
    finally:
        dev.stop()
        if args.state_file and args.remove_state_on_exit:
            Path(args.state_file).unlink(missing_ok=True)


def _count_responses(dev) -> int:
    total = 0
    for t in dev.tasks:
        n = dev.call("Task", t, "getAttemptCount")
        if n:
            total += sum(1 for a in dev.call("Task", t, "getResponsesOf", 0, n - 1) if int(a, 16))
    return total


def _demo(args: argparse.Namespace) -> int:
    """JupyterLab on the quickstart notebook; the notebook starts its own devnet."""
    import secrets
    import subprocess

    root = Path(__file__).resolve().parents[1]
    notebook = root / "notebooks" / "quickstart.ipynb"
    if not notebook.exists():
        print(
            f"ogpu-widgets demo: {notebook} is missing; the demo runs from a checkout of the "
            "repository (`make demo`). From a pip install, open your own notebook and start a "
            "devnet with `ogpu-widgets devnet --state-file devnet.json`.",
            file=sys.stderr,
        )
        return 2
    token = os.environ.get("OGPU_DEMO_TOKEN") or secrets.token_hex(16)
    port = str(args.port)
    url = f"http://127.0.0.1:{port}/lab/tree/notebooks/quickstart.ipynb?token={token}"
    print("Starting JupyterLab on the quickstart notebook.")
    print(f"Open: {url}", flush=True)
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        "--no-browser",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ogpu-widgets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    d = sub.add_parser("devnet", help="run a seeded local OpenGPU devnet on anvil")
    d.add_argument("--port", type=int, default=None, help="RPC port (default: a free one)")
    d.add_argument("--tasks", type=int, default=20, help="tasks to publish (default 20)")
    d.add_argument("--responses-per-task", type=int, default=3, help="responses per task")
    d.add_argument(
        "--delivery",
        choices=["manual", "first", "mixed"],
        default="manual",
        help="sources' delivery method: manual confirmation, first response, or one of each",
    )
    d.add_argument("--simulate-rate", type=float, default=0.0, help="simulated responses/s")
    d.add_argument("--state-file", default=None, help="write RPC URL, addresses and keys here")
    d.add_argument("--exit-after-seed", action="store_true", help=argparse.SUPPRESS)
    d.add_argument("--remove-state-on-exit", action="store_true", help=argparse.SUPPRESS)
    d.set_defaults(func=_devnet)

    m = sub.add_parser("demo", help="JupyterLab on the quickstart notebook")
    m.add_argument("--port", type=int, default=8888)
    m.set_defaults(func=_demo)

    args = parser.parse_args(argv)
    if getattr(args, "responses_per_task", 1) < 0 or getattr(args, "tasks", 0) < 0:
        parser.error("--tasks and --responses-per-task must not be negative")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
