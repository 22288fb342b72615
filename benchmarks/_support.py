"""What the benchmarks share: an engine per run, a seeded embedded server, where results go."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pulumi_policies.emulator import EmulatorServer
from tests.support.engine import Stack, engine_env

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = [{"id": "prof-eng", "name": "engineering"}, {"id": "prof-ops", "name": "operations"}]


def engine_stack_factory(home: Path) -> Callable[..., Stack]:
    env = engine_env(home)
    return lambda project_dir, name="dev": Stack(Path(project_dir), dict(env), name)


@contextmanager
def seeded_server(data_dir: Path, **options: object) -> Iterator[EmulatorServer]:
    data_dir.mkdir(parents=True, exist_ok=True)
    seed = data_dir / "seed.json"
    seed.write_text(json.dumps({"profiles": PROFILES}))
    with EmulatorServer(data_dir=data_dir / "db", seed_file=seed, **options) as server:
        yield server
