"""cdk-nag (AwsSolutions), cfn-lint on the synthesized templates, asl-validator on every ASL file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from infra_support import Synth

from infra.paths import REPO_ROOT

ASL_VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"


@pytest.mark.parametrize("which", ["synth", "variant"])
def test_cdk_nag_passes_with_every_finding_acknowledged(request: pytest.FixtureRequest, which: str) -> None:
    """The fixture's synth would have raised on an unacknowledged finding; the report confirms the plugin ran."""
    synth: Synth = request.getfixturevalue(which)
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    plugins = {p["pluginName"]: p for p in report["pluginReports"]}
    assert plugins["AwsSolutions"]["conclusion"] == "success"
    assert plugins["AwsSolutions"]["violations"] == []


@pytest.mark.parametrize("which", ["synth", "variant"])
def test_every_acknowledgement_has_a_reason_and_is_needed(request: pytest.FixtureRequest, which: str) -> None:
    synth: Synth = request.getfixturevalue(which)
    metadata = json.loads(next(synth.outdir.glob("*.metadata.json")).read_text())
    acknowledged = {
        (path.lstrip("/"), rule): reason
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
        if rule.startswith("AwsSolutions::")
    }
    assert acknowledged, "no acknowledgement found: has the metadata format changed?"
    for (path, rule), reason in acknowledged.items():
        assert len(reason) >= 40, f"{path} {rule}: reason too thin: {reason!r}"
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    (nag,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    suppressed = {
        (construct["constructPath"], violation["ruleName"])
        for violation in nag["suppressedViolations"]
        for construct in violation["violatingConstructs"]
    }
    stale = {
        (path, rule)
        for path, rule in acknowledged
        if not any(
            name == rule.split("::", 1)[1] and (where == path or where.startswith(path + "/"))
            for where, name in suppressed
        )
    }
    assert not stale, f"acknowledgements that match no finding (remove them): {stale}"


@pytest.mark.parametrize("which", ["synth", "variant"])
def test_cfn_lint_reports_no_errors(request: pytest.FixtureRequest, which: str, tmp_path: Path) -> None:
    synth: Synth = request.getfixturevalue(which)
    path = tmp_path / "template.json"
    path.write_text(json.dumps(synth.template))
    result = subprocess.run(
        # The project's pinned cfn-lint (this interpreter's), never one that happens to be on PATH.
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], json.dumps(errors, indent=1)
    # Warnings seen: W3005 (CDK adds DependsOn next to GetAtt), harmless; anything else gets a look.
    assert {f["Rule"]["Id"] for f in findings} <= {"W3005"}, json.dumps(findings, indent=1)


@pytest.mark.skipif(
    not ASL_VALIDATOR.exists(), reason="node_modules is missing: run `npm ci` (make bootstrap)"
)
@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "statemachine").glob("*.asl.json")), ids=lambda p: p.name
)
def test_asl_validator_accepts_the_definition(path: Path) -> None:
    result = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_accepts_the_deployed_definition(synth: Synth, tmp_path: Path) -> None:
    """The definition as deployed (with the TimeoutSeconds the stack adds) is still valid ASL."""
    if not ASL_VALIDATOR.exists():
        pytest.skip("node_modules is missing: run `npm ci` (make bootstrap)")
    (machine,) = [
        r for r in synth.template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    path = tmp_path / "deployed.asl.json"
    path.write_text(machine["Properties"]["DefinitionString"])
    result = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unacknowledged_finding_fails_the_synth(tmp_path: Path) -> None:
    """cdk-nag is enforced: a bucket without TLS enforcement or access logs makes synth raise."""
    from aws_cdk import aws_s3 as s3
    from infra_support import BASE_CONTEXT

    from infra.app import build_app

    app, stack = build_app(BASE_CONTEXT, outdir=str(tmp_path))
    s3.Bucket(stack, "CarelessBucket")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    rules = {v["ruleName"] for v in nag["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


@pytest.mark.skipif(
    not (REPO_ROOT / "node_modules" / ".bin" / "cdk").exists(), reason="node_modules is missing"
)
def test_cdk_cli_synthesizes_offline_through_cdk_json(tmp_path: Path) -> None:
    """`npx cdk synth` runs the app named in cdk.json (what `make synth` and `cdk deploy` do)."""
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true", "AWS_EC2_METADATA_DISABLED": "true"}
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        env.pop(name, None)
    command = [
        str(REPO_ROOT / "node_modules" / ".bin" / "cdk"),
        "synth",
        "--quiet",
        "--output",
        str(tmp_path),
    ]
    if not (REPO_ROOT / "worker" / "Dockerfile").is_file():
        command += ["-c", "vidpipe:workerImage=example.com/vidpipe-worker:test"]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    template = json.loads((tmp_path / "Vidpipe.template.json").read_text())
    assert any(r["Type"] == "AWS::Pipes::Pipe" for r in template["Resources"].values())
    assert not (REPO_ROOT / "cdk.context.json").exists()  # environment-agnostic: no lookups were cached
