"""The access gate's soundness property (issue 31) on the documents the real engine writes.

Each sequence declares a stack drawn by tests/support/access_cases.py in the ``declared`` test project against the
embedded server (the britive profile, which keeps every member kind and setting type), runs ``pulumi up``, then, for
each step, a drawn change with some of its values hidden the way programs hide them: an Output known only after apply
(``{"$after": ...}`` on a policy created in the same step) or a secret (``{"$secret": ...}``), in whole values, one
position of a list or one key of an object, the order's positions included. Then ``pulumi preview --json``, ``pulumi
up`` and ``pulumi stack export --show-secrets``. At every step, whenever the access model of the state after apply
(every value known) shows a gain or a weaker approval against the state before, ``pulumi-policies access --state
<before> <preview> --fail-on new-access`` must exit 3; and it must agree with the in-process reading of the same
documents (``access_cases.verdicts``), which is what a replay reads.

With ``--record DIR`` each sequence's documents are written there (gzip JSON: the states and previews as the engine
wrote them, but for the pickled provider ``__provider``, which no reader reads and which is most of their size, and the
server's credentials held by the provider resource), and
tests/unit/test_access_soundness.py replays every recorded step in ``make test``. Record again after a change to what
the provider writes into the state:

    python -m tests.support.engine_soundness --sequences 4 --steps 6 [--seed N] [--record tests/fixtures/engine-soundness]

Needs the engine (``make engine``) and the server extra; exits 1 on a counterexample, naming the seed, sequence and
step, with the documents kept in the work directory it prints.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from pulumi_policies import access
from tests.support.access_cases import change, counterexample, stack, verdicts
from tests.support.engine import stack_factory
from tests.support.policies import new_policy_stack, seeded_server


class Counterexample(Exception):
    """The gate said no new access where the outcome is new access (or the CLI and the in-process reading differ)."""


NOT_RECORDED = "(the pickled provider: not recorded)"
REDACTED = "(a credential of the test server: redacted)"
CLI = Path(sys.executable).parent / "pulumi-policies"


def valid(kind: str, props: dict) -> dict:
    """`props` as a program may declare them: a label key with no values, and a member named twice in one kind,
    are refused at preview (and so never reach a gate)."""
    props = copy.deepcopy(props)
    if kind == "ResourcePolicy" and isinstance(props.get("resource_labels"), dict):
        props["resource_labels"] = {k: v for k, v in props["resource_labels"].items() if v}
    for kind_, members in (props.get("members") or {}).items():
        seen: dict[str, dict] = {}
        for m in members:
            seen.setdefault(m["name"], m)
        props["members"][kind_] = list(seen.values())
    return props


@st.composite
def hidden(draw: st.DrawFn, args: dict, trigger: str) -> dict:
    """`args` with up to two values hidden: known only once `trigger` (created in this step) is, or secret."""
    args = copy.deepcopy(args)

    def hide(value: Any) -> Any:
        if draw(st.booleans()):
            return {"$secret": value}
        return {"$after": f"@{trigger}.policy_id", "value": value}

    keys = sorted(k for k in args if k not in ("name", "profile_id"))
    for key in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True)) if keys else ():
        value = args[key]
        if isinstance(value, list) and value and draw(st.booleans()):
            i = draw(st.integers(0, len(value) - 1))
            value[i] = hide(value[i])
        elif isinstance(value, dict) and value and draw(st.booleans()):
            inner = draw(st.sampled_from(sorted(value)))
            value[inner] = hide(value[inner])
        else:
            args[key] = hide(value)
    return args


@st.composite
def program(draw: st.DrawFn, resources: dict, before: dict | None, step: int) -> list[dict]:
    """The ``declared`` project's resources.json for `resources`; from the first change on, with values hidden in
    the policies that change (and in some that do not) and a policy `t<step>` created to hide them behind."""
    trigger = f"t{step}"
    items = [{"type": "ResourcePolicy", "name": trigger, "args": {"name": trigger, "is_active": False}}] \
        if before is not None else []
    for name, (kind, props) in sorted(resources.items(), key=lambda kv: kv[1][0] == "ProfilePolicyOrder"):
        args = valid(kind, props)
        if kind == "ProfilePolicyOrder":  # each position by the policy's id (an Output) or by its name
            args["policies"] = [draw(st.sampled_from((f"@{p[3:]}.policy_id", p[3:]))) for p in args["policies"]]
        touched = before is not None and (before.get(name) != (kind, props) or draw(st.booleans()))
        if touched:
            args = draw(hidden(args, trigger))
        item = {"type": kind, "name": name, "args": args}
        if kind == "ProfilePolicyOrder":  # a policy listed by name carries no dependency on it
            item["depends_on"] = [p[3:] for p in props["policies"]]
        items.append(item)
    return items


def plans(seed_: int, sequences: int, steps: int) -> list[list[list[dict]]]:
    """`sequences` programs of `steps` + 1 declarations each (the first declares the stack), drawn from `seed_`."""
    out: list[list[list[dict]]] = []

    @seed(seed_)
    @settings(max_examples=sequences + 1, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        resources, before = data.draw(stack(3, 6)), None  # enough to keep through the deletes
        declarations = []
        for step in range(steps + 1):
            if step:
                before, resources = resources, data.draw(change(resources, added=f"n{step}"))
            declarations.append(data.draw(program(resources, before, step)))
        out.append(declarations)

    collect()
    return out[-sequences:]  # hypothesis's first example is its simplest: every draw its first choice


def recordable(doc: Any, in_provider: bool = False) -> Any:
    """`doc` as recorded: the pickled provider ``__provider`` left out, and the plaintext of the secrets a provider
    resource holds (the server's credentials, from the stack's configuration) redacted. A policy's secrets, which the
    gate reads, are kept: test values."""
    if isinstance(doc, dict):
        if in_provider and "plaintext" in doc:
            return {**doc, "plaintext": json.dumps(REDACTED)}
        inside = in_provider or str(doc.get("type", "")).startswith("pulumi:providers:")
        return {k: NOT_RECORDED if k == "__provider" else recordable(v, inside) for k, v in doc.items()}
    if isinstance(doc, list):
        return [recordable(v, in_provider) for v in doc]
    return doc


def exported(ps: Any) -> dict:
    return json.loads(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)


def run(seed_: int, sequences: int, steps: int, work: Path, record: Path | None) -> dict[str, int]:
    figures = {"steps": 0, "new access after apply": 0, "new access at preview": 0, "previews with unseen values": 0}
    make_stack = stack_factory(work / "engine")
    for number, declarations in enumerate(plans(seed_, sequences, steps)):
        where = work / f"sequence-{number}"
        with seeded_server(where / "emulator", profile="britive") as server:
            ps = new_policy_stack(make_stack, server, where / "project", name=f"s{number}")
            states, previews = [], []

            ps.declare(*declarations[0])
            ps.stack.up()
            states.append(exported(ps))
            for step, items in enumerate(declarations[1:], 1):
                ps.declare(*items)
                preview = ps.stack.preview_json()
                before_file, preview_file = where / f"before-{step}.json", where / f"preview-{step}.json"
                before_file.write_text(json.dumps(states[-1]))
                preview_file.write_text(json.dumps(preview))
                gate = subprocess.run([str(CLI), "access", "--state", str(before_file), str(preview_file),
                                       "--fail-on", "new-access"], capture_output=True, text=True)
                ps.stack.up()
                states.append(exported(ps))
                previews.append(preview)
                known, review = verdicts(states[-2], preview, states[-1])
                where_ = f"seed {seed_}, sequence {number}, step {step} (documents in {where})"
                why = counterexample(known, review)
                if gate.returncode not in (0, 3) or (gate.returncode == 3) != review.new_access:
                    why = (f"the CLI exited {gate.returncode} but the in-process review says new access "
                           f"{review.new_access}:\n{gate.stdout}{gate.stderr}")
                if why is not None:  # recorded too, so that the replay in make test keeps it until it is fixed
                    save(record, f"seed-{seed_}-sequence-{number}-step-{step}-counterexample", states[-2:], [preview])
                    raise Counterexample(f"{where_}: {why}")
                figures["steps"] += 1
                figures["new access after apply"] += access.new_access(known)
                figures["new access at preview"] += review.new_access
                figures["previews with unseen values"] += bool(review.unseen)
            save(record, f"seed-{seed_}-sequence-{number}", states, previews)
    return figures


def save(record: Path | None, name: str, states: list[dict], previews: list[dict]) -> None:
    """States s0..sn and the previews p1..pn between them, as the replay reads them."""
    if record is not None:
        record.mkdir(parents=True, exist_ok=True)
        with gzip.open(record / f"{name}.json.gz", "wt") as f:
            json.dump(recordable({"states": states, "previews": previews}), f, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    seed_ = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    work = Path(tempfile.mkdtemp(prefix="engine-soundness-"))
    print(f"engine soundness: seed {seed_}, {args.sequences} sequences of {args.steps} steps, work in {work}",
          flush=True)
    try:
        figures = run(seed_, args.sequences, args.steps, work, args.record)
    except Counterexample as exc:
        print(f"COUNTEREXAMPLE: {exc}", file=sys.stderr)
        return 1
    print("engine soundness: " + ", ".join(f"{k}: {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
