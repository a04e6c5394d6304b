"""Expected failures of the CLI: one clean line on stderr, never a traceback.

Exit statuses: 1 for an expected failure (:class:`UserError`: unknown job, unreachable endpoint, an AWS
service error...), 2 for a usage error (:class:`BadArgument`: a malformed or contradictory argument, as
Click's own usage errors), 130 when interrupted (Ctrl-C). Anything else is a bug and keeps its traceback.
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

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it (Typer exits so on KeyboardInterrupt)


class UserError(Exception):
    """A failure the operator can fix (bad argument, unknown job, unreachable endpoint...)."""

    exit_code = 1


class NotFound(UserError):
    """The job, execution, object or document the operator asked for does not exist."""


class BadArgument(UserError):
    """A usage error: an argument or option value is malformed or ambiguous (a bad duration, an unknown
    status, a job-id prefix that several jobs share...)."""

    exit_code = EXIT_USAGE


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


def default_local_endpoint() -> str:
    """The endpoint ``vidpipe local up`` serves when no ``--port`` is given."""
    from vidpipe.local.defaults import DEFAULT_PORT

    return f"http://127.0.0.1:{DEFAULT_PORT}"


def local_hint(endpoint_url: str | None) -> str:
    """How to start a local runtime at ``endpoint_url`` (with its port when it is not the default one)."""
    from urllib.parse import urlsplit

    from vidpipe.local.defaults import DEFAULT_PORT

    try:
        port = urlsplit(endpoint_url or "").port
    except ValueError:
        port = None
    option = f" --port {port}" if port and port != DEFAULT_PORT else ""
    return f"start the local runtime with `vidpipe local up{option}`"


def translate(exc: BaseException, endpoint_url: str | None = None) -> UserError | None:
    """The one-line :class:`UserError` for a botocore failure, or ``None`` when ``exc`` is not one.

    Service errors (``ClientError``) are operating conditions reported by AWS (access denied, throttling, a
    resource deleted under us), so they become one line naming the operation; the AWS CLI does the same.
    """
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, EndpointConnectionError):
        url = endpoint_url or getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        hint = local_hint(endpoint_url) if endpoint_url else "check your network and --region"
        return TargetError(f"cannot reach {url}: {hint}")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return TargetError(
            "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
            f"or target the local runtime with --endpoint-url {default_local_endpoint()}"
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
