"""The worker's two outcomes other than success: a permanent rejection, and a termination request."""

from __future__ import annotations


class Rejected(Exception):
    """The input can never be analysed (retrying will not help): the worker writes a rejected verdict.

    Attributes:
        code: a stable machine-readable code (``empty``, ``too_large``, ``not_a_video``...).
        reason: a one-line human explanation, copied into the job record.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class Terminated(Exception):
    """SIGTERM arrived (Spot interruption, StopTask): stop now and write nothing."""


class RejectionCode:
    """The rejection codes the worker writes (``rejection.code`` in the results document)."""

    MISSING = "missing"
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    TOO_LONG = "too_long"
    NOT_A_VIDEO = "not_a_video"
    NO_VIDEO_STREAM = "no_video_stream"
    UNSUPPORTED_CODEC = "unsupported_codec"
    CORRUPT = "corrupt"
    INVALID_OPTIONS = "invalid_options"
