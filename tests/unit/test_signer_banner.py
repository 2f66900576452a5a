"""The table's signer banner text (no chain): a few of the rows' clients named, the rest
counted; an agent's relation stated; nothing to say when the signer is the one client."""

from __future__ import annotations

from ogpu_widgets.table.signer import banner_text


def test_the_banner_lists_a_few_clients_then_counts_the_rest():
    signer = "0x" + "aa" * 20
    clients = ["0x" + f"{i:02x}" * 20 for i in range(1, 7)]
    text, level = banner_text(signer, clients, set())
    assert level == "error" and "+3 more" in text and clients[2] in text and clients[3] not in text
    text, level = banner_text(signer, clients, {clients[0]})
    assert level == "info" and text.startswith(f"signer {signer}, agent of {clients[0]}")
    assert banner_text(clients[0], [clients[0]], set()) is None
