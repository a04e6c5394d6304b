"""The Upload page: pick or drop files; each becomes an object in the video bucket (``vidpipe upload``)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vidpipe.cli.errors import BadArgument
from vidpipe.cli.target import Target
from vidpipe.cli.upload import plan, upload_all
from vidpipe.console.app import console
from vidpipe.contract.names import VIDEO_SUFFIXES


def upload_form(request: Request) -> Response:
    return console(request).page(request, "upload.html", rows=None, suffixes=VIDEO_SUFFIXES, nav="upload")


def safe_name(filename: str | None) -> str:
    """The file's own name as the browser sent it, without any folder part.

    Raises:
        BadArgument: for a name that cannot be a file name.
    """
    name = Path((filename or "").replace("\\", "/")).name
    if name in ("", ".", "..") or "\x00" in name:
        raise BadArgument(f"not a usable file name: {filename!r}")
    return name


def store_and_upload(tgt: Target, files: list[UploadFile], prefix: str) -> list[dict[str, Any]]:
    """Copy the received files to a private folder under their own names, then upload them as the CLI does."""
    with tempfile.TemporaryDirectory(prefix="vidpipe-console-") as tmp:
        paths = []
        for number, item in enumerate(files):
            path = Path(tmp, str(number), safe_name(item.filename))
            path.parent.mkdir()
            with path.open("wb") as out:
                shutil.copyfileobj(item.file, out)
            paths.append(path)
        return upload_all(tgt, plan(paths, prefix), progress=False)


async def upload(request: Request) -> Response:
    ctx = console(request)
    form = await ctx.guard.form(request)
    try:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        if not files:
            raise BadArgument("choose or drop at least one video file")
        prefix = str(form.get("prefix") or "")
        rows = await run_in_threadpool(store_and_upload, ctx.target, files, prefix)
    finally:
        await form.close()
    return ctx.page(request, "upload.html", rows=rows, suffixes=VIDEO_SUFFIXES, nav="upload")


ROUTES = [
    Route("/upload", upload_form, methods=["GET"]),
    Route("/upload", upload, methods=["POST"], name="upload"),
]
