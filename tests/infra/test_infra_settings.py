"""Settings: defaults in one place, context merged over them, every problem reported at once, docs current."""

from __future__ import annotations

import json

import pytest

from infra.paths import REPO_ROOT
from infra.settings import SETTINGS, SettingsError, defaults, load_settings, render_markdown


def test_defaults_are_valid() -> None:
    settings = load_settings({})
    assert settings.worker_cpu == 2048
    assert settings.pipe_batch_size == 1
    assert settings.pipe_maximum_batching_window_seconds == 0
    assert settings.public_ip == "ENABLED"
    assert settings.worker_options == "{}"


def test_cdk_json_lists_every_setting_with_its_default() -> None:
    """cdk.json is the user-facing list of settings: it must match the code's defaults exactly (put deployment
    overrides in `-c` or a copy of the context, see docs/deploy.md)."""
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    context = {k: v for k, v in cdk_json["context"].items() if k.startswith("vidpipe:")}
    assert context == defaults()
    assert cdk_json["output"] == "cdk.out"
    assert "infra.app" in cdk_json["app"]


def test_configuration_doc_is_generated_from_the_code() -> None:
    committed = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert committed == render_markdown(), "regenerate: python -m infra.settings > docs/configuration.md"
    for setting in SETTINGS:
        assert f"`{setting.context_key}`" in committed


def test_cli_strings_are_parsed() -> None:
    settings = load_settings({
        "vidpipe:workerCpu": "4096", "vidpipe:workerMemoryMiB": "8192", "vidpipe:subnetIds": "subnet-0123456789abcdef0",
        "vidpipe:vpcId": "vpc-0123456789abcdef0", "vidpipe:workerOptions": '{"shots": {"threshold": 0.3}}',
        "vidpipe:stateMachineLogLevel": "error", "vidpipe:pipeBatchSize": " 5 ",
    })  # fmt: skip
    assert settings.worker_cpu == 4096
    assert settings.subnet_ids == ("subnet-0123456789abcdef0",)
    assert settings.worker_options == '{"shots":{"threshold":0.3}}'
    assert settings.state_machine_log_level == "ERROR"
    assert settings.pipe_batch_size == 5
    assert settings.public_ip == "DISABLED"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({
            "vidpipe:workerCpu": 1000,
            "vidpipe:pipeBatchSize": "many",
            "vidpipe:queueVisibilityTimeoutSeconds": 30,
            "vidpipe:pipeMaximumBatchingWindowSeconds": 60,
            "vidpipe:logRetentionDays": 31,
            "vidpipe:vpcId": "vpc-0123456789abcdef0",
            "vidpipe:workerOptions": "[1]",
            "vidpipe:workerImgae": "typo",
            "vidpipe:alarmEmail": "nobody",
            "vidpipe:workerArchitecture": "sparc",
        })  # fmt: skip
    problems = "\n".join(raised.value.problems)
    for fragment in ("workerCpu", "pipeBatchSize", "queueVisibilityTimeoutSeconds", "logRetentionDays",
                     "subnetIds: required", "workerOptions", "workerImgae: unknown", "alarmEmail",
                     "workerArchitecture"):  # fmt: skip
        assert fragment in problems, fragment
    assert len(raised.value.problems) == 9


def test_memory_must_fit_the_cpu() -> None:
    with pytest.raises(SettingsError, match="workerMemoryMiB: 1024 is not valid with workerCpu 2048"):
        load_settings({"vidpipe:workerCpu": 2048, "vidpipe:workerMemoryMiB": 1024})


def test_large_batches_need_a_batching_window() -> None:
    with pytest.raises(SettingsError, match="pipeMaximumBatchingWindowSeconds: must be >= 1"):
        load_settings({"vidpipe:pipeBatchSize": 100})


def test_invalid_context_fails_the_app_before_any_resource(tmp_path) -> None:
    from infra.app import build_app

    with pytest.raises(SettingsError, match="vidpipe:bogus: unknown setting"):
        build_app({"vidpipe:bogus": 1}, outdir=str(tmp_path))
