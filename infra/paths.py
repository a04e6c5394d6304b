"""Filesystem locations the app depends on, resolved from this file (the app may run from any directory)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO_ROOT / ".vidpipe" / "cache"
WORKER_DOCKERFILE = "worker/Dockerfile"
"""Relative to REPO_ROOT, which is the image's build context."""
