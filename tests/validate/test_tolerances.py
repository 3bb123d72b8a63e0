"""The pass/fail rules of `gramabm validate` and the comparison table's verdicts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.token import FACT_KEYS, TokenFacts
from gramabm.validate import SeedRun, Tolerance, ValidationResult, comparison_table


@pytest.mark.parametrize(
    ("rule", "bound", "simulated", "observed", "passes"),
    [
        ("relative", 0.25, 95.0, 76.0, True),  # +25% exactly
        ("relative", 0.25, 96.0, 76.0, False),
        ("points", 0.05, 0.25, 0.30, True),
        ("points", 0.05, 0.24, 0.30, False),
        ("negative_within", 0.1, -0.25, -0.32, True),
        ("negative_within", 0.1, 0.01, -0.05, False),  # within 0.1 but not negative
        ("negative_within", 0.1, -0.10, -0.32, False),
        ("at_least", 0.99, 0.99, math.nan, True),
        ("at_most", 0.05, 0.06, math.nan, False),
        ("abs_at_most", 0.15, -0.16, math.nan, False),
        ("abs_at_most", 0.15, -0.14, math.nan, True),
        ("relative", 0.25, math.nan, 76.0, False),  # an undefined simulated value never passes
        ("relative", 0.25, 76.0, math.nan, False),  # nor a comparison with nothing observed
    ],
)
def test_rules(rule, bound, simulated, observed, passes) -> None:
    assert Tolerance("x", rule, bound).passes(simulated, observed) is passes


def _facts(**values: float) -> TokenFacts:
    full = {k: values.get(k, math.nan) for k in FACT_KEYS}
    empty = pd.Series(dtype=float)
    return TokenFacts(full, empty, empty, pd.DataFrame())


def test_verdict_is_on_the_seeds_median_and_seeds_passing_are_counted() -> None:
    observed = _facts(dev_mean_abs_bp=100.0)
    market = {"book_two_sided_calm_share": 1.0, "holders_panicked_max_share": 0.0}
    runs = [
        SeedRun(s, _facts(dev_mean_abs_bp=v), market, pd.DataFrame())
        for s, v in enumerate((50.0, 90.0, 130.0))
    ]
    rules = (Tolerance("dev_mean_abs_bp", "relative", 0.25),)
    table = comparison_table(observed, runs, rules)
    row = table.loc["dev_mean_abs_bp"]
    assert (row["sim_min"], row["sim_median"], row["sim_max"]) == (50.0, 90.0, 130.0)
    assert row["verdict"] == "pass"  # the median 90 is within 25% of 100
    assert row["seeds_passing"] == 1  # only 90 on its own
    assert table.loc["dev_p99_abs_bp", "verdict"] == ""  # no rule: reported, not judged


def test_a_size_rule_judges_the_median_of_the_seeds_sizes_not_of_their_signs() -> None:
    # Supply down 23% in one seed, up 27% in another, flat in a third: the signed median (+0%)
    # would pass a ±15% rule; the median size (23%) does not.
    market = {"book_two_sided_calm_share": 1.0, "holders_panicked_max_share": 0.0}
    runs = [
        SeedRun(s, _facts(supply_change_worst_year=v), market, pd.DataFrame())
        for s, v in enumerate((-0.23, 0.27, 0.0))
    ]
    rules = (Tolerance("supply_change_worst_year", "abs_at_most", 0.15),)
    row = comparison_table(_facts(), runs, rules).loc["supply_change_worst_year"]
    assert row["sim_median"] == 0.0  # the table still shows the signed spread
    assert row["verdict"] == "fail"
    assert row["seeds_passing"] == 1


def test_a_fact_the_observed_series_cannot_show_is_not_judged_and_fails_nothing() -> None:
    # A daily series has no hourly returns: its hourly facts are NaN, so the rules that compare
    # with them cannot judge ("not judged"), while a rule on the simulation alone still can.
    observed = _facts(dev_mean_abs_bp=100.0)  # hourly_median_abs_weekday_bp is NaN
    market = {"book_two_sided_calm_share": 1.0, "holders_panicked_max_share": 0.0}
    runs = [
        SeedRun(
            s,
            _facts(dev_mean_abs_bp=95.0, hourly_median_abs_weekday_bp=10.0),
            market,
            pd.DataFrame(),
        )
        for s in range(3)
    ]
    rules = (
        Tolerance("dev_mean_abs_bp", "relative", 0.25),
        Tolerance("hourly_median_abs_weekday_bp", "relative", 0.25),
        Tolerance("book_two_sided_calm_share", "at_least", 0.99),
    )
    table = comparison_table(observed, runs, rules)
    row = table.loc["hourly_median_abs_weekday_bp"]
    assert row["verdict"] == "not judged"
    assert math.isnan(row["seeds_passing"])
    assert table.loc["dev_mean_abs_bp", "verdict"] == "pass"
    assert table.loc["book_two_sided_calm_share", "verdict"] == "pass"
    assert not Tolerance("x", "at_least", 0.99).compares
    assert Tolerance("x", "negative_within", 0.1).compares


def test_the_status_says_what_failed_and_what_could_not_be_judged() -> None:
    observed = _facts(dev_mean_abs_bp=100.0)
    market = {"book_two_sided_calm_share": 1.0, "holders_panicked_max_share": 0.0}
    runs = [SeedRun(0, _facts(dev_mean_abs_bp=200.0), market, pd.DataFrame())]
    rules = (
        Tolerance("dev_mean_abs_bp", "relative", 0.25),
        Tolerance("hourly_median_abs_weekday_bp", "relative", 0.25),
    )
    result = ValidationResult(observed, runs, "replay", "2024-01-01", "2024-01-31", {}, rules)
    assert result.failed == ["dev_mean_abs_bp"]
    assert result.unjudged == ["hourly_median_abs_weekday_bp"]
    assert result.exit_status == 1
    assert result.status == (
        "failed: dev_mean_abs_bp; not judged (the observed series cannot show them): "
        "hourly_median_abs_weekday_bp"
    )


def test_a_verdicts_agreement_is_the_share_of_resampled_medians_that_give_it() -> None:
    # Four seeds at 0 and one at 1 against "at most 0.5": the median is 0 and passes; a resample
    # of five fails only when it draws the 1 three times or more, P(Bin(5, 0.2) >= 3) = 0.058.
    rule = Tolerance("x", "at_most", 0.5)
    values = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    assert rule.agreement(values, math.nan) == pytest.approx(1 - 0.05792, abs=0.015)
    assert rule.agreement(values, math.nan) == rule.agreement(values, math.nan)  # seeded
    assert rule.agreement(np.zeros(5), math.nan) == 1.0
    assert math.isnan(rule.agreement(np.full(3, math.nan), math.nan))
    # a failing verdict: agreement is the share that fail too
    assert rule.agreement(1.0 - values, math.nan) == pytest.approx(1 - 0.05792, abs=0.015)


def test_a_verdict_the_seeds_spread_leaves_open_is_called_uncertain_and_stands() -> None:
    observed = _facts(dev_share_beyond=0.285, dev_mean_abs_bp=76.0)
    market = {"book_two_sided_calm_share": 1.0, "holders_panicked_max_share": 0.0}
    beyond = (0.18, 0.22, 0.232, 0.30, 0.42)  # 2021-2023's five seeds, rounded
    runs = [
        SeedRun(s, _facts(dev_share_beyond=b, dev_mean_abs_bp=75.0), market, pd.DataFrame())
        for s, b in enumerate(beyond)
    ]
    rules = (
        Tolerance("dev_share_beyond", "points", 0.05),
        Tolerance("dev_mean_abs_bp", "relative", 0.25),
    )
    result = ValidationResult(observed, runs, "replay", "2021-01-01", "2023-12-31", {}, rules)
    assert result.failed == ["dev_share_beyond"]  # the median 0.232 is 0.053 below
    assert result.uncertain == ["dev_share_beyond"]
    assert result.table.at["dev_mean_abs_bp", "agreement"] == 1.0
    assert result.exit_status == 1  # the verdict stands
    share = result.table.at["dev_share_beyond", "agreement"]
    assert 0.3 < share < 0.8
    assert result.status == (
        "failed: dev_share_beyond; uncertain with 5 seeds (run more): "
        f"dev_share_beyond (fail in {share:.0%} of resampled medians)"
    )
