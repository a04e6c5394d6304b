"""CDK entry point (``cdk.json``: ``"app": "python3 -m infra.app"``) and the app builder other code reuses."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

from infra.nag import apply_nag
from infra.settings import PREFIX, SETTINGS, load_settings
from infra.stack import VidpipeStack

FEATURE_FLAGS: dict[str, Any] = {
    # Server access logs delivered through a bucket policy (not the legacy ACL), so every bucket can keep
    # ACLs disabled (BucketOwnerEnforced).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    # Keep each grant its own IAM statement: the tests and reviewers read them one by one.
    "@aws-cdk/aws-iam:minimizePolicies": False,
}
"""Feature flags the stack is written for; given as App defaults so CLI and programmatic synths agree."""


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None, nag: bool = True
) -> tuple[cdk.App, VidpipeStack]:
    """Create the app and its one stack.

    ``context`` is merged over the feature flags; when the CDK CLI runs the app, cdk.json and ``-c`` values
    arrive through the environment and win over both (CDK's own precedence).

    Raises:
        SettingsError: when any ``vidpipe:`` context value is invalid or unknown (all problems at once).
    """
    app = cdk.App(
        context={**FEATURE_FLAGS, **(context or {})},
        outdir=outdir,
        # CDK's built-in CloudFormation schema validation costs ~15 s per synth (most of the synth time);
        # tests/infra runs cfn-lint on the template instead, which checks the same schemas and more.
        builtin_cloud_formation_validation=False,
    )
    settings = load_settings(_vidpipe_context(app, context))
    stack = VidpipeStack(app, settings.stack_name, settings=settings)
    if nag:
        apply_nag(app, stack)
    return app, stack


def _vidpipe_context(app: cdk.App, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every ``vidpipe:`` key visible to the app: declared settings, plus any other key the caller or the CLI
    passed (so that a misspelt key is reported rather than ignored)."""
    keys = {s.context_key for s in SETTINGS} | set(given or {})
    keys |= set(json.loads(os.environ.get("CDK_CONTEXT_JSON") or "{}"))
    found = {k: app.node.try_get_context(k) for k in keys if k.startswith(PREFIX)}
    return {k: v for k, v in found.items() if v is not None}


def main() -> None:
    app, _stack = build_app()
    app.synth()


if __name__ == "__main__":
    main()
