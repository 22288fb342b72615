"""What the benchmarks share: an engine per run, a seeded embedded server, where results go."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.engine import stack_factory
from tests.support.policies import PROFILES, seeded_server

RESULTS = Path(__file__).resolve().parent / "results"
__all__ = ["PROFILES", "RESULTS", "engine_stack_factory", "save_json", "seeded_server", "timed"]


engine_stack_factory = stack_factory


def timed(action: Callable[[], Any]) -> float:
    """Seconds an action takes, by the wall clock."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def save_json(filename: str, data: object) -> Path:
    """Write a benchmark's figures to benchmarks/results/<filename>."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / filename
    path.write_text(json.dumps(data, indent=1))
    return path


def plot(filename: str, title: str, xlabel: str, ylabel: str, series: dict[str, list[tuple[float, float]]]) -> Path | None:
    """A line plot into benchmarks/results/ (matplotlib from the `bench` extra); None if it is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"  (no plot {filename}: pip install -e '.[bench]' for matplotlib)")
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", label=label, linestyle="--" if "ideal" in label else "-")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / filename
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"  plot: {path}")
    return path
