"""Expected failures of the CLI: one clean line on stderr and exit 1, never a traceback.

Anything that is not a :class:`UserError` (or a botocore error translated by :func:`translate`) is a bug and
keeps its traceback.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

LOCAL_HINT = "start the local runtime with `vidpipe local up`"


class UserError(Exception):
    """A failure the operator can fix (bad argument, unknown job, unreachable endpoint...)."""

    exit_code = 1


class NotFound(UserError):
    """The job, execution, object or document the operator asked for does not exist."""


class BadArgument(UserError):
    """An argument or option value is malformed (a bad duration, an unknown status...)."""


class TargetError(UserError):
    """The target (endpoint, credentials, region, stack) is not usable."""


_AUTH_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    }
)


def translate(exc: BaseException, endpoint_url: str | None = None) -> UserError | None:
    """The one-line :class:`UserError` for a botocore failure, or ``None`` when ``exc`` is not one.

    Service errors (``ClientError``) are operating conditions reported by AWS (access denied, throttling, a
    resource deleted under us), so they become one line naming the operation; the AWS CLI does the same.
    """
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, EndpointConnectionError):
        url = endpoint_url or getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        hint = LOCAL_HINT if endpoint_url else "check your network and --region"
        return TargetError(f"cannot reach {url}: {hint}")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return TargetError(
            "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
            "or target the local runtime with --endpoint-url http://127.0.0.1:4566"
        )
    if isinstance(exc, CredentialRetrievalError):
        return TargetError(f"could not get AWS credentials: {exc} (check --profile or your credential setup)")
    if isinstance(exc, TokenRetrievalError):
        return TargetError(f"AWS credentials expired: {exc} (run `aws sso login`)")
    if isinstance(exc, ProfileNotFound):
        return TargetError(f"{exc}: check --profile / AWS_PROFILE")
    if isinstance(exc, NoRegionError):
        return TargetError("no AWS region configured: pass --region or set AWS_REGION")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Error")
        message = error.get("Message", "")
        if code in _AUTH_CODES:
            return TargetError(f"AWS rejected the credentials ({code}): {message}")
        if code in {"AccessDenied", "AccessDeniedException"}:
            return TargetError(f"access denied for {exc.operation_name}: {message}")
        return UserError(f"{exc.operation_name} failed: {code}: {message}")
    return None
