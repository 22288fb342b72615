"""Fixtures shared by the whole suite: a ready Pulumi engine with an isolated backend per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.engine import EngineMissing, Stack, engine_env, stack_factory
from tests.support.policies import seeded_server
from tests.support.postgres import PostgresMissing, PostgresServer


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
    with seeded_server(tmp_path / "emulator", profile=getattr(request, "param", "documented")) as srv:
        yield srv


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for this test worker (each stack on it takes a table of its own)."""
    try:
        server = PostgresServer()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    with server:
        yield server


__all__ = ["SERVER_PROFILES", "seeded_server", "stack_factory"]
