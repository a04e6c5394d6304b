"""moto is pinned exactly and apply() refuses any other version."""

from __future__ import annotations

import re
from pathlib import Path

import moto
import pytest

from vidpipe.local import moto_patches

ROOT = Path(__file__).resolve().parents[2]


def test_installed_moto_is_the_patched_version() -> None:
    assert moto.__version__ == moto_patches.EXPECTED_MOTO_VERSION
    moto_patches.check_moto_version()


def test_other_versions_are_refused() -> None:
    with pytest.raises(moto_patches.UnsupportedMotoVersionError, match=r"moto==5\.2\.5 exactly"):
        moto_patches.check_moto_version("5.2.6")


def test_pyproject_and_constraints_pin_moto_exactly() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    assert re.search(r'"moto\[server\]==5\.2\.5"', pyproject)
    assert re.search(r"^moto==5\.2\.5$", constraints, re.MULTILINE)


def test_apply_is_idempotent() -> None:
    moto_patches.apply()
    moto_patches.apply()
    assert moto_patches.is_applied()
