"""The `pulumi` commands this package runs on a user's stack (rollback, recover, up, export), through the Automation
API.

Three things the Automation API does by default are left out here:
- `pulumi stack select` before anything else: it would change the stack the user's own `pulumi` commands in the
  project act on (a `pulumi-policies rollback --stack prod` left prod selected); every command here names its
  stack instead (`--stack`), as the Automation API's own do;
- `pulumi version` for every ``LocalWorkspace`` made without a ``PulumiCommand``; here one ``PulumiCommand`` serves
  the whole process;
- after ``Stack.up``, `stack output` (twice) and `stack history`, after ``Stack.refresh`` `stack history`, to fill a
  result object nothing here reads; ``up`` and ``refresh`` here are the one command they are.
Each of those commands starts the CLI (0.15 to 0.3 s of CPU): a rollback runs 6 fewer of them, a recovery 2 (7 and
4 when the backend comes from `pulumi login`). The update of a rollback's inline program is still ``Stack.up``
(its language server is the Automation API's), follow-up commands included.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable
from typing import Any

from pulumi import automation as auto

from .errors import PulumiPoliciesError


class NoProject(PulumiPoliciesError):
    """A stack command was given a directory that holds no Pulumi project."""


class NoEngine(PulumiPoliciesError):
    """The `pulumi` CLI is not on PATH (or does not run)."""


@functools.cache
def pulumi_command() -> auto.PulumiCommand:
    """The `pulumi` on PATH, its version checked once per process."""
    try:
        return auto.PulumiCommand()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise NoEngine(f"the pulumi CLI cannot be run ({exc}): install it (https://www.pulumi.com/docs/install/) and "
                       "put it on PATH, or run `make engine` in this repository and use .engine/bin") from None


class _Workspace(auto.LocalWorkspace):
    """A ``LocalWorkspace`` whose stacks are named in every command, never selected (see the module). Its
    ``select_stack`` does not check that the stack exists, so ``Stack.create_or_select`` would never create one:
    use ``Stack.select`` only."""

    def select_stack(self, stack_name: str) -> None:
        """Leave the project's selected stack as the user left it."""


def workspace(work_dir: str | os.PathLike[str], env: dict[str, str] | None = None,
              program: Callable[[], None] | None = None) -> auto.LocalWorkspace:
    """The project in `work_dir` (its Pulumi.yaml); with `program`, that program runs in place of the project's."""
    return _Workspace(work_dir=str(work_dir), env_vars=env, pulumi_command=pulumi_command(), program=program)


def select(stack_name: str, work_dir: str | os.PathLike[str], env: dict[str, str] | None = None, *,
           program: Callable[[], None] | None = None) -> auto.Stack:
    """The stack `stack_name` of the project in `work_dir`, without selecting it (a stack that does not exist fails
    the first command run on it: "no stack named ... found"). Raises ``NoProject`` if `work_dir` has no Pulumi.yaml."""
    project = workspace(work_dir, env, program)
    try:
        project.project_settings()
    except FileNotFoundError:
        raise NoProject(f"{os.path.abspath(work_dir)} holds no Pulumi project (no Pulumi.yaml): run this in the "
                        "project's directory or name it with --cwd") from None
    return auto.Stack.select(stack_name, project)


def run(stack: auto.Stack, *args: str, on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None) -> auto.CommandResult:
    """`pulumi <args> --stack <name>` in the stack's workspace (its standard output and error lines to `on_output`
    and `on_error`); raises ``auto.CommandError`` if it fails."""
    workspace = stack.workspace  # made by workspace(): its environment is env_vars alone (no pulumi_home)
    return workspace.pulumi_command.run([*args, "--stack", stack.name], workspace.work_dir, dict(workspace.env_vars),
                                        on_output, on_error)


def up(stack: auto.Stack, on_output: Callable[[str], Any] | None = None,
       on_error: Callable[[str], Any] | None = None) -> auto.CommandResult:
    """`pulumi up` of the project's own program."""
    return run(stack, "up", "--yes", "--skip-preview", on_output=on_output, on_error=on_error)


def refresh(stack: auto.Stack, on_output: Callable[[str], Any] | None = None) -> auto.CommandResult:
    return run(stack, "refresh", "--yes", "--skip-preview", on_output=on_output)
