"""Shaped shocks: severity, timing, shape, noise, weekends, seeds and parameter checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.analysis.history.tails import fall_for_return_period
from gramabm.data.calendar import TradingCalendar
from gramabm.data.loaders import load_builtin
from gramabm.errors import ConfigError
from gramabm.scenarios.shaped import Drop, SlowBear, VShape, calm_noise, parse_severity

START = "2024-01-01"  # a Monday
P0 = 2000.0


@pytest.fixture(scope="module")
def gold() -> pd.Series:
    return load_builtin()


def _drop(**kw) -> Drop:
    kw.setdefault("start_price", P0)
    kw.setdefault("start", START)
    return Drop(**kw)


class TestSeverity:
    @pytest.mark.parametrize(("asked", "fall"), [(0.12, 0.12), ("12%", 0.12), (0, 0.0)])
    def test_fractions_and_percentages(self, asked, fall):
        assert parse_severity(asked).fall == pytest.approx(fall)

    def test_return_period_uses_the_tail_fit(self, gold):
        sev = parse_severity("1-in-100y-5d", gold)
        assert sev.fall == pytest.approx(fall_for_return_period(gold, 100, 5))
        assert (sev.years, sev.horizon_days) == (100.0, 5)
        assert 0.0 < parse_severity("1-in-10y-5d", gold).fall < sev.fall

    @pytest.mark.parametrize(
        "bad", [-0.1, "-5%", 1.0, 1.5, "100%", math.nan, "a lot", "1-in-0y-5d"]
    )
    def test_impossible_severities_name_the_parameter(self, bad):
        with pytest.raises(ConfigError, match="severity"):
            parse_severity(bad)

    def test_return_period_needs_data(self):
        with pytest.raises(ConfigError, match="needs price data"):
            parse_severity("1-in-100y-5d", None)


class TestDrop:
    def test_without_noise_the_shape_is_exact(self):
        scenario = _drop(severity=0.10, duration_steps=24, shock_step=48, vol=0.0)
        path = scenario.generate(200, seed=0)
        p = path.gold_usd_oz
        np.testing.assert_allclose(p[:49], P0)  # flat warm-up up to and including shock_step
        assert p[72] == pytest.approx(0.9 * P0, rel=1e-12)  # Monday 00:00 + 72 h, all open
        np.testing.assert_allclose(p[72:], 0.9 * P0)  # then flat
        steps = np.diff(np.log(p[48:73]))
        np.testing.assert_allclose(steps, math.log(0.9) / 24)  # an even fall in log price
        assert path.meta["shock_start_step"] == 48
        assert path.meta["trough_step"] == 72

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_with_noise_the_trough_still_hits_the_severity(self, seed):
        path = _drop(severity=0.15, duration_steps=30, vol=0.2).generate(300, seed=seed)
        s, t = path.meta["shock_start_step"], path.meta["trough_step"]
        assert path.gold_usd_oz[t] / path.gold_usd_oz[s] == pytest.approx(0.85, rel=1e-12)
        # The warm-up is noisy, not flat.
        assert np.ptp(path.gold_usd_oz[:s]) > 0

    def test_partial_recovery(self):
        path = _drop(severity=0.2, recovery=0.5, recovery_steps=10, vol=0.0).generate(200)
        end = path.meta["recovery_end_step"]
        assert path.gold_usd_oz[end] == pytest.approx(P0 * (1 - 0.2 * 0.5))

    def test_gold_is_flat_at_weekends_and_the_fall_pauses(self):
        # Friday 2024-01-05 12:00 is step 108: the fall meets the weekend and resumes on Monday.
        scenario = _drop(severity=0.1, duration_steps=24, shock_step=108, vol=0.15)
        path = scenario.generate(scenario.default_steps, seed=3)
        frame = path.to_frame()
        weekend = frame[frame.index.day_of_week >= 5]["gold_usd_oz"]
        by_weekend = weekend.groupby(weekend.index.isocalendar().week.to_numpy()).nunique()
        assert len(by_weekend) == 2
        assert (by_weekend == 1).all()
        # 12 hours on Friday, 48 shut, the last 12 on Monday.
        assert path.meta["trough_step"] == 108 + 12 + 48 + 12
        assert not path.is_fix[frame.index.day_of_week >= 5].any()

    def test_return_period_sets_severity_and_duration(self, gold):
        scenario = Drop("1-in-100y-5d", prices=gold)
        assert scenario.severity.fall == pytest.approx(fall_for_return_period(gold, 100, 5))
        assert scenario.duration_steps == 5 * 24
        # Anchored where the data end.
        assert scenario.start_price == float(gold.iloc[-1])
        assert scenario.start > gold.index[-1]

    def test_step_hours_scale_the_default_duration(self):
        scenario = _drop(step_hours=4.0, vol=0.0)
        assert scenario.duration_steps == 6  # one day of four-hour steps
        path = scenario.generate(100)
        assert path.step_hours == 4.0

    def test_events_are_placed_on_open_steps_after_the_shock(self):
        scenario = _drop(
            shock_step=100,
            events=[(0, "oracle_outage", {"steps": 6}), (24, "mm_withdrawal", {})],
        )
        path = scenario.generate(400, seed=1)
        steps = {e.kind: e.step for e in path.events}
        # Step 100 is Friday 04:00; 24 open hours later is Monday 04:00 (step 172).
        assert steps == {"oracle_outage": 100, "mm_withdrawal": 172}

    def test_events_past_the_end_are_dropped(self):
        path = _drop(events=[(200, "mm_withdrawal", {})]).generate(100, seed=1)
        assert path.events == ()

    def test_short_path_holds_the_beginning_of_the_shape(self):
        path = _drop(severity=0.1, duration_steps=24, vol=0.0).generate(60)
        assert path.meta["trough_step"] is None
        assert path.gold_usd_oz[-1] == pytest.approx(P0 * 0.9 ** (11 / 24))

    def test_default_steps_cover_the_shape_and_an_aftermath(self):
        scenario = _drop()
        path = scenario.generate(scenario.default_steps, seed=0)
        assert path.meta["trough_step"] is not None
        assert path.n_steps - path.meta["trough_step"] > 5 * 24

    def test_same_seed_same_path_other_seed_other_path(self):
        scenario = _drop()
        a, b, c = (scenario.generate(300, seed=s).gold_usd_oz for s in (5, 5, 6))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)

    @pytest.mark.parametrize(
        ("param", "value"),
        [
            ("duration_steps", 0),
            ("duration_steps", -3),
            ("recovery", 1.5),
            ("recovery_steps", 0),
            ("shock_step", -1),
            ("vol", -0.1),
            ("noise_df", 2.0),
            ("step_hours", 0.0),
            ("fix_hour", 24.0),
            ("start_price", 0.0),
        ],
    )
    def test_bad_parameters_are_named(self, param, value):
        with pytest.raises(ConfigError, match=param):
            _drop(**{param: value})

    def test_unknown_event_kind_is_refused_at_construction(self):
        with pytest.raises(ConfigError, match="unknown event kind"):
            _drop(events=[(0, "alien_invasion", {})])


class TestVShape:
    def test_falls_then_recovers_to_the_pre_shock_level(self):
        scenario = VShape(start_price=P0, start=START, vol=0.1)
        path = scenario.generate(scenario.default_steps, seed=9)
        m = path.meta
        p = path.gold_usd_oz
        assert p[m["trough_step"]] / p[m["shock_start_step"]] == pytest.approx(0.86)
        assert p[m["recovery_end_step"]] / p[m["shock_start_step"]] == pytest.approx(1.0)
        assert m["recovery_end_step"] > m["trough_step"] > m["shock_start_step"]


class TestSlowBear:
    def test_falls_over_the_given_business_days(self):
        scenario = SlowBear(0.25, duration_days=20, start_price=P0, start=START, vol=0.15)
        path = scenario.generate(scenario.default_steps, seed=2)
        m = path.meta
        assert scenario.duration_steps == 20 * 24
        # 20 business days from a Wednesday: four full weeks, so 28 calendar days of steps.
        assert m["trough_step"] - m["shock_start_step"] == 28 * 24
        p = path.gold_usd_oz
        assert p[m["trough_step"]] / p[m["shock_start_step"]] == pytest.approx(0.75)

    def test_bad_duration_days_are_named(self):
        with pytest.raises(ConfigError, match="duration_days"):
            SlowBear(duration_days=0, start_price=P0, start=START)


class TestNoise:
    def test_noise_has_the_stated_volatility(self):
        rng = np.random.default_rng(0)
        x = calm_noise(200_000, 0.15, 1.0, 5.0, rng)
        per_year = x.std() * math.sqrt(24 * 252)
        assert per_year == pytest.approx(0.15, rel=0.02)
        # Student-t noise has fat tails (excess kurtosis 6 for 5 degrees of freedom).
        kurt = np.mean((x - x.mean()) ** 4) / x.var() ** 2 - 3.0
        assert kurt > 2.0

    def test_calendar_holidays_are_flat(self):
        cal = TradingCalendar.with_holidays(["2024-01-03"])
        path = _drop(calendar=cal, vol=0.2, shock_step=200).generate(120, seed=4)
        frame = path.to_frame()
        holiday = frame.loc["2024-01-03", "gold_usd_oz"]
        assert holiday.nunique() == 1


class TestSession:
    def test_a_session_calendar_moves_only_in_session_hours(self):
        from gramabm.data.calendar import LONDON_GOLD

        scenario = _drop(calendar=LONDON_GOLD, vol=0.2, shock_step=0)
        # One business day of an 8-hour session is 8 open hourly steps.
        assert scenario.duration_steps == 8
        path = scenario.generate(24 * 7, seed=1)
        moves = np.flatnonzero(np.diff(path.gold_usd_oz) != 0) + 1
        moved_from = path.timestamps[moves - 1]  # a step moves when the market is open at its start
        assert set(moved_from.hour) <= set(range(8, 16))
        assert (moved_from.day_of_week < 5).all()
        # The fall takes Monday's session, 08:00 to 16:00.
        assert path.timestamps[path.meta["trough_step"]] == pd.Timestamp("2024-01-01 16:00")
