"""The resource classes' argument and output types are generated from the models: one declaration per field."""

from __future__ import annotations

from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy
from pulumi_policies.resources import _generate, _types


def test_the_generated_types_are_current():
    assert _generate.TARGET.read_text() == _generate.render(), (
        "pulumi_policies/resources/_types.py is out of date: run python -m pulumi_policies.resources._generate")


def test_the_field_reference_in_the_docs_is_current():
    assert _generate.DOCS.read_text() == _generate.render_docs(), (
        "docs/fields.md is out of date: run python -m pulumi_policies.resources._generate")


def test_every_field_of_the_models_is_an_argument_and_every_output_is_declared():
    for cls, args in ((ResourcePolicy, _types.ResourcePolicyArgsDict), (ProfilePolicy, _types.ProfilePolicyArgsDict),
                      (ConfigurationPolicy, _types.ConfigurationPolicyArgsDict)):
        model = cls._provider_class.spec.args_model
        declared = args.__required_keys__ | args.__optional_keys__
        assert set(model.model_fields) | {"import_id", "connection"} == set(declared), cls
        outputs = {n for klass in cls.__mro__ for n in getattr(klass, "__annotations__", {})
                   if not n.startswith("_")}
        assert set(cls._output_names) <= outputs, cls
    assert {"manager_approval", "time_to_approve"} <= _types.ApprovalArgsDict.__optional_keys__
    assert {"name", "profile_id"} <= _types.ProfilePolicyArgsDict.__required_keys__
