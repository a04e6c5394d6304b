"""The Lambda asset: bundled locally (no Docker) with the handlers, the contracts and Linux wheels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from infra_support import Synth
from packaging import tags

from infra.bundling import (
    LAMBDA_PYTHON_VERSION,
    LAMBDA_RUNTIME,
    LambdaBundle,
    pinned_requirements,
    pip_platform,
)
from infra.paths import REPO_ROOT

MACHINES = {"ARM64": ("aarch64", 0xB7), "X86_64": ("x86_64", 0x3E)}
"""Lambda architecture -> (platform-tag machine, ELF e_machine)."""


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


def lambda_tags(architecture: str, python: str) -> set[tags.Tag]:
    """Every wheel tag a CPython ``python`` on manylinux2014 (glibc 2.17) of the architecture can install."""
    machine, _ = MACHINES[architecture]
    version = tuple(int(part) for part in python.split("."))
    oldest_glibc = 5 if machine == "x86_64" else 17  # manylinux1 (glibc 2.5) existed for x86_64 only
    platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(17, oldest_glibc - 1, -1)]
    platforms += [f"manylinux2014_{machine}"]
    if machine == "x86_64":
        platforms += ["manylinux2010_x86_64", "manylinux1_x86_64"]
    interpreter = f"cp{version[0]}{version[1]}"
    return set(tags.cpython_tags(version, abis=[interpreter], platforms=platforms)) | set(
        tags.compatible_tags(version, interpreter, platforms)
    )


def wheel_problems(asset: Path, architecture: str, python: str) -> tuple[list[str], list[str]]:
    """(problems, compiled wheels): every ``*.dist-info/WHEEL`` tag must be installable by that Python on
    that architecture, and every shared object must be an ELF of that machine whose ABI tag, if its name has
    one, is that Python's (``.cpython-314-aarch64-linux-gnu.so``) or the stable ABI (``.abi3.so``)."""
    supported = lambda_tags(architecture, python)
    machine, elf_machine = MACHINES[architecture]
    problems: list[str] = []
    compiled: list[str] = []
    for wheel in sorted(asset.glob("*.dist-info/WHEEL")):
        declared = [
            line.split(":", 1)[1].strip()
            for line in wheel.read_text().splitlines()
            if line.startswith("Tag:")
        ]
        if not declared:
            problems.append(f"{wheel.parent.name}: WHEEL declares no Tag")
        for text in declared:
            for tag in tags.parse_tag(text):
                if tag.platform != "any":
                    compiled.append(f"{wheel.parent.name}: {tag}")
                if tag not in supported:
                    problems.append(
                        f"{wheel.parent.name}: tag {tag} is not installable by CPython {python} on {machine}"
                    )
    own_abi = f".cpython-{python.replace('.', '')}-{machine}-linux-gnu.so"
    for library in sorted(p for p in asset.rglob("*.so*") if p.is_file()):
        name = library.relative_to(asset).as_posix()
        header = library.read_bytes()[:20]
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            problems.append(f"{name}: not a 64-bit little-endian ELF")
        elif int.from_bytes(header[18:20], "little") != elf_machine:
            problems.append(
                f"{name}: ELF machine {int.from_bytes(header[18:20], 'little'):#x}, not {machine}"
            )
        if ".cpython-" in library.name and not library.name.endswith(own_abi):
            problems.append(f"{name}: ABI tag is not {own_abi}")
    return problems, compiled


@pytest.mark.parametrize(("which", "architecture"), [("synth", "ARM64"), ("variant", "X86_64")])
def test_every_compiled_wheel_in_the_bundle_matches_the_lambda_python_and_architecture(
    request: pytest.FixtureRequest, which: str, architecture: str
) -> None:
    """The real synthesized asset (what `cdk deploy` uploads): wheels for python3.14 on the functions' arch."""
    synth: Synth = request.getfixturevalue(which)
    asset = _lambda_asset(synth)
    functions = [
        r["Properties"] for k, r in synth.resources("AWS::Lambda::Function").items()
        if not k.startswith("BucketNotificationsHandler")
    ]  # fmt: skip
    assert {f["Runtime"] for f in functions} == {LAMBDA_RUNTIME.name} == {f"python{LAMBDA_PYTHON_VERSION}"}
    assert {a for f in functions for a in f["Architectures"]} == {
        MACHINES[architecture][0].replace("aarch64", "arm64")
    }
    problems, compiled = wheel_problems(asset, architecture, LAMBDA_PYTHON_VERSION)
    assert problems == []
    assert any(c.startswith("rpds_py-") and "cp314-cp314-manylinux" in c for c in compiled), compiled


def test_the_wheel_check_rejects_another_python_or_architecture(synth: Synth) -> None:
    """The same real ARM64 bundle fails the check for x86_64 and for CPython 3.11."""
    asset = _lambda_asset(synth)
    wrong_machine, _ = wheel_problems(asset, "X86_64", LAMBDA_PYTHON_VERSION)
    assert any("ELF machine 0xb7, not x86_64" in p for p in wrong_machine), wrong_machine
    assert any("rpds_py" in p and "not installable" in p for p in wrong_machine), wrong_machine
    wrong_python, _ = wheel_problems(asset, "ARM64", "3.11")
    assert any("ABI tag is not .cpython-311-aarch64-linux-gnu.so" in p for p in wrong_python), wrong_python
    assert any("cp314-cp314" in p for p in wrong_python), wrong_python


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
    assert native == ["rpds.cpython-314-aarch64-linux-gnu.so"], native
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
    assert native == ["rpds.cpython-314-x86_64-linux-gnu.so"], native
    (function,) = [
        r["Properties"] for k, r in variant.template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and k.startswith("PrepareFunction")
    ]  # fmt: skip
    assert function["Architectures"] == ["x86_64"]
