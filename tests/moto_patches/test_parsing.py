"""Defect 29: moto's interpreter parsed the state machine's definition again for every execution."""

from __future__ import annotations

import itertools
import json
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from vidpipe.local import moto_patches

from ._helpers import all_at_once


def _worker_of(definition: dict[str, Any]) -> Any:
    """What ``_get_evaluation_entrypoint`` reads of an execution worker: its state machine's definition."""
    details = SimpleNamespace(state_machine_details=SimpleNamespace(definition=json.dumps(definition)))
    return SimpleNamespace(_evaluation_details=details)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    moto_patches.apply()
    made: list[str] = []
    original = AmazonStateLanguageParser.parse

    def counted(definition: str) -> Any:
        made.append(definition)
        return original(definition)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted))
    return made


def _definition(name: str) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Pass", "Result": {"at": name}, "End": True}}}


def test_unpatched_moto_parses_the_definition_for_every_execution(parses: list[str]) -> None:
    unpatched = ExecutionWorker._get_evaluation_entrypoint.__wrapped__  # type: ignore[attr-defined]
    unpatched(_worker_of(_definition("Once")))
    unpatched(_worker_of(_definition("Once")))
    assert len(parses) == 2


def test_each_definition_is_parsed_once_and_every_execution_gets_its_own_program(parses: list[str]) -> None:
    shared, other_name = f"Shared{uuid.uuid4().hex}", f"Other{uuid.uuid4().hex}"  # not parsed before
    first = ExecutionWorker._get_evaluation_entrypoint(_worker_of(_definition(shared)))
    second = ExecutionWorker._get_evaluation_entrypoint(_worker_of(_definition(shared)))
    other = ExecutionWorker._get_evaluation_entrypoint(_worker_of(_definition(other_name)))
    assert len(parses) == 2, "one parse per definition"
    assert first is not second, "no execution shares the components of another"
    assert first.start_at.start_at_name == second.start_at.start_at_name == shared
    assert other.start_at.start_at_name == other_name


def test_executions_that_start_together_parse_a_new_definition_once(parses: list[str]) -> None:
    """A definition long enough that its parse outlasts a thread switch (the interpreter's 5 ms)."""
    names = [f"Burst{uuid.uuid4().hex}{i}" for i in range(150)]
    states = {name: {"Type": "Pass", "Next": following} for name, following in itertools.pairwise(names)}
    states[names[-1]] = {"Type": "Pass", "End": True}
    definition = {"StartAt": names[0], "States": states}
    all_at_once(lambda: ExecutionWorker._get_evaluation_entrypoint(_worker_of(definition)))
    assert len(parses) == 1
