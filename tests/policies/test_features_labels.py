"""Training features (what a holder could see) and the labelling rule (what it would have wanted)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import FEATURES, Action
from gramabm.policies.features import (
    TOKEN_FEATURES,
    WARMUP_ROWS,
    TokenAugmentation,
    feature_frame,
    market_features,
    token_features,
)
from gramabm.policies.labels import (
    LabelRule,
    forward_certainty_equivalent,
    label_actions,
    token_adjusted_ce,
)
from tests.policies import builtin_prices


def series(values: np.ndarray) -> pd.Series:
    idx = pd.bdate_range("2000-01-03", periods=len(values), name="date")
    s = pd.Series(values, index=idx, name="price")
    s.attrs["source"] = "test"
    return s


def walk(n: int = 200, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    return series(100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n))))


# ----------------------------------------------------------------------------- market features


def test_market_features_match_the_model_definitions_by_hand() -> None:
    prices = walk()
    f = market_features(prices)
    p = prices.to_numpy()
    t = 150
    assert f["ret_1d"].iloc[t] == pytest.approx(math.log(p[t] / p[t - 1]), abs=1e-15)
    assert f["ret_5d"].iloc[t] == pytest.approx(math.log(p[t] / p[t - 5]), abs=1e-15)
    assert f["ret_20d"].iloc[t] == pytest.approx(math.log(p[t] / p[t - 20]), abs=1e-15)
    # As GramModel._market_features: np.std of the 20 daily log returns ending at t, x sqrt(252).
    vol = np.std(np.diff(np.log(p[t - 20 : t + 1]))) * math.sqrt(252)
    assert f["vol_20d"].iloc[t] == pytest.approx(vol, rel=1e-12)
    assert f["drawdown"].iloc[t] == pytest.approx(1 - p[t] / p[t - 60 : t + 1].max(), abs=1e-15)


def test_features_use_no_future_prices() -> None:
    prices = walk()
    base = market_features(prices)
    shocked = prices.copy()
    shocked.iloc[120:] *= 0.5  # a crash from row 120 on must not change earlier rows
    after = market_features(shocked)
    pd.testing.assert_frame_equal(base.iloc[:120], after.iloc[:120])
    assert not np.allclose(base["ret_1d"].iloc[120], after["ret_1d"].iloc[120])


def test_warmup_rows_have_no_features_and_the_frame_drops_them() -> None:
    prices = walk()
    f = market_features(prices)
    assert f.iloc[:WARMUP_ROWS]["drawdown"].isna().all()
    assert f.iloc[WARMUP_ROWS:].notna().all().all()
    full = feature_frame(prices, token_mode="zeros")
    assert list(full.columns) == list(FEATURES)
    assert full.index[0] == prices.index[WARMUP_ROWS]
    assert (full[list(TOKEN_FEATURES)] == 0).all().all()


def test_drawdown_is_a_non_negative_fraction() -> None:
    f = market_features(builtin_prices()).dropna()
    assert (f["drawdown"] >= 0).all()
    assert (f["drawdown"] < 1).all()
    assert f["drawdown"].max() > 0.2  # the 1980s fall is in the built-in history


@pytest.mark.parametrize(
    ("prices", "match"),
    [
        (pd.Series([1.0] * 100), "DatetimeIndex"),
        (series(np.full(30, 100.0)), "at least"),
        (series(np.r_[np.full(70, 100.0), -1.0]), "finite and positive"),
    ],
)
def test_unusable_prices_are_refused(prices: pd.Series, match: str) -> None:
    with pytest.raises(DataValidationError, match=match):
        market_features(prices)


def test_unsorted_prices_are_refused() -> None:
    prices = walk().iloc[::-1]
    with pytest.raises(DataValidationError, match="ascending"):
        market_features(prices)


# ----------------------------------------------------------------------------- token features


def test_augmentation_is_deterministic_per_seed_and_keeps_a_neutral_share() -> None:
    p = walk(400).to_numpy()
    rows = np.arange(WARMUP_ROWS, 400)
    a = token_features(p, rows, "augment", rng=np.random.default_rng(7))
    b = token_features(p, rows, "augment", rng=np.random.default_rng(7))
    c = token_features(p, rows, "augment", rng=np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    neutral = (a == 0).all(axis=1)
    assert 0.35 < neutral.mean() < 0.65  # share=0.5 of rows get a synthetic state
    dev = a[:, TOKEN_FEATURES.index("deviation_bp")]
    assert np.abs(dev).max() <= 2_500
    panic = a[:, TOKEN_FEATURES.index("neighbour_panic")]
    assert ((panic >= 0) & (panic <= 1)).all()


def test_own_pnl_is_a_real_gold_return_since_a_past_entry() -> None:
    p = walk(400).to_numpy()
    rows = np.arange(WARMUP_ROWS, 400)
    aug = TokenAugmentation(share=1.0, max_holding_days=1)  # entry exactly one row back
    t = token_features(p, rows, "augment", aug, np.random.default_rng(0))
    np.testing.assert_allclose(t[:, TOKEN_FEATURES.index("own_pnl")], p[rows] / p[rows - 1] - 1)


def test_zeros_mode_and_bad_modes() -> None:
    p = walk().to_numpy()
    assert not token_features(p, np.arange(60, 100), "zeros").any()
    with pytest.raises(ConfigError, match="unknown token-feature mode"):
        token_features(p, np.arange(60, 100), "random")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="random generator"):
        token_features(p, np.arange(60, 100), "augment")
    with pytest.raises(ConfigError, match="share"):
        TokenAugmentation(share=1.5)


# ----------------------------------------------------------------------------- labels


def test_certainty_equivalent_by_hand() -> None:
    p = np.array([100.0, 102.0, 99.0, 101.0, 103.0])
    ce = forward_certainty_equivalent(p, horizon=2, risk_aversion=3.0)
    r = np.diff(np.log(p))
    expected0 = math.log(99 / 100) - 0.5 * 2.0 * (r[0] ** 2 + r[1] ** 2)
    assert ce[0] == pytest.approx(expected0, abs=1e-15)
    assert ce[2] == pytest.approx(math.log(103 / 99) - (r[2] ** 2 + r[3] ** 2), abs=1e-15)
    assert np.isnan(ce[-2:]).all()
    # Log utility (gamma = 1) ignores the variance.
    assert forward_certainty_equivalent(p, 2, 1.0)[0] == pytest.approx(math.log(0.99))


def test_more_risk_aversion_means_more_selling() -> None:
    p = builtin_prices().to_numpy()
    deviation = np.zeros(p.size - 5)
    sells = []
    for gamma in (1.0, 3.0, 10.0):
        ce = forward_certainty_equivalent(p, 5, gamma)[:-5]
        codes = label_actions(ce, deviation, LabelRule(risk_aversion=gamma))
        sells.append((codes == Action.SELL).mean())
    assert sells[0] < sells[1] < sells[2]


def test_actions_from_thresholds_and_the_redeem_rule() -> None:
    rule = LabelRule(threshold=0.02, redeem_fee_bp=25.0)
    ce = np.array([0.0, 0.03, -0.03, -0.03, -0.03, 0.02])
    dev = np.array([0.0, 0.0, 0.0, -30.0, -20.0, 0.0])
    codes = label_actions(ce, dev, rule)
    assert codes.tolist() == [
        Action.HOLD,
        Action.BUY,
        Action.SELL,
        Action.REDEEM,  # wants out and the discount (30 bp) exceeds the fee (25 bp)
        Action.SELL,  # a 20 bp discount is cheaper to sell into than the fee
        Action.HOLD,  # exactly at the threshold: not cleared
    ]


def test_gold_only_history_never_labels_a_redemption() -> None:
    p = builtin_prices().to_numpy()
    ce = forward_certainty_equivalent(p, 5, 3.0)[:-5]
    codes = label_actions(ce, np.zeros(ce.size), LabelRule())
    assert Action.REDEEM not in set(codes.tolist())
    assert {Action.HOLD, Action.BUY, Action.SELL} <= set(codes.tolist())


def test_token_state_shifts_the_certainty_equivalent_as_documented() -> None:
    rule = LabelRule(horizon=5, deviation_halflife_days=1.0, incident_loss=0.1, panic_discount=0.02)
    token = np.zeros((4, len(TOKEN_FEATURES)))
    token[1, TOKEN_FEATURES.index("deviation_bp")] = -100.0  # a 1% discount
    token[2, TOKEN_FEATURES.index("incident")] = 1.0
    token[3, TOKEN_FEATURES.index("neighbour_panic")] = 1.0
    ce = token_adjusted_ce(np.zeros(4), token, rule)
    assert rule.reversion == pytest.approx(1 - 2**-5)
    assert ce[0] == 0.0
    assert ce[1] == pytest.approx(0.01 * rule.reversion)  # a discount is expected to close
    assert ce[2] == pytest.approx(-0.1)
    assert ce[3] == pytest.approx(-0.02)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"horizon": 0},
        {"risk_aversion": -1.0},
        {"threshold": float("nan")},
        {"deviation_halflife_days": 0.0},
        {"incident_loss": 2.0},
    ],
)
def test_label_rule_refuses_impossible_parameters(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        LabelRule(**kwargs)


def test_model_features_at_hourly_steps_equal_training_features_on_daily_rows() -> None:
    """One definition serves both: sampled once a day, the model sees what training used."""
    from gramabm.policies.features import market_feature_arrays

    rng = np.random.default_rng(4)
    hourly = 1500.0 * np.exp(np.cumsum(rng.normal(0, 0.002, 24 * 120)))
    daily = hourly[23::24]  # the close of each day
    model = market_feature_arrays(hourly, 24, partial_windows=True)
    train = market_feature_arrays(daily, 1)
    for name, values in train.items():
        full = np.isfinite(values)
        assert full.sum() >= 50
        seen = model[name][23::24][full]
        if name == "drawdown":  # hourly steps also see intraday highs: never a smaller fall
            assert np.all(seen >= values[full] - 1e-15)
            assert np.any(seen > values[full])
        else:
            np.testing.assert_allclose(seen, values[full], rtol=1e-12, atol=1e-15)
