"""Fixtures shared by the whole suite: a ready Pulumi engine with an isolated backend per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.engine import EngineMissing, Stack, engine_env, stack_factory
from tests.support.policies import seeded_server
from tests.support.postgres import PostgresMissing, PostgresServer

# The Go garbage collector of every `pulumi` command the tests start (and of the language host) runs a quarter as
# often: the same behaviour for 7-10% less CPU per command (a preview and an export of a 9-policy stack: 1.34-1.41 s
# of CPU by default, 1.22-1.28 s with GOGC=400, measured 2026-12-02). The benchmarks keep Go's default, as users run.
os.environ.setdefault("GOGC", "400")

# The workers take whole files (--dist loadfile), in collection order (--no-loadscope-reorder: xdist's own order
# puts the files with the most tests first, the unit tests, and left a long engine file to run alone at the end).
# The engine files go first, the longest of them (seconds of test time measured in one run from a fresh clone,
# 2026-12-07, three workers: `make test PYTEST_ARGS=--durations=40`) before the rest, so the short files fill the
# gaps at the end.
LONGEST_FIRST = ["reliability/test_crash_recovery.py",  # 155 s
                 "e2e/test_rollback.py",             # 131
                 "e2e/test_export.py",               # 100
                 "e2e/test_postgres_backend.py",     # 90
                 "e2e/test_access_review.py",        # 88
                 "e2e/test_lifecycle.py",            # 82 (three server profiles in one stack)
                 "e2e/test_policy_sets.py",          # 59
                 "e2e/test_multi_tenant.py",         # 58
                 "reliability/test_faults.py",       # 54
                 "e2e/test_moves_and_claims.py",     # 48
                 "e2e/test_never_lose_a_grant.py",   # 47
                 "e2e/test_access_gate.py",          # 47
                 "e2e/test_policy_order.py",         # 37
                 "e2e/test_examples.py",             # 33
                 "e2e/test_britive_policy.py",       # 30
                 "e2e/test_calls_per_operation.py",  # 27
                 "e2e/test_grant_invariants.py",     # 21
                 "e2e/test_upgrade.py"]              # 20
ENGINE_DIRS = ["e2e", "reliability", "policypack", "bootstrap"]


# What a test needs, read from the fixtures it uses (directly or through others, e.g. make_stack -> engine): `make
# unit` runs the tests marked with neither, on a machine with no engine and no PostgreSQL.
NEEDS = {"engine": "engine", "postgres": "postgres"}  # fixture -> marker
ENGINE_ONLY_DIRS = ["bootstrap"]  # these test the engine's own parts (CLI, language host) without the fixture


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in NEEDS.items():
            if fixture in used:
                item.add_marker(marker)
        if Path(item.path).is_relative_to(here) and Path(item.path).relative_to(here).parts[0] in ENGINE_ONLY_DIRS:
            item.add_marker("engine")

    def rank(item: pytest.Item) -> tuple[int, int]:
        here = Path(__file__).parent
        if not Path(item.path).is_relative_to(here):
            return 2, 0
        path = Path(item.path).relative_to(here).as_posix()
        if path in LONGEST_FIRST:
            return 0, LONGEST_FIRST.index(path)
        top = path.split("/", 1)[0]
        return 1, ENGINE_DIRS.index(top) if top in ENGINE_DIRS else len(ENGINE_DIRS)

    items.sort(key=rank)  # stable: within a rank, the files and tests keep their order


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
