"""Replays of historical date ranges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gramabm.data.loaders import load_builtin
from gramabm.errors import ConfigError
from gramabm.scenarios.replay import EPISODES, Replay, covers


@pytest.fixture(scope="module")
def gold() -> pd.Series:
    return load_builtin()


def _series(idx: pd.DatetimeIndex, seed: int = 0, source: str = "synthetic") -> pd.Series:
    rng = np.random.default_rng(seed)
    prices = pd.Series(1500.0 * np.exp(np.cumsum(rng.normal(0, 0.01, len(idx)))), idx, name="price")
    prices.index.name = "date"
    prices.attrs["source"] = source
    return prices


def test_fixes_are_the_historical_prices(gold):
    replay = Replay(gold, "2011-08-22", "2011-10-14")
    path = replay.generate(replay.default_steps, seed=0)
    daily = path.daily()
    history = gold["2011-08-22":"2011-10-14"]
    history = history[history.index.day_of_week < 5]
    assert daily.index.equals(history.index.rename("date"))
    np.testing.assert_allclose(daily.to_numpy(), history.to_numpy(), rtol=1e-10)
    # The path starts on the last price before the range, at midnight of its first day.
    assert path.timestamps[0] == pd.Timestamp("2011-08-22")
    assert path.gold_usd_oz[0] == pytest.approx(float(gold[:"2011-08-19"].iloc[-1]))
    assert path.meta["range_end_step"] == path.n_steps - 1


def test_start_price_moves_the_level_and_keeps_the_returns(gold):
    plain = Replay(gold, "2008-03-03", "2008-10-31").generate(2000, seed=4)
    moved = Replay(gold, "2008-03-03", "2008-10-31", start_price=100.0).generate(2000, seed=4)
    assert moved.gold_usd_oz[0] == pytest.approx(100.0)
    np.testing.assert_allclose(
        np.diff(np.log(moved.daily().to_numpy())), np.diff(np.log(plain.daily().to_numpy()))
    )
    assert moved.meta["scale"] == pytest.approx(100.0 / plain.gold_usd_oz[0])


def test_seed_moves_only_the_intraday_path(gold):
    replay = Replay(gold, "1983-02-14", "1983-03-31")
    a, b, c = (replay.generate(500, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.gold_usd_oz, b.gold_usd_oz)
    assert not np.array_equal(a.gold_usd_oz, c.gold_usd_oz)
    np.testing.assert_allclose(a.daily().to_numpy(), c.daily().to_numpy())


def test_flat_between_fixes_without_bridge(gold):
    path = Replay(gold, "1983-02-14", "1983-03-31", bridge=False).generate(24 * 7, seed=0)
    moves = np.flatnonzero(np.abs(np.diff(np.log(path.gold_usd_oz))) > 1e-12) + 1
    # The price moves only at the five fixes of the week.
    np.testing.assert_array_equal(moves, np.flatnonzero(path.is_fix))
    assert len(moves) == 5


def test_missing_weekdays_become_holidays():
    idx = pd.bdate_range("2020-01-01", "2020-06-30").drop(pd.Timestamp("2020-04-10"))
    prices = _series(idx)
    replay = Replay(prices, "2020-04-01", "2020-04-30")
    path = replay.generate(replay.default_steps, seed=0)
    daily = path.daily()
    assert pd.Timestamp("2020-04-10") not in daily.index
    expected = prices["2020-04-01":"2020-04-30"]
    assert daily.index.equals(expected.index)
    np.testing.assert_allclose(daily.to_numpy(), expected.to_numpy())
    frame = path.to_frame()
    assert frame.loc["2020-04-10", "gold_usd_oz"].nunique() == 1  # the holiday is flat


def test_weekend_rows_are_ignored():
    idx = pd.date_range("2020-01-01", "2020-03-31", freq="D")  # seven days a week
    prices = _series(idx)
    path = Replay(prices, "2020-02-03", "2020-02-28").generate(24 * 26, seed=0)
    daily = path.daily()
    assert (daily.index.day_of_week < 5).all()
    np.testing.assert_allclose(daily.to_numpy(), prices[daily.index].to_numpy())


def test_range_before_the_data_is_refused_naming_the_data_range():
    prices = _series(pd.bdate_range("2019-01-01", "2021-12-31"), source="my.csv")
    with pytest.raises(ConfigError, match=r"my\.csv covers 2019-01-01 to 2021-12-31"):
        Replay(prices, "2018-06-01", "2019-06-01")


def test_running_past_the_data_is_refused(gold):
    replay = Replay(gold, "2012-11-01", "2012-12-14")
    replay.generate(replay.default_steps, seed=0)  # inside the data: fine
    with pytest.raises(ConfigError, match="past the end of the data"):
        replay.generate(24 * 120, seed=0)


def test_longer_paths_replay_what_followed(gold):
    replay = Replay(gold, "2011-08-22", "2011-09-30")
    path = replay.generate(replay.default_steps + 24 * 14, seed=0)
    daily = path.daily()
    assert daily.index[-1] > pd.Timestamp("2011-09-30")
    np.testing.assert_allclose(daily.to_numpy(), gold[daily.index].to_numpy(), rtol=1e-10)
    assert path.meta["range_end_step"] < path.n_steps - 1


def test_range_starting_on_the_first_date():
    prices = _series(pd.bdate_range("2020-01-01", "2020-03-31"))
    replay = Replay(prices, "2020-01-01", "2020-01-31")
    path = replay.generate(replay.default_steps, seed=0)
    # No price before the range: anchor on its first price and replay from the next day.
    assert path.gold_usd_oz[0] == pytest.approx(prices.iloc[0])
    assert path.timestamps[0] == pd.Timestamp("2020-01-02")


def test_covers():
    prices = _series(pd.bdate_range("2020-01-01", "2020-12-31"))
    assert covers(prices, pd.Timestamp("2020-02-01"), pd.Timestamp("2020-11-30"))
    assert not covers(prices, pd.Timestamp("2019-12-01"), pd.Timestamp("2020-02-01"))
    assert not covers(prices, pd.Timestamp("2020-12-01"), pd.Timestamp("2021-01-05"))


@pytest.mark.parametrize(
    "episode", [e for e in EPISODES if e.end.year <= 2012], ids=lambda e: e.key
)
def test_builtin_episodes_fall(gold, episode):
    """Every episode the built-in data hold contains a real fall (the reason it is listed)."""
    replay = Replay(gold, episode.start, episode.end)
    path = replay.generate(replay.default_steps, seed=0)
    p = path.gold_usd_oz
    assert np.min(p / np.maximum.accumulate(p)) - 1.0 < -0.10


def test_range_ending_on_the_last_data_day():
    prices = _series(pd.bdate_range("2020-01-01", "2020-03-31"))
    replay = Replay(prices, "2020-03-02", "2020-03-31")
    path = replay.generate(replay.default_steps, seed=0)
    assert path.timestamps[-1] == pd.Timestamp("2020-03-31 23:00")
    daily = path.daily()
    np.testing.assert_allclose(daily.to_numpy(), prices["2020-03-02":].to_numpy())
    # Nothing is known after the last fix: the price stays there.
    last_fix = np.flatnonzero(path.is_fix)[-1]
    np.testing.assert_allclose(path.gold_usd_oz[last_fix:], prices.iloc[-1])
    with pytest.raises(ConfigError, match="ends 2020-03-31"):
        replay.generate(replay.default_steps + 24, seed=0)
