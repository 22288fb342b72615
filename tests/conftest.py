"""Fixtures shared by the whole suite: a ready Pulumi engine with an isolated backend per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.engine import EngineMissing, Stack, engine_env


@pytest.fixture
def engine(tmp_path: Path) -> dict[str, str]:
    """The environment of an isolated Pulumi engine (file backend and PULUMI_HOME in tmp_path)."""
    try:
        return engine_env(tmp_path / "engine")
    except EngineMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def make_stack(engine: dict[str, str]):
    """make_stack(project_dir, name="dev") -> Stack on this test's backend."""

    def make(project_dir: Path, name: str = "dev") -> Stack:
        return Stack(Path(project_dir), dict(engine), name)

    return make
