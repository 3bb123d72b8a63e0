"""Policy decisions per second: one call for 100,000 holders against one call per holder.

For each family (the rule-based baseline, the logistic policy, the gradient-boosted policy, the
learned ones trained on the built-in gold history with their defaults), the benchmark times:

* **batch**: ``predict_proba`` on a ``(100_000, 9)`` matrix, as the model calls it once per step;
  the best of ``--repeat`` calls counts (wall-clock time);
* **single**: ``predict_proba`` on one row at a time. A full 100,000-call loop would take
  minutes for the tree policy through scikit-learn, so ``--single`` calls (default 300) are
  timed and the rate is **extrapolated** from their mean: decisions/s = 1 / mean call time;
* for the tree policy also scikit-learn's own ``HistGradientBoostingClassifier.predict_proba``
  on the same batch (what the compiled tables replace), and the largest probability
  difference between the two.

The rows are drawn at random from the labelled built-in history with synthetic token features
(so every row differs, and market features change from row to row): the worst case for the
compiled trees' binary searches. In the model, the market columns are shared by all holders,
which is faster.

Targets: >= 20 M decisions/s for the linear policy, >= 2 M/s for the tree policy (batch).

Run: ``.venv/bin/python benchmarks/bench_policy.py [--holders N] [--repeat R] [--single S] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gramabm.data.loaders import load_builtin
from gramabm.policies.rule_based import RuleBasedPolicy
from gramabm.policies.training import build_training_set, train_policy

TARGETS = {"logistic": 20e6, "gbt": 2e6}


def holder_matrix(n: int, seed: int) -> np.ndarray:
    """``n`` feature rows drawn at random from the labelled built-in history."""
    data = build_training_set(load_builtin(), seed=seed)
    rng = np.random.default_rng(seed)
    return np.ascontiguousarray(data.X.to_numpy()[rng.integers(0, len(data), n)])


def time_batch(predict, X: np.ndarray, repeat: int) -> float:
    predict(X)  # warm caches and lazy imports
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - t0)
    return best


def time_single(predict, X: np.ndarray, calls: int) -> float:
    rows = [X[i : i + 1] for i in range(min(calls, X.shape[0]))]
    predict(rows[0])
    t0 = time.perf_counter()
    for row in rows:
        predict(row)
    return (time.perf_counter() - t0) / len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--holders", type=int, default=100_000, help="rows per batch call")
    ap.add_argument("--repeat", type=int, default=20, help="timed batch calls; the best is kept")
    ap.add_argument("--single", type=int, default=300, help="timed one-row calls (extrapolated)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="last line: the figures as JSON")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    prices = load_builtin()
    X = holder_matrix(args.holders, args.seed)
    policies = {"rule_based": RuleBasedPolicy().fit(X[:10])}
    for family in ("logistic", "gbt"):
        policies[family], _ = train_policy(prices, family, seed=args.seed)
    setup_s = time.perf_counter() - t0

    results: dict[str, dict[str, float]] = {}
    for name, policy in policies.items():
        batch_s = time_batch(policy.predict_proba, X, args.repeat)
        single_s = time_single(policy.predict_proba, X, args.single)
        results[name] = {
            "batch_seconds": batch_s,
            "batch_decisions_per_s": args.holders / batch_s,
            "single_call_seconds": single_s,
            "single_decisions_per_s": 1.0 / single_s,
        }
    gbt = policies["gbt"]
    sk_s = time_batch(gbt.model_.predict_proba, X, max(1, args.repeat // 5))
    sk_max_diff = float(np.abs(gbt.predict_proba(X) - gbt.model_.predict_proba(X)).max())
    results["gbt"]["sklearn_batch_decisions_per_s"] = args.holders / sk_s
    results["gbt"]["max_abs_diff_vs_sklearn"] = sk_max_diff

    print(
        f"{args.holders:,} holders x 9 features (random rows of the built-in history, setup "
        f"{setup_s:.1f} s); Python {platform.python_version()}, numpy {np.__version__}; "
        f"batch: best of {args.repeat}; single: mean of {args.single} one-row calls, extrapolated"
    )
    print(f"{'family':<12}{'batch dec/s':>16}{'single dec/s':>15}{'speed-up':>10}  target")
    met: dict[str, bool] = {}
    for name, r in results.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            met[name] = r["batch_decisions_per_s"] >= target
            verdict = f">= {target / 1e6:.0f} M/s {'met' if met[name] else 'MISSED'}"
        speedup = r["batch_decisions_per_s"] / r["single_decisions_per_s"]
        print(
            f"{name:<12}{r['batch_decisions_per_s']:>16,.0f}{r['single_decisions_per_s']:>15,.0f}"
            f"{speedup:>9,.0f}x  {verdict}"
        )
    print(
        f"gbt through scikit-learn's predict_proba: "
        f"{results['gbt']['sklearn_batch_decisions_per_s']:,.0f} dec/s; compiled tables are "
        f"{results['gbt']['batch_decisions_per_s'] / results['gbt']['sklearn_batch_decisions_per_s']:.0f}x "
        f"faster, largest probability difference {sk_max_diff:.1e}"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "holders": args.holders,
                    "repeat": args.repeat,
                    "single_calls": args.single,
                    "single_extrapolated": True,
                    "results": results,
                    "targets": {
                        k: {"decisions_per_s": v, "met": met[k]} for k, v in TARGETS.items()
                    },
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
