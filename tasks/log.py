"""The handlers' structured logger: Powertools JSON lines with vidpipe's one time format.

Powertools writes ``2026-12-01 11:42:25,754+0000`` by default; every other vidpipe log, table and JSON field
uses ISO 8601 UTC with milliseconds and ``Z`` (``vidpipe.contract.timestamps``), so the handlers do too.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%FZ"  # %F: Powertools' milliseconds directive


def logger(service: str) -> Logger:
    """A Powertools logger for one handler (``service`` names it in every line)."""
    return Logger(service=service, datefmt=TIME_FORMAT, utc=True)
