"""Per-run stress metrics on hand-built frames with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gramabm import run_columns
from gramabm.analysis.runs.halflife import FLAG_INSUFFICIENT_DATA, FLAG_OK
from gramabm.analysis.runs.metrics import REQUIRED_COLUMNS, RunMetrics, run_metrics
from gramabm.errors import ConfigError, DataValidationError
from gramabm.units import GRAMS_PER_TROY_OUNCE

NEUTRAL = {"float": 0.0, "int": 0, "bool": False}
DTYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_}


def make_timeseries(
    n: int = 200,
    *,
    deviation: np.ndarray | None = None,
    seed: int = 0,
    custodians: tuple[str, ...] = ("vault_a", "vault_b"),
) -> pd.DataFrame:
    """A calm run with every column of the collection contract; tests overwrite what they probe."""
    rng = np.random.default_rng(seed)
    step = pd.RangeIndex(n, name="step")
    gold_oz = 2000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))
    gold_value = gold_oz / GRAMS_PER_TROY_OUNCE
    dev = np.zeros(n) if deviation is None else np.asarray(deviation, dtype=float)
    mid = gold_value * (1 + dev / 1e4)
    spread = np.full(n, 10.0)
    supply = np.full(n, 1_000_000.0)
    # Every declared column, neutral by kind; then the values a calm run has where they matter.
    frame = pd.DataFrame(
        {c.name: np.full(n, NEUTRAL[c.kind], dtype=DTYPES[c.kind]) for c in run_columns.COLUMNS},
        index=step,
    )
    frame.insert(0, "timestamp", pd.date_range("2024-01-01", periods=n, freq="h"))
    calm = {
        "gold_usd_oz": gold_oz,
        "gold_value_usd": gold_value,
        "oracle_usd_per_gram": gold_value,
        "is_fix": np.arange(n) % 24 == 10,
        "token_mid": mid,
        "token_last": mid,
        "token_bid": mid * (1 - spread / 2e4),
        "token_ask": mid * (1 + spread / 2e4),
        "deviation_bp": dev,
        "last_deviation_bp": dev,
        "spread_bp": spread,
        "depth_1pct_usd": np.full(n, 1e6),
        "depth_2pct_usd": np.full(n, 2e6),
        "depth_bid_1pct_usd": np.full(n, 5e5),
        "depth_ask_1pct_usd": np.full(n, 5e5),
        "volume_tokens": np.full(n, 100.0),
        "volume_usd": 100.0 * mid,
        "trades": np.full(n, 4, dtype=np.int64),
        "supply_tokens": supply,
        "reserves_actual_g": supply.copy(),
        "reserves_reported_g": supply.copy(),
        "reserve_ratio_actual": np.ones(n),
        "reserve_ratio_reported": np.ones(n),
        "mints_g": np.zeros(n),
        "redemptions_g": np.zeros(n),
        "mint_queue_g": np.zeros(n),
        "redemption_queue_g": np.zeros(n),
        "mints_requested_g": np.zeros(n),
        "redemptions_requested_g": np.zeros(n),
        "holders_hold": np.full(n, 900, dtype=np.int64),
        "holders_buy": np.full(n, 40, dtype=np.int64),
        "holders_sell": np.full(n, 50, dtype=np.int64),
        "holders_redeem": np.full(n, 10, dtype=np.int64),
        "holders_panicked": np.zeros(n, dtype=np.int64),
        "panic_mean": np.zeros(n),
        "mm_active": np.full(n, 5, dtype=np.int64),
        "mm_inventory_tokens": np.zeros(n),
        "arb_capital_usd": np.full(n, 1e7),
        "arb_locked_usd": np.zeros(n),
        "mint_fee_bp": np.full(n, 5.0),
        "redeem_fee_bp": np.zeros(n),
        "redemption_gate_g": np.full(n, np.nan),
        "primary_open": np.ones(n, dtype=bool),
        "circuit_breaker": np.zeros(n, dtype=bool),
        "governance_actions": np.zeros(n, dtype=np.int64),
    }
    for name, values in calm.items():
        frame[run_columns.column(name).name] = values  # a name not in the contract fails here
    for name in custodians:
        frame[run_columns.custodian_column(name)] = supply / len(custodians)
    return frame


def with_deviation(frame: pd.DataFrame, dev: np.ndarray) -> pd.DataFrame:
    """The frame with another deviation series (mid and last moved to match)."""
    out = frame.copy()
    dev = np.asarray(dev, dtype=float)
    out["deviation_bp"] = dev
    out["token_mid"] = out["gold_value_usd"] * (1 + dev / 1e4)
    out["token_last"] = out["token_mid"]
    return out


def recovery_series() -> np.ndarray:
    """Shock at step 10, worst point -300 bp at step 15, back inside ±50 bp from step 30 except a
    70 bp blip at step 40: the first 24-step window wholly inside starts at step 41."""
    dev = np.zeros(100)
    dev[10:16] = np.linspace(-50, -300, 6)
    dev[16:30] = -80.0
    dev[30:] = -20.0
    dev[40] = 70.0
    return dev


# --- deviation ---------------------------------------------------------------------------------


def test_time_outside_bands_counts_exactly_the_steps_outside() -> None:
    dev = np.zeros(120)
    dev[20:27] = 60.0  # 7 steps outside ±50, none outside ±100
    dev[60:63] = -120.0  # 3 more outside ±50, also outside ±100
    dev[80] = 50.0  # on the band edge: not outside
    m = run_metrics(with_deviation(make_timeseries(120), dev), step_hours=2.0)
    b50, b100 = m.band(50), m.band(100)
    assert (b50.steps_outside, b50.hours_outside) == (10, 20.0)
    assert b50.fraction_outside == pytest.approx(10 / 120)
    assert (b100.steps_outside, b100.hours_outside) == (3, 6.0)
    assert m.duration_hours == 240.0


def test_seven_steps_outside_fifty() -> None:
    dev = np.zeros(50)
    dev[5:12] = -75.0
    m = run_metrics(with_deviation(make_timeseries(50), dev))
    assert m.band(50).steps_outside == 7
    assert m.band(50).hours_outside == 7.0
    assert m.band(100).steps_outside == 0


def test_worst_premium_and_discount_with_steps() -> None:
    dev = np.linspace(-10, 10, 21)
    dev[7] = 230.0
    dev[15] = -410.0
    m = run_metrics(with_deviation(make_timeseries(21), dev))
    assert (m.worst_premium_bp, m.worst_premium_step) == (230.0, 7)
    assert (m.worst_discount_bp, m.worst_discount_step) == (-410.0, 15)
    absdev = np.abs(dev)
    assert m.mean_abs_deviation_bp == pytest.approx(absdev.mean())
    assert m.median_abs_deviation_bp == pytest.approx(np.median(absdev))


def test_no_premium_is_zero_without_a_step() -> None:
    dev = np.full(30, -25.0)
    dev[3] = -90.0
    m = run_metrics(with_deviation(make_timeseries(30), dev))
    assert m.worst_premium_bp == 0.0
    assert m.worst_premium_step is None
    assert (m.worst_discount_bp, m.worst_discount_step) == (-90.0, 3)


def test_custom_bands_name_their_keys() -> None:
    dev = np.zeros(40)
    dev[:4] = 30.0
    d = run_metrics(with_deviation(make_timeseries(40), dev), band_bp=(25, 37.5)).to_dict()
    assert d["steps_outside_25bp"] == 4
    assert d["steps_outside_37.5bp"] == 0
    assert d["recovery_band_bp"] == 25.0


# --- recovery and half-life --------------------------------------------------------------------


def test_known_recovery_step() -> None:
    m = run_metrics(with_deviation(make_timeseries(100), recovery_series()), shock_step=10)
    assert m.shock_peak_step == 15
    assert m.shock_peak_deviation_bp == pytest.approx(-300.0)
    assert m.recovery_step == 41
    assert m.time_to_recover_hours == 31.0


def test_recovery_scales_with_step_hours_and_window() -> None:
    ts = with_deviation(make_timeseries(100), recovery_series())
    # Two-hour steps: a 24 h window is 12 steps; 30..41 holds the blip, so 41 is still first.
    m = run_metrics(ts, shock_step=10, step_hours=2.0)
    assert m.recovery_step == 41
    assert m.time_to_recover_hours == 62.0
    # A 10-step window fits between step 30 and the blip at 40.
    m = run_metrics(ts, shock_step=10, recovery_window_hours=10.0)
    assert m.recovery_step == 30
    assert m.time_to_recover_hours == 20.0


def test_unquoted_step_breaks_a_recovery_window() -> None:
    dev = recovery_series()
    dev[50] = np.nan
    m = run_metrics(with_deviation(make_timeseries(100), dev), shock_step=10)
    assert m.recovery_step == 51
    assert m.unquoted_steps == 1


def test_never_recovered_is_none_and_said() -> None:
    dev = np.zeros(80)
    dev[10:] = -200.0
    dev[70:] = -10.0  # back inside, but only 10 steps before the run ends: not sustained
    m = run_metrics(with_deviation(make_timeseries(80), dev), shock_step=10)
    assert m.recovery_step is None
    assert m.time_to_recover_hours is None
    assert any(n.startswith("never recovered") for n in m.notes)


def test_peg_that_never_broke_recovers_at_once() -> None:
    dev = np.full(60, 12.0)
    m = run_metrics(with_deviation(make_timeseries(60), dev), shock_step=20)
    assert m.recovery_step == 20
    assert m.time_to_recover_hours == 0.0


def test_run_without_shock() -> None:
    rng = np.random.default_rng(3)
    dev = np.zeros(300)
    for t in range(1, 300):
        dev[t] = 0.8 * dev[t - 1] + rng.normal(0, 20)
    m = run_metrics(with_deviation(make_timeseries(300), dev))
    assert m.shock_step is None
    assert m.recovery_step is None
    assert m.shock_peak_step is None
    assert m.half_life.n_obs == 299  # whole run
    assert m.half_life.flag == FLAG_OK
    assert any("no shock step" in n for n in m.notes)
    # No pre-shock window: depth is compared with the whole run's median.
    assert m.pre_shock_median_depth_1pct_usd == 1e6


def test_half_life_is_fitted_from_the_shock() -> None:
    m = run_metrics(with_deviation(make_timeseries(100), recovery_series()), shock_step=10)
    assert m.half_life.n_obs == 89  # pairs from step 10 to 99
    short = run_metrics(with_deviation(make_timeseries(100), recovery_series()), shock_step=95)
    assert short.half_life.flag == FLAG_INSUFFICIENT_DATA
    assert short.half_life.half_life_hours is None


def test_shock_step_between_index_labels_uses_the_next_step() -> None:
    ts = make_timeseries(50)
    ts.index = pd.Index(np.arange(0, 100, 2), name="step")
    m = run_metrics(ts, shock_step=11)
    assert m.shock_step == 12


# --- reserves, supply, holders -----------------------------------------------------------------


def test_reserve_ratio_dip_actual_before_reported() -> None:
    ts = make_timeseries(100)
    ts.loc[30:, "reserve_ratio_actual"] = 0.9
    ts.loc[60:, "reserve_ratio_actual"] = 0.92
    ts.loc[50:, "reserve_ratio_reported"] = 0.9
    m = run_metrics(ts, shock_step=30)
    assert (m.min_reserve_ratio_actual, m.min_reserve_ratio_actual_step) == (0.9, 30)
    assert (m.min_reserve_ratio_reported, m.min_reserve_ratio_reported_step) == (0.9, 50)


def test_share_of_initial_supply_redeemed() -> None:
    ts = make_timeseries(40)
    ts.loc[10:14, "redemptions_g"] = 1_000.0  # five steps
    ts.loc[20, "mints_g"] = 300.0
    ts.loc[12, "redemption_queue_g"] = 7_500.0
    m = run_metrics(ts)
    assert m.initial_supply_tokens == 1_000_000.0
    assert m.redeemed_tokens == 5_000.0
    assert m.minted_tokens == 300.0
    assert m.share_initial_supply_redeemed == pytest.approx(0.005)
    assert m.max_redemption_queue_g == 7_500.0


def flat_gold_run(n: int = 10) -> pd.DataFrame:
    ts = make_timeseries(n)
    ts["gold_value_usd"] = np.linspace(100.0, 110.0, n)
    ts["token_mid"] = ts["gold_value_usd"]
    ts["deviation_bp"] = 0.0
    return ts


def test_holders_against_buy_and_hold_gold() -> None:
    ts = flat_gold_run()
    rows = [
        # A holds 10 tokens throughout: exactly as good as gold.
        (0, "a", 10.0, 0.0),
        (9, "a", 10.0, 0.0),
        # B sold its tokens for 1,000 USD: gold rose 10%, so B is 1/1.1 - 1 behind.
        (0, "b", 10.0, 0.0),
        (5, "b", 5.0, 500.0),
        (9, "b", 0.0, 1000.0),
        # C turned 950 USD into 10 tokens (bought at a discount): ahead of gold.
        (0, "c", 0.0, 950.0),
        (9, "c", 10.0, 0.0),
        # D starts with nothing: left out.
        (0, "d", 0.0, 0.0),
        (9, "d", 1.0, 0.0),
    ]
    holders = pd.DataFrame(rows, columns=["step", "holder", "tokens", "usd"])
    holders["state"] = "hold"
    holders["pnl"] = 0.0
    m = run_metrics(ts, holders=holders.sample(frac=1.0, random_state=1))  # order must not matter
    excess = np.array([0.0, 1 / 1.1 - 1, (1100 / 950) / 1.1 - 1])
    assert m.holders_n == 3
    assert m.holders_mean_excess_return == pytest.approx(excess.mean())
    assert m.holders_median_excess_return == pytest.approx(0.0, abs=1e-12)
    assert m.holders_share_worse_than_gold == pytest.approx(1 / 3)
    assert any("1 holder(s)" in n for n in m.notes)


def test_holder_tokens_are_marked_at_the_last_quote() -> None:
    ts = flat_gold_run()
    ts.loc[8:, "token_mid"] = np.nan  # no quote at the end: the step-7 mid applies
    ts.loc[8:, "deviation_bp"] = np.nan
    holders = pd.DataFrame(
        {"step": [0, 9], "holder": [1, 1], "tokens": [10.0, 10.0], "usd": [0.0, 0.0]}
    )
    m = run_metrics(ts, holders=holders)
    mid7, gold0, gold9 = ts.loc[7, "token_mid"], 100.0, 110.0
    assert m.holders_mean_excess_return == pytest.approx((mid7 / gold0) / (gold9 / gold0) - 1)


def test_holder_step_outside_the_run_is_an_error() -> None:
    holders = pd.DataFrame({"step": [0, 99], "holder": [1, 1], "tokens": [1.0, 1.0], "usd": 0.0})
    with pytest.raises(DataValidationError, match="step 99"):
        run_metrics(make_timeseries(10), holders=holders)


def test_aggregate_loss_against_gold_without_holders() -> None:
    dev = np.zeros(50)
    dev[20] = -300.0
    dev[21:] = -100.0
    m = run_metrics(with_deviation(make_timeseries(50), dev))
    assert m.holders_n is None
    assert m.token_hold_excess_return_end == pytest.approx(-0.01)
    assert m.token_hold_excess_return_worst == pytest.approx(-0.03)
    assert any("no holder sample" in n for n in m.notes)


# --- market makers, liquidity, governance, volume ----------------------------------------------


def test_market_maker_withdrawal() -> None:
    ts = make_timeseries(60)
    ts.loc[20:29, "mm_active"] = 3
    ts.loc[30:44, "mm_active"] = 1
    ts.loc[45:, "mm_active"] = 4
    m = run_metrics(ts, shock_step=18)
    assert m.mm_initial_active == 5
    assert m.mm_withdrew is True
    assert m.mm_first_withdrawal_step == 20
    assert (m.mm_min_active, m.mm_min_active_step) == (1, 30)


def test_market_makers_that_stayed() -> None:
    m = run_metrics(make_timeseries(30))
    assert m.mm_withdrew is False
    assert m.mm_first_withdrawal_step is None
    assert m.mm_min_active == 5


def test_depth_ratio_to_pre_shock_median_and_max_spread() -> None:
    ts = make_timeseries(100)
    ts.loc[:49, "depth_1pct_usd"] = np.tile([0.8e6, 1.0e6, 1.2e6], 17)[:50]
    ts.loc[50:, "depth_1pct_usd"] = 4e5
    ts.loc[63, "depth_1pct_usd"] = 2e5
    ts.loc[55, "spread_bp"] = 180.0
    ts.loc[56, "spread_bp"] = np.nan
    m = run_metrics(ts, shock_step=50)
    assert m.pre_shock_median_depth_1pct_usd == 1.0e6
    assert (m.min_depth_1pct_usd, m.min_depth_1pct_step) == (2e5, 63)
    assert m.min_depth_1pct_ratio == pytest.approx(0.2)
    assert (m.max_spread_bp, m.max_spread_step) == (180.0, 55)
    assert m.median_spread_bp == 10.0


def test_shock_at_first_step_has_no_depth_baseline() -> None:
    m = run_metrics(make_timeseries(30), shock_step=0)
    assert m.pre_shock_median_depth_1pct_usd is None
    assert m.min_depth_1pct_ratio is None
    assert any("no pre-shock depth" in n for n in m.notes)


def governance_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": [40, 12, 30],
            "source": ["governance", "custodian:vault_a", "Governance"],
            "kind": ["redemption_gate", "custodian_freeze", "fee_change"],
            "detail": [{"gate_g": 5000, "by": "emergency"}, "frozen", "redeem_fee_bp 25->50"],
        }
    )


def test_governance_actions_from_events_and_counter() -> None:
    ts = make_timeseries(60)
    ts.loc[30:, "governance_actions"] = 1
    ts.loc[40:, "governance_actions"] = 2
    m = run_metrics(ts, events=governance_events())
    assert m.governance_actions_count == 2
    assert [(a.step, a.kind) for a in m.governance_actions] == [
        (30, "fee_change"),
        (40, "redemption_gate"),
    ]
    assert m.governance_actions[1].detail == '{"by": "emergency", "gate_g": 5000}'
    assert not any("governance event" in n for n in m.notes)


def test_governance_count_mismatch_is_noted() -> None:
    m = run_metrics(make_timeseries(60), events=governance_events())
    assert m.governance_actions_count == 0
    assert len(m.governance_actions) == 2
    assert any("lists 2 governance event(s)" in n for n in m.notes)


def test_volume_and_flag_totals() -> None:
    ts = make_timeseries(48)
    ts.loc[24:35, "primary_open"] = False
    ts.loc[30:32, "circuit_breaker"] = True
    ts.loc[5, "volume_tokens"] = np.nan
    m = run_metrics(ts, step_hours=0.5)
    assert m.volume_tokens_total == 100.0 * 47
    assert m.volume_usd_total == pytest.approx(float((100.0 * ts["token_mid"]).sum()))
    assert m.trades_total == 4 * 48
    assert m.hours_primary_closed == 6.0
    assert m.hours_circuit_breaker == 1.5


# --- NaN, determinism, validation --------------------------------------------------------------


def test_unquoted_steps_are_not_outside_any_band() -> None:
    dev = np.zeros(40)
    dev[10:20] = np.nan
    dev[25] = 150.0
    ts = with_deviation(make_timeseries(40), dev)
    ts.loc[10:19, ["spread_bp", "depth_1pct_usd"]] = np.nan
    m = run_metrics(ts, shock_step=5)
    assert m.unquoted_steps == 10
    assert m.band(50).steps_outside == 1
    assert m.band(50).fraction_outside == pytest.approx(1 / 40)
    assert m.mean_abs_deviation_bp == pytest.approx(150.0 / 30)
    assert m.min_depth_1pct_usd == 1e6


def test_one_sided_hours_count_each_empty_side_and_say_so() -> None:
    ts = make_timeseries(40)
    ts.loc[10:14, "token_ask"] = np.nan  # 5 steps: bids, no ask (a buying rush)
    ts.loc[20:21, "token_bid"] = np.nan  # 2 steps: asks, no bid
    ts.loc[30, ["token_bid", "token_ask"]] = np.nan  # an empty book is neither
    m = run_metrics(ts, step_hours=0.5)
    assert m.hours_ask_side_empty == 2.5
    assert m.hours_bid_side_empty == 1.0
    assert any("ask side of the book was empty for 2.5 h" in n for n in m.notes)
    assert any("bid side of the book was empty for 1 h" in n for n in m.notes)
    assert run_metrics(make_timeseries(40)).hours_ask_side_empty == 0.0
    without = make_timeseries(40).drop(columns=["token_bid", "token_ask"])
    assert run_metrics(without).hours_bid_side_empty is None


def test_traded_extremes_see_what_the_mid_cannot() -> None:
    ts = make_timeseries(40)
    ts.loc[10:14, "token_bid"] = np.nan  # no bid: the mid (and its deviation) is missing
    ts.loc[10:14, "deviation_bp"] = np.nan
    ts.loc[10:14, "last_deviation_bp"] = [-150.0, -220.0, -310.0, -180.0, -90.0]
    ts.loc[12, "trades"] = 1
    ts.loc[20, "last_deviation_bp"] = 80.0
    ts.loc[20, "trades"] = 0  # a stale last price, no trade in the step: not counted
    ts.loc[25, "last_deviation_bp"] = 35.0
    m = run_metrics(ts)
    assert m.worst_traded_discount_bp == -310.0
    assert m.worst_traded_premium_bp == 35.0
    assert m.worst_discount_bp == 0.0  # the mid never saw it
    assert any("trades printed down to -310.0 bp" in n for n in m.notes)
    assert any("trades printed up to 35.0 bp" in n for n in m.notes)
    quiet = make_timeseries(40)
    quiet["trades"] = 0
    assert run_metrics(quiet).worst_traded_discount_bp == 0.0
    assert run_metrics(ts.drop(columns=["last_deviation_bp"])).worst_traded_premium_bp is None


def test_never_quoted_run_gives_none_not_nan() -> None:
    ts = with_deviation(make_timeseries(30), np.full(30, np.nan))
    ts["spread_bp"] = np.nan
    m = run_metrics(ts, shock_step=3)
    assert m.worst_premium_bp is None
    assert m.mean_abs_deviation_bp is None
    assert m.recovery_step is None
    assert m.max_spread_bp is None
    assert m.half_life.flag == FLAG_INSUFFICIENT_DATA
    text = m.to_json()  # allow_nan=False: would raise on a NaN
    assert "NaN" not in text
    assert any("never quoted" in n for n in m.notes)


def noisy_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(11)
    dev = recovery_series() + rng.normal(0, 5, 100)
    dev[rng.choice(100, 6, replace=False)] = np.nan
    ts = with_deviation(make_timeseries(100, seed=4), dev)
    holders = pd.DataFrame(
        {
            "step": np.repeat([0, 50, 99], 20),
            "holder": np.tile(np.arange(20), 3),
            "tokens": rng.uniform(0, 10, 60),
            "usd": rng.uniform(0, 1000, 60),
        }
    )
    return ts, holders


def test_to_dict_is_json_deterministic() -> None:
    ts, holders = noisy_run()
    first = run_metrics(ts, shock_step=10, holders=holders, events=governance_events())
    ts2, holders2 = noisy_run()
    second = run_metrics(ts2, shock_step=10, holders=holders2, events=governance_events())
    a = json.dumps(first.to_dict(), allow_nan=False)
    b = json.dumps(second.to_dict(), allow_nan=False)
    assert a == b
    assert first.to_json() == second.to_json()
    assert json.loads(a) == first.to_dict()


def test_to_dict_is_plain_json_types_without_timestamps() -> None:
    ts, holders = noisy_run()
    d = run_metrics(ts, shock_step=10, holders=holders, events=governance_events()).to_dict()

    def plain(value: object) -> bool:
        if isinstance(value, list):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        return value is None or type(value) in (bool, int, float, str)

    assert all(plain(v) for v in d.values())
    assert not any("time" in k and "hours" not in k for k in d)
    assert all(not isinstance(v, float) or math.isfinite(v) for v in d.values())
    for key in ("hours_outside_50bp", "half_life_hours", "time_to_recover_hours"):
        assert key in d


def test_metrics_are_frozen() -> None:
    m = run_metrics(make_timeseries(20))
    assert isinstance(m, RunMetrics)
    with pytest.raises(AttributeError):
        m.n_steps = 3  # type: ignore[misc]


@pytest.mark.parametrize("column", ["deviation_bp", "mm_active", "reserve_ratio_reported"])
def test_missing_column_is_named(column: str) -> None:
    assert column in REQUIRED_COLUMNS
    with pytest.raises(DataValidationError, match=column):
        run_metrics(make_timeseries(10).drop(columns=column))


def test_bad_inputs_raise() -> None:
    ts = make_timeseries(10)
    with pytest.raises(ConfigError, match="after the last step"):
        run_metrics(ts, shock_step=10)
    with pytest.raises(ConfigError, match="non-negative integer"):
        run_metrics(ts, shock_step=-1)
    with pytest.raises(ConfigError, match="step_hours"):
        run_metrics(ts, step_hours=0)
    with pytest.raises(ConfigError, match="band_bp"):
        run_metrics(ts, band_bp=(50, -1))
    with pytest.raises(DataValidationError, match="integer steps"):
        run_metrics(ts.set_index("timestamp"))
    with pytest.raises(DataValidationError, match="no rows"):
        run_metrics(ts.iloc[:0])
    with pytest.raises(DataValidationError, match="event log"):
        run_metrics(ts, events=pd.DataFrame({"step": [1]}))


@given(
    values=st.lists(
        st.one_of(st.floats(-2_000, 2_000), st.just(float("nan"))), min_size=2, max_size=150
    ),
    shock=st.integers(0, 149),
    step_hours=st.sampled_from([0.25, 1.0, 4.0]),
)
def test_invariants_on_arbitrary_deviation_paths(
    values: list[float], shock: int, step_hours: float
) -> None:
    dev = np.array(values)
    n = dev.size
    shock = min(shock, n - 1)
    m = run_metrics(with_deviation(BASE_RUN.iloc[:n], dev), shock_step=shock, step_hours=step_hours)
    b50, b100 = m.band(50), m.band(100)
    assert b100.steps_outside <= b50.steps_outside <= n - m.unquoted_steps
    assert b50.hours_outside == b50.steps_outside * step_hours
    assert 0.0 <= b100.fraction_outside <= b50.fraction_outside <= 1.0
    if m.worst_premium_bp is not None:
        assert m.worst_discount_bp is not None
        assert m.worst_discount_bp <= 0.0 <= m.worst_premium_bp
    if m.recovery_step is not None:
        assert m.shock_peak_step is not None
        assert m.time_to_recover_hours == (m.recovery_step - shock) * step_hours
        window = int(m.recovery_window_hours / step_hours)
        if m.recovery_step != shock:  # the peg broke: the window after recovery is all inside
            assert m.recovery_step > m.shock_peak_step
            inside = np.abs(dev[m.recovery_step : m.recovery_step + window])
            assert inside.size == window
            assert np.all(inside <= 50.0)
    json.loads(m.to_json())  # always valid JSON, never NaN


BASE_RUN = make_timeseries(150)


def test_the_fake_run_has_exactly_the_declared_columns() -> None:
    frame = make_timeseries(5, custodians=("vault_a",))
    declared = [c.name for c in run_columns.COLUMNS]
    assert list(frame.columns) == ["timestamp", *declared, run_columns.custodian_column("vault_a")]
    assert set(REQUIRED_COLUMNS) <= set(declared)
