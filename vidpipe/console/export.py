"""The Job page's results as one self-contained HTML file (``vidpipe results JOB --html FILE``).

The console's stylesheet is inlined and allowed by its hash, the thumbnails are ``data:`` URIs, and the
page's own Content-Security-Policy forbids everything else (no script at all), so the file can be mailed
or archived and opened anywhere without fetching a thing.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

from vidpipe.cli.jobs_store import Record
from vidpipe.console.results_view import results_view
from vidpipe.console.templating import environment


def _stylesheet() -> str:
    return resources.files("vidpipe.console").joinpath("static", "console.css").read_text("utf-8")


def export_html(
    document: dict[str, Any], artifacts: dict[str, bytes], record: Record | None = None
) -> tuple[str, str]:
    """The page and its Content-Security-Policy (also in the page, as a meta element)."""
    css = _stylesheet()
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    csp = (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"
    )

    def embedded(name: str) -> str | None:
        data = artifacts.get(name)
        return "data:image/jpeg;base64," + base64.b64encode(data).decode() if data is not None else None

    html = (
        environment()
        .get_template("export.html")
        .render(results=results_view(document, embedded), record=record or {}, css=css, csp=csp)
    )
    return html, csp


def write_html(
    document: dict[str, Any], artifacts: dict[str, bytes], path: Path, record: Record | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_html(document, artifacts, record)[0], "utf-8")
