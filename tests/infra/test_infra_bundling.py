"""The Lambda asset: bundled locally (no Docker) with the handlers, the contracts and Linux wheels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from infra_support import Synth

from infra.bundling import LambdaBundle, pinned_requirements, pip_platform
from infra.paths import REPO_ROOT


def _lambda_asset(synth: Synth) -> Path:
    (asset,) = [p for p in synth.outdir.glob("asset.*") if (p / "tasks" / "prepare.py").is_file()]
    return asset


def test_the_three_functions_share_one_asset(synth: Synth) -> None:
    keys = {
        json.dumps(r["Properties"]["Code"]["S3Key"])
        for k, r in synth.template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and not k.startswith("BucketNotificationsHandler")
    }
    assert len(keys) == 1


def test_asset_holds_handlers_contracts_and_arm64_wheels(synth: Synth) -> None:
    asset = _lambda_asset(synth)
    for handler in ("prepare", "record", "status_change"):
        assert (asset / "tasks" / f"{handler}.py").is_file(), handler
    assert (asset / "vidpipe" / "__init__.py").is_file()
    assert (asset / "vidpipe" / "contract" / "names.py").is_file()
    assert list((asset / "vidpipe" / "contract" / "schemas").glob("*.schema.json"))
    assert not (asset / "vidpipe" / "cli").exists()  # only the contracts, not the CLI
    assert (asset / "jsonschema").is_dir()
    assert (asset / "aws_lambda_powertools").is_dir()
    native = [p.name for p in asset.glob("rpds/*.so")]
    assert native and all("aarch64" in name for name in native), native
    assert not (asset / "boto3").exists()  # in the Lambda runtime already
    assert not list(asset.rglob("__pycache__"))


def test_requirements_are_the_exact_pins_of_constraints_txt() -> None:
    pins = dict(line.split("==") for line in (REPO_ROOT / "constraints.txt").read_text().split())
    normalised = {k.lower().replace("_", "-"): v for k, v in pins.items()}
    for requirement in pinned_requirements():
        name, version = requirement.split("==")
        assert normalised[name] == version


def test_platform_tags() -> None:
    assert pip_platform("ARM64") == "manylinux2014_aarch64"
    assert pip_platform("X86_64") == "manylinux2014_x86_64"


def test_dependency_cache_key_depends_on_the_platform_only_not_on_sources() -> None:
    arm, x86 = LambdaBundle("ARM64"), LambdaBundle("X86_64")
    assert arm.dependency_key != x86.dependency_key
    assert arm.dependency_key == LambdaBundle("ARM64").dependency_key
    assert arm.asset_hash != x86.asset_hash


def test_dependencies_are_cached(synth: Synth) -> None:
    bundle = LambdaBundle("ARM64")
    cached = bundle.cache_dir / "lambda-deps" / bundle.dependency_key
    assert cached.is_dir()  # the session synth filled it
    assert bundle.dependencies() == cached  # no pip run


def test_asset_hash_follows_the_sources(tmp_path: Path) -> None:
    """Editing a handler or a contract changes the asset hash (so CDK re-bundles and redeploys)."""
    root = tmp_path / "repo"
    for relative in ("tasks", "vidpipe/contract"):
        (root / relative).mkdir(parents=True)
    (root / "vidpipe" / "__init__.py").write_text("")
    (root / "tasks" / "prepare.py").write_text("x = 1\n")
    (root / "constraints.txt").write_text((REPO_ROOT / "constraints.txt").read_text())
    before = LambdaBundle("ARM64", repo_root=root, cache_dir=tmp_path / "cache").asset_hash
    (root / "tasks" / "prepare.py").write_text("x = 2\n")
    after = LambdaBundle("ARM64", repo_root=root, cache_dir=tmp_path / "cache").asset_hash
    assert before != after


@pytest.mark.parametrize("missing", ["jsonschema", "aws-lambda-powertools"])
def test_a_missing_pin_is_an_error(tmp_path: Path, missing: str) -> None:
    lines = [
        line for line in (REPO_ROOT / "constraints.txt").read_text().splitlines()
        if not line.lower().replace("_", "-").startswith(missing + "==")
    ]  # fmt: skip
    path = tmp_path / "constraints.txt"
    path.write_text("\n".join(lines))
    with pytest.raises(RuntimeError, match=missing):
        pinned_requirements(path)


def test_x86_functions_get_x86_wheels(variant: Synth) -> None:
    """The variant deploys the functions on X86_64: the asset must carry x86_64 wheels, not aarch64."""
    asset = _lambda_asset(variant)
    native = [p.name for p in asset.glob("rpds/*.so")]
    assert native and all("x86_64" in name for name in native), native
    (function,) = [
        r["Properties"] for k, r in variant.template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and k.startswith("PrepareFunction")
    ]  # fmt: skip
    assert function["Architectures"] == ["x86_64"]
