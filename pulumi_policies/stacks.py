"""The `pulumi` commands this package runs on a user's stack (rollback, recover, up), through the Automation API.

Two things the Automation API does by default cost commands nothing here reads:
- every ``LocalWorkspace`` made without a ``PulumiCommand`` runs `pulumi version` first; here one ``PulumiCommand``
  serves the whole process;
- ``Stack.up`` follows the update with `stack output` (twice) and `stack history`, ``Stack.refresh`` the refresh
  with `stack history`, to fill a result object; ``up`` and ``refresh`` here are the one command they are.
Each of those commands starts the CLI (0.15 to 0.3 s of CPU): a rollback runs 3 fewer of them, a recovery 2 to 3.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from pulumi import automation as auto


@functools.cache
def pulumi_command() -> auto.PulumiCommand:
    """The `pulumi` on PATH, its version checked once per process."""
    return auto.PulumiCommand()


def workspace(work_dir: str | os.PathLike[str], env: dict[str, str] | None = None) -> auto.LocalWorkspace:
    return auto.LocalWorkspace(work_dir=str(work_dir), env_vars=env, pulumi_command=pulumi_command())


def select(stack_name: str, work_dir: str | os.PathLike[str], env: dict[str, str] | None = None, *,
           program: Callable[[], None] | None = None, project_name: str | None = None) -> auto.Stack:
    """The stack `stack_name` of the project in `work_dir`; with `program`, that program runs in place of the
    project's own (an inline program of project `project_name`)."""
    opts = auto.LocalWorkspaceOptions(work_dir=str(work_dir), env_vars=env, pulumi_command=pulumi_command())
    if program is None:
        return auto.select_stack(stack_name=stack_name, work_dir=str(work_dir), opts=opts)
    return auto.select_stack(stack_name=stack_name, project_name=project_name or "", program=program, opts=opts)


def run(stack: auto.Stack, *args: str, on_output: Callable[[str], Any] | None = None) -> auto.CommandResult:
    """`pulumi <args> --stack <name>` in the stack's workspace; raises ``auto.CommandError`` if it fails."""
    workspace = stack.workspace
    env = dict(workspace.env_vars)
    if workspace.pulumi_home is not None:
        env["PULUMI_HOME"] = workspace.pulumi_home
    return workspace.pulumi_command.run([*args, "--stack", stack.name], workspace.work_dir, env, on_output)


def up(stack: auto.Stack, on_output: Callable[[str], Any] | None = None) -> auto.CommandResult:
    """`pulumi up` of the project's own program."""
    return run(stack, "up", "--yes", "--skip-preview", on_output=on_output)


def refresh(stack: auto.Stack, on_output: Callable[[str], Any] | None = None) -> auto.CommandResult:
    return run(stack, "refresh", "--yes", "--skip-preview", on_output=on_output)
