"""Seeding the devnet: sources, tasks, attempts, responses, confirmations and cancellations one
at a time (each a transaction whose receipt is awaited), and :meth:`Seeding.seed`, which
publishes thousands in JSON-RPC batches with mining paused. :class:`Seeding` is a part of
:class:`~ogpu_widgets.devnet.Devnet`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..chain.codec import calldata, to_address, word
from ..records import WEI_PER_OGPU, DeliveryMethod
from .accounts import DevAccount
from .contracts import decode_logs
from .errors import DevnetError
from .ipfs import sample_result, store_result

if TYPE_CHECKING:
    from .devnet import Devnet

__all__ = ["Seeding", "delivery_method", "sample_data", "to_ogpu_wei"]

Tx = tuple[str, str, str, int]  # from, to, data, gas


def to_ogpu_wei(value: float | int | str) -> int:
    """OGPU (a number or decimal string) as exact wei."""
    return int(Decimal(str(value)) * WEI_PER_OGPU)


def delivery_method(value: str | int | DeliveryMethod) -> DeliveryMethod:
    """``manual``/``first`` (or the enum, or its number) as a :class:`DeliveryMethod`."""
    if isinstance(value, DeliveryMethod):
        return value
    if isinstance(value, int):
        return DeliveryMethod(value)
    v = str(value).lower()
    if v in ("manual", "manual_confirmation"):
        return DeliveryMethod.MANUAL_CONFIRMATION
    if v in ("first", "first_response"):
        return DeliveryMethod.FIRST_RESPONSE
    raise DevnetError(f"unknown delivery method {value!r}: use 'manual' or 'first'")


def sample_data(task: str, provider: str, i: int = 0) -> str:
    """An ``ipfs://`` URL derived from task and provider whose CID is not real (the devnet's
    responses used to carry these). Responses without ``data`` now get a stored sample result:
    :meth:`Seeding.result_url`."""
    digest = hashlib.sha256(f"{task}:{provider}:{i}".encode()).hexdigest()
    return f"ipfs://bafybei{digest[:52]}"


class Seeding:
    """The seeding methods of :class:`~ogpu_widgets.devnet.Devnet`."""

    # ---- results ------------------------------------------------------------------------------

    def _task_index(self: Devnet, task: str) -> int:
        try:
            return self.tasks.index(task)
        except ValueError:
            return int(task, 16) % 1_000_003

    def result_url(
        self: Devnet, task_index: int, provider_index: int, *, kind: str | None = None
    ) -> str:
        """Store the sample result provider ``provider_index`` gives to task ``task_index``
        (:func:`~ogpu_widgets.devnet.ipfs.sample_result`, varied by ``result_seed``; ``kind``
        forces one) and return its gateway URL ``http://127.0.0.1:<port>/ipfs/<CID>``."""
        sample = sample_result(task_index, provider_index, self.result_seed, kind=kind)
        cid = store_result(self.ipfs, self.gateway, sample)
        return f"{self.gateway_url}/ipfs/{cid}"

    # ---- one at a time ------------------------------------------------------------------------

    def _provider(self: Devnet, provider: int | str | DevAccount) -> DevAccount:
        if isinstance(provider, DevAccount):
            return provider
        if isinstance(provider, int):
            return self.providers[provider]
        addr = to_address(provider, "provider")
        for p in [*self.providers, self.client, self.stranger]:
            if p.address == addr:
                return p
        raise DevnetError(f"{addr} is not one of this devnet's accounts")

    def source_params(
        self: Devnet,
        delivery: str | DeliveryMethod = "manual",
        *,
        client: str | None = None,
        image: str = "https://example.org/ogpu/sdxl.json",
        min_payment_ogpu: float = 0,
        max_expiry_duration: int = 0,
    ) -> tuple:
        """The ``SourceParams`` tuple of ``Nexus.publishSource``."""
        return (
            client or self.client.address,
            image,
            1,
            to_ogpu_wei(min_payment_ogpu),
            0,
            max_expiry_duration,
            False,
            "",
            int(delivery_method(delivery)),
            0,
        )

    def publish_source(
        self: Devnet,
        delivery: str | DeliveryMethod = "manual",
        *,
        client: str | None = None,
        **kw: Any,
    ) -> str:
        """Publish a source owned by ``client`` (default: the devnet's client); its address."""
        client = client or self.client.address
        params = self.source_params(delivery, client=client, **kw)
        receipt = self.transact(client, "Nexus", "publishSource", params)
        source = self._event_address(receipt, "SourcePublished", "source")
        self.sources.append({"address": source, "delivery_method": delivery_method(delivery).label})
        return source

    def publish_task(
        self: Devnet,
        source: str,
        *,
        payment_ogpu: float = 1.0,
        expires_in: int = 86_400,
        config: str = "ipfs://bafybeiconfig",
        client: str | None = None,
    ) -> str:
        """Publish a task to ``source`` paying ``payment_ogpu``; its address."""
        client = client or self.client.address
        expiry = self.block_timestamp() + expires_in
        params = (to_address(source), config, expiry, to_ogpu_wei(payment_ogpu))
        receipt = self.transact(client, "Controller", "publishTask", params)
        task = self._event_address(receipt, "TaskPublished", "task")
        self.tasks.append(task)
        return task

    def attempt(
        self: Devnet, task: str, provider: int | str | DevAccount = 0, suggested_ogpu: float = 0
    ) -> None:
        """The provider puts itself in the task's attempter list."""
        p = self._provider(provider)
        self.transact(
            p.address, "Nexus", "attempt", to_address(task), p.address, to_ogpu_wei(suggested_ogpu)
        )

    def submit_response(
        self: Devnet, task: str, provider: int | str | DevAccount = 0, data: str | None = None
    ) -> str:
        """The provider submits a response (it must have attempted); the response's address.
        Without ``data``, a sample result is stored and its gateway URL submitted."""
        p = self._provider(provider)
        task = to_address(task)
        payment = self.call("Task", task, "getPayment")
        if data is None:
            k = self.providers.index(p) if p in self.providers else 0
            data = self.result_url(self._task_index(task), k)
        receipt = self.transact(
            p.address, "Nexus", "submitResponse", (task, p.address, data, payment)
        )
        return self._event_address(receipt, "ResponseSubmitted", "response")

    def respond(
        self: Devnet, task: str, provider: int | str | DevAccount = 0, data: str | None = None
    ) -> str:
        """attempt + submit_response; the response's address."""
        self.attempt(task, provider)
        return self.submit_response(task, provider, data)

    def confirm(self: Devnet, response: str, sender: str | None = None) -> dict[str, Any]:
        """Controller.confirmResponse from ``sender`` (default: the client), as a seeding step."""
        return self.transact(
            sender or self.client.address, "Controller", "confirmResponse", to_address(response)
        )

    def cancel(self: Devnet, task: str, sender: str | None = None) -> dict[str, Any]:
        """Controller.cancelTask from ``sender`` (default: the client)."""
        return self.transact(
            sender or self.client.address, "Controller", "cancelTask", to_address(task)
        )

    def _event_address(self: Devnet, receipt: dict[str, Any], event: str, arg: str) -> str:
        """The address argument ``arg`` of the Nexus ``event`` in a receipt's logs."""
        for ev in decode_logs(receipt["logs"], "Nexus", event, self.contracts["nexus"]):
            return ev["args"][arg]
        raise DevnetError(f"no {event} event in transaction {receipt['transactionHash']}")

    # ---- in bulk ------------------------------------------------------------------------------

    def seed(
        self: Devnet,
        *,
        tasks: int = 10,
        responses_per_task: int = 3,
        delivery: str = "mixed",
        payment_ogpu: tuple[float, float] = (0.5, 5.0),
        expires_in: int = 7 * 86_400,
        batch: int = 500,
        data: Callable[[str, str, int], str] | None = None,
    ) -> dict[str, Any]:
        """Publish ``tasks`` tasks and ``responses_per_task`` responses to each, fast.

        ``delivery`` is ``manual``, ``first`` or ``mixed`` (one source of each; tasks
        alternate). Transactions go in JSON-RPC batches with mining paused, in three phases
        (tasks, attempts, responses), so 10,000 responses take seconds, not minutes.
        ``data(task, provider, i)`` may give each response's payload; by default each response
        stores a sample result in :attr:`ipfs` and carries its gateway URL.
        Returns ``{"sources": [...], "tasks": [...]}`` for what this call added.
        """
        if responses_per_task > len(self.providers):
            raise DevnetError(
                f"responses_per_task={responses_per_task} but the devnet has "
                f"{len(self.providers)} providers; start Devnet(providers=...) with more"
            )
        kinds = {"manual": ["manual"], "first": ["first"], "mixed": ["manual", "first"]}
        if delivery not in kinds:
            raise DevnetError(f"unknown delivery {delivery!r}: use manual, first or mixed")
        sources = [self.publish_source(k) for k in kinds[delivery]]
        lo, hi = payment_ogpu
        expiry = self.block_timestamp() + expires_in
        controller, nexus = self.contracts["controller"], self.contracts["nexus"]
        client = self.client.address
        self.set_automine(False)
        try:
            txs: list[Tx] = []
            for i in range(tasks):
                pay = round(lo + (hi - lo) * ((i * 7919) % 1000) / 999, 4)
                params = (sources[i % len(sources)], f"ipfs://bafybeitaskconfig{i:06d}", expiry,
                          to_ogpu_wei(pay))  # fmt: skip
                txs.append((client, controller, calldata("Controller", "publishTask", params),
                            6_000_000))  # fmt: skip
            self._send_bulk(txs, batch)
            source_of = self._tasks_of_sources(sources)
            new_tasks = list(source_of)
            self.tasks.extend(new_tasks)
            payments = dict(
                zip(new_tasks, self._bulk_uints("Task", new_tasks, "getPayment"), strict=True)
            )
            txs = [
                (p.address, nexus, calldata("Nexus", "attempt", t, p.address, 0), 500_000)
                for t in new_tasks
                for p in self.providers[:responses_per_task]
            ]
            self._send_bulk(txs, batch)
            first = {s for s, kind in zip(sources, kinds[delivery], strict=True) if kind == "first"}
            txs = []
            base = len(self.tasks) - len(new_tasks)
            for n, t in enumerate(new_tasks):
                # a first-response task is finalized by its first response: later ones revert
                answering = 1 if source_of[t] in first else responses_per_task
                for k, p in enumerate(self.providers[:answering]):
                    payload = data(t, p.address, k) if data else self.result_url(base + n, k)
                    params = (t, p.address, payload, payments[t])
                    txs.append((p.address, nexus, calldata("Nexus", "submitResponse", params),
                                3_000_000))  # fmt: skip
            self._send_bulk(txs, batch)
        finally:
            self.set_automine(True)
        return {"sources": sources, "tasks": new_tasks}

    def _send_bulk(self: Devnet, txs: list[Tx], batch: int) -> None:
        """Send ``txs`` ``batch`` to a request and a block, with explicit nonces; raise if any
        of them failed."""
        if not txs:
            return
        senders = sorted({f for f, _, _, _ in txs})
        counts = self.rpc_batch([("eth_getTransactionCount", [a, "pending"]) for a in senders])
        nonces = {a: int(c, 16) for a, c in zip(senders, counts, strict=True)}
        hashes: list[str] = []
        for start in range(0, len(txs), batch):
            calls = []
            for f, t, d, g in txs[start : start + batch]:
                tx = {"from": f, "to": t, "data": d, "gas": hex(g), "nonce": hex(nonces[f])}
                nonces[f] += 1
                calls.append(("eth_sendTransaction", [tx]))
            hashes += self.rpc_batch(calls)
            self.mine()  # one block per batch keeps blocks under the gas limit
        failed = 0
        for start in range(0, len(hashes), batch):
            receipts = self.rpc_batch(
                [("eth_getTransactionReceipt", [h]) for h in hashes[start : start + batch]]
            )
            failed += sum(1 for r in receipts if r is None or int(r["status"], 16) != 1)
        if failed:
            raise DevnetError(f"{failed} of {len(hashes)} seeding transactions failed")

    def _bulk_uints(self: Devnet, name: str, addresses: Sequence[str], fn: str) -> list[int]:
        """``name.fn()`` (a ``uint256`` view without arguments) of each of ``addresses``."""
        data = calldata(name, fn)
        out: list[int] = []
        for start in range(0, len(addresses), 1000):
            chunk = addresses[start : start + 1000]
            raw = self.rpc_batch([("eth_call", [{"to": a, "data": data}, "latest"]) for a in chunk])
            out += [word(bytes.fromhex(r[2:])) for r in raw]
        return out

    def _tasks_of_sources(self: Devnet, sources: Iterable[str]) -> dict[str, str]:
        """{task: source} for the tasks of ``sources`` not yet in ``self.tasks``."""
        known = set(self.tasks)
        out: dict[str, str] = {}
        for s in sources:
            n = self.call("Source", s, "getTaskCount")
            if n:
                for a in self.call("Source", s, "getTasks", 0, n - 1):
                    if a not in known:
                        out[a] = s
        return out
