"""Analysis options: the VIDPIPE_OPTIONS JSON object, also accepted by the Python API as a dict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from worker.errors import Rejected, RejectionCode

DEFAULT_ANALYZERS = ("metadata", "shots", "text", "faces", "speech")
_KNOWN_KEYS = {"analyzers", "plugins", "sample_fps", "thumbnails", "noop", "config"}


@dataclass(frozen=True)
class Options:
    """What to run.

    Attributes:
        analyzers: built-in analyzer names to run (``metadata`` always runs: the summary needs it).
        plugins: extra analyzers, each ``"package.module:ClassName"`` or an entry point name in the
            ``vidpipe.analyzers`` group.
        sample_fps: frames per second handed to the sampled analyzers (text, faces, plugins).
        thumbnails: write a JPEG per shot (``shots/NNN.jpg`` next to the results document).
        noop: skip decoding and analysis; write a valid analysed document (pipeline benchmarks).
        config: per-analyzer settings, ``{"faces": {"threshold": 0.6}}``, passed to its constructor.
    """

    analyzers: tuple[str, ...] = DEFAULT_ANALYZERS
    plugins: tuple[str, ...] = ()
    sample_fps: float = 1.0
    thumbnails: bool = True
    noop: bool = False
    config: dict[str, dict[str, Any]] = field(default_factory=dict)


def parse_options(raw: str | dict[str, Any] | Options | None) -> Options:
    """Options from JSON text, a dict, or None (defaults).

    Raises:
        Rejected: ``invalid_options`` with every problem found, so that a bad job fails once, clearly.
    """
    if isinstance(raw, Options):
        return raw
    if raw is None or raw == "":
        return Options()
    data = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise Rejected(RejectionCode.INVALID_OPTIONS, f"options are not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise Rejected(RejectionCode.INVALID_OPTIONS, "options must be a JSON object")
    problems = [f"unknown option {key!r}" for key in sorted(set(data) - _KNOWN_KEYS)]
    analyzers = data.get("analyzers", list(DEFAULT_ANALYZERS))
    plugins = data.get("plugins", [])
    sample_fps = data.get("sample_fps", 1.0)
    config = data.get("config", {})
    if not _is_str_list(analyzers):
        problems.append("analyzers must be a list of names")
    if not _is_str_list(plugins):
        problems.append("plugins must be a list of 'module:Class' or entry point names")
    if isinstance(sample_fps, bool) or not isinstance(sample_fps, int | float) or not 0 < sample_fps <= 60:
        problems.append("sample_fps must be a number in (0, 60]")
    if not isinstance(config, dict) or not all(isinstance(v, dict) for v in config.values()):
        problems.append("config must map analyzer names to objects")
    for key in ("thumbnails", "noop"):
        if not isinstance(data.get(key, False), bool):
            problems.append(f"{key} must be true or false")
    if problems:
        raise Rejected(RejectionCode.INVALID_OPTIONS, "; ".join(problems))
    return Options(
        analyzers=tuple(analyzers),
        plugins=tuple(plugins),
        sample_fps=float(sample_fps),
        thumbnails=data.get("thumbnails", True),
        noop=data.get("noop", False),
        config=config,
    )


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)
