"""Recommendations: lever settings ranked by known effects, with intervals and sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.sweeps.recommend import (
    default_levers,
    effect_sentence,
    recommend,
    reference_from_config,
)
from gramabm.errors import ConfigError
from tests.analysis.test_aggregate import synthetic_results

FEE = "p_primary__redeem_fee_bp"
SEV = "p_scenario_params__severity"


def effect(rec, setting: float, metric: str) -> pd.Series:
    e = rec.effects
    return e[(e["setting"] == setting) & (e["metric"] == metric)].iloc[0]


def test_known_fee_effects_are_recovered_with_intervals_and_ranked() -> None:
    # (Seed 1 of the noise: the 95% intervals cover the truth in about 96% of seeds, see below.)
    results = synthetic_results(seeds=5, seed=1)
    assert default_levers(results) == [FEE]  # severity is an uncertainty, not a lever
    rec = recommend(
        results,
        metrics=["worst_discount_bp", "mean_abs_deviation_bp", "hours_outside_100bp"],
        reference={FEE: 25.0},
    )
    # worst discount = -400 sev - 0.5 fee: fee 0 vs 25 is +12.5 bp (better), fee 100 is -37.5.
    zero = effect(rec, 0.0, "worst_discount_bp")
    assert zero["effect"] == pytest.approx(12.5, abs=2.0)
    assert zero["ci_low"] < 12.5 < zero["ci_high"]
    assert zero["verdict"] == "better"
    assert zero["method"] == "matched"
    assert zero["strata"] == 4
    hundred = effect(rec, 100.0, "worst_discount_bp")
    assert hundred["effect"] == pytest.approx(-37.5, abs=2.0)
    assert hundred["verdict"] == "worse"
    # Lower mean deviation is better: fee 0 gives -2.5 bp, an improvement.
    dev = effect(rec, 0.0, "mean_abs_deviation_bp")
    assert dev["effect"] == pytest.approx(-2.5, abs=1.5)
    assert dev["improvement"] > 0
    # The fee does not move the hours outside the band (severity alone does): no clear change.
    hrs = effect(rec, 0.0, "hours_outside_100bp")
    assert hrs["effect"] == 0.0
    assert hrs["verdict"] == "unclear"
    assert "no clear change" in hrs["sentence"]
    ranking = rec.ranking
    assert list(ranking["setting"]) == [0.0, 100.0]
    assert list(ranking["rank"]) == [1, 2]
    assert ranking.loc[0, "score"] > 0 > ranking.loc[1, "score"]
    assert ranking.loc[0, "better"] == 2
    assert ranking.loc[1, "worse"] == 2
    assert "primary.redeem_fee_bp to 0 (reference 25)" in rec.sentences()[0]
    assert "improves by +12" in zero["sentence"]


def test_matching_removes_confounding_by_the_uncertainty() -> None:
    results = synthetic_results(seeds=4, noise=0.5)
    # Fee 0 was only run at the harshest severity: a plain comparison would blame the fee.
    results = results[(results[FEE] != 0.0) | (results[SEV] == 0.3)]
    rec = recommend(results, metrics=["worst_discount_bp"], reference={FEE: 25.0})
    row = effect(rec, 0.0, "worst_discount_bp")
    assert row["strata"] == 1
    assert row["effect"] == pytest.approx(12.5, abs=1.5)
    naive = (
        results.loc[results[FEE] == 0.0, "m_worst_discount_bp"].mean()
        - results.loc[results[FEE] == 25.0, "m_worst_discount_bp"].mean()
    )
    assert naive < -20  # the confounded difference points the wrong way


def test_unreplicated_grid_uses_paired_differences_across_strata() -> None:
    results = synthetic_results(seeds=1)
    rec = recommend(results, metrics=["worst_discount_bp"], reference={FEE: 25.0})
    row = effect(rec, 0.0, "worst_discount_bp")
    assert row["method"] == "matched-paired"
    assert row["ci_low"] < row["effect"] < row["ci_high"]


def test_continuous_lever_in_a_random_design_is_binned() -> None:
    rng = np.random.default_rng(4)
    n = 600
    fee = rng.uniform(0, 90, n)
    results = pd.DataFrame(
        {
            "scenario": "drop",
            FEE: fee,
            SEV: rng.uniform(0.05, 0.3, n),
            "m_worst_discount_bp": -0.5 * fee + rng.normal(0, 1, n),
            "status": "ok",
        }
    )
    rec = recommend(results, metrics=["worst_discount_bp"], reference={FEE: 45.0})
    assert set(rec.effects["method"]) == {"marginal"}
    assert len(rec.effects) == 2  # three quantile bins, one the reference
    low = rec.ranking.iloc[0]
    assert low["setting"].startswith("[0")
    assert low["score"] > 0


def test_reference_defaults_to_the_base_config_or_the_middle_setting() -> None:
    base = {"primary": {"redeem_fee_bp": 100.0, "preset": "paxg"}, "holders": {"n": 10}}
    assert reference_from_config(base, [FEE, "p_primary__preset", "p_nope"]) == {
        FEE: 100.0,
        "p_primary__preset": "paxg",
    }
    rec = recommend(synthetic_results(seeds=2), metrics=["worst_discount_bp"])
    assert set(rec.effects["reference"]) == {25.0}


def test_effect_sentence_without_an_interval() -> None:
    row = {
        "lever": FEE,
        "setting": 0.0,
        "reference": 25.0,
        "metric": "worst_discount_bp",
        "effect": 3.0,
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "verdict": "unclear",
    }
    assert "too few runs" in effect_sentence(row)


def test_recommend_errors() -> None:
    results = synthetic_results(seeds=2)
    with pytest.raises(ConfigError, match="no known better direction"):
        recommend(results, metrics=["trades_total"])
    with pytest.raises(ConfigError, match="no lever varies"):
        recommend(results.drop(columns=[FEE]))
    with pytest.raises(ConfigError, match="not in the results"):
        recommend(results, levers=["p_primary__mint_fee_bp"])


def test_effect_intervals_cover_the_true_effect_at_about_the_nominal_rate() -> None:
    hits = 0
    for seed in range(60):
        rec = recommend(
            synthetic_results(seeds=3, seed=seed),
            metrics=["worst_discount_bp"],
            reference={FEE: 25.0},
        )
        row = effect(rec, 0.0, "worst_discount_bp")
        hits += row["ci_low"] <= 12.5 <= row["ci_high"]
    assert 0.85 <= hits / 60 <= 1.0


WITHDRAW_VOL = "p_market_makers__withdraw_vol"


def test_market_makers_withdraw_vol_is_never_recommended_as_a_lever() -> None:
    results = synthetic_results(seeds=2)
    results[WITHDRAW_VOL] = np.where(results.index % 2 == 0, 0.4, 0.8)
    assert default_levers(results) == [FEE]
    rec = recommend(results, metrics=["worst_discount_bp"])
    assert set(rec.effects["lever"]) == {FEE}
    with pytest.raises(
        ConfigError, match=r"market_makers\.withdraw_vol cannot be set by governance"
    ):
        recommend(results, levers=[WITHDRAW_VOL], metrics=["worst_discount_bp"])


def test_a_sweeps_declared_roles_override_the_configuration() -> None:
    results = synthetic_results(seeds=2)
    roles = {FEE: "uncertainty", SEV: "lever"}
    assert default_levers(results, roles) == [SEV]
    with pytest.raises(ConfigError, match="role of"):
        default_levers(results, {FEE: "knob"})


def test_every_outcome_carries_its_direction_declared_with_the_metrics() -> None:
    from gramabm.analysis.runs.metrics import DIRECTIONS, RunMetrics, direction
    from gramabm.analysis.sweeps.recommend import STABILITY_METRICS, better_sign

    keys = set(RunMetrics.__dataclass_fields__) | {"half_life_hours"}
    assert set(DIRECTIONS) <= keys, set(DIRECTIONS) - keys
    assert all(direction(m) is not None for m in STABILITY_METRICS)
    assert direction("hours_outside_75bp") == "lower"
    assert better_sign("worst_discount_bp") == 1
    assert better_sign("worst_premium_bp") == -1
    with pytest.raises(ConfigError, match="no declared better direction"):
        better_sign("volume_usd_total")
