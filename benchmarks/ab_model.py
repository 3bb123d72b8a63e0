"""Model speed of this tree against another revision, in one process, immune to the host's swings.

A shared host's speed can swing by half from one minute to the next, so two runs of
``bench_model.py`` minutes apart cannot tell a 5% change from noise. This script loads the
``gramabm`` package of a git revision (``--base``) beside this tree's, builds the same model from
each (same seed, scenario and size), and runs them in alternating chunks of steps, each chunk timed
for both in turn (the order flips every chunk), so both see the same host. It prints both times,
their ratio (this tree over the base: below one is faster) and the median of the per-chunk ratios.

A speed change must not change a result: the two runs' recorded series are compared at the end,
and the script exits 1 if they differ (``--allow-different`` for a change meant to move numbers).

Usage: python benchmarks/ab_model.py --base REV [--holders 10000] [--preset gram] [--steps 1000]
       [--repeat 3] [--chunk 50] [--allow-different] [--json]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def export_package(rev: str, into: Path) -> Path:
    """Write the ``gramabm`` package of git revision ``rev`` under ``into``; return that folder.

    Raises:
        ValueError: If git cannot read the revision (the message is git's) or is missing.
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "gramabm"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as err:
        raise ValueError(f"cannot export gramabm at {rev!r}: git is not installed") from err
    if done.returncode != 0:
        raise ValueError(f"cannot export gramabm at {rev!r}: {done.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


class Version:
    """One tree's ``gramabm`` modules, kept apart so that two trees can run in one process."""

    def __init__(self, root: Path) -> None:
        self.modules: dict[str, ModuleType] = {}
        with self.active():
            sys.path.insert(0, str(root))
            try:
                self.model = importlib.import_module("gramabm.model")
                self.scenarios = importlib.import_module("gramabm.scenarios")
            finally:
                sys.path.remove(str(root))
        if Path(self.model.__file__ or "").resolve().parents[1] != root.resolve():
            raise RuntimeError(f"gramabm was not imported from {root}")

    @contextmanager
    def active(self) -> Iterator[None]:
        """This tree's modules in ``sys.modules`` meanwhile, so a late import finds its own."""
        others = {name: sys.modules.pop(name) for name in _package_modules()}
        sys.modules.update(self.modules)
        try:
            yield
        finally:
            self.modules = {name: sys.modules.pop(name) for name in _package_modules()}
            sys.modules.update(others)

    def build(self, holders: int, steps: int, preset: str | None) -> Any:
        """The benchmark's model (seed 1, the ``baseline`` scenario) in this tree's code."""
        with self.active():
            path = self.scenarios.get_scenario("baseline").generate(steps, seed=1)
            extra = {"preset": preset} if preset else {}
            return self.model.GramModel(rng=1, path=path, steps=steps, holders=holders, **extra)

    def run_steps(self, model: Any, n: int) -> float:
        """Seconds ``model`` takes for ``n`` steps."""
        with self.active():
            start = time.perf_counter()
            for _ in range(n):
                model.step()
            return time.perf_counter() - start

    def series(self, model: Any) -> Any:
        """The model's recorded series (a DataFrame)."""
        with self.active():
            return model.recorder.to_frame()


def _package_modules() -> list[str]:
    return [name for name in sys.modules if name == "gramabm" or name.startswith("gramabm.")]


def compare(
    base: Version,
    new: Version,
    holders: int,
    steps: int,
    preset: str | None,
    repeat: int,
    chunk: int,
) -> dict[str, Any]:
    """Run both trees' models side by side ``repeat`` times; return the figures."""
    totals = {"base": 0.0, "new": 0.0}
    ratios: list[float] = []
    identical = True
    for r in range(repeat):
        models = {
            "base": base.build(holders, steps, preset),
            "new": new.build(holders, steps, preset),
        }
        versions = {"base": base, "new": new}
        order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
        gc.collect()
        gc.freeze()  # as GramModel.run does: the set-up is not scanned again and again
        try:
            for start in range(0, steps, chunk):
                n = min(chunk, steps - start)
                took = {name: versions[name].run_steps(models[name], n) for name in order}
                for name, seconds in took.items():
                    totals[name] += seconds
                ratios.append(took["new"] / took["base"])
                order.reverse()
        finally:
            gc.unfreeze()
        identical &= bool(base.series(models["base"]).equals(new.series(models["new"])))
        print(
            f"repeat {r + 1}/{repeat}: base {totals['base'] / (r + 1):.3f} s, "
            f"this tree {totals['new'] / (r + 1):.3f} s (mean so far)",
            flush=True,
        )
    return {
        "holders": holders,
        "steps": steps,
        "preset": preset,
        "repeat": repeat,
        "chunk": chunk,
        "base_run_s": round(totals["base"] / repeat, 3),
        "new_run_s": round(totals["new"] / repeat, 3),
        "ratio": round(totals["new"] / totals["base"], 3),
        "median_chunk_ratio": round(statistics.median(ratios), 3),
        "identical": identical,
    }


def main() -> int:
    """Run the comparison and print it beside the base revision's figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", required=True, help="git revision to compare against, e.g. HEAD~1"
    )
    parser.add_argument("--holders", type=int, default=10_000)
    parser.add_argument("--preset", default=None, help="a market preset, e.g. gram (two tiers)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="models built and run per tree")
    parser.add_argument("--chunk", type=int, default=50, help="steps per alternating chunk")
    parser.add_argument(
        "--allow-different", action="store_true", help="exit 0 even if the series differ"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for name in ("holders", "steps", "repeat", "chunk"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    with tempfile.TemporaryDirectory(prefix="gramabm-ab-") as tmp:
        try:
            base_root = export_package(args.base, Path(tmp))
        except ValueError as err:
            parser.error(str(err))
        base, new = Version(base_root), Version(ROOT)
        figures = compare(base, new, args.holders, args.steps, args.preset, args.repeat, args.chunk)
    figures["base"] = args.base
    size = f"{args.holders:,} holders x {args.steps:,} steps" + (
        f", preset {args.preset}" if args.preset else ""
    )
    print(f"base {args.base:<12} {size}: run {figures['base_run_s']:.3f} s (baseline)")
    print(f"this tree         {size}: run {figures['new_run_s']:.3f} s")
    print(
        f"ratio {figures['ratio']:.3f} (median chunk ratio {figures['median_chunk_ratio']:.3f}); "
        f"series {'identical' if figures['identical'] else 'DIFFER'}"
    )
    if args.json:
        print(json.dumps(figures))
    return 0 if figures["identical"] or args.allow_different else 1


if __name__ == "__main__":
    sys.exit(main())
