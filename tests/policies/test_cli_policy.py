"""`gramabm policy train` and `gramabm policy evaluate`, and the policy benchmark's JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from threadpoolctl import threadpool_limits
from typer.testing import CliRunner

from gramabm.cli.policy import app as policy_app
from gramabm.errors import ConfigError
from gramabm.policies.features import market_features
from gramabm.policies.io import PolicyFileError, read_metadata
from tests.policies import LBMA_DAILY, builtin_prices

REPO = Path(__file__).parents[2]
runner = CliRunner()
# The sub-app as the root CLI mounts it: `gramabm policy ...`.
app = typer.Typer()
app.add_typer(policy_app, name="policy")


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def invoke(*args: str):
    return runner.invoke(app, ["policy", *args])


def test_train_then_evaluate_text(tmp_path: Path) -> None:
    out = tmp_path / "p.skops"
    result = invoke("train", "--family", "gbt", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "beats the rule-based baseline" in result.stdout
    assert f"saved {out}" in result.stdout
    assert read_metadata(out)["family"] == "gbt"
    shown = invoke("evaluate", str(out))
    assert shown.exit_code == 0, shown.output
    assert "GradientBoostedPolicy" in shown.stdout
    assert "train       1978-04-04" in shown.stdout
    assert "rule_based" in shown.stdout


def test_train_json_and_evaluate_on_another_series(tmp_path: Path) -> None:
    out = tmp_path / "p.skops"
    result = invoke("train", "--out", str(out), "--json", "--param", "C=0.5", "--horizon", "10")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["out"] == str(out)
    assert payload["report"]["params"]["C"] == 0.5
    assert payload["report"]["labelling"]["horizon"] == 10
    if not LBMA_DAILY.is_file():
        pytest.skip("reference LBMA data absent: the cross-series evaluation needs it")
    ev = invoke("evaluate", str(out), "--csv", str(LBMA_DAILY), "--json")
    assert ev.exit_code == 0, ev.output
    evaluation = json.loads(ev.stdout)["evaluation"]
    assert evaluation["held_out"] is True
    assert evaluation["period"]["start"] > payload["report"]["train"]["end"]
    scores = evaluation["scores"]
    assert scores["policy"]["log_loss"] < scores["rule_based"]["log_loss"]


def test_train_from_a_flows_csv(tmp_path: Path) -> None:
    prices = builtin_prices()
    feats = market_features(prices).dropna().loc["2000":]
    rng = np.random.default_rng(0)
    flows = pd.DataFrame(
        {
            "date": feats.index,
            "net_buy_g": 1_000 * (8 * feats["ret_20d"].to_numpy() + rng.normal(0, 0.5, len(feats))),
        }
    )
    csv = tmp_path / "flows.csv"
    flows.to_csv(csv, index=False, date_format="%Y-%m-%d")
    out = tmp_path / "flows.skops"
    result = invoke("train", "--csv", str(csv), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["report"]
    assert report["labelling"]["kind"] == "observed_flows"
    assert report["labelling"]["token_mode"] == "zeros"
    ev = invoke("evaluate", str(out), "--csv", str(csv))
    assert ev.exit_code == 0, ev.output
    assert "held out (after training)" in ev.stdout
    # Re-scoring the same file reproduces the stored held-out scores: the validation period.
    again = json.loads(invoke("evaluate", str(out), "--csv", str(csv), "--json").stdout)
    evaluation = again["evaluation"]
    assert evaluation["period"] == report["validation"]
    stored = report["scores"]["policy"]["log_loss"]
    assert evaluation["scores"]["policy"]["log_loss"] == pytest.approx(stored, rel=1e-12)


def test_errors_reach_the_entry_point(tmp_path: Path) -> None:
    result = invoke("train", "--family", "forest", "--out", str(tmp_path / "x.skops"))
    assert isinstance(result.exception, ConfigError)
    assert "logistic, gbt" in str(result.exception)
    bad = tmp_path / "bad.skops"
    bad.write_text("not a model")
    result = invoke("evaluate", str(bad))
    assert isinstance(result.exception, PolicyFileError)


def test_benchmark_prints_one_json_object_last(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_policy.py"),
            "--holders",
            "2000",
            "--repeat",
            "2",
            "--single",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last["holders"] == 2000
    assert last["single_extrapolated"] is True
    assert set(last["results"]) == {"rule_based", "logistic", "gbt"}
    for r in last["results"].values():
        assert r["batch_decisions_per_s"] > r["single_decisions_per_s"] > 0
    assert last["results"]["gbt"]["max_abs_diff_vs_sklearn"] < 1e-9
    assert set(last["targets"]) == {"logistic", "gbt"}
