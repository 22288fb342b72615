"""`pulumi-policies access` on the real engine: who gains or loses access by a preview, under which approval, with
the policies that cause it; single resources and policy sets; Markdown, JSON, --fail-on new-access, --baseline."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.policies import new_policy_stack

APPROVAL = {"approval": {"approvers": {"tags": ["sre-leads"]}, "manager_approval": {"condition": "All",
                                                                                  "required": True}}}


def users(*names):
    return {"users": [{"name": n} for n in names]}


def rp(name, members, **args):
    return {"type": "ResourcePolicy", "name": name,
            "args": {"name": name, "members": members, "resource_labels": {"env": ["staging"]},
                     "access_level": "read", **args}}


BASE = [
    rp("read", {**users("alice", "bob"), "tags": [{"name": "dev"}]}),
    rp("deny-bob", users("bob"), access_type="Deny"),
    rp("gated", users("gus"), condition=APPROVAL),
    rp("lvl", users("hal")),
    {"type": "ProfilePolicy", "name": "admins",
     "args": {"profile_id": "prof-eng", "name": "admins", "members": users("carol"), "is_active": False}},
    {"type": "ResourcePolicySet", "name": "estate",
     "args": {"policies": [{"name": "estate-a", "members": users("dave"), "resource_labels": {"env": ["dev"]}}]}},
]


_DOCUMENTS: dict[tuple[str, str, int], tuple[Path, Path]] = {}


def documents(ps):
    """The stack's preview and state (`--show-secrets`) as the README's workflow writes them, once per program and
    state: every report of one change reads the same two files (each `pulumi` command costs a second of CPU)."""
    project = ps.stack.project_dir
    backend = Path(ps.stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    serial = max((f.stat().st_mtime_ns for f in backend.rglob("*.json")), default=0)
    key = (str(project), (project / "resources.json").read_text(), serial)
    if key not in _DOCUMENTS:
        preview, state = project / f"preview-{len(_DOCUMENTS)}.json", project / f"state-{len(_DOCUMENTS)}.json"
        preview.write_text(ps.stack.pulumi("preview", "--json").stdout)
        state.write_text(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)
        _DOCUMENTS[key] = (preview, state)
    return _DOCUMENTS[key]


def access(ps, *args):
    preview, state = documents(ps)
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", "--state", str(state), str(preview),
                           *args], capture_output=True, text=True, env=ps.stack.env, timeout=300)
    assert proc.returncode in (0, 2, 3), proc.stdout + proc.stderr
    return proc


def found(proc):
    return sorted((c["principal"]["name"], c["change"], tuple(c["via"])) for c in json.loads(proc.stdout)["changes"])


def by_name(declared, name):
    return next(d for d in declared if d["name"] == name)


def test_who_gains_and_loses_access_by_a_preview(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*BASE)
    ps.stack.up()
    baseline = tmp_path / "baseline.json"
    quiet = access(ps, "--save-model", str(baseline), "--fail-on", "new-access")
    assert quiet.returncode == 0 and "No change to who can reach what" in quiet.stdout
    assert {a["principal"]["name"] for a in json.loads(baseline.read_text())["access"]} == {
        "alice", "dev", "gus", "hal", "dave"}  # bob is denied, carol's policy is off

    # alice added to the Deny: she loses what `read` gave her; nobody gains, so the gate passes
    only_loss = copy.deepcopy(BASE)
    by_name(only_loss, "deny-bob")["args"]["members"] = users("bob", "alice")
    ps.declare(*only_loss)
    proc = access(ps, "--format", "json", "--fail-on", "new-access")
    assert proc.returncode == 0 and found(proc) == [("alice", "loses", ("deny-bob",))]
    assert json.loads(proc.stdout)["changes"][0]["reach"] == {"resource_labels": {"env": ["staging"]},
                                                              "access_level": "read"}

    # every kind of new access at once, each with the policy that causes it
    gains = [d for d in copy.deepcopy(BASE) if d["name"] != "deny-bob"]              # a Deny deleted
    by_name(gains, "admins")["args"]["is_active"] = True                             # a policy switched on
    by_name(gains, "read")["args"]["resource_labels"] = {"env": ["staging", "prod"]}  # labels widened
    by_name(gains, "gated")["args"].pop("condition")                                 # approval dropped
    by_name(gains, "lvl")["args"]["access_level"] = "write"                          # level raised
    by_name(gains, "estate")["args"]["policies"][0]["members"] = users("dave", "frank")  # a set's member added
    ps.declare(*gains)
    proc = access(ps, "--format", "json", "--fail-on", "new-access")
    assert proc.returncode == 3, proc.stdout
    assert found(proc) == [
        ("alice", "gains", ("read",)),
        ("bob", "gains", ("deny-bob", "read")),
        ("carol", "gains", ("admins",)),
        ("dev", "gains", ("read",)),
        ("frank", "gains", ("estate[estate-a]",)),
        ("gus", "weaker-approval", ("gated",)),
        ("hal", "gains", ("lvl",)),
        ("hal", "loses", ("lvl",)),
    ]
    changes = {(c["principal"]["name"], c["change"]): c for c in json.loads(proc.stdout)["changes"]}
    assert changes[("carol", "gains")]["reach"] == {"profile": "prof-eng"}
    assert changes[("gus", "weaker-approval")]["approval"]["before"][0]["approval"]["manager"] == "All"
    assert changes[("gus", "weaker-approval")]["approval"]["after"] == [{}]
    assert changes[("bob", "gains")]["principal"] == {"kind": "user", "name": "bob"}

    md = access(ps).stdout  # the pull-request comment: a summary, then principals, those who gain first
    assert md.startswith("### Access changes\n\n**New access.** 6 principals gain access; 1 with a weaker approval; "
                         "1 principal loses access."), md
    assert "**user `gus`**\n- **weaker approval** resources env in [staging], access level `read`: approval by tag " \
        "sre-leads, manager approval (All) -> no approval or condition (via `gated`)" in md
    assert md.index("**user `hal`**") < md.index("**user `gus`**")  # a gain before a weaker approval

    # against the saved model instead of the state: the same changes (every involved policy named)
    again = access(ps, "--format", "json", "--baseline", str(baseline))
    assert [(n, c) for n, c, _ in found(again)] == [(n, c) for n, c, _ in found(proc)]


WORKFLOW = re.search(r"<!-- pull-request workflow -->\n```sh\n(.*?)```",
                     (Path(__file__).resolve().parents[2] / "README.md").read_text(), re.S)


# `gh` as GitHub answers the three calls the workflow makes, on one pull request's issue comments held in a JSON file
# ($GH_COMMENTS: a list of {"id", "body"}). Endpoints as gh takes them ({owner} and {repo} are gh's own placeholders,
# filled from the repository); `--jq` filters each page with jq and prints strings raw, as gh does. Pages hold 2
# comments (GitHub's 30), so a lookup without --paginate misses one. Anything else exits 2.
FAKE_GH = r"""
import json, os, re, subprocess, sys
from pathlib import Path

STORE, PR, PAGE = Path(os.environ["GH_COMMENTS"]), os.environ["GH_PR"], 2
LIST = re.compile(r"/?repos/\{owner\}/\{repo\}/issues/(\d+)/comments(?:\?per_page=([1-9]\d?|100))?")
ONE = re.compile(r"/?repos/\{owner\}/\{repo\}/issues/comments/(\d+)")


def refuse(why, code=2):
    print(f"fake gh: {why}: gh {' '.join(sys.argv[1:])}", file=sys.stderr)
    sys.exit(code)


def options(args, flags, valued):
    # (positional arguments, {option: value or True, or a list of values for -F/-f}), --name=value split as gh does
    found, positional, args = {}, [], list(args)
    while args:
        arg = args.pop(0)
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
            args.insert(0, value)
        if arg in valued:
            if not args:
                refuse(f"{arg} needs a value")
            found.setdefault(valued[arg], []).append(args.pop(0))
        elif arg in flags:
            found[flags[arg]] = True
        elif arg.startswith("-"):
            refuse(f"an option this fake does not take: {arg}")
        else:
            positional.append(arg)
    return positional, found


def api(args):
    positional, opts = options(args, {"--paginate": "paginate", "--silent": "silent"},
                               {"-X": "method", "--method": "method", "-q": "jq", "--jq": "jq", "-F": "field",
                                "--field": "field", "-f": "raw", "--raw-field": "raw"})
    if len(positional) != 1 or any(len(opts.get(k, [])) > 1 for k in ("method", "jq")):
        refuse("one endpoint, at most one method and one --jq")
    path = positional[0]
    fields = {}
    for kind in ("field", "raw"):
        for item in opts.get(kind, []):
            key, sep, value = item.partition("=")
            if not sep:
                refuse(f"a field not in key=value form: {item}")
            if kind == "field" and value.startswith("@"):  # -F reads @FILE; -f sends "@FILE" as it is
                value = sys.stdin.read() if value == "@-" else Path(value[1:]).read_text()
            elif kind == "field" and re.fullmatch(r"true|false|null|-?\d+", value):
                value = json.loads(value)
            fields[key] = value
    method = opts.get("method", ["POST" if fields else "GET"])[0].upper()
    if opts.get("paginate") and method != "GET":
        refuse("the `--paginate` option is not supported for non-GET requests", 1)
    comments = json.loads(STORE.read_text())
    if (listed := LIST.fullmatch(path)) and method == "GET" and not fields:
        if listed[1] != PR:
            refuse("HTTP 404: Not Found (this fake holds pull request " + PR + ")", 1)
        size = int(listed[2] or PAGE)
        pages = [comments[i:i + size] for i in range(0, len(comments), size)] or [[]]
        out = pages if opts.get("paginate") else pages[:1]
    elif (one := ONE.fullmatch(path)) and method == "PATCH" and list(fields) == ["body"]:
        if not isinstance(fields["body"], str):
            refuse("HTTP 422: body is not a string", 1)
        comment = next((c for c in comments if c["id"] == int(one[1])), None)
        if comment is None:
            refuse("HTTP 404: Not Found (no comment " + one[1] + ")", 1)
        comment["body"] = fields["body"]
        STORE.write_text(json.dumps(comments))
        out = [comment]
    else:
        refuse("a call this fake does not answer")
    for page in [] if opts.get("silent") else out:
        if "jq" in opts:
            jq = subprocess.run(["jq", "-r", opts["jq"][0]], input=json.dumps(page), capture_output=True, text=True)
            sys.stderr.write(jq.stderr)
            if jq.returncode:
                sys.exit(1)
            sys.stdout.write(jq.stdout)
        else:
            print(json.dumps(page))


def pr_comment(args):
    positional, opts = options(args, {}, {"--body-file": "file", "-F": "file", "--body": "body", "-b": "body"})
    if len(positional) != 1 or len(opts) != 1 or any(len(v) > 1 for v in opts.values()):
        refuse("pr comment takes the pull request and one --body-file or --body")
    if positional[0] != PR:
        refuse(f"no pull requests found for {positional[0]}", 1)
    if "file" in opts:
        body = sys.stdin.read() if opts["file"][0] == "-" else Path(opts["file"][0]).read_text()
    else:
        body = opts["body"][0]
    comments = json.loads(STORE.read_text())
    comments.append({"id": max((c["id"] for c in comments), default=0) + 1, "body": body})
    STORE.write_text(json.dumps(comments))
    print(f"https://github.com/owner/repo/pull/{PR}#issuecomment-{comments[-1]['id']}")


if sys.argv[1:2] == ["api"]:
    api(sys.argv[2:])
elif sys.argv[1:3] == ["pr", "comment"]:
    pr_comment(sys.argv[3:])
else:
    refuse("a command this fake does not answer")
"""


def run_workflow(ps, tmp_path):
    """The README's pull-request workflow, step by step under `bash -e`, with a fake `gh` holding pull request 7's
    comments in tmp_path/comments.json (kept from run to run; a test seeds it first): (the run, the comments)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    gh.chmod(0o755)
    comments = tmp_path / "comments.json"
    if not comments.exists():
        comments.write_text("[]")
    env = {**ps.stack.env, "PATH": f"{bin_dir}:{ps.stack.env['PATH']}", "STACK": ps.stack.name, "PR": "7",
           "GH_PR": "7", "GH_COMMENTS": str(comments)}
    proc = subprocess.run(["bash", "-e", "-c", WORKFLOW.group(1)], cwd=ps.stack.project_dir, env=env,
                          capture_output=True, text=True, timeout=300)
    assert not (ps.stack.project_dir / "state.json").exists()  # the plaintext export is not left behind
    return proc, json.loads(comments.read_text())


def test_the_gate_fails_closed_without_noise_and_the_readme_workflow_runs(server, make_stack, tmp_path):
    itsm = {"settings_type": "ITSM", "connection_id": "snow-prod", "connection_type": "servicenow",
            "itsm_filter_criteria": [{"supported_ticket_type": "change", "filter": {"state": "approved"}}]}
    base = [
        rp("read", users("alice")),
        {"type": "ProfilePolicy", "name": "ticketed",
         "args": {"profile_id": "prof-eng", "name": "ticketed", "members": users("ivy"),
                  "settings": [{"settings_type": "JUSTIFICATION", "justification_regex": "^CHG[0-9]{7}$"}]}},
        {"type": "ProfilePolicy", "name": "itsm",
         "args": {"profile_id": "prof-ops", "name": "itsm", "members": users("jo"), "settings": [itsm]}},
        rp("team", users("kim"), resource_labels={"team": ["db"]}),
    ]
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*base)
    ps.stack.up()
    assert WORKFLOW is not None
    # the pull request's comments before: a reviewer's, and the report of another stack (whose name starts as ours)
    marker = f"<!-- pulumi-policies-access: declared/{ps.stack.name} -->"
    others = [{"id": 1, "body": "LGTM"},
              {"id": 2, "body": f"### Access changes\n\n<!-- pulumi-policies-access: declared/{ps.stack.name}-eu -->\n"}]
    (tmp_path / "comments.json").write_text(json.dumps(others))
    proc, comments = run_workflow(ps, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert comments[:2] == others and [c["id"] for c in comments[2:]] == [3], comments  # the stack's comment added
    assert comments[2]["body"].rstrip().endswith(marker) and "No change to who can reach what" in comments[2]["body"]

    # noise: a new Allow for what alice already holds under the same gate is no gain
    ps.declare(*base, rp("again", users("alice")))
    quiet = access(ps, "--format", "json", "--fail-on", "new-access")
    assert quiet.returncode == 0 and found(quiet) == [], quiet.stdout

    # weaker approvals the old model called stronger, and a label widened: new access, each named
    weaker = copy.deepcopy(base)
    by_name(weaker, "ticketed")["args"]["settings"][0]["justification_regex"] = ".*"
    by_name(weaker, "itsm")["args"]["settings"] = [{**itsm, "connection_id": "snow-sandbox"}]
    by_name(weaker, "team")["args"]["resource_labels"] = {"team": []}
    ps.declare(*weaker)
    # a label key with no values is refused at preview, naming the field (servers read it as nothing or anything)
    refused = ps.stack.pulumi("preview", check=False)
    assert refused.returncode != 0 and "ResourcePolicy.resource_labels: label 'team' has no values" in refused.stdout + \
        refused.stderr, refused.stdout
    by_name(weaker, "team")["args"]["resource_labels"] = {"team": ["db", "web"]}
    ps.declare(*weaker)
    proc = access(ps, "--format", "json", "--fail-on", "new-access")
    assert proc.returncode == 3, proc.stdout
    assert {("ivy", "weaker-approval", ("ticketed",)), ("jo", "weaker-approval", ("itsm",)),
            ("kim", "gains", ("team",))} <= set(found(proc)), found(proc)

    # diff prints the same access changes as access, from the same model
    text = access(ps, "--format", "text").stdout
    diff = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--run", "--cwd",
                           str(ps.stack.project_dir), "--stack", ps.stack.name, "--format", "text"],
                          capture_output=True, text=True, env=ps.stack.env, timeout=300)
    assert diff.returncode == 0 and diff.stdout[diff.stdout.index("Access changes:"):].strip() == text.strip()

    # the README's workflow again, on the pull request's next push: the stack's comment replaced by the new report
    # (exit 0 for writing it), the others untouched, then the gate blocks the merge (3)
    proc, comments = run_workflow(ps, tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert comments[:2] == others and [c["id"] for c in comments[2:]] == [3], comments
    assert comments[2]["body"] == (ps.stack.project_dir / "access.md").read_text() and "**New access.**" in \
        comments[2]["body"] and comments[2]["body"].rstrip().endswith(marker)

    # bad inputs: each refused in one line, exit 1
    preview, state = tmp_path / "preview.json", tmp_path / "state.json"
    preview.write_text(json.dumps(ps.stack.preview_json()))
    state.write_text(json.dumps(ps.stack.export()))
    for args, stdin, said in ((["--state", str(preview), str(state)], None, "is a stack's state"),
                              (["-"], "{}", "has no steps"), (["--state", str(state), "-"], '{"steps": [', "truncated")):
        proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", "--fail-on", "new-access",
                               *args], input=stdin, capture_output=True, text=True, env=ps.stack.env, timeout=60)
        assert proc.returncode == 1 and said in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, \
            (args, proc.stderr)


def pp(name, members, **args):
    return {"type": "ProfilePolicy", "name": name, "args": {"profile_id": "prof-eng", "name": name, "members": members,
                                                            **args}}


def order(*policies):
    return {"type": "ProfilePolicyOrder", "name": "order",
            "args": {"profile_id": "prof-eng", "policies": list(policies)}}


def verdict(ps, tmp_path, *args):
    """`access --fail-on new-access` (JSON) on the stack's preview and state as the engine writes them, and `diff`
    of the same files printing the same access changes as `access` (text): (exit code, the JSON document)."""
    preview, state = tmp_path / "preview.json", tmp_path / "state.json"
    preview.write_text(ps.stack.pulumi("preview", "--json").stdout)
    state.write_text(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)
    try:
        def cli(*command):
            return subprocess.run([sys.executable, "-m", "pulumi_policies.cli", *command, "--state", str(state),
                                   str(preview)], capture_output=True, text=True, env=ps.stack.env, timeout=120)
        gate = cli("access", "--format", "json", "--fail-on", "new-access", *args)
        assert gate.returncode in (0, 3), gate.stdout + gate.stderr
        text, diff = cli("access", "--format", "text"), cli("diff", "--format", "text")
        assert diff.returncode == 0 and diff.stdout[diff.stdout.index("Access changes:"):].strip() == text.stdout.strip(), \
            diff.stdout + diff.stderr
        return gate.returncode, json.loads(gate.stdout), gate.stdout + text.stdout + diff.stdout
    finally:
        state.unlink()  # it holds the secrets in plaintext


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_values_the_preview_hides_fail_closed_and_a_refresh_adds_no_noise(server, make_stack, tmp_path):
    """The adopter's ways past the gate (issue 31), each on the engine's own preview: a Deny switched off by a value
    known only after apply, a secret member, a reorder whose moved policy is also touched; and after a refresh, a new
    Allow for reach already held is no change."""
    base = [
        rp("read", users("dan")),
        rp("no-bob", users("bob"), access_type="Deny"),
        pp("gated", users("ann"), condition=APPROVAL),
        pp("open", users("ann")),
        order("@gated.policy_id", "@open.policy_id"),  # ann's path is the gated one
    ]
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*base).stack.up()
    baseline = tmp_path / "baseline.json"
    code, doc, _ = verdict(ps, tmp_path, "--save-model", str(baseline))
    assert code == 0 and doc["changes"] == [], doc

    # a Deny whose is_active is known only after apply (False), and bob added to the Allow it shadowed
    hidden = copy.deepcopy(base)
    by_name(hidden, "read")["args"]["members"] = users("dan", "bob")
    by_name(hidden, "no-bob")["args"]["is_active"] = {"$after": "@other.policy_id", "value": False}
    ps.declare(rp("other", users("nobody"), is_active=False), *hidden)  # created by this update: its id unknown
    code, doc, _ = verdict(ps, tmp_path)
    assert code == 3 and found_in(doc) == [("bob", "gains", ("no-bob", "read"))], doc
    assert {"policy": "no-bob", "field": "is_active", "read_as": "no Deny"} in doc["unseen"], doc["unseen"]

    # the ungated Allow moved ahead of the gated one, and touched in the same change (a member added): the order
    # weakens ann's approval, the touch is zed's gain, each named for its own
    reordered = copy.deepcopy(base)
    by_name(reordered, "open")["args"]["members"] = users("ann", "zed")
    by_name(reordered, "order")["args"]["policies"] = ["@open.policy_id", "@gated.policy_id"]
    ps.declare(*reordered)
    code, doc, _ = verdict(ps, tmp_path)
    assert code == 3 and found_in(doc) == [("ann", "weaker-approval", ("order",)), ("zed", "gains", ("open",))], doc

    # a secret member: the preview shows the members as "[secret]", a principal nobody can name gains (and no one is
    # said to lose: the members the state showed may be members still); nothing prints the secret
    secret = copy.deepcopy(base)
    by_name(secret, "read")["args"]["members"] = {"users": [{"name": "dan"}, {"name": {"$secret": "alice"}}]}
    ps.declare(*secret)
    code, doc, printed = verdict(ps, tmp_path)
    assert code == 3 and found_in(doc) == [("(secret)", "gains", ("read",))], doc
    assert "alice" not in printed
    # ... applied, the state read with --show-secrets names her against the model saved before
    ps.stack.up()
    assert "alice" not in json.dumps(ps.stack.outputs())
    code, doc, _ = verdict(ps, tmp_path, "--baseline", str(baseline))
    assert code == 3 and found_in(doc) == [("alice", "gains", ("read",))], doc

    # after a refresh, a new Allow for what dan already holds under the same gate is no change
    ps.stack.refresh()
    ps.declare(*secret, rp("again", users("dan")))
    code, doc, _ = verdict(ps, tmp_path)
    assert code == 0 and doc["changes"] == [], doc


def found_in(doc):
    return sorted((c["principal"]["name"], c["change"], tuple(c["via"])) for c in doc["changes"])
