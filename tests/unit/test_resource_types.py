"""The resource classes, their argument types and the models stay in step: every output a resource has at run
time is declared on its class (so an IDE and mypy list it), and every model field is an argument of the same
kind (required where the model requires it)."""

from __future__ import annotations

import typing
from typing import Any, NotRequired, Required

import pulumi
import pytest
from typing_extensions import Unpack

import pulumi_policies
from pulumi_policies.models.annotations import alternatives
from pulumi_policies.providers import CONNECTION, SPECS
from pulumi_policies.resources._base import PolicyResource

CLASSES = {cls._provider_class.spec.kind: cls for name in pulumi_policies.__all__
           if isinstance(cls := getattr(pulumi_policies, name), type) and issubclass(cls, PolicyResource)}
ENGINE_ARGUMENTS = {"import_id", CONNECTION}  # the provider's own inputs, beside the model's fields
PULUMI = {**vars(pulumi), "T": Any}  # the SDK's own annotations name Output, Input, T unqualified


def hints(obj: Any, **kw: Any) -> dict[str, Any]:
    return typing.get_type_hints(obj, localns=PULUMI, **kw)


def test_every_registered_resource_has_its_class():
    assert set(CLASSES) == set(SPECS)


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_runtime_output_is_declared_on_the_class(kind):
    cls = CLASSES[kind]
    declared = {n for n, t in hints(cls).items() if typing.get_origin(t) is pulumi.Output} - {"id", "urn"}
    assert declared == set(cls._output_names)


def _arguments(cls: type) -> dict[str, Any]:
    (unpacked,) = [t for n, t in hints(cls.__init__).items() if n == "kwargs"]
    assert typing.get_origin(unpacked) is Unpack
    (typed_dict,) = typing.get_args(unpacked)
    return hints(typed_dict, include_extras=True)


def _inner(annotation: Any) -> Any:
    """T of NotRequired[pulumi.Input[T]]: the first alternative of pulumi.Input's union."""
    while typing.get_origin(annotation) in (NotRequired, Required):
        (annotation,) = typing.get_args(annotation)
    return typing.get_args(annotation)[0] if typing.get_args(annotation) else annotation


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_the_arguments_are_the_model_fields_with_the_same_types_and_required_ness(kind):
    model = SPECS[kind].args_model
    arguments = _arguments(CLASSES[kind])
    assert set(arguments) == set(model.model_fields) | ENGINE_ARGUMENTS
    for name, field in model.model_fields.items():
        required = typing.get_origin(arguments[name]) is not NotRequired
        assert required == field.is_required(), name
        expected = alternatives(field.annotation)  # Optional and Annotated taken off
        if expected in ([str], [int], [bool]):  # scalars must agree exactly; structures are checked by the model
            assert _inner(arguments[name]) == expected[0], (name, arguments[name], field.annotation)
