"""Soundness of the access gate (issue 31): whenever the access model computed with every value known (after apply)
shows a gain or a weaker approval, the verdict on the preview, where values are unknown or secret, is "new access".

Two sources of documents, one property:
- Documents the real engine wrote: tests/support/engine_soundness.py drives `pulumi up`, `pulumi preview --json` and
  `pulumi stack export --show-secrets` over generated stacks and changes against the embedded server, with values
  hidden by Outputs known only after apply and by secrets, and records every step's documents under
  tests/fixtures/engine-soundness/; `test_the_property_holds_on_documents_the_real_engine_wrote` replays them all.
  The same script, run again, checks the property live on new sequences (docs/access-review.md, "Soundness").
- Generated documents, for breadth: stacks and changes from tests/support/access_cases.py, written in the shapes
  the engine writes (``pulumi stack export``: ``version`` and ``deployment.resources`` with ``urn``, ``type``,
  ``inputs``, ``outputs``; ``pulumi preview --json``: ``steps`` with ``op``, ``urn``, ``oldState``, ``newState``,
  the stack's own step), values hidden as the engine hides them at preview (``UNKNOWN`` for an Output of a resource
  being updated, ``"[secret]"`` for a secret), the touched order's positions included.
Both are read by the readers the CLI uses, checked as it checks them.

The seed is printed; set ACCESS_SOUNDNESS_SEED to replay one, ACCESS_SOUNDNESS_EXAMPLES for more examples (the
suite runs 300; ``ACCESS_SOUNDNESS_EXAMPLES=5000 python -m pytest tests/unit/test_access_soundness.py`` runs
5,000 in about a minute, as docs/access-review.md says).
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from pulumi_policies import access, cli
from pulumi_policies.preview import SECRET, read_preview, read_state
from pulumi_policies.registry import TYPE_PREFIX, UNKNOWN
from tests.support.access_cases import change, counterexample, stack, verdicts

SEED = int(os.environ.get("ACCESS_SOUNDNESS_SEED") or random.randrange(2**32))
EXAMPLES = int(os.environ.get("ACCESS_SOUNDNESS_EXAMPLES") or 300)
print(f"access soundness: seed {SEED}, {EXAMPLES} examples (ACCESS_SOUNDNESS_SEED={SEED} to replay)")

STACK, PROJECT = "prod", "gate"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{TYPE_PREFIX}{kind}::{name}"


def hide(draw: st.DrawFn, props: dict) -> dict:
    """Props with some values as the preview shows them: unknown until apply, or a secret."""
    props = copy.deepcopy(props)
    for _ in range(draw(st.integers(0, 2))):
        mark = draw(st.sampled_from((UNKNOWN, SECRET)))
        key = draw(st.sampled_from(sorted(props)))
        value = props[key]
        if key in ("name", "profile_id"):
            continue  # the program's own names, never an Output in these stacks
        if isinstance(value, list) and value and draw(st.booleans()):
            value[draw(st.integers(0, len(value) - 1))] = mark  # one position of a list
        elif isinstance(value, dict) and value and draw(st.booleans()):
            inner = draw(st.sampled_from(sorted(value)))
            value[inner] = mark if not isinstance(value[inner], list) or not value[inner] else \
                [mark if i == 0 else v for i, v in enumerate(value[inner])]
        else:
            props[key] = mark
    return props


def state_document(resources: dict[str, tuple[str, dict]]) -> dict:
    out = [{"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "inputs": {}, "outputs": {}}]
    for name, (kind, props) in resources.items():
        outputs = {**props, "policy_id": f"id-{name}"} if kind != "ProfilePolicyOrder" else \
            {**props, "policy_ids": list(props["policies"]), "enabled": True}
        out.append({"urn": urn(kind, name), "type": TYPE_PREFIX + kind, "custom": True, "id": f"id-{name}",
                    "inputs": props, "outputs": outputs})
    return {"version": 3, "deployment": {"manifest": {"version": "v3.259.0"}, "resources": out}}


@st.composite
def preview_document(draw: st.DrawFn, before: dict, after: dict) -> dict:
    steps = [{"op": "same", "urn": STACK_URN, "oldState": {"urn": STACK_URN, "type": "pulumi:pulumi:Stack"},
              "newState": {"urn": STACK_URN, "type": "pulumi:pulumi:Stack"}}]
    old = {r["urn"]: r for r in state_document(before)["deployment"]["resources"]}
    for name in sorted({*before, *after}):
        kind = (after.get(name) or before[name])[0]
        u = urn(kind, name)
        if name not in after:
            steps.append({"op": "delete", "urn": u, "oldState": old[u]})
            continue
        touched = name not in before or after[name] != before[name] or draw(st.booleans())
        if not touched:
            continue
        new = {"urn": u, "type": TYPE_PREFIX + kind, "inputs": hide(draw, after[name][1]), "outputs": {}}
        steps.append({"op": "create" if name not in before else "update", "urn": u, "oldState": old.get(u),
                      "newState": new})
    return {"config": {}, "steps": steps, "diagnostics": [], "changeSummary": {"update": len(steps)}}


@st.composite
def scenario(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    before = draw(stack())
    after = draw(change(before))
    return before, after, draw(preview_document(before, after))


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])
@given(scenario())
def test_the_preview_verdict_is_new_access_whenever_the_known_outcome_is(case: tuple[dict, dict, dict]) -> None:
    before, after, preview = case
    known, at_preview = verdicts(state_document(before), preview, state_document(after))
    assert counterexample(known, at_preview) is None, counterexample(known, at_preview)


def test_the_generator_makes_both_verdicts_and_hides_values() -> None:
    """The property is not vacuous: across a fixed sample, some changes are new access and some are not, and some
    previews hide values (so the fail-closed readings are exercised)."""
    outcomes, hidden = set(), 0
    for case in _sample(200):
        before, after, preview = case
        review = access.review(read_preview(preview), access.resources_of_state(read_state(state_document(before))))
        outcomes.add(review.new_access)
        hidden += bool(review.unseen)
    assert outcomes == {True, False} and hidden > 20


def _sample(n: int) -> list[tuple[dict, dict, dict]]:
    out: list[tuple[dict, dict, dict]] = []

    @seed(1)
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(scenario())
    def collect(case: tuple[dict, dict, dict]) -> None:
        out.append(case)

    collect()
    return out


RECORDED = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "engine-soundness").glob("*.json.gz"))


# Recorded steps that change no one's access: a policy moved into a set on its connection, out of a set, between sets.
NOTHING_CHANGES = ("adversarial-move-single-to-set-conn-b", "adversarial-move-set-to-set", "adversarial-move-set-to-single")


def recorded_steps() -> list[tuple[str, dict, dict, dict]]:
    """(where, state before, preview, state after) of every step recorded from the real engine by
    tests/support/engine_soundness.py."""
    out = []
    for path in RECORDED:
        with gzip.open(path, "rt") as f:
            doc = json.load(f)
        states, previews = doc["states"], doc["previews"]
        assert len(states) == len(previews) + 1, path.name
        out += [(f"{path.name} step {i + 1}", states[i], preview, states[i + 1]) for i, preview in enumerate(previews)]
    return out


def test_the_property_holds_on_documents_the_real_engine_wrote() -> None:
    """The same property on every step recorded from real runs (``pulumi preview --json`` and ``pulumi stack export
    --show-secrets`` around a ``pulumi up`` against the embedded server, values hidden by Outputs known after apply
    and by secrets). Not vacuous: some steps are new access once applied, and some previews hide values."""
    steps = recorded_steps()
    new_access = hidden = 0
    unsound = []
    for where, before, preview, after in steps:
        known, at_preview = verdicts(before, preview, after)
        if (why := counterexample(known, at_preview)) is not None:
            unsound.append(f"{where}: {why}")
        if where.startswith(NOTHING_CHANGES) and (known or at_preview.changes):  # and no noise where nothing changes
            unsound.append(f"{where}: nothing changes access, but: {known} / {at_preview.changes}")
        new_access += access.new_access(known)
        hidden += bool(at_preview.unseen)
    assert not unsound, "\n".join(unsound)
    print(f"access soundness: {len(steps)} steps recorded from the real engine, {new_access} of them new access "
          f"after apply, {hidden} with values the preview hid")
    assert len(steps) >= 40 and new_access >= 5 and hidden >= 10, (len(steps), new_access, hidden)


def test_a_model_is_saved_only_when_every_value_is_seen(tmp_path, capsys) -> None:
    """A model saved from a preview that hides values is the widest reading, not the access the stack will hold: as
    a later --baseline it would hide gains. --save-model refuses it (exit 1, or the gate's 3), and saves a model
    whose every value is seen."""
    hiding = next(s for s in recorded_steps() if s[0].startswith("adversarial-set-whole-list-after"))
    seeing = next(s for s in recorded_steps() if not verdicts(s[1], s[2], s[3])[1].unseen)
    for (where, before, preview, after), saved in ((hiding, False), (seeing, True)):
        (tmp_path / "state.json").write_text(json.dumps(before))
        (tmp_path / "preview.json").write_text(json.dumps(preview))
        model = tmp_path / "model.json"
        model.unlink(missing_ok=True)
        for gate, code in (((), 0 if saved else 1), (("--fail-on", "new-access"), None)):
            status = cli.main(["access", "--state", str(tmp_path / "state.json"), str(tmp_path / "preview.json"),
                               "--save-model", str(model), "--format", "json", *gate])
            err = capsys.readouterr().err
            assert model.exists() is saved, where
            assert ("not written" in err) is (not saved), (where, err)
            if code is not None:
                assert status == code, (where, status, err)
            else:
                assert status in (0, 3) and (status == 3) == verdicts(before, preview, after)[1].new_access
