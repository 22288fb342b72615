"""Reading a DIY backend's store (backends.py): the file layout, and the PostgreSQL table as the engine writes it."""

from __future__ import annotations

import os

import pytest

from pulumi_policies import backends
from tests.support.postgres import connect, engine_blob


def test_a_file_store_lists_and_reads_keys_below_the_root(tmp_path):
    (tmp_path / ".pulumi" / "locks" / "organization" / "p" / "dev").mkdir(parents=True)
    (tmp_path / ".pulumi" / "meta.yaml").write_text("version: 1\n")  # project-scoped stacks, as the CLI writes
    (tmp_path / ".pulumi" / "locks" / "organization" / "p" / "dev" / "x.json").write_text('{"pid": 7}')
    (tmp_path / ".pulumi" / "locks" / "organization" / "p" / "dev" / "x.json.attrs").write_text("{}")  # metadata
    store = backends.state_store(f"file://{tmp_path}")
    assert store is not None
    assert store.keys(".pulumi/locks") == [".pulumi/locks/organization/p/dev/x.json"]
    assert store.read(".pulumi/locks/organization/p/dev/x.json") == b'{"pid": 7}'
    assert store.read(".pulumi/nothing") is None and store.keys(".pulumi/history") == []
    assert backends.stack_folder(store, "locks", "p", "dev") == ".pulumi/locks/organization/p/dev"
    [lock] = backends.locks(store, "p", "dev")
    assert lock.pid == 7 and lock.holder() == "?@? (pid 7) since ?"
    store.delete(lock.key)
    assert backends.locks(store, "p", "dev") == [] and not list((tmp_path / ".pulumi" / "locks").rglob("x.json*"))


def test_the_legacy_layout_reads_only_the_stacks_own_folder(tmp_path):
    """Without meta.yaml (version 0): .pulumi/locks/<stack>/; a project folder of that name is not the stack's."""
    (tmp_path / ".pulumi" / "locks" / "dev" / "other-project").mkdir(parents=True)
    (tmp_path / ".pulumi" / "locks" / "dev" / "other-project" / "y.json").write_text('{"pid": 8}')
    (tmp_path / ".pulumi" / "locks" / "dev" / "x.json").write_text('{"pid": 7}')
    store = backends.state_store(f"file://{tmp_path}")
    assert store is not None and [lock.pid for lock in backends.locks(store, "p", "dev")] == [7]


def test_a_lock_of_this_machine_is_dead_when_its_pid_is_gone_or_was_given_to_a_younger_process():
    host = os.uname().nodename
    assert backends.Lock("k", 2**22 + 7, "u", host, "2026-12-02T06:00:00.123456789Z").dead_here()  # no such pid
    assert backends.Lock("k", os.getpid(), "u", host, "2020-01-01T00:00:00.123456789Z").dead_here()  # reused
    assert not backends.Lock("k", os.getpid(), "u", host, "2099-01-01T00:00:00Z").dead_here()  # the holder lives
    assert not backends.Lock("k", 2**22 + 7, "u", "another-machine", "2026-12-02T06:00:00Z").dead_here()


def test_backends_it_cannot_read_are_none_and_passwords_never_leave_the_url():
    for url in ("s3://bucket/state", "gs://bucket", "azblob://c", "https://api.pulumi.com", ""):
        assert backends.state_store(url) is None
    assert backends.redact("postgres://alice:s3cret@db:5432/pulumi?table=t") == "postgres://alice:***@db:5432/pulumi?table=t"
    assert backends.redact("postgres://alice@[::1]:5432/pulumi?password=s3cret&table=t") == \
        "postgres://alice@[::1]:5432/pulumi?password=***&table=t"
    assert backends.redact("postgres://alice:s3cret@[::1]/db") == "postgres://alice:***@[::1]/db"
    store = backends.state_store("postgres://alice:s3cret@db/pulumi?sslmode=require&table=teams")
    assert isinstance(store, backends.PostgresStore)
    assert (store.table, store.prefix) == ("teams", "pulumi/") and "s3cret" not in store.url
    assert "table=" not in store.conninfo and "sslmode=require" in store.conninfo


def test_a_postgres_store_reads_the_engines_rows_under_the_database_prefix(postgres):
    url = postgres.backend_url("engine_rows")
    with connect(url) as conn:
        conn.execute("CREATE TABLE engine_rows (key TEXT PRIMARY KEY, data JSON NOT NULL)")
        for key, blob in ((".pulumi/history/p/dev/dev-1.history.json", b'{"kind": "update"}'),
                          (".pulumi/history/p/dev/dev-1.checkpoint.json", b"{}"),
                          (".pulumi/history/p/dex/x.json", b"{}"), (".pulumi/history/p/de_/y.json", b"{}")):
            conn.execute("INSERT INTO engine_rows VALUES (%s, %s)", (f"postgres/{key}", engine_blob(blob)))
    store = backends.state_store(url)
    assert isinstance(store, backends.PostgresStore)
    assert store.keys(".pulumi/history/p/dev") == [".pulumi/history/p/dev/dev-1.checkpoint.json",
                                                   ".pulumi/history/p/dev/dev-1.history.json"]
    assert store.keys(".pulumi/history/p/de_") == [".pulumi/history/p/de_/y.json"]  # "_" is no wildcard here
    assert store.read(".pulumi/history/p/dev/dev-1.history.json") == b'{"kind": "update"}'
    assert store.read(".pulumi/history/p/dev/missing.json") is None


def test_an_unreachable_postgres_is_a_clear_error_without_the_password():
    store = backends.state_store("postgres://alice:s3cret@127.0.0.1:1/pulumi?sslmode=disable&connect_timeout=2")
    assert store is not None
    with pytest.raises(backends.StoreError) as err:
        store.keys(".pulumi/locks")
    assert "postgres://alice:***@127.0.0.1:1/pulumi" in str(err.value) and "s3cret" not in str(err.value)
