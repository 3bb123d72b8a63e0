"""Fingerprints of a few fixed-seed runs, to prove a speed change leaves results bit-for-bit equal.

Runs :func:`gramabm.simulation.simulate` over a small grid (configurations x presets x scenarios x
seeds), hashes each run's recorded series, holder sample, event log and summary, and prints one
line per run plus a combined digest. Run it before and after an optimisation and compare.

Usage: python benchmarks/fingerprint_runs.py [--holders 2000] [--steps 500] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np
import pandas as pd

from gramabm.config import load_config
from gramabm.simulation import simulate

GRID: tuple[tuple[str | None, str, str], ...] = (
    ("calibrated", "paxg", "baseline"),
    ("calibrated", "paxg", "severely_adverse"),
    (None, "paxg", "baseline"),
    (None, "paxg", "severely_adverse"),
    (None, "xaut", "adverse"),
    (None, "gram_wrapper", "baseline"),
)
SEEDS: tuple[int, ...] = (3, 11)


def frame_digest(frame: pd.DataFrame) -> str:
    """Digest of a frame's index, column names, dtypes and exact values."""
    h = hashlib.sha256()
    h.update(repr(list(frame.columns)).encode())
    h.update(np.ascontiguousarray(frame.index.to_numpy()).tobytes())
    for name in frame.columns:
        col = frame[name]
        h.update(str(col.dtype).encode())
        values = col.to_numpy()
        if values.dtype == object:
            h.update(repr(values.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    """Run the grid and print each run's fingerprints."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--out", help="also write the fingerprints as JSON to this file")
    args = parser.parse_args()
    prints: dict[str, dict[str, str]] = {}
    for config, preset, scenario in GRID:
        for seed in SEEDS:
            cfg = load_config(
                config, holders=args.holders, steps=args.steps, preset=preset, scenario=scenario
            )
            out = simulate(cfg, seed)
            res = out.result
            key = f"{config or 'default'}/{preset}/{scenario}/seed{seed}"
            prints[key] = {
                "timeseries": frame_digest(res.timeseries),
                "holders": frame_digest(res.holders),
                "events": frame_digest(res.events),
                "summary": hashlib.sha256(
                    json.dumps(out.summary(), sort_keys=True, default=repr).encode()
                ).hexdigest()[:16],
            }
            print(key, " ".join(f"{k}={v}" for k, v in prints[key].items()), flush=True)
    total = hashlib.sha256(json.dumps(prints, sort_keys=True).encode()).hexdigest()[:16]
    print("combined", total)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump({"runs": prints, "combined": total}, fh, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
