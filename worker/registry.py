"""Resolve analyzer names from the job options into analyzer instances.

A name is a built-in (``text``), an entry point in the ``vidpipe.analyzers`` group (an installed
plug-in distribution), or ``"package.module:ClassName"``. Every problem is reported at once, before
anything is downloaded, as an ``invalid_options`` rejection.
"""

from __future__ import annotations

import importlib
from typing import Any

from worker.analyzers.base import Analyzer
from worker.errors import Rejected, RejectionCode
from worker.options import Options

ENTRY_POINT_GROUP = "vidpipe.analyzers"
BUILTINS = {
    "metadata": "worker.analyzers.metadata:MetadataAnalyzer",
    "shots": "worker.analyzers.shots:ShotsAnalyzer",
    "text": "worker.analyzers.text:TextAnalyzer",
    "faces": "worker.analyzers.faces:FacesAnalyzer",
    "speech": "worker.analyzers.speech:SpeechAnalyzer",
}


def build_analyzers(options: Options) -> list[Analyzer]:
    """Instances of every analyzer the options ask for, ``metadata`` first (the summary needs it).

    Raises:
        Rejected: ``invalid_options`` listing every unknown name, failed import or bad setting.
    """
    names = ["metadata", *[n for n in options.analyzers if n != "metadata"]]
    problems: list[str] = []
    analyzers: list[Analyzer] = []
    for name in names:
        if name not in BUILTINS:
            problems.append(f"unknown analyzer {name!r} (built-ins: {', '.join(BUILTINS)}; use plugins)")
            continue
        _instantiate(_load(BUILTINS[name]), name, options, problems, analyzers)
    for spec in options.plugins:
        try:
            cls = _load(spec) if ":" in spec else _entry_point(spec)
        except Exception as exc:  # any import-time failure of a plug-in is a bad job option
            problems.append(f"plugin {spec!r} cannot be loaded: {exc}")
            continue
        _instantiate(cls, getattr(cls, "name", "") or spec, options, problems, analyzers)
    seen = [a.name for a in analyzers]
    problems += [f"two analyzers are named {n!r}" for n in sorted({n for n in seen if seen.count(n) > 1})]
    if problems:
        raise Rejected(RejectionCode.INVALID_OPTIONS, "; ".join(problems))
    return analyzers


def _load(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _entry_point(name: str) -> Any:
    from importlib.metadata import entry_points  # 40 ms of imports, for plug-ins named by entry point

    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        raise LookupError(f"no entry point {name!r} in group {ENTRY_POINT_GROUP!r}")
    return next(iter(found)).load()


def _instantiate(cls: Any, name: str, options: Options, problems: list[str], out: list[Analyzer]) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Analyzer)):
        problems.append(f"{name!r} is not a worker.analyzers.Analyzer subclass")
        return
    settings = dict(options.config.get(name, {}))
    if name == "shots":
        settings.setdefault("thumbnails", options.thumbnails)
    try:
        out.append(cls(**settings))
    except TypeError as exc:
        problems.append(f"bad settings for {name!r}: {exc}")
