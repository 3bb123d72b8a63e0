"""The scenario registry and the standard set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.history.tails import fall_for_return_period
from gramabm.data.loaders import load_builtin
from gramabm.errors import ConfigError
from gramabm.scenarios import catalogue
from gramabm.scenarios.catalogue import (
    REGISTRY,
    STANDARD_SET,
    available_scenarios,
    describe,
    get_scenario,
    standard_set,
)
from gramabm.scenarios.replay import EPISODES, Replay
from gramabm.scenarios.stochastic import calm_returns, calm_volatility, daily_log_returns

BUILTIN_REPLAYS = ["replay_jan_1980", "replay_feb_1983", "replay_2008", "replay_sep_2011"]


@pytest.fixture(scope="module")
def gold() -> pd.Series:
    return load_builtin()


@pytest.fixture(scope="module")
def recent() -> pd.Series:
    """A synthetic 2019-2023 series (random walk), standing in for a user's CSV."""
    idx = pd.bdate_range("2019-01-02", "2023-12-29", name="date")
    rng = np.random.default_rng(0)
    prices = pd.Series(
        1300.0 * np.exp(np.cumsum(rng.normal(0, 0.009, len(idx)))), idx, name="price"
    )
    prices.attrs["source"] = "synthetic:recent"
    return prices


class TestNames:
    def test_every_family_is_registered(self):
        names = available_scenarios()
        assert names[:3] == ["baseline", "adverse", "severely_adverse"]
        for name in ("garch_t", "bootstrap", "jump_diffusion", "drop", "v_shape", "slow_bear"):
            assert name in names
        assert [n for n in names if n.startswith("replay_")] == [e.scenario_name for e in EPISODES]
        assert len(EPISODES) == 9

    def test_episode_windows_are_ordered(self):
        for ep in EPISODES:
            assert ep.start < ep.end, ep.key

    def test_builtin_data_hold_the_early_episodes_only(self, gold):
        names = available_scenarios(gold)
        assert [n for n in names if n.startswith("replay_")] == BUILTIN_REPLAYS
        assert standard_set(gold) == [*STANDARD_SET, *BUILTIN_REPLAYS]

    def test_other_data_hold_other_episodes(self, recent):
        replays = [n for n in available_scenarios(recent) if n.startswith("replay_")]
        assert replays == ["replay_mar_2020", "replay_2022"]
        rows = {name: available for name, _, _, available in describe(recent)}
        assert rows["replay_2022"]
        assert not rows["replay_sep_2011"]

    def test_unknown_name_lists_the_valid_ones(self, gold):
        with pytest.raises(ConfigError, match="unknown scenario 'nope'") as err:
            get_scenario("nope", gold)
        for name in ("baseline", "severely_adverse", "drop", "replay_2008"):
            assert name in str(err.value)

    def test_unknown_parameter_is_named(self, gold):
        with pytest.raises(ConfigError, match="'severty'"):
            get_scenario("drop", gold, severty=0.1)

    @pytest.mark.parametrize(
        ("name", "params", "named"),
        [
            ("drop", {"severity": -0.1}, "severity"),
            ("drop", {"severity": 1.0}, "severity"),
            ("v_shape", {"severity": "150%"}, "severity"),
            ("slow_bear", {"duration_days": 0}, "duration_days"),
            ("drop", {"duration_steps": 0}, "duration_steps"),
            ("adverse", {"shock_step": -5}, "shock_step"),
            ("bootstrap", {"mean_block": 0.5}, "mean_block"),
            ("garch_t", {"max_persistence": 1.2}, "max_persistence"),
            ("replay_2008", {"start_price": -1.0}, "start_price"),
        ],
    )
    def test_bad_parameter_values_are_named(self, gold, name, params, named):
        with pytest.raises(ConfigError, match=named):
            get_scenario(name, gold, **params)

    def test_n_steps_is_checked_at_generation(self, gold):
        scenario = get_scenario("drop", gold)
        with pytest.raises(ConfigError, match="n_steps"):
            scenario.generate(0)

    def test_default_data_are_the_builtin_history(self, gold):
        scenario = get_scenario("drop")
        assert scenario.start_price == float(gold.iloc[-1])
        assert scenario.data_range == ("1977-12-30", "2012-12-31")


class TestReplays:
    def test_uncovered_episode_names_the_data_range(self, gold):
        with pytest.raises(ConfigError, match="1977-12-30 to 2012-12-31") as err:
            get_scenario("replay_mar_2020", gold)
        assert "builtin:aer_goldsilver" in str(err.value)
        assert "2020-02-24" in str(err.value)

    def test_episode_replay_is_built_on_its_window(self, gold):
        scenario = get_scenario("replay_sep_2011", gold, start_price=1000.0)
        assert isinstance(scenario, Replay)
        assert scenario.name == "replay_sep_2011"
        assert str(scenario.start_day.date()) == "2011-08-22"
        assert scenario.start_price == 1000.0
        assert "Sep 2011" in scenario.description

    def test_user_range(self, gold):
        scenario = get_scenario("replay:2008-09-01:2008-12-31", gold)
        assert isinstance(scenario, Replay)
        assert (str(scenario.start_day.date()), str(scenario.end_day.date())) == (
            "2008-09-01",
            "2008-12-31",
        )

    @pytest.mark.parametrize(
        ("name", "match"),
        [
            ("replay:2008-13-01:2008-12-31", "not a valid date"),
            ("replay:2009-01-01:2008-12-31", "before start"),
            ("replay:2012-06-01:2013-06-01", "covers 1977-12-30 to 2012-12-31"),
        ],
    )
    def test_bad_user_ranges(self, gold, name, match):
        with pytest.raises(ConfigError, match=match):
            get_scenario(name, gold)


class TestStandardSet:
    def test_adverse_is_the_1_in_10_year_5_day_fall_with_mm_withdrawal(self, gold):
        scenario = get_scenario("adverse", gold)
        assert scenario.severity.fall == pytest.approx(fall_for_return_period(gold, 10, 5))
        assert scenario.duration_steps == 120
        assert scenario.shock_step == catalogue.SHOCK_STEP
        assert scenario.vol == pytest.approx(calm_volatility(gold))
        path = scenario.generate(scenario.default_steps, seed=0)
        assert [e.kind for e in path.events] == ["mm_withdrawal"]
        assert path.events[0].step > path.meta["shock_start_step"]
        p = path.gold_usd_oz
        fall = 1.0 - p[path.meta["trough_step"]] / p[path.meta["shock_start_step"]]
        assert fall == pytest.approx(scenario.severity.fall)

    def test_severely_adverse_is_worse_and_adds_custody_and_oracle_failures(self, gold):
        adverse = get_scenario("adverse", gold)
        severe = get_scenario("severely_adverse", gold)
        assert severe.severity.fall == pytest.approx(fall_for_return_period(gold, 100, 5))
        assert severe.severity.fall > adverse.severity.fall
        path = severe.generate(severe.default_steps, seed=0)
        kinds = [e.kind for e in path.events]
        assert {"custodian_freeze", "oracle_outage", "mm_withdrawal"} == set(kinds)
        by_kind = {e.kind: e for e in path.events}
        assert by_kind["custodian_freeze"].params["custodian"] == 0
        assert all(e.step < by_kind["custodian_freeze"].step + 200 for e in path.events)

    def test_event_durations_follow_the_step_length(self, gold):
        hourly = get_scenario("severely_adverse", gold).generate(400, seed=0)
        four_hourly = get_scenario("severely_adverse", gold, step_hours=4.0).generate(100, seed=0)
        h = {e.kind: dict(e.params) for e in hourly.events}
        f = {e.kind: dict(e.params) for e in four_hourly.events}
        assert h == {
            "mm_withdrawal": {"steps": 120},
            "custodian_freeze": {"custodian": 0, "hours": 120.0},
            "oracle_outage": {"steps": 6},
        }
        # Step counts follow the step length; wall-clock hours do not.
        assert f == {
            "mm_withdrawal": {"steps": 30},
            "custodian_freeze": {"custodian": 0, "hours": 120.0},
            "oracle_outage": {"steps": 2},
        }
        assert four_hourly.meta["shock_start_step"] == 12
        assert [e.step for e in four_hourly.events] == [15, 18, 21]

    def test_standard_shocks_accept_overrides(self, gold):
        scenario = get_scenario("adverse", gold, severity=0.3, events=[], vol=0.0)
        path = scenario.generate(300, seed=0)
        assert path.events == ()
        assert scenario.severity.fall == 0.3

    def test_calm_regime_is_calmer_than_the_history(self, gold):
        calm = calm_returns(gold)
        every = daily_log_returns(gold)
        assert 0.4 * len(every) < len(calm) < 0.6 * len(every)
        assert calm.std() < 0.8 * every.std()
        assert np.abs(calm).max() < np.abs(every).max()

    def test_descriptions_are_documented(self):
        for name in STANDARD_SET:
            assert name in catalogue.__doc__
            assert REGISTRY[name].family == "standard"
            assert REGISTRY[name].description


class TestStochastic:
    def test_fits_are_cached_per_data_source(self, gold):
        from gramabm.scenarios.stochastic import data_key, garch_fit_for

        first = garch_fit_for(gold)
        assert garch_fit_for(gold.copy()) is first  # same data, same key: no refit
        shorter = gold.iloc[:-5].copy()
        assert data_key(shorter) != data_key(gold)

    def test_garch_t_records_its_fit(self, gold):
        scenario = get_scenario("garch_t", gold)
        path = scenario.generate(200, seed=0)
        params = path.meta["parameters"]
        assert 0.0 < params["persistence"] <= 0.985 + 1e-9
        assert params["nu"] > 2.0
        assert path.meta["data_range"] == ("1977-12-30", "2012-12-31")
        assert path.gold_usd_oz[0] == pytest.approx(float(gold.iloc[-1]))

    def test_garch_t_can_continue_from_the_data_state(self, gold):
        a = get_scenario("garch_t", gold).generate(300, seed=3).gold_usd_oz
        b = get_scenario("garch_t", gold, continue_state=True).generate(300, seed=3).gold_usd_oz
        assert not np.array_equal(a, b)

    def test_baseline_resamples_only_calm_days(self, gold):
        path = get_scenario("baseline", gold).generate(24 * 60, seed=5)
        daily = path.daily().to_numpy()
        fix_returns = np.diff(np.log(np.r_[path.gold_usd_oz[0], daily]))
        calm = np.sort(calm_returns(gold))
        # Each fix-to-fix return is one of the calm days' returns.
        nearest = calm[np.clip(np.searchsorted(calm, fix_returns), 0, len(calm) - 1)]
        below = calm[np.clip(np.searchsorted(calm, fix_returns) - 1, 0, len(calm) - 1)]
        gap = np.minimum(np.abs(nearest - fix_returns), np.abs(below - fix_returns))
        assert gap.max() < 1e-9
        assert path.events == ()

    def test_stochastic_scenarios_need_data(self):
        short = pd.Series(
            np.linspace(1000, 1010, 10), index=pd.bdate_range("2020-01-01", periods=10)
        )
        with pytest.raises(ConfigError, match="at least 30"):
            get_scenario("garch_t", short)
