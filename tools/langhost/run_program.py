"""Run a Pulumi Python program under the engine (the executor our language host starts).

Usage: python -u run_program.py --monitor ADDR --engine ADDR --project P --stack S
       --dry_run true|false --parallel N [--pwd DIR] [--organization O] [--root_directory DIR]
       PROGRAM [ARGS...]

Configuration arrives in the environment (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS), as the
engine's own Python host passes it. Exit code 32 tells the host the error was already reported.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import runpy
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor

ALREADY_REPORTED = 32


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    for flag in ("monitor", "engine", "project", "stack", "pwd", "organization", "root_directory", "tracing"):
        ap.add_argument(f"--{flag}")
    ap.add_argument("--dry_run", default="false")
    ap.add_argument("--parallel", type=int, default=0)
    ap.add_argument("program")
    ap.add_argument("args", nargs="*")
    return ap.parse_args(argv)


def _user_traceback(program: str) -> str:
    """The traceback from the first frame inside the user's program on (the runner's frames are noise)."""
    root = os.path.abspath(program)
    frames = traceback.extract_tb(sys.exc_info()[2])
    for i, frame in enumerate(frames):
        if os.path.abspath(frame.filename).startswith(root):
            return traceback.format_exc(limit=-(len(frames) - i))
    return traceback.format_exc()


def main(argv: list[str]) -> int:
    try:
        import pulumi
        import pulumi.runtime
    except ImportError:
        print(
            "error: the Pulumi SDK is not installed for " + sys.executable + ".\n"
            "Install the program's requirements (pip install -r requirements.txt) in the virtualenv "
            "named by Pulumi.yaml's runtime.options.virtualenv, or run `pulumi install`.",
            file=sys.stderr,
        )
        return 1

    args = _parse(argv)
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    settings = pulumi.runtime.Settings(
        monitor=args.monitor,
        engine=args.engine,
        project=args.project,
        stack=args.stack,
        parallel=args.parallel,
        dry_run=args.dry_run == "true",
        organization=args.organization,
        root_directory=args.root_directory,
    )
    pulumi.runtime.configure(settings)
    if not os.environ.get("PULUMI_POLICIES_SDK_DEBUG"):
        # The SDK sends each debug message to the engine as a synchronous gRPC call, several per resource, and the
        # engine shows them only under `--debug`: a fifth of a preview's CPU at 300 resources. Sent when asked for.
        pulumi.log.debug = lambda *args, **kwargs: None
    if args.pwd:
        os.chdir(args.pwd)
    program = os.path.abspath(args.program)
    sys.argv = [program, *args.args]
    # A program directory is run like `python DIR`: its __main__.py, with the directory importable.
    sys.path.insert(0, program if os.path.isdir(program) else os.path.dirname(program))

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    executor = ThreadPoolExecutor(max_workers=max(args.parallel, 1) * 4)
    loop.set_default_executor(executor)
    # A failed deployment leaves futures unobserved by design; asyncio's complaints about them are noise.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    code = 1
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: runpy.run_path(program, run_name="__main__")))
        code = 0
    except pulumi.RunError as exc:
        pulumi.log.error(str(exc))
    except Exception:  # noqa: BLE001 - every program failure must be reported, not crash the runner
        pulumi.log.error("Program failed with an unhandled exception:\n" + _user_traceback(program))
        code = ALREADY_REPORTED
    finally:
        executor.shutdown(wait=True)
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
