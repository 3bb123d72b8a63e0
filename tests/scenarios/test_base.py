"""Scenario building blocks: events, paths, seeds, step grids and fixes."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from gramabm.data.calendar import TradingCalendar
from gramabm.errors import ConfigError
from gramabm.scenarios import EVENT_KINDS
from gramabm.scenarios.base import (
    Event,
    Scenario,
    ScenarioPath,
    check_n_steps,
    fix_mask,
    make_rng,
    resolve_anchor,
    seed_of,
    step_timestamps,
)
from gramabm.units import GRAMS_PER_TROY_OUNCE


def _path(n: int = 48, **kw) -> ScenarioPath:
    ts = step_timestamps("2024-01-05", n)  # a Friday
    prices = kw.pop("prices", np.linspace(2000.0, 2100.0, n))
    fix = kw.pop("is_fix", fix_mask(ts, TradingCalendar()))
    return ScenarioPath(name="t", seed=1, timestamps=ts, gold_usd_oz=prices, is_fix=fix, **kw)


class TestEvent:
    def test_kinds_are_the_contract_ones(self):
        assert set(EVENT_KINDS) == {
            "custodian_freeze",
            "custodian_loss",
            "custodian_slowdown",
            "custodian_insolvency",
            "mm_withdrawal",
            "oracle_outage",
            "governance_action",
            "safe_haven_demand",
            "xaut_sell_pressure",
            "xaut_issuer_incident",
            "wrapper_freeze",
            "gas_spike",
            "lp_exit",
            "gram_migration",
        }

    def test_unknown_kind_is_refused_naming_it(self):
        with pytest.raises(ConfigError, match="meteor_strike"):
            Event(3, "meteor_strike")

    @pytest.mark.parametrize("step", [-1, 2.5])
    def test_bad_step_is_refused(self, step):
        with pytest.raises(ConfigError, match="step"):
            Event(step, "oracle_outage")

    def test_params_are_a_private_copy(self):
        params = {"custodian": 0, "share": 0.1}
        event = Event(5, "custodian_loss", params)
        params["share"] = 0.9
        assert event.params["share"] == 0.1
        assert event.to_dict() == {
            "step": 5,
            "kind": "custodian_loss",
            "params": {"custodian": 0, "share": 0.1},
        }

    def test_events_are_hashable_and_pickle(self):
        event = Event(5, "mm_withdrawal", {"steps": 5})
        assert hash(event) == hash(Event(5, "mm_withdrawal", {"steps": 9}))
        assert pickle.loads(pickle.dumps(event)) == event


class TestScenarioPath:
    def test_frame_and_units(self):
        path = _path()
        frame = path.to_frame()
        assert list(frame.columns) == ["gold_usd_oz", "usd_per_gram", "is_fix"]
        assert frame.index.equals(path.timestamps)
        np.testing.assert_allclose(frame["usd_per_gram"], path.gold_usd_oz / GRAMS_PER_TROY_OUNCE)
        assert path.n_steps == 48
        assert path.step_hours == 1.0

    def test_daily_holds_the_fix_prices_by_date(self):
        path = _path(24 * 7)
        daily = path.daily()
        # Friday, Monday, Tuesday, Wednesday, Thursday: no weekend fixes.
        assert [d.day_name() for d in daily.index] == [
            "Friday",
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
        ]
        assert daily.name == "price"
        assert daily.index.name == "date"
        np.testing.assert_array_equal(daily.to_numpy(), path.gold_usd_oz[path.is_fix])

    def test_events_are_sorted_by_step(self):
        path = _path(events=(Event(9, "oracle_outage"), Event(2, "mm_withdrawal")))
        assert [e.step for e in path.events] == [2, 9]

    def test_arrays_are_read_only(self):
        path = _path()
        with pytest.raises(ValueError, match="read-only"):
            path.gold_usd_oz[0] = 1.0

    @pytest.mark.parametrize("bad", [0.0, -5.0, np.nan, np.inf])
    def test_non_positive_or_non_finite_prices_are_refused(self, bad):
        prices = np.full(48, 2000.0)
        prices[7] = bad
        with pytest.raises(ConfigError, match="step 7"):
            _path(prices=prices)

    def test_length_mismatch_is_refused(self):
        with pytest.raises(ConfigError, match="lengths differ"):
            _path(prices=np.full(47, 2000.0))

    def test_irregular_timestamps_are_refused(self):
        ts = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 03:00"])
        with pytest.raises(ConfigError, match="regular"):
            ScenarioPath("t", None, ts, np.ones(3), np.zeros(3, bool))

    def test_tz_aware_timestamps_are_refused(self):
        ts = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
        with pytest.raises(ConfigError, match="naive"):
            ScenarioPath("t", None, ts, np.ones(3), np.zeros(3, bool))

    def test_pickles(self):
        path = _path(events=(Event(2, "mm_withdrawal", {"steps": 12}),), meta={"a": 1})
        back = pickle.loads(pickle.dumps(path))
        np.testing.assert_array_equal(back.gold_usd_oz, path.gold_usd_oz)
        assert back.events == path.events
        assert back.meta == {"a": 1}


class TestSeeds:
    def test_same_seed_same_draws(self):
        assert np.array_equal(make_rng(7).standard_normal(5), make_rng(7).standard_normal(5))
        assert not np.array_equal(make_rng(7).standard_normal(5), make_rng(8).standard_normal(5))

    def test_generator_passes_through(self):
        rng = np.random.default_rng(3)
        assert make_rng(rng) is rng
        assert seed_of(rng) is None
        assert seed_of(np.int64(4)) == 4

    @pytest.mark.parametrize("bad", [-1, True, 1.5, "7"])
    def test_bad_seeds_are_refused(self, bad):
        with pytest.raises(ConfigError, match="seed"):
            make_rng(bad)

    @pytest.mark.parametrize("bad", [0, -3, 2.0, True])
    def test_bad_step_counts_are_refused(self, bad):
        with pytest.raises(ConfigError, match="n_steps"):
            check_n_steps(bad)

    def test_scenario_is_abstract(self):
        with pytest.raises(TypeError):
            Scenario()  # type: ignore[abstract]


class TestGrid:
    def test_step_timestamps_are_regular(self):
        ts = step_timestamps("2024-03-01 00:00", 10, 4.0)
        assert len(ts) == 10
        assert set(ts[1:] - ts[:-1]) == {pd.Timedelta(hours=4)}

    @pytest.mark.parametrize("hours", [0.0, -1.0, 25.0])
    def test_bad_step_hours_are_refused(self, hours):
        with pytest.raises(ConfigError, match="step_hours"):
            step_timestamps("2024-03-01", 10, hours)

    def test_hourly_fixes_once_per_business_day(self):
        ts = step_timestamps("2024-01-01", 24 * 14)
        fix = fix_mask(ts, TradingCalendar(), fix_hour=10.5)
        fixed = ts[fix]
        assert len(fixed) == 10  # two weeks of business days
        assert set(fixed.hour) == {10}  # the 10:00 step holds the 10:30 fix
        assert not np.isin(fixed.day_of_week, [5, 6]).any()

    def test_holidays_have_no_fix(self):
        cal = TradingCalendar.with_holidays(["2024-01-03"])
        ts = step_timestamps("2024-01-01", 24 * 5)
        fixed = ts[fix_mask(ts, cal)]
        assert pd.Timestamp("2024-01-03").date() not in set(fixed.date)
        assert len(fixed) == 4

    @pytest.mark.parametrize("hours", [24.0, 7.0, 0.5])
    def test_any_step_length_gets_one_fix_per_business_day(self, hours):
        ts = step_timestamps("2024-01-01", int(24 * 21 / hours), hours)
        fixed = ts[fix_mask(ts, TradingCalendar())]
        # The 10:30 instant inside each fix step's interval is on today or (crossing midnight)
        # tomorrow; those days are distinct business days.
        same_day = fixed.normalize() + pd.Timedelta(hours=10.5) >= fixed
        days = fixed.normalize() + pd.to_timedelta(np.where(same_day, 0, 1), unit="D")
        assert len(fixed) == 15
        assert days.is_unique
        assert not np.isin(days.day_of_week, [5, 6]).any()


class TestAnchor:
    def test_defaults_continue_the_data(self):
        idx = pd.bdate_range("2024-01-01", "2024-01-05", name="date")  # ends on a Friday
        prices = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=idx)
        price, start = resolve_anchor(prices, None, None, TradingCalendar())
        assert price == 5.0
        assert start == pd.Timestamp("2024-01-08")  # the next business day, midnight

    def test_explicit_values_win(self):
        price, start = resolve_anchor(None, 1800.0, "2020-02-03", TradingCalendar())
        assert (price, start) == (1800.0, pd.Timestamp("2020-02-03"))

    @pytest.mark.parametrize(
        ("price", "start", "match"), [(None, "2020-01-01", "start_price"), (10.0, None, "start")]
    )
    def test_missing_values_without_data_are_named(self, price, start, match):
        with pytest.raises(ConfigError, match=match):
            resolve_anchor(None, price, start, TradingCalendar())

    def test_bad_price_is_refused(self):
        with pytest.raises(ConfigError, match="start_price"):
            resolve_anchor(None, -1.0, "2020-01-01", TradingCalendar())
