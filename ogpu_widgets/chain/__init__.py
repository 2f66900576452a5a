"""The chain room: the JSON-RPC client and its retry policy (``rpc``), networks (``network``),
the bundled ABIs (``abi``), the one checksum/calldata/decoding path (``codec``) and revert
reasons (``revert``). It imports nothing else of the library but ``errors``."""
