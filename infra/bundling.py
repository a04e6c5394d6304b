"""The Lambda code asset, bundled on this machine (no Docker): handlers, contracts and pinned dependencies.

Why local: no Docker engine is available where vidpipe is developed and tested, and the handlers are pure
Python whose only native dependency (rpds-py, under jsonschema) ships manylinux wheels. ``pip install
--platform manylinux2014_<arch> --implementation cp --python-version 3.14 --only-binary=:all:`` fetches
exactly the wheels the Lambda runtime needs: CPython 3.14's ABI (``cp314``) on the function's architecture,
whatever Python runs the synth (the project's is 3.11; the handlers run on both, see :data:`LAMBDA_RUNTIME`).

Why cached: the dependency install is the only slow, online step. It is cached under
``.vidpipe/cache/lambda-deps/<hash of requirements, platform, Python version, constraints>``, so repeated
synths are fast and work offline after the first one. The asset hash is computed from the sources and the
dependency key (asset hash type CUSTOM), so CDK skips bundling entirely when an identical asset is staged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from infra.paths import CACHE_DIR, REPO_ROOT

LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime that both the pinned aws-cdk-lib (2.275) and cfn-lint (1.58) know.

AWS's Lambda runtimes page (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html) and cfn-lint's
lifecycle data (``cfnlint/data/AdditionalSpecs/LmbdRuntimeLifecycle.json``: python3.14 deprecated 2029-06-30,
create blocked 2029-07-31, update blocked 2029-08-31, no successor) give it support until mid-2029;
python3.11 is deprecated on 2027-06-30. The handlers stay compatible with the project's Python 3.11: the local
runtime runs them in-process, and the tests run them there.
"""
LAMBDA_PYTHON_VERSION = LAMBDA_RUNTIME.name.removeprefix("python")
"""``3.14``: the Python version whose wheels are bundled (``pip --python-version``)."""

RUNTIME_REQUIREMENTS = ("jsonschema", "aws-lambda-powertools")
"""Run-time dependencies of tasks/ that the Lambda runtime lacks (boto3 is in the runtime)."""

SOURCE_PATHS = ("tasks", "vidpipe/__init__.py", "vidpipe/contract")
"""What the handlers import from the repository (copied into the asset root)."""

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pinned_requirements(constraints: Path = REPO_ROOT / "constraints.txt") -> tuple[str, ...]:
    """The exact pins of :data:`RUNTIME_REQUIREMENTS` from constraints.txt (the tested versions)."""
    pins: dict[str, str] = {}
    for line in constraints.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normalise(name)] = version.strip()
    missing = [r for r in RUNTIME_REQUIREMENTS if _normalise(r) not in pins]
    if missing:
        raise RuntimeError(f"constraints.txt has no pin for {', '.join(missing)}")
    return tuple(f"{r}=={pins[_normalise(r)]}" for r in RUNTIME_REQUIREMENTS)


def pip_platform(architecture: str) -> str:
    """The manylinux platform tag of a Lambda architecture (ARM64 or X86_64)."""
    return "manylinux2014_aarch64" if architecture == "ARM64" else "manylinux2014_x86_64"


def _hash_tree(digest: Any, root: Path, relative: str) -> None:
    path = root / relative
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if "__pycache__" in file.parts or file.suffix == ".pyc":
            continue
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")


class LambdaBundle:
    """Everything that determines the asset: sources, pinned requirements, target platform."""

    def __init__(self, architecture: str, repo_root: Path = REPO_ROOT, cache_dir: Path = CACHE_DIR) -> None:
        self.architecture = architecture
        self.repo_root = repo_root
        self.cache_dir = cache_dir
        self.requirements = pinned_requirements(repo_root / "constraints.txt")
        self.platform = pip_platform(architecture)

    @property
    def dependency_key(self) -> str:
        """Cache key of the installed dependencies."""
        digest = hashlib.sha256()
        for part in (*self.requirements, self.platform, LAMBDA_PYTHON_VERSION):
            digest.update(part.encode() + b"\0")
        digest.update((self.repo_root / "constraints.txt").read_bytes())
        return digest.hexdigest()[:24]

    @property
    def asset_hash(self) -> str:
        """Hash of the asset's contents: the sources plus the dependency key."""
        digest = hashlib.sha256(self.dependency_key.encode())
        for relative in SOURCE_PATHS:
            _hash_tree(digest, self.repo_root, relative)
        return digest.hexdigest()

    def dependencies(self) -> Path:
        """Directory with the installed dependencies, installing them (once per key) if needed."""
        target = self.cache_dir / "lambda-deps" / self.dependency_key
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="deps-", dir=target.parent))
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--platform", self.platform, "--implementation", "cp", "--python-version", LAMBDA_PYTHON_VERSION,
            "--only-binary=:all:", "--target", str(staging),
            "--constraint", str(self.repo_root / "constraints.txt"), *self.requirements,
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise RuntimeError(f"pip could not install the Lambda dependencies:\n{exc.stderr}") from exc
        try:
            os.replace(staging, target)  # atomic: a concurrent synth either sees all of it or none
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process won the race
        return target

    def bundle_into(self, output_dir: Path) -> None:
        """Write the asset: dependencies first, then the sources (sources win on a name clash)."""
        shutil.copytree(self.dependencies(), output_dir, dirs_exist_ok=True)
        for relative in SOURCE_PATHS:
            source = self.repo_root / relative
            if source.is_file():
                (output_dir / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, output_dir / relative)
            else:
                shutil.copytree(source, output_dir / relative, ignore=_IGNORED, dirs_exist_ok=True)


@jsii.implements(cdk.ILocalBundling)
class _LocalBundler:
    """CDK's hook for bundling without Docker: returning True tells CDK the output is complete."""

    def __init__(self, bundle: LambdaBundle) -> None:
        self._bundle = bundle

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: Any) -> bool:
        self._bundle.bundle_into(Path(output_dir))
        return True


def lambda_code(architecture: str) -> lambda_.Code:
    """The one code asset shared by the three handlers (tasks.prepare, tasks.record, tasks.status_change)."""
    bundle = LambdaBundle(architecture)
    return lambda_.Code.from_asset(
        str(REPO_ROOT / "tasks"),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=bundle.asset_hash,
        bundling=cdk.BundlingOptions(
            # Never pulled: local bundling always succeeds (or raises), so Docker is not used.
            image=cdk.DockerImage.from_registry("local-bundling-only"),
            local=_LocalBundler(bundle),
        ),
    )
