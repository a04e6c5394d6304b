"""Errors the handlers raise on purpose.

Step Functions surfaces a Lambda function error with the exception's class name as the error name, so these
class names are exactly the names the ASL's Retry and Catch match on. ``tests/`` checks that the two agree
both ways: every custom error name in the ASL is a class here, and every class here is handled in the ASL
or documented as deliberately unhandled (it fails the execution).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

# AWS error codes that mean "try again later" (S3, DynamoDB, STS...).
THROTTLING_CODES = frozenset(
    {
        "500",
        "503",
        "InternalError",
        "InternalServerError",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "SlowDown",
        "ThrottlingException",
    }
)


def error_code(error: ClientError) -> str:
    """The AWS error code of a botocore ClientError."""
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: ClientError) -> bool:
    """True for throttling and server-side errors, which are worth a retry."""
    return error_code(error) in THROTTLING_CODES


@contextmanager
def transient_as_retryable() -> Iterator[None]:
    """A handler's body: a throttled or failing AWS call becomes TransientError, which the state's Retry
    matches; any other ClientError passes unchanged (and fails the state)."""
    try:
        yield
    except ClientError as error:
        if is_transient(error):
            raise TransientError(str(error)) from error
        raise


class VidpipeTaskError(Exception):
    """Base of the errors raised on purpose by the handlers."""


class TransientError(VidpipeTaskError):
    """A dependency was throttled or unavailable; the state's Retry tries again with backoff."""


class ResultsMissing(VidpipeTaskError):
    """The worker exited 0 but its results document is not in the results store (unhandled: fails the execution)."""


class InvalidResults(VidpipeTaskError):
    """The results document does not satisfy its JSON Schema (caught by the iteration: the job is FAILED)."""


class AnalysisFailed(VidpipeTaskError):
    """Jobs of the batch failed (unhandled on purpose: the execution fails at Conclude and can be redriven)."""


class RerunFailedJobs(VidpipeTaskError):
    """Conclude runs again after a redrive: its Catch sends the execution back to Prepare for the failed jobs."""


# Custom error names the ASL handles by name (Retry or Catch); the others fail the execution on purpose.
HANDLED_BY_ASL = (TransientError, RerunFailedJobs)
UNHANDLED_ON_PURPOSE = (AnalysisFailed,)
CAUGHT_BY_CATCH_ALL = (ResultsMissing, InvalidResults)
"""Raised by Record; the iteration's Catch (States.ALL) turns them into a FAILED job."""
