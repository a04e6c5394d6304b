"""Secrets never reach a page: masking of what the console shows from inputs, outputs, causes and logs.

The console's own credentials are never rendered at all; this catches what the pipeline's data might carry
(a task token, an access key id in a log line, a field named like a password).
"""

from __future__ import annotations

import json
import re
from typing import Any

_SECRET_KEYS = re.compile(r"secret|password|passwd|token|credential|session|authorization", re.IGNORECASE)
_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")
REDACTED = "(redacted)"


def redact(value: Any) -> Any:
    """A copy of a JSON value with secrets masked: values under secret-sounding keys, and access key ids."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEYS.search(str(k)) and v else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _ACCESS_KEY.sub(REDACTED, value)
    return value


def pretty(text: str | None, limit: int = 64_000) -> str:
    """A JSON document as indented, redacted text for a page (other text as is, redacted); cut at ``limit``."""
    if text is None or text == "":
        return ""
    try:
        shown = json.dumps(redact(json.loads(text)), indent=2, ensure_ascii=False)
    except ValueError:
        shown = _ACCESS_KEY.sub(REDACTED, text)
    if len(shown) > limit:
        return shown[:limit] + f"\n… ({len(shown) - limit:,} more characters: export the history for all)"
    return shown
