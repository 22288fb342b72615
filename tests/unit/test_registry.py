"""The spec is the registry: a fourth resource, defined in a module of its own, is picked up by the provider
classes, export, the review report, the policy pack and the CLI with no edit anywhere else."""

from __future__ import annotations

import importlib
import io
import sys
import textwrap

import pytest

from pulumi_policies import access, cli, declared, export, report
from pulumi_policies.policypack import pack, rules
from pulumi_policies.providers import PROVIDERS, SPECS, TYPE_PREFIX

TOY = textwrap.dedent('''
    """A toy resource: a model pair, a spec with an in-memory collection, a resource class. Nothing else."""
    from pydantic import Field

    from pulumi_policies.models._base import GRANTS, ITEMIZED, READ_ONLY, RUN_STATE, StrictModel, lenient, server_default
    from pulumi_policies.models.resource_manager import Members
    from pulumi_policies.registry import ResourceSpec, register
    from pulumi_policies.resources._base import PolicyResource

    class ToyArgs(StrictModel):
        name: str = Field(min_length=1)
        colour: str = Field("red", json_schema_extra=server_default("red"))
        archived: bool | None = Field(None, json_schema_extra=server_default(False))
        last_run: str | None = Field(None, json_schema_extra=RUN_STATE)
        members: Members = Field(default_factory=Members, json_schema_extra=GRANTS)
        labels: dict[str, list[str]] = Field(default_factory=dict, json_schema_extra=ITEMIZED)

    ToyRecord = lenient(ToyArgs, name="ToyRecord", extra={"id": (str, Field(json_schema_extra=READ_ONLY))})

    HELD = [{"id": "t-1", "name": "Blue Toy", "colour": "blue", "last_run": "yesterday", "archived": True,
             "members": {"users": [{"name": "alice"}]}},
            {"id": "t-2", "name": "red-toy", "colour": "red", "archived": False}]

    class ToyRemote:
        def listing(self):
            yield from HELD

    SPEC = register(ResourceSpec(kind="Toy", args_model=ToyArgs, record_model=ToyRecord,
                                 remote=lambda scope: ToyRemote(), natural_key=("name",), id_output="toy_id",
                                 import_from="toy_resource"))

    class Toy(PolicyResource, kind="Toy"):
        pass
''')


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_resource.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("toy_resource")
    yield module
    SPECS.pop("Toy", None)
    PROVIDERS.pop("Toy", None)
    sys.modules.pop("toy_resource", None)


def test_the_provider_class_and_the_resource_class_come_from_the_spec(toy):
    assert PROVIDERS["Toy"].spec is toy.SPEC and toy.Toy._provider_class is PROVIDERS["Toy"]
    assert toy.Toy._resource_type_name == "dynamic/pulumi_policies:Toy"
    assert set(toy.Toy._output_names) == {"name", "colour", "archived", "last_run", "members", "labels", "toy_id",
                                          "connection"}
    with pytest.raises(ValueError, match="registered already"):
        from pulumi_policies.registry import register
        register(type(toy.SPEC)(**{**toy.SPEC.__dict__}))


def test_export_lists_it_and_writes_a_program_that_imports_it_from_its_module(toy):
    found = export.collect(["Toy"])
    assert [(f.kind, f.title, f.remote_id) for f in found] == [("Toy", "Blue Toy", "t-1"), ("Toy", "red-toy", "t-2")]
    # run state left out, the server default left out where it holds, kept where it differs
    assert found[0].args == {"name": "Blue Toy", "colour": "blue", "archived": True,
                             "members": {"users": [{"name": "alice"}]}}
    assert found[1].args == {"name": "red-toy"}  # a server default that is False is left out too
    assert len(export.collect(["Toy", "Toy"])) == 2  # a kind asked for twice is listed once
    program = export.render(found)
    assert "from toy_resource import Toy" in program and 'blue_toy = Toy(\n    "blue-toy",\n    import_id="t-1"' in program
    compile(program, "exported.py", "exec")


def test_the_cli_offers_it(toy):
    args = cli.build_parser().parse_args(["export", "--kind", "Toy"])
    assert args.kind == ["Toy"]
    out = io.StringIO()
    assert export.export(out, args.kind, show_progress=False) == 2


def test_the_review_report_shows_its_fields_and_items(toy):
    step = {"op": "update", "urn": f"urn:pulumi:dev::p::{TYPE_PREFIX}Toy::my-toy",
            "oldState": {"type": f"{TYPE_PREFIX}Toy", "inputs": {"name": "Blue Toy", "members": {"users": [{"name": "alice"}]},
                                    "labels": {"env": ["dev"]}}},
            "newState": {"type": f"{TYPE_PREFIX}Toy",
                         "inputs": {"name": "Blue Toy", "colour": "green", "members": {"users": [{"name": "bob"}]},
                                    "labels": {"env": ["dev", "prod"]}}}}
    [change] = report.build_report({"steps": [step]})
    assert (change.kind, change.title, change.fields) == ("Toy", "Blue Toy", [("colour", None, "green")])
    assert [(i.field, i.added, i.removed) for i in change.items] == [
        ("labels.env", ["prod"], []), ("members.users", ["bob"], ["alice"])]
    # its members are principals of the access model, as every resource with a GRANTS field's are
    before, after = access.resources_of_preview({"steps": [step]}, None)
    moved = access.compare(access.build(access.declared(before)), access.build(access.declared(after)))
    assert [(c.principal.name, c.change) for c in moved] == [("alice", "loses"), ("bob", "gains")]
    assert "**user `bob`**\n- **gains**" in report.render_markdown([change], moved)


def test_the_policy_pack_checks_it_by_what_it_is(toy):
    by_name = {r.name: r for r in rules.RULES}
    assert "Toy" in by_name["naming-convention"].kinds()            # every resource
    assert "Toy" in by_name["active-policy-needs-members"].kinds()  # it grants access: a GRANTS field
    assert "Toy" not in by_name["resource-policy-needs-scope"].kinds()
    policy = declared.normalise(f"{TYPE_PREFIX}Toy", "t", {"name": "Bad Name", "members": {}})
    assert list(rules.naming_convention(policy, {})) and list(rules.active_policy_needs_members(policy, {}))
    assert len(pack.policies()) == len(rules.RULES)
