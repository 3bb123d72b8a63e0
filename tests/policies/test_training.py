"""Training from gold history and from observed flows; held-out scores against the baselines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import ACTIONS, FEATURES, Action
from gramabm.policies.features import market_features
from gramabm.policies.learned import GradientBoostedPolicy, LogisticPolicy
from gramabm.policies.training import (
    FlowLabelRule,
    build_training_set,
    evaluate_policy,
    flow_labels,
    is_flows_csv,
    load_flows_csv,
    score_probabilities,
    train_policy,
    train_policy_from_flows,
)
from tests.policies import builtin_prices, lbma_prices


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


# ----------------------------------------------------------------------------- gold history


@pytest.mark.parametrize("family", ["logistic", "gbt"])
@pytest.mark.parametrize("token_mode", ["zeros", "augment"])
@pytest.mark.parametrize("data", ["builtin", "lbma"])
def test_learned_policy_beats_the_rule_based_baseline_on_later_years(
    family: str, token_mode: str, data: str
) -> None:
    prices = builtin_prices() if data == "builtin" else lbma_prices()
    policy, report = train_policy(prices, family, token_mode=token_mode)  # type: ignore[arg-type]
    assert isinstance(policy, LogisticPolicy if family == "logistic" else GradientBoostedPolicy)
    # Held out = later: the validation period starts after the training period ends.
    assert pd.Timestamp(report.validation["start"]) > pd.Timestamp(report.train["end"])
    assert report.validation["rows"] > 1000
    assert report.policy.log_loss < report.baseline.log_loss
    assert report.beats_baseline
    # The stronger bar: the training action frequencies (a constant forecast) are beaten too.
    assert report.policy.log_loss < report.prior.log_loss
    assert report.policy.brier < report.baseline.brier


def test_report_has_per_action_scores_and_is_json_ready() -> None:
    _, report = train_policy(builtin_prices(), "gbt")
    d = json.loads(json.dumps(report.to_dict()))
    per_action = d["scores"]["policy"]["per_action"]
    assert list(per_action) == list(ACTIONS)
    for name in ("hold", "buy", "sell"):
        assert 0.5 < per_action[name]["auc"] < 1.0  # some skill on every traded action
        assert per_action[name]["log_loss"] > 0
        assert 0 < per_action[name]["brier"] < 1
    assert sum(a["share"] for a in per_action.values()) == pytest.approx(1.0)
    assert d["train"]["start"] < d["train"]["end"] < d["validation"]["start"]
    assert d["labelling"]["horizon"] == 5
    assert d["labelling"]["token_mode"] == "augment"
    text = "\n".join(report.lines())
    assert "beats the rule-based baseline" in text


def test_zeros_mode_learns_no_redemptions() -> None:
    policy, report = train_policy(builtin_prices(), "logistic", token_mode="zeros")
    assert report.train_shares["redeem"] == 0.0
    assert policy.seen_actions_.tolist() == [0, 1, 2]
    X = build_training_set(builtin_prices(), token_mode="augment").X.to_numpy()[:100]
    assert np.all(policy.predict_proba(X)[:, Action.REDEEM] == 0.0)


def test_augmented_policy_reacts_to_incident_news_and_discounts() -> None:
    policy, _ = train_policy(builtin_prices(), "logistic", token_mode="augment")
    calm = np.zeros((1, len(FEATURES)))
    calm[0, FEATURES.index("vol_20d")] = 0.15
    news = calm.copy()
    news[0, FEATURES.index("incident")] = 1.0
    run = news.copy()
    run[0, FEATURES.index("deviation_bp")] = -300.0
    p_calm, p_news, p_run = (policy.predict_proba(x)[0] for x in (calm, news, run))
    assert p_news[Action.SELL] + p_news[Action.REDEEM] > 2 * (
        p_calm[Action.SELL] + p_calm[Action.REDEEM]
    )
    assert p_run[Action.REDEEM] > p_news[Action.REDEEM]


def test_split_is_time_ordered_with_a_purge_gap() -> None:
    data = build_training_set(builtin_prices())
    train, valid = data.split(0.25)
    assert train.X.index.max() < valid.X.index.min()
    assert len(train) + len(valid) + data.gap == len(data)
    assert len(valid) == round(len(data) * 0.25)
    with pytest.raises(ConfigError, match="validation_share"):
        data.split(1.0)


def test_blocked_split_interleaves_years_with_purge_gaps_on_both_sides() -> None:
    data = build_training_set(builtin_prices())
    train, valid = data.split(0.25, block_rows=252)
    position = pd.Series(np.arange(len(data)), index=data.X.index)
    t, v = position[train.X.index].to_numpy(), position[valid.X.index].to_numpy()
    assert np.intersect1d(t, v).size == 0
    held = np.zeros(len(data), dtype=bool)
    held[v] = True
    assert (held == (np.arange(len(data)) // 252 % 4 == 2)).all()  # every fourth year
    # No training row within `gap` rows of a held-out one, on either side.
    assert np.abs(t[:, None] - v[None, :]).min() > data.gap
    assert len(train) + len(valid) >= len(data) - 2 * data.gap * valid.period["runs"]
    # Both parts span the history: gold's 1980s bear market and its 2000s bull market.
    for part in (train, valid):
        years = part.X.index.year
        assert years.min() < 1985
        assert years.max() > 2008
    assert valid.period["runs"] > 5
    with pytest.raises(ConfigError, match="block_rows"):
        data.split(0.25, block_rows=-1)


def test_one_seed_one_training_set() -> None:
    a = build_training_set(builtin_prices(), seed=3)
    b = build_training_set(builtin_prices(), seed=3)
    c = build_training_set(builtin_prices(), seed=4)
    pd.testing.assert_frame_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not a.X.equals(c.X)


def test_scores_by_hand() -> None:
    proba = np.array([[0.7, 0.1, 0.2, 0.0], [0.2, 0.5, 0.3, 0.0]])
    y = np.array([Action.HOLD, Action.SELL])
    s = score_probabilities(proba, y)
    assert s.log_loss == pytest.approx(-(np.log(0.7) + np.log(0.3)) / 2)
    assert s.brier == pytest.approx(((0.09 + 0.01 + 0.04) + (0.04 + 0.25 + 0.49)) / 2)
    sell = s.per_action[Action.SELL]
    assert sell.share == 0.5
    assert sell.auc == 1.0
    assert s.per_action[Action.REDEEM].auc is None  # no redemption in the rows


def test_too_short_history_is_refused() -> None:
    with pytest.raises(DataValidationError, match=r"too few|at least"):
        train_policy(builtin_prices().iloc[:100])


def test_unknown_family_and_bad_params() -> None:
    with pytest.raises(ConfigError, match="unknown policy family"):
        train_policy(builtin_prices(), "forest")
    with pytest.raises(ConfigError, match="bad parameters"):
        train_policy(builtin_prices(), "logistic", params={"depth": 3})


def test_evaluate_a_policy_on_a_later_period() -> None:
    prices = builtin_prices()
    early = prices.loc[:"2004-12-31"].copy()
    early.attrs = dict(prices.attrs)
    policy, report = train_policy(early, "logistic", validation_share=0.2)
    meta = {"training": report.to_dict()}
    ev = evaluate_policy(policy, meta, prices)
    assert ev.held_out
    assert pd.Timestamp(ev.period["start"]) > pd.Timestamp(report.train["end"])
    assert ev.policy.log_loss < ev.baseline.log_loss
    with pytest.raises(ConfigError, match="cannot be scored on flows"):
        evaluate_policy(policy, meta, pd.DataFrame({"net_buy_g": [1.0]}))


# ----------------------------------------------------------------------------- flows


def synthetic_flows(prices: pd.Series, seed: int = 0) -> pd.DataFrame:
    """Daily flows that chase 20-day gold momentum and flee volatility, plus noise."""
    feats = market_features(prices).dropna()
    rng = np.random.default_rng(seed)
    z = 8 * feats["ret_20d"].to_numpy() - 4 * (feats["vol_20d"].to_numpy() - 0.15)
    net_buy = 1_000 * (z + rng.normal(0, 0.5, len(z)))
    net_mint = 300 * (z + rng.normal(0, 0.8, len(z)))
    return pd.DataFrame({"date": feats.index, "net_buy_g": net_buy, "net_mint_g": net_mint})


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def test_train_from_flows_csv_with_a_gold_series(tmp_path: Path) -> None:
    prices = builtin_prices().loc["1995":]
    prices.attrs = {"source": "builtin"}
    flows = synthetic_flows(prices).iloc[200:]  # the gold series must reach 60 rows before
    path = write_csv(flows, tmp_path / "flows.csv")
    assert is_flows_csv(path)
    _policy, report = train_policy_from_flows(path, prices, "logistic")
    assert report.labelling["kind"] == "observed_flows"
    assert report.labelling["flow_columns"] == ["net_buy_g", "net_mint_g"]
    assert report.policy.log_loss < report.baseline.log_loss
    assert report.policy.log_loss < report.prior.log_loss  # the flows' rule is learnable
    buy = report.policy.per_action[Action.BUY]
    assert buy.auc is not None
    assert buy.auc > 0.7
    assert report.train_shares["hold"] == pytest.approx(0.5, abs=0.02)  # median rule
    assert report.train_shares["redeem"] > 0  # net redemptions happen


def test_flows_with_their_own_prices_and_token_columns(tmp_path: Path) -> None:
    prices = builtin_prices().loc["2000":]
    flows = synthetic_flows(prices)
    flows = flows.merge(prices.rename("price"), left_on="date", right_index=True)
    flows["deviation_bp"] = np.random.default_rng(1).normal(0, 20, len(flows))
    flows = flows.drop(columns="net_mint_g")
    path = write_csv(flows, tmp_path / "flows.csv")
    table = load_flows_csv(path)
    assert list(table.columns) == ["net_buy_g", "price", "deviation_bp"]
    _policy, report = train_policy_from_flows(table, None, "gbt")
    assert report.train_shares["redeem"] == 0.0  # no mint column: no redemptions
    assert report.labelling["token_columns"] == ["deviation_bp"]
    assert report.policy.log_loss < report.baseline.log_loss


def test_flow_labels_by_hand() -> None:
    flows = pd.DataFrame(
        {"net_buy_g": [5.0, -50.0, 10.0, 0.0, 60.0], "net_mint_g": [0.0, 0.0, -80.0, 1.0, 20.0]}
    )
    codes = flow_labels(flows, FlowLabelRule(hold_quantile=0.4))
    # Dominant flows: 5 buy, 50 sell, 80 redeem, 1 buy, 80 buy; the 40% quantile is 5.
    assert codes.tolist() == [Action.HOLD, Action.SELL, Action.REDEEM, Action.HOLD, Action.BUY]
    assert flow_labels(flows, FlowLabelRule(hold_quantile=0.0, min_flow_g=55)).tolist() == [
        0,
        0,
        Action.REDEEM,
        0,
        Action.BUY,
    ]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("day,net_buy_g\n2020-01-01,1\n", "no 'date' column"),
        ("date,volume\n2020-01-01,1\n", "no flow column"),
        ("date,net_buy_g\n2020-01-01,1\n2020-01-02,abc\n", r"row 2: net_buy_g 'abc'"),
        ("date,net_buy_g\n2020-01-01,1\n01/02/2020x,2\n", "row 2: date"),
        ("date,net_buy_g\n2020-01-02,1\n2020-01-01,2\n", "row 2: dates must be ascending"),
        ("date,net_buy_g\n2020-01-01,1\n2020-01-01,2\n", "appears twice"),
        ("date,net_buy_g,price\n2020-01-01,1,-5\n", "not positive"),
        ("date,net_buy_g\n", "no data rows"),
    ],
)
def test_bad_flows_files_name_the_problem(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "flows.csv"
    path.write_text(text)
    with pytest.raises(DataValidationError, match=match):
        load_flows_csv(path)


def test_empty_flow_cells_count_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    path.write_text("date,net_buy_g,net_mint_g\n2020-01-01,5,\n2020-01-02,,-3\n")
    table = load_flows_csv(path)
    assert table["net_mint_g"].tolist() == [0.0, -3.0]
    assert table["net_buy_g"].tolist() == [5.0, 0.0]


def test_flows_outside_the_gold_data_are_refused(tmp_path: Path) -> None:
    flows = pd.DataFrame(
        {"date": pd.bdate_range("2020-01-01", periods=100), "net_buy_g": np.arange(100.0)}
    )
    path = write_csv(flows, tmp_path / "flows.csv")
    with pytest.raises(DataValidationError, match="no gold price within 5 days"):
        train_policy_from_flows(path, builtin_prices())  # the built-in ends in 2012
    with pytest.raises(DataValidationError, match="no 'price' column"):
        train_policy_from_flows(path, None)
    with pytest.raises(DataValidationError, match="no such file"):
        load_flows_csv(tmp_path / "missing.csv")
