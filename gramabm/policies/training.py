"""Training holder policies from history, with out-of-sample scores against the baselines.

**From a gold series** (:func:`train_policy`): features from :mod:`gramabm.policies.features`,
labels from :mod:`gramabm.policies.labels`, then a **time-ordered split**: the last
``validation_share`` of the labelled rows is held out, and the ``horizon`` training rows just
before it are dropped (a purge gap), because their labels look into the held-out period. The
returned policy is the one fitted on the training part only, so its scores are honest
out-of-sample figures; the model file records both periods.

**From observed flows** (:func:`train_policy_from_flows`): a CSV of daily flows of a token, with

* ``date`` (required): ISO 8601 dates, ascending, unique;
* at least one of ``net_buy_g`` (holders' net secondary-market purchases, grams; negative = net
  sales) and ``net_mint_g`` (primary-market mints minus redemptions, grams; negative = net
  redemptions); empty cells count as 0;
* optional ``price``: gold in USD per troy ounce on that date. Without it, gold prices come from
  the ``prices`` argument (a series covering the flows' dates and the 60 rows before);
* optional token features ``deviation_bp``, ``neighbour_panic``, ``incident`` (numeric, finite);
  the token features not given are filled by ``token_mode`` (``"zeros"`` by default: aggregate
  flows say nothing about one holder's P&L).

Each day becomes one labelled row: the features are the market features of the last gold price
on or before that date (at most :data:`MAX_PRICE_GAP_DAYS` calendar days earlier: weekends and
holidays), plus the token features. The label is the day's **dominant flow**: buying (net buys
plus net mints), selling (net sales) or redeeming (net redemptions), whichever is largest in
grams; days whose dominant flow is below the ``hold_quantile`` quantile of all days' dominant
flows (the median by default) are ``hold``: ordinary days. Flows are contemporaneous with the
features, so the purge gap is one row.

Scores (:class:`Scores`) on the held-out rows: the multiclass log loss and Brier score, and per
action the one-against-rest log loss, Brier score and ROC AUC (``None`` when the held-out rows
have only one side). Two baselines are scored on the same rows: the rule-based policy with its
default parameters, and the **prior** (the training rows' action frequencies for every row),
the bar any useful policy must clear.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import ACTIONS, FEATURES
from gramabm.policies.features import (
    TOKEN_FEATURES,
    WARMUP_ROWS,
    TokenAugmentation,
    TokenMode,
    market_features,
    token_features,
)
from gramabm.policies.labels import (
    LabelRule,
    forward_certainty_equivalent,
    label_actions,
    token_adjusted_ce,
)
from gramabm.policies.learned import N_ACTIONS, GradientBoostedPolicy, LogisticPolicy, action_codes
from gramabm.policies.rule_based import RuleBasedPolicy

Family = Literal["logistic", "gbt"]
FAMILIES: dict[str, type] = {"logistic": LogisticPolicy, "gbt": GradientBoostedPolicy}
"""Learned policy families by name."""

FLOW_COLUMNS: tuple[str, ...] = ("net_buy_g", "net_mint_g")
"""Flow columns of a flows CSV (at least one is required)."""

FLOW_TOKEN_COLUMNS: tuple[str, ...] = ("deviation_bp", "neighbour_panic", "incident")
"""Token features a flows CSV may carry."""

MAX_PRICE_GAP_DAYS: int = 5
"""Oldest gold price (calendar days before a flow date) that still counts as that day's."""

MIN_TRAIN_ROWS: int = 30
"""Fewest rows on either side of the split."""

_EPS = 1e-15  # probability clip of the log losses (scikit-learn's convention for float64)


# ---------------------------------------------------------------------------------- data sets


@dataclass(frozen=True)
class TrainingSet:
    """Labelled rows in time order.

    Args:
        X: Features, columns :data:`~gramabm.policies.base.FEATURES`, on a DatetimeIndex.
        y: Action codes, one per row.
        source: Where the data came from.
        gap: Rows to drop before a validation period (labels' look-ahead plus one).
        labelling: Description of the labelling (rule parameters), for reports and metadata.
    """

    X: pd.DataFrame
    y: np.ndarray
    source: str
    gap: int
    labelling: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.y.size)

    def split(self, validation_share: float = 0.25) -> tuple[TrainingSet, TrainingSet]:
        """Time-ordered train/validation split with a purge gap.

        Args:
            validation_share: Fraction of rows (the latest) held out.

        Returns:
            ``(train, validation)``.

        Raises:
            ConfigError: The share is not in (0, 1) or leaves a side with too few rows.
        """
        if not 0.0 < validation_share < 1.0:
            raise ConfigError(f"validation_share must be in (0, 1), got {validation_share}")
        n = len(self)
        start = n - round(n * validation_share)
        end_train = start - self.gap
        if end_train < MIN_TRAIN_ROWS or n - start < MIN_TRAIN_ROWS:
            raise ConfigError(
                f"{n} labelled rows are too few to hold out {validation_share:.0%} with a gap of "
                f"{self.gap} rows (each side needs {MIN_TRAIN_ROWS})"
            )
        return self._rows(slice(0, end_train)), self._rows(slice(start, n))

    def _rows(self, rows: slice) -> TrainingSet:
        return TrainingSet(self.X.iloc[rows], self.y[rows], self.source, self.gap, self.labelling)

    @property
    def period(self) -> dict[str, Any]:
        """First and last date and the row count."""
        return {
            "start": f"{self.X.index[0]:%Y-%m-%d}",
            "end": f"{self.X.index[-1]:%Y-%m-%d}",
            "rows": len(self),
        }


def build_training_set(
    prices: pd.Series,
    rule: LabelRule | None = None,
    *,
    token_mode: TokenMode = "augment",
    augmentation: TokenAugmentation | None = None,
    seed: int = 0,
) -> TrainingSet:
    """Labelled rows from a gold series: features up to each day, labels from what followed.

    Args:
        prices: Gold prices (USD per troy ounce) on an ascending DatetimeIndex.
        rule: The labelling rule (default :class:`LabelRule`).
        token_mode: How to fill token features (``"zeros"`` or ``"augment"``).
        augmentation: Synthetic distributions for ``"augment"``.
        seed: Seed of the synthetic draws.

    Returns:
        Rows from the end of the warm-up to ``horizon`` rows before the last price.

    Raises:
        DataValidationError: The series is unusable or too short.
        ConfigError: A parameter is out of range.
    """
    rule = rule or LabelRule()
    market = market_features(prices)
    values = prices.to_numpy(dtype=np.float64)
    rows = np.arange(WARMUP_ROWS, len(values) - rule.horizon)
    source = str(prices.attrs.get("source", "prices"))
    if rows.size < 2 * MIN_TRAIN_ROWS:
        raise DataValidationError(
            source, f"{len(values)} prices leave {max(rows.size, 0)} labelled rows; too few"
        )
    rng = np.random.default_rng(seed)
    token = token_features(values, rows, token_mode, augmentation, rng)
    ce = token_adjusted_ce(
        forward_certainty_equivalent(values, rule.horizon, rule.risk_aversion)[rows], token, rule
    )
    y = label_actions(ce, token[:, TOKEN_FEATURES.index("deviation_bp")], rule)
    X = pd.concat(
        [
            market.iloc[rows],
            pd.DataFrame(token, index=prices.index[rows], columns=list(TOKEN_FEATURES)),
        ],
        axis=1,
    )[list(FEATURES)]
    labelling = {
        "kind": "gold_forward_certainty_equivalent",
        **rule.to_dict(),
        "token_mode": token_mode,
        "seed": seed,
    }
    if token_mode == "augment":
        labelling["augmentation"] = asdict(augmentation or TokenAugmentation())
    return TrainingSet(X, y, source, gap=rule.horizon, labelling=labelling)


# ---------------------------------------------------------------------------------- flows


@dataclass(frozen=True)
class FlowLabelRule:
    """How daily flows become actions (see the module docstring).

    Args:
        hold_quantile: Days whose dominant flow is at or below this quantile are ``hold``.
        min_flow_g: Days whose dominant flow is below this many grams are ``hold`` too.
    """

    hold_quantile: float = 0.5
    min_flow_g: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.hold_quantile < 1.0:
            raise ConfigError(f"hold_quantile must be in [0, 1), got {self.hold_quantile}")
        if not (math.isfinite(self.min_flow_g) and self.min_flow_g >= 0):
            raise ConfigError(f"min_flow_g must be >= 0, got {self.min_flow_g}")


def load_flows_csv(
    path: str | os.PathLike[str] | io.StringIO, source: str | None = None
) -> pd.DataFrame:
    """Read and validate a flows CSV (format in the module docstring).

    Args:
        path: The file (or a text buffer).
        source: Name used in messages; defaults to the path.

    Returns:
        Numeric columns (flows, optional ``price`` and token features) on a DatetimeIndex
        named ``date``, with ``attrs["source"]``.

    Raises:
        DataValidationError: Missing file or column, bad date or number (row given), dates out
            of order or repeated.
    """
    where = source or str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    except FileNotFoundError as exc:
        raise DataValidationError(where, "no such file") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataValidationError(where, f"not a readable CSV file: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    if "date" not in raw.columns:
        raise DataValidationError(where, f"no 'date' column; columns are {list(raw.columns)}")
    flows = [c for c in FLOW_COLUMNS if c in raw.columns]
    if not flows:
        raise DataValidationError(
            where,
            f"no flow column: need {' and/or '.join(FLOW_COLUMNS)}; columns are {list(raw.columns)}",
        )
    if raw.empty:
        raise DataValidationError(where, "no data rows")
    dates = pd.to_datetime(raw["date"].str.strip(), errors="coerce", format="ISO8601")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise DataValidationError(
            where, f"date {raw['date'].iloc[bad[0]]!r} is not an ISO 8601 date", int(bad[0]) + 1
        )
    dates = pd.DatetimeIndex(dates).normalize()
    if not dates.is_unique:
        dup = int(np.flatnonzero(dates.duplicated())[0])
        raise DataValidationError(where, f"date {dates[dup]:%Y-%m-%d} appears twice", dup + 1)
    down = np.flatnonzero(np.diff(dates.asi8) < 0)
    if down.size:
        raise DataValidationError(where, "dates must be ascending", int(down[0]) + 2)
    columns = flows + [c for c in ("price", *FLOW_TOKEN_COLUMNS) if c in raw.columns]
    out = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    for name in columns:
        text = raw[name].str.strip()
        if name in flows:
            text = text.replace("", "0")  # an empty flow cell means no flow
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            cell = raw[name].iloc[bad[0]]
            raise DataValidationError(
                where, f"{name} {cell!r} is not a finite number", int(bad[0]) + 1
            )
        if name == "price" and np.any(values <= 0):
            row = int(np.flatnonzero(values <= 0)[0])
            raise DataValidationError(where, f"price {values[row]} is not positive", row + 1)
        out[name] = values
    out.attrs["source"] = where
    return out


def flow_labels(flows: pd.DataFrame, rule: FlowLabelRule | None = None) -> np.ndarray:
    """Action codes of daily flows: the dominant flow, or hold on ordinary days.

    Args:
        flows: Columns ``net_buy_g`` and/or ``net_mint_g``.
        rule: Thresholds of a hold day.

    Returns:
        int64 action codes.
    """
    rule = rule or FlowLabelRule()
    zero = np.zeros(len(flows))
    buy = flows["net_buy_g"].to_numpy() if "net_buy_g" in flows else zero
    mint = flows["net_mint_g"].to_numpy() if "net_mint_g" in flows else zero
    by_action = np.column_stack(
        [zero, np.maximum(buy, 0) + np.maximum(mint, 0), np.maximum(-buy, 0), np.maximum(-mint, 0)]
    )
    codes = by_action.argmax(axis=1).astype(np.int64)
    size = by_action.max(axis=1)
    cut = max(float(np.quantile(size, rule.hold_quantile)), rule.min_flow_g)
    codes[(size <= cut) | (size < rule.min_flow_g)] = 0
    return codes


def flow_training_set(
    flows: pd.DataFrame,
    prices: pd.Series | None = None,
    rule: FlowLabelRule | None = None,
    *,
    token_mode: TokenMode = "zeros",
    augmentation: TokenAugmentation | None = None,
    seed: int = 0,
) -> TrainingSet:
    """Labelled rows from daily flows and the gold prices around them.

    Args:
        flows: A validated flows table (see :func:`load_flows_csv`).
        prices: Gold prices; needed unless ``flows`` has a ``price`` column.
        rule: How flows become actions.
        token_mode: How to fill the token features the flows do not carry.
        augmentation: Synthetic distributions for ``"augment"``.
        seed: Seed of the synthetic draws.

    Returns:
        One row per flow date.

    Raises:
        DataValidationError: No gold price for a flow date, or too few rows.
    """
    source = str(flows.attrs.get("source", "flows"))
    if "price" in flows:
        gold = flows["price"].rename("price")
        gold.attrs["source"] = source
    elif prices is None:
        raise DataValidationError(
            source, "no 'price' column: pass a gold price series covering the flows' dates"
        )
    else:
        gold = prices
    market = market_features(gold).iloc[WARMUP_ROWS:]
    gold_dates = market.index
    pos = gold_dates.searchsorted(flows.index, side="right") - 1  # last gold date <= flow date
    known = pos >= 0
    gap = np.full(len(flows), np.inf)
    gap[known] = (flows.index[known] - gold_dates[pos[known]]).days
    stale = np.flatnonzero(gap > MAX_PRICE_GAP_DAYS)
    if "price" in flows:
        # Flows carrying their own prices lose their first WARMUP_ROWS rows to the feature window.
        keep = gap <= MAX_PRICE_GAP_DAYS
    else:
        if stale.size:
            d = flows.index[stale[0]]
            raise DataValidationError(
                source,
                f"no gold price within {MAX_PRICE_GAP_DAYS} days before {d:%Y-%m-%d} after a "
                f"{WARMUP_ROWS}-row warm-up (gold data: {gold.index[0]:%Y-%m-%d} to "
                f"{gold.index[-1]:%Y-%m-%d})",
                int(stale[0]) + 1,
            )
        keep = np.ones(len(flows), dtype=bool)
    kept = flows.loc[keep]
    if len(kept) < 2 * MIN_TRAIN_ROWS:
        raise DataValidationError(
            source,
            f"{len(kept)} flow days with gold features; at least {2 * MIN_TRAIN_ROWS} needed",
        )
    X = market.iloc[pos[keep]].set_axis(kept.index)
    gold_values = gold.to_numpy(dtype=np.float64)
    rows = gold.index.get_indexer(gold_dates[pos[keep]])
    token = token_features(gold_values, rows, token_mode, augmentation, np.random.default_rng(seed))
    for k, name in enumerate(TOKEN_FEATURES):
        X[name] = kept[name].to_numpy() if name in kept else token[:, k]
    y = flow_labels(kept, rule)
    labelling = {
        "kind": "observed_flows",
        **asdict(rule or FlowLabelRule()),
        "flow_columns": [c for c in FLOW_COLUMNS if c in flows],
        "token_columns": [c for c in FLOW_TOKEN_COLUMNS if c in flows],
        "token_mode": token_mode,
        "seed": seed,
    }
    return TrainingSet(X[list(FEATURES)], y, source, gap=1, labelling=labelling)


# ---------------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class ActionScore:
    """One action's one-against-rest scores on held-out rows.

    Args:
        action: The action name.
        share: Fraction of held-out rows with this label.
        mean_proba: Mean predicted probability of the action.
        log_loss: Binary cross-entropy of the action's probability.
        brier: Mean squared error of the action's probability.
        auc: ROC AUC, ``None`` when the held-out rows have only one side.
    """

    action: str
    share: float
    mean_proba: float
    log_loss: float
    brier: float
    auc: float | None


@dataclass(frozen=True)
class Scores:
    """Out-of-sample scores of one set of probabilities.

    Args:
        log_loss: Multiclass log loss (mean negative log probability of the true action).
        brier: Multiclass Brier score (mean over rows of the summed squared errors).
        per_action: One :class:`ActionScore` per action, in Action order.
    """

    log_loss: float
    brier: float
    per_action: tuple[ActionScore, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {
            "log_loss": self.log_loss,
            "brier": self.brier,
            "per_action": {a.action: asdict(a) for a in self.per_action},
        }


def score_probabilities(proba: np.ndarray, y: np.ndarray) -> Scores:
    """Scores of action probabilities against true action codes.

    Args:
        proba: Shape ``(n, 4)``, rows summing to one.
        y: Action codes.

    Returns:
        The scores.
    """
    from sklearn.metrics import roc_auc_score

    proba = np.asarray(proba, dtype=np.float64)
    y = action_codes(y)
    onehot = np.zeros_like(proba)
    onehot[np.arange(y.size), y] = 1.0
    clipped = np.clip(proba, _EPS, 1.0 - _EPS)
    log_loss = float(-np.mean(np.log(clipped[np.arange(y.size), y])))
    brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    per_action = []
    for k, name in enumerate(ACTIONS):
        truth, p = onehot[:, k], clipped[:, k]
        bce = float(-np.mean(truth * np.log(p) + (1.0 - truth) * np.log1p(-p)))
        both = 0 < truth.sum() < truth.size
        auc = float(roc_auc_score(truth, proba[:, k])) if both else None
        per_action.append(
            ActionScore(
                action=name,
                share=float(truth.mean()),
                mean_proba=float(proba[:, k].mean()),
                log_loss=bce,
                brier=float(np.mean((proba[:, k] - truth) ** 2)),
                auc=auc,
            )
        )
    return Scores(log_loss, brier, tuple(per_action))


@dataclass(frozen=True)
class TrainingReport:
    """What was trained on what, and how it scored on the held-out later rows.

    Args:
        family: ``"logistic"`` or ``"gbt"``.
        params: The policy's parameters.
        source: Training data source.
        labelling: The labelling rule's parameters.
        train: Period of the training rows (start, end, rows).
        validation: Period of the held-out rows.
        policy: Scores of the learned policy.
        baseline: Scores of the rule-based policy (default parameters).
        prior: Scores of the training action frequencies.
        train_shares: Action shares in the training rows.
    """

    family: str
    params: dict[str, Any]
    source: str
    labelling: dict[str, Any]
    train: dict[str, Any]
    validation: dict[str, Any]
    policy: Scores
    baseline: Scores
    prior: Scores
    train_shares: dict[str, float]

    @property
    def beats_baseline(self) -> bool:
        """Whether the learned policy's held-out log loss is below the rule-based policy's."""
        return self.policy.log_loss < self.baseline.log_loss

    @property
    def beats_prior(self) -> bool:
        """Whether the learned policy's held-out log loss is below the prior's."""
        return self.policy.log_loss < self.prior.log_loss

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in model files)."""
        return {
            "family": self.family,
            "params": _jsonable(self.params),
            "source": self.source,
            "labelling": _jsonable(self.labelling),
            "train": self.train,
            "validation": self.validation,
            "train_shares": self.train_shares,
            "scores": {
                "policy": self.policy.to_dict(),
                "rule_based": self.baseline.to_dict(),
                "prior": self.prior.to_dict(),
            },
            "beats_baseline": self.beats_baseline,
            "beats_prior": self.beats_prior,
        }

    def lines(self) -> list[str]:
        """A plain-text summary, one line per item."""
        rows = [
            f"family      {self.family}",
            f"source      {self.source}",
            f"train       {self.train['start']} to {self.train['end']} ({self.train['rows']:,} rows)",
            (
                f"validation  {self.validation['start']} to {self.validation['end']} "
                f"({self.validation['rows']:,} rows)"
            ),
            "held-out log loss / Brier:",
        ]
        for name, s in (
            ("policy", self.policy),
            ("rule_based", self.baseline),
            ("prior", self.prior),
        ):
            rows.append(f"  {name:<11} {s.log_loss:8.4f}  {s.brier:7.4f}")
        rows.append("per action (policy): share, log loss, Brier, AUC")
        for a in self.policy.per_action:
            auc = "   n/a" if a.auc is None else f"{a.auc:6.3f}"
            rows.append(f"  {a.action:<7} {a.share:6.3f} {a.log_loss:8.4f} {a.brier:7.4f} {auc}")
        verdict = "beats" if self.beats_baseline else "does NOT beat"
        rows.append(f"the policy {verdict} the rule-based baseline in held-out log loss")
        verdict = "beats" if self.beats_prior else "does NOT beat"
        rows.append(f"the policy {verdict} the prior (training action frequencies)")
        return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


# ---------------------------------------------------------------------------------- training


def make_policy(family: str, params: dict[str, Any] | None = None) -> Any:
    """An unfitted learned policy of a family.

    Args:
        family: ``"logistic"`` or ``"gbt"``.
        params: Constructor parameters.

    Returns:
        The estimator.

    Raises:
        ConfigError: Unknown family or parameter.
    """
    if family not in FAMILIES:
        raise ConfigError(f"unknown policy family {family!r}; use one of {', '.join(FAMILIES)}")
    cls = FAMILIES[family]
    try:
        return cls(**(params or {}))
    except TypeError as exc:
        raise ConfigError(f"bad parameters for the {family} policy: {exc}") from exc


def fit_and_score(
    data: TrainingSet,
    family: str = "logistic",
    *,
    params: dict[str, Any] | None = None,
    validation_share: float = 0.25,
) -> tuple[Any, TrainingReport]:
    """Fit a policy on the earlier rows and score it on the later ones.

    Args:
        data: Labelled rows in time order.
        family: ``"logistic"`` or ``"gbt"``.
        params: Policy constructor parameters.
        validation_share: Fraction of rows held out at the end.

    Returns:
        ``(policy, report)``; the policy is fitted on the training rows only.
    """
    policy = make_policy(family, params)
    train, valid = data.split(validation_share)
    policy.fit(train.X.to_numpy(), train.y)
    X_valid = valid.X.to_numpy()
    shares = np.bincount(train.y, minlength=N_ACTIONS) / len(train)
    report = TrainingReport(
        family=family,
        params=policy.get_params(),
        source=data.source,
        labelling=data.labelling,
        train=train.period,
        validation=valid.period,
        policy=score_probabilities(policy.predict_proba(X_valid), valid.y),
        baseline=score_probabilities(
            RuleBasedPolicy().fit(X_valid).predict_proba(X_valid), valid.y
        ),
        prior=score_probabilities(np.tile(shares, (len(valid), 1)), valid.y),
        train_shares={a: float(s) for a, s in zip(ACTIONS, shares, strict=True)},
    )
    return policy, report


def train_policy(
    prices: pd.Series,
    family: str = "logistic",
    horizon: int = 5,
    *,
    risk_aversion: float = 3.0,
    threshold: float = 0.02,
    rule: LabelRule | None = None,
    token_mode: TokenMode = "augment",
    augmentation: TokenAugmentation | None = None,
    validation_share: float = 0.25,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> tuple[Any, TrainingReport]:
    """Train a policy on a gold series and score it on its later years.

    Args:
        prices: Gold prices (USD per troy ounce) on an ascending DatetimeIndex.
        family: ``"logistic"`` or ``"gbt"``.
        horizon: Label look-ahead in rows (ignored when ``rule`` is given).
        risk_aversion: Label risk aversion (ignored when ``rule`` is given).
        threshold: Label switching threshold (ignored when ``rule`` is given).
        rule: The full labelling rule, overriding the three arguments above.
        token_mode: How to fill token features (``"zeros"`` or ``"augment"``).
        augmentation: Synthetic distributions for ``"augment"``.
        validation_share: Fraction of labelled rows held out at the end.
        seed: Seed of the synthetic token draws.
        params: Policy constructor parameters.

    Returns:
        ``(policy, report)``.

    Raises:
        DataValidationError: The series is unusable or too short.
        ConfigError: A parameter is out of range.
    """
    rule = rule or LabelRule(horizon=horizon, risk_aversion=risk_aversion, threshold=threshold)
    data = build_training_set(
        prices, rule, token_mode=token_mode, augmentation=augmentation, seed=seed
    )
    return fit_and_score(data, family, params=params, validation_share=validation_share)


def train_policy_from_flows(
    flows: str | os.PathLike[str] | pd.DataFrame,
    prices: pd.Series | None = None,
    family: str = "logistic",
    *,
    rule: FlowLabelRule | None = None,
    token_mode: TokenMode = "zeros",
    validation_share: float = 0.25,
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> tuple[Any, TrainingReport]:
    """Train a policy on observed daily flows (format in the module docstring).

    Args:
        flows: A flows CSV path, or a table from :func:`load_flows_csv`.
        prices: Gold prices when the flows have no ``price`` column.
        family: ``"logistic"`` or ``"gbt"``.
        rule: How flows become actions.
        token_mode: How to fill token features the flows do not carry.
        validation_share: Fraction of rows held out at the end.
        seed: Seed of synthetic token draws (``"augment"`` only).
        params: Policy constructor parameters.

    Returns:
        ``(policy, report)``.

    Raises:
        DataValidationError: The file or the prices are unusable.
        ConfigError: A parameter is out of range.
    """
    table = flows if isinstance(flows, pd.DataFrame) else load_flows_csv(Path(flows))
    data = flow_training_set(table, prices, rule, token_mode=token_mode, seed=seed)
    return fit_and_score(data, family, params=params, validation_share=validation_share)


def is_flows_csv(path: str | os.PathLike[str]) -> bool:
    """Whether a CSV's header names a flow column (so it is flows, not gold prices).

    Args:
        path: The CSV file.

    Returns:
        True when a column of :data:`FLOW_COLUMNS` is in the header.

    Raises:
        DataValidationError: The file cannot be read.
    """
    try:
        with open(path, encoding="utf-8-sig") as fh:
            header = fh.readline()
    except OSError as exc:
        raise DataValidationError(str(path), f"cannot read the file: {exc}") from exc
    names = {c.strip().strip('"') for c in header.strip().split(",")}
    return any(c in names for c in FLOW_COLUMNS)


# ---------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Scores of a saved policy on new data.

    Args:
        source: The data scored.
        period: First and last date and rows scored.
        held_out: Whether every scored row is later than the policy's training period.
        policy: Scores of the policy.
        baseline: Scores of the rule-based policy.
        prior: Scores of the training action frequencies (when the file records them).
    """

    source: str
    period: dict[str, Any]
    held_out: bool
    policy: Scores
    baseline: Scores
    prior: Scores | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "period": self.period,
            "held_out": self.held_out,
            "scores": {
                "policy": self.policy.to_dict(),
                "rule_based": self.baseline.to_dict(),
                "prior": None if self.prior is None else self.prior.to_dict(),
            },
        }


def evaluate_policy(
    policy: Any,
    metadata: dict[str, Any],
    data: pd.Series | pd.DataFrame,
    prices: pd.Series | None = None,
) -> Evaluation:
    """Score a saved policy on gold prices or flows, labelled as its metadata says it was trained.

    Only rows after the end of the policy's training period are scored when there are at least
    :data:`MIN_TRAIN_ROWS` of them (a genuine out-of-sample check); otherwise every row is, and
    ``held_out`` is False.

    Args:
        policy: The policy.
        metadata: Its file metadata (``training.labelling`` says how to label).
        data: Gold prices (a Series) or a flows table (from :func:`load_flows_csv`).
        prices: Gold prices for a flows table without a ``price`` column.

    Returns:
        The scores against the rule-based policy and the training prior.

    Raises:
        ConfigError: The metadata has no labelling rule, or it does not fit the data's kind.
        DataValidationError: The data is unusable.
    """
    training = metadata.get("training") or {}
    labelling = dict(training.get("labelling") or {})
    kind = labelling.pop("kind", None)
    token_mode = labelling.pop("token_mode", "zeros")
    seed = int(labelling.pop("seed", 0))
    augmentation = labelling.pop("augmentation", None)
    aug = TokenAugmentation(**augmentation) if augmentation else None
    if isinstance(data, pd.Series):
        if kind != "gold_forward_certainty_equivalent":
            raise ConfigError(
                f"the policy was trained on {kind or 'unrecorded labels'}: "
                "it cannot be scored on gold prices"
            )
        rule = LabelRule(**labelling)
        labelled = build_training_set(
            data, rule, token_mode=token_mode, augmentation=aug, seed=seed
        )
    else:
        if kind != "observed_flows":
            raise ConfigError(
                f"the policy was trained on {kind or 'unrecorded labels'}: "
                "it cannot be scored on flows"
            )
        rule_flows = FlowLabelRule(
            hold_quantile=labelling["hold_quantile"], min_flow_g=labelling["min_flow_g"]
        )
        labelled = flow_training_set(data, prices, rule_flows, token_mode=token_mode, seed=seed)
    end = training.get("train", {}).get("end")
    held_out = False
    if end is not None:
        later = labelled.X.index > pd.Timestamp(end)
        start = int(np.argmax(later)) + labelled.gap if later.any() else len(labelled)
        if len(labelled) - start >= MIN_TRAIN_ROWS:
            labelled = labelled._rows(slice(start, len(labelled)))
            held_out = True
    X = labelled.X.to_numpy()
    shares = training.get("train_shares")
    prior = None
    if shares:
        p = np.array([float(shares[a]) for a in ACTIONS])
        prior = score_probabilities(np.tile(p, (len(labelled), 1)), labelled.y)
    return Evaluation(
        source=labelled.source,
        period=labelled.period,
        held_out=held_out,
        policy=score_probabilities(policy.predict_proba(X), labelled.y),
        baseline=score_probabilities(RuleBasedPolicy().fit(X).predict_proba(X), labelled.y),
        prior=prior,
    )
