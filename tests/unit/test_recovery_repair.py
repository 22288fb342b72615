"""What a kill can leave half-written in a file backend, repaired before anything reads it."""

from __future__ import annotations

import json

from pulumi_policies.recovery import repair_file_backend


def backend(tmp_path, checkpoint: bytes, attrs: bytes | None, backup: bytes | None):
    stacks = tmp_path / "backend" / ".pulumi" / "stacks" / "proj"
    stacks.mkdir(parents=True)
    (stacks / "dev.json").write_bytes(checkpoint)
    if attrs is not None:
        (stacks / "dev.json.attrs").write_bytes(attrs)
    if backup is not None:
        (stacks / "dev.json.bak").write_bytes(backup)
    return stacks, {"PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}"}


def test_half_written_metadata_and_checkpoint_are_repaired(tmp_path):
    good = json.dumps({"version": 3, "checkpoint": {"stack": "dev"}}).encode()
    stacks, env = backend(tmp_path, checkpoint=good[:20], attrs=b"", backup=good)
    done = repair_file_backend("dev", tmp_path, env)
    assert len(done) == 2 and not (stacks / "dev.json.attrs").exists()
    assert (stacks / "dev.json").read_bytes() == good


def test_sound_files_are_left_alone(tmp_path):
    good = json.dumps({"version": 3}).encode()
    stacks, env = backend(tmp_path, checkpoint=good, attrs=b'{"user.cache_control": ""}', backup=b"old")
    assert repair_file_backend("dev", tmp_path, env) == []
    assert (stacks / "dev.json.attrs").exists() and (stacks / "dev.json").read_bytes() == good


def test_other_backends_are_not_touched(tmp_path):
    assert repair_file_backend("dev", tmp_path, {"PULUMI_BACKEND_URL": "s3://bucket"}) == []
