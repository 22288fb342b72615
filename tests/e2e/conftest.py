from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_policies.emulator.server import EmulatorServer

PROFILES = [{"id": "prof-eng", "name": "engineering"}, {"id": "prof-ops", "name": "operations"}]


@pytest.fixture
def server(tmp_path: Path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"profiles": PROFILES}))
    with EmulatorServer(data_dir=tmp_path / "emulator", seed_file=seed) as srv:
        yield srv
