"""Model speed: vectorised holders against per-agent stepping and per-holder policy calls.

Prints, in one run:

* the in-process time of 10,000 holders x 1,000 steps with the full book, settlement and data
  collection (the ``baseline`` scenario on the built-in data), and the same for 100,000 holders;
* beside it, the two-tier system (preset ``gram``: XAUT's world plus the GRAM tier, its pools,
  wrapper, arbitrageurs, providers and GRAM holders) at the first population size;
* side by side, two slower designs of the same holder step, doing the same work per holder
  (neighbours' panic, own P&L, panic update, activity and action draws, its own order):
  - **per-agent**: each holder is stepped as its own Mesa agent (``AgentSet.do``), around one
    batched policy call for the whole population;
  - **naive**: the same, but the policy is called once per holder.
  Both are timed over a few steps and extrapolated to 1,000 steps (the output says so).

Targets (one core): 10k x 1,000 <= 1.5 s; two-tier 10k x 1,000 <= 2 s; 100k x 1,000 <= 15 s;
>= 10x the per-agent variant.

Each real-model run is repeated (``--repeat``, 3) and judged on its fastest, as ``timeit`` does:
the same seed does the same work every time, so a slower repeat is the host's other load, not
the model; every repeat's time is printed beside it.
``--json`` prints the figures as one JSON object on the last line.

Usage: python benchmarks/bench_model.py [--steps 1000] [--holders 10000 100000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import numpy as np

from gramabm.agents.holders import Holder
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.model import GramModel
from gramabm.policies.base import FEATURE_INDEX as _FEATURE_INDEX
from gramabm.scenarios import get_scenario

TARGET_10K_S = 1.5
TARGET_100K_S = 15.0
TARGET_TWO_TIER_10K_S = 2.0
TARGET_SPEEDUP = 10.0


def _path(steps: int):
    return get_scenario("baseline").generate(steps, seed=1)


def time_vectorised(
    holders: int, steps: int, path, preset: str | None = None
) -> tuple[float, float]:
    """Set-up and run time of the real model (vectorised holders), of a preset if given."""
    extra = {"preset": preset} if preset is not None else {}
    t0 = time.perf_counter()
    model = GramModel(rng=1, path=path, steps=steps, holders=holders, **extra)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def best_of(
    repeat: int, holders: int, steps: int, path, preset: str | None = None
) -> tuple[float, float, list[float]]:
    """The fastest set-up and run of ``repeat`` identical runs, and every run's time."""
    times = [time_vectorised(holders, steps, path, preset) for _ in range(repeat)]
    runs = [run for _, run in times]
    return min(setup for setup, _ in times), min(runs), runs


def _runs_text(runs: list[float]) -> str:
    return f"best of {len(runs)}: " + " ".join(f"{r:.2f}" for r in runs)


def _agent_observe(self: Holder) -> None:
    """One holder fills its own feature row: neighbours' panic and its own P&L."""
    pop = self.population
    i = self.index
    nbrs = pop.bench_neighbours[i]
    panic = pop.panic
    row = pop._features[i]
    row[_FEATURE_INDEX["neighbour_panic"]] = (
        sum(panic[j] for j in nbrs) / len(nbrs) if nbrs else 0.0
    )
    row[_FEATURE_INDEX["own_pnl"]] = pop.bench_mid / pop.cost_basis[i] - 1.0
    row[_FEATURE_INDEX["incident"]] = pop.bench_incident


def _agent_act(self: Holder) -> None:
    """One holder updates its panic, draws whether and how it acts, and sends its own order."""
    model = self.model
    pop = self.population
    i = self.index
    proba = pop.bench_proba(i)
    memory = pop.cfg.panic_memory
    pop.panic[i] = memory * pop.panic[i] + (1 - memory) * (proba[2] + proba[3])
    if model.random.random() >= pop.cfg.activity:
        return
    u = model.random.random()
    action = int(np.searchsorted(np.cumsum(proba), u, side="right"))
    pop.last_action[i] = min(action, 3)
    if action not in (1, 2):
        return
    ledger = pop.ledger
    mid = pop.bench_mid
    account = int(pop.accounts[i])
    if action == 1:
        qty = int(
            ledger.available(account, Asset.USD) * pop.cfg.trade_fraction / max(mid * 1000, 1)
        )
        if qty >= 1000:
            model.venue.market(account, BUY, qty)
    else:
        qty = int(ledger.available(account, Asset.TOKEN) * pop.cfg.trade_fraction)
        if qty >= 1000:
            model.venue.market(account, SELL, qty)


class _PerAgentModel(GramModel):
    """The same model with holders stepped one Mesa agent at a time (same work per holder)."""

    naive = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.holders.step = self._per_agent_step  # type: ignore[method-assign]

    def _per_agent_step(self, ctx, news, venue, primary):
        pop = self.holders
        if not hasattr(pop, "bench_neighbours"):
            pop.bench_neighbours = [list(pop.graph.neighbors(i)) for i in range(pop.n)]
            pop.bench_agents = self.holder_agents()
        X = pop._features
        for name, arr in pop._path_features.items():
            X[:, _FEATURE_INDEX[name]] = float(arr[ctx.step])
        X[:, _FEATURE_INDEX["deviation_bp"]] = 1e4 * (ctx.mid / ctx.fair_g - 1.0)
        pop.bench_mid = ctx.mid
        pop.bench_incident = news
        holders = pop.bench_agents
        holders.do(_agent_observe)
        if self.naive:
            policy = pop.policy
            pop.bench_proba = lambda i: policy.predict_proba(X[i : i + 1])[0]
        else:
            proba = pop.policy.predict_proba(X)
            pop.bench_proba = lambda i: proba[i]
        holders.do(_agent_act)
        return pop.stats()


def time_per_agent(holders: int, steps: int, path, *, naive: bool) -> float:
    """Seconds per step of a per-agent variant, over ``steps`` steps after a short warm-up."""
    cls = type("NaiveModel" if naive else "PerAgentModel", (_PerAgentModel,), {"naive": naive})
    model = cls(rng=1, path=path, steps=steps + 5, holders=holders)
    for _ in range(5):
        model.step()
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
    return (time.perf_counter() - t0) / steps


def main() -> None:
    """Run the benchmark and print the figures beside their baselines and targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--holders", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sample-steps", type=int, default=20, help="steps timed per variant")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of the real model per figure (the fastest counts)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    path = _path(args.steps)
    gc.collect()
    figures: dict[str, float] = {"steps": args.steps}
    repeats: dict[str, list[float]] = {}  # every run's time, beside the fastest in figures
    for n in args.holders:
        setup, run, runs = best_of(args.repeat, n, args.steps, path)
        figures[f"vectorised_{n}_setup_s"] = round(setup, 3)
        figures[f"vectorised_{n}_run_s"] = round(run, 3)
        repeats[f"vectorised_{n}_runs_s"] = [round(r, 3) for r in runs]
        print(
            f"vectorised   {n:>7,} holders x {args.steps:,} steps: run {run:6.2f} s "
            f"({_runs_text(runs)}; set-up {setup:.2f} s)"
        )
    n0 = args.holders[0]
    setup, run, runs = best_of(args.repeat, n0, args.steps, path, preset="gram")
    figures[f"two_tier_{n0}_setup_s"] = round(setup, 3)
    figures[f"two_tier_{n0}_run_s"] = round(run, 3)
    repeats[f"two_tier_{n0}_runs_s"] = [round(r, 3) for r in runs]
    print(
        f"two-tier     {n0:>7,} holders x {args.steps:,} steps: run {run:6.2f} s "
        f"({_runs_text(runs)}; set-up {setup:.2f} s)"
        f" beside {figures[f'vectorised_{n0}_run_s']:.2f} s single-tier"
    )
    per_agent = time_per_agent(n0, args.sample_steps, path, naive=False) * args.steps
    naive = time_per_agent(n0, max(2, args.sample_steps // 10), path, naive=True) * args.steps
    figures[f"per_agent_{n0}_run_s_extrapolated"] = round(per_agent, 2)
    figures[f"naive_{n0}_run_s_extrapolated"] = round(naive, 2)
    vec = figures[f"vectorised_{n0}_run_s"]
    figures["speedup_vs_per_agent"] = round(per_agent / vec, 1)
    figures["speedup_vs_naive"] = round(naive / vec, 1)
    print(
        f"per-agent    {n0:>7,} holders x {args.steps:,} steps: run {per_agent:6.2f} s "
        f"(extrapolated from {args.sample_steps} steps)"
    )
    print(
        f"naive        {n0:>7,} holders x {args.steps:,} steps: run {naive:6.2f} s "
        f"(extrapolated from {max(2, args.sample_steps // 10)} steps)"
    )
    print(
        f"speed-up: {figures['speedup_vs_per_agent']}x over per-agent stepping "
        f"(target >= {TARGET_SPEEDUP:g}x), {figures['speedup_vs_naive']}x over naive"
    )
    if 10_000 in args.holders:
        print(f"target 10k x 1,000 <= {TARGET_10K_S} s: {vec:.2f} s")
        print(
            f"target two-tier 10k x 1,000 <= {TARGET_TWO_TIER_10K_S} s: "
            f"{figures['two_tier_10000_run_s']:.2f} s"
        )
    if 100_000 in args.holders:
        print(
            f"target 100k x 1,000 <= {TARGET_100K_S} s: {figures['vectorised_100000_run_s']:.2f} s"
        )
    if args.json:
        print(json.dumps({**figures, **repeats}))


if __name__ == "__main__":
    main()
