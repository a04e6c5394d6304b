"""Synthesize the stack once per test session (about 10 s with cdk-nag) and share the template."""

from __future__ import annotations

from typing import Any

import pytest
from infra_support import BASE_CONTEXT, VARIANT_CONTEXT, Synth

from infra.paths import REPO_ROOT


def _synth(tmp_path_factory: pytest.TempPathFactory, name: str, context: dict[str, Any]) -> Synth:
    from infra.synth import _fingerprint, cdk_json_context, synthesize

    outdir = tmp_path_factory.mktemp(name)
    fingerprint = _fingerprint({**cdk_json_context(), **context})
    template = synthesize(context, outdir=outdir)  # raises if cdk-nag reports an unacknowledged finding
    return Synth(template=template, outdir=outdir, fingerprint=fingerprint)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "default", BASE_CONTEXT)


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "variant", VARIANT_CONTEXT)


@pytest.fixture(scope="session")
def template(synth: Synth) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_json(synth.template)


@pytest.fixture(scope="session")
def asl_text() -> str:
    return (REPO_ROOT / "statemachine" / "pipeline.asl.json").read_text("utf-8")
