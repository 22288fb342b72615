"""The base of the three resource classes: inputs in, every output as an attribute, ``get`` and ``import_id``."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any, ClassVar, TypedDict

import pulumi
from pulumi.dynamic import Resource
from pulumi.runtime import resource as _sdk_resource

from ..providers import CONNECTION, SPECS, TYPE_MODULE, PolicyProvider, ResourceSpec, provider_class
from ..registry import IMPORT_ID


def output_names(spec: ResourceSpec) -> tuple[str, ...]:
    """Every output a resource exposes: its inputs, what the server returns, the remote id, the scope."""
    names = [*spec.args_model.model_fields, *(f for f in spec.record_model.model_fields if f != "id")]
    if spec.id_output:
        names.append(spec.id_output)
    names.append(CONNECTION)
    return tuple(dict.fromkeys(names))


def _user_frames_only() -> None:
    """Record, for this package's resources, where the *program* declared them: the stack trace the SDK stores
    in the state, and the source position the engine shows, keep the program's own frames only.

    The SDK keeps every frame below the third ``__init__`` it meets (pulumi.runtime.resource._get_stack_trace).
    For our resources that is this module's ``__init__`` (so every source position pointed here, not at the
    program), then the program, then the language host's runner, runpy and the asyncio loop: about 15 frames,
    1.3 KB of the 2.6 KB each resource took in the checkpoint the engine rewrites after every step. Kept: the
    program's frames that lead to the resource, innermost first, up to the first frame of the SDK, the standard
    library or a frame without a file (the machinery that ran the program). Other packages' resources keep the
    SDK's trace as it is. An SDK without this private function leaves everything as it was."""
    original = getattr(_sdk_resource, "_get_stack_trace", None)
    if original is None or getattr(original, "user_frames_only", False):
        return
    ours = Path(__file__).resolve().parents[1].as_uri() + "/"
    machinery = tuple(Path(p).resolve().as_uri() + "/" for p in (*pulumi.__path__, sysconfig.get_path("stdlib")))

    def stack_trace() -> Any:
        trace = original()
        frames = list(trace.frames)
        if not frames or not frames[0].pc.uri.startswith(ours):
            return trace
        kept: list[Any] = []
        for frame in frames:
            uri = frame.pc.uri if frame.HasField("pc") else ""
            if uri.startswith(ours) and not kept:
                continue  # this package's own constructors
            if not uri or uri.startswith(machinery):
                break
            kept.append(frame)
        del trace.frames[:]
        trace.frames.extend(kept)
        return trace

    stack_trace.user_frames_only = True  # type: ignore[attr-defined]
    _sdk_resource._get_stack_trace = stack_trace


_user_frames_only()


_PROGRAM_CLAIMS: list[dict[str, Any]] = []  # every import_id this program declares (see program_claims)


def record_claim(spec: ResourceSpec, args: dict[str, Any], connection: Any = None) -> None:
    """Note that the program declares `args` (a resource's or a set item's) with an ``import_id``: the object it
    names must not be deleted by another resource of the same update (providers/claims.py). Values known only
    after apply are left out (such a claim is made by the adopting resource's own check)."""
    import_id = args.get(IMPORT_ID)
    connection = args.get(CONNECTION, connection)
    scope = {f: args.get(f) for f in spec.scope_fields}
    if isinstance(import_id, str) and all(isinstance(v, str) for v in scope.values()) \
            and (connection is None or isinstance(connection, str)):
        _PROGRAM_CLAIMS.append({"kind": spec.kind, IMPORT_ID: import_id, CONNECTION: connection, **scope})


def program_claims() -> pulumi.Output[list[dict[str, Any]]]:
    """The program's claims as a policy set hands them to its provider (``__claims``, never recorded in the state).

    An apply runs once the program's own code has finished (the Python SDK registers resources from the event loop
    after the program body returns), so the list is whole even for resources declared after the set."""
    return pulumi.Output.from_input(None).apply(lambda _: list(_PROGRAM_CLAIMS))


class ConnectionArgs(TypedDict, total=False):
    """The argument every resource takes beside its model's fields: where it lives."""

    connection: pulumi.Input[str | None]        # a named connection; None or absent: the default one


class EngineArgs(ConnectionArgs, total=False):
    """The arguments every policy resource takes beside its model's fields (read by the provider itself)."""

    import_id: pulumi.Input[str]                # adopt this existing object (a remote id or a natural key)


def get_existing(cls: Any, provider: Any, resource_name: str, id: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None, connection: str | None) -> Any:
    """An object read by its Pulumi id without being managed (``X.get``): every output, on the default connection
    or the one named."""
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
    resource = cls.__new__(cls)
    props: dict[str, Any] = {n: None for n in cls._output_names}
    props[CONNECTION] = connection
    Resource.__init__(resource, provider, resource_name, props, opts)
    return resource


class ConnectionOutput:
    """The output every resource has: the named connection it lives on (None: the default one)."""

    connection: pulumi.Output[str | None]


_DECLARED, _SDK = "_declared_arguments", "_provider_output_"


class _KnownOutput:
    """An output no update changes (the remote id, the natural key, the scope), read so that it stays known at
    preview through an update, and made on first read only (every Output a program holds costs the SDK time while
    it waits for them all).

    Pulumi's dynamic-provider shim drops ``DiffResult.stables`` (pulumi/dynamic/__main__.py ``Diff``), so at preview
    every output of a resource that will be updated is unknown. Its Pulumi id is known (the engine keeps it through
    an update): the remote id is read from it, and the natural key and scope as declared once the id is there, so a
    ProfilePolicyOrder listing a touched policy sees the same id and shows no change, and whoever reads them still
    waits for the resource. The SDK's own output for the name is kept aside (``get`` reads it)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __set__(self, resource: Any, value: Any) -> None:
        resource.__dict__[_SDK + self.name] = value

    def __get__(self, resource: Any, owner: Any = None) -> Any:
        if resource is None:
            return self
        made = resource.__dict__.get("_known_" + self.name)
        if made is None:
            made = resource.__dict__["_known_" + self.name] = resource._known(self.name)
        return made


class PolicyResource(Resource, ConnectionOutput):
    """A policy object on a remote API, managed by ``pulumi up``.

    ``import_id="<remote id>"`` adopts an existing object instead of creating one (Pulumi's own
    ``import_`` option does not work for dynamic resources). ``get`` reads one without managing it.
    ``connection="<name>"`` manages it on a named connection of the stack (``pulumi-policies:connections``)
    instead of the default one; changing it replaces the object.
    """

    # The outputs are declared on plain base classes (ConnectionOutput, PolicyOutputs...), not on the resource
    # classes: type checkers and IDEs see them all the same, and the SDK, which reads a resource class's own
    # annotations on every registration to convert output types we do not have, has none to read.
    _provider_class: ClassVar[type[PolicyProvider]]
    _output_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        """``class ResourcePolicy(PolicyResource, kind="ResourcePolicy")``: type token, provider and outputs
        from the registered spec of that kind."""
        if not kind:
            raise TypeError(f"{cls.__name__}: name the registered resource kind, class {cls.__name__}"
                            f"(PolicyResource, kind=...)")
        spec = SPECS[kind]
        super().__init_subclass__(module=TYPE_MODULE, name=kind, **kwargs)
        cls._provider_class = provider_class(spec)
        cls._output_names = output_names(spec)
        for name in dict.fromkeys((*filter(None, [spec.id_output]), *spec.natural_key, *spec.scope_fields)):
            setattr(cls, name, _KnownOutput(name))

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        props: dict[str, Any] = {name: None for name in self._output_names}
        props.update(kwargs)
        record_claim(self._provider_class.spec, kwargs)
        self.__dict__[_DECLARED] = kwargs
        super().__init__(self._provider_class(), resource_name, props, opts)

    def _known(self, name: str) -> Any:
        """An output that no update changes, known at preview through an update (see ``_KnownOutput``)."""
        spec = self._provider_class.spec
        if name == spec.id_output:  # the remote id is part of the resource's own Pulumi id
            return self.id.apply(lambda pulumi_id: spec.parse_id(pulumi_id)[1])
        declared = self.__dict__.get(_DECLARED, {}).get(name)
        if declared is not None:  # as declared (the server keeps it as sent), once the resource has its id
            return pulumi.Output.all(self.id, declared).apply(lambda both: both[1])
        return self.__dict__.get(_SDK + name)  # read by get(): the provider's output

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None,
            connection: str | None = None) -> Any:
        """Look up an existing object by its Pulumi id without managing it (read-only), on the default
        connection or the one named."""
        return get_existing(cls, cls._provider_class(), resource_name, id, opts, connection)
