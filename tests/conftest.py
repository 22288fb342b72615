"""Fixtures shared by the whole suite: a ready Pulumi engine with an isolated backend per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_policies.emulator import EmulatorServer
from tests.support.engine import EngineMissing, Stack, engine_env

PROFILES = [{"id": "prof-eng", "name": "engineering"}, {"id": "prof-ops", "name": "operations"}]


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


SERVER_PROFILES = ("documented", "britive", "infraon")


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest):
    """The embedded API server on a free loopback port, its data in tmp_path, profiles prof-eng and prof-ops.

    Its server profile is "documented" unless the test names another (``parametrize("server", [...],
    indirect=True)``); ``tests.support.policies.connection_config`` configures a stack for it.
    """
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"profiles": PROFILES}))
    profile = getattr(request, "param", "documented")
    with EmulatorServer(data_dir=tmp_path / "emulator", seed_file=seed, profile=profile) as srv:
        yield srv
