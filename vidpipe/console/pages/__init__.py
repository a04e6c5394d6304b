"""One module per page (or group of pages): its routes, each a handler that calls the CLI's functions."""

from __future__ import annotations

from starlette.requests import Request


def page_number(request: Request) -> int:
    """``?page=N`` (1 for anything else)."""
    text = request.query_params.get("page", "1")
    return int(text) if text.isdigit() and int(text) > 0 else 1


def wants_part(request: Request) -> bool:
    """A live-update request (``?part=live``): only the part of the page that changes."""
    return request.query_params.get("part") == "live"
