"""Where the front-end's bundle is (``ogpu_widgets/static``, built by ``make install``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["css", "esm"]

_STATIC = Path(__file__).resolve().parent.parent / "static"


def esm() -> str | Path:
    path = _STATIC / "widget.js"
    if path.exists():
        return path
    return (
        "export default { render({ el }) { el.textContent = 'ogpu-widgets: the front-end "
        "bundle is missing; run `make install` (or `cd js && npm ci && npm run build`).'; } };"
    )


def css() -> str | Path:
    path = _STATIC / "widget.css"
    return path if path.exists() else ""
