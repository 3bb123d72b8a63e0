"""Training features from a gold price series: what a holder could have seen on each day.

**Market features** (the first five of :data:`~gramabm.policies.base.FEATURES`) are computed from
the prices up to and including each row, exactly as the model computes them from its oracle
(``GramModel._market_features``), with one row per trading day:

* ``ret_1d``, ``ret_5d``, ``ret_20d``: log return over the last 1, 5, 20 rows;
* ``vol_20d``: population standard deviation (``ddof=0``) of the last 20 daily log returns,
  annualised with ``sqrt(252)``;
* ``drawdown``: ``1 - p_t / max(p_{t-60..t})``, the fall from the 60-day high, a fraction >= 0.

The first :data:`WARMUP_ROWS` rows lack a full window and get no features.

**Token features** (``deviation_bp``, ``neighbour_panic``, ``incident``, ``own_pnl``) describe the
token and the holder, which gold history does not have. Two documented ways to fill them:

* ``"zeros"``: all four are 0, the neutral state (token at par, no panic, no news, no gain). A
  policy trained so learns nothing about them and ignores them.
* ``"augment"`` (default): a share of rows (:attr:`TokenAugmentation.share`, half by default)
  gets a synthetic token state drawn from the distributions below; the rest stay neutral, so
  the pure-gold behaviour is still learned at the neutral point. The labels of
  :mod:`gramabm.policies.labels` then say how a risk-averse holder would respond to that state,
  so the policy learns a response the model can use. The draws are:

  - ``deviation_bp``: Laplace with scale :attr:`~TokenAugmentation.calm_bp` (30 bp: calm
    arbitrage spreads of tens of bp, docs/model.md D3), or with probability
    :attr:`~TokenAugmentation.stress_share` scale :attr:`~TokenAugmentation.stress_bp` (300 bp:
    stress premiums above 100 bp), clipped to ±2,500 bp (PAXG's ±22-25% single-venue extremes);
  - ``neighbour_panic``: Beta(0.5, 3): mostly near 0, sometimes high;
  - ``incident``: 0, or with probability :attr:`~TokenAugmentation.incident_share` uniform on
    (0, 1] (the freshness of custodian news, 1 when new);
  - ``own_pnl``: **real**, not synthetic: the gold return since an entry day drawn uniformly
    among the last :attr:`~TokenAugmentation.max_holding_days` rows, ``p_t / p_entry - 1``.

The draws come from a ``numpy.random.Generator`` seeded by the caller: one seed, one training set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import FEATURES

MARKET_FEATURES: tuple[str, ...] = FEATURES[:5]
"""Features computed from gold prices."""

TOKEN_FEATURES: tuple[str, ...] = FEATURES[5:]
"""Features of the token and the holder, absent from gold history."""

RETURN_LAGS: dict[str, int] = {"ret_1d": 1, "ret_5d": 5, "ret_20d": 20}
"""Rows of each return feature."""

VOL_WINDOW: int = 20
"""Daily returns in the realised-volatility window."""

DRAWDOWN_WINDOW: int = 60
"""Rows back to the high that the drawdown is measured from (the window holds 61 prices)."""

WARMUP_ROWS: int = DRAWDOWN_WINDOW
"""Leading rows without a full feature window."""

TRADING_DAYS: int = 252
"""Rows per year used to annualise volatility."""

_CALM_VOL = 0.15  # annualised; shown by the model before two daily returns exist


def calm_row() -> np.ndarray:
    """One feature row of the calm state: gold flat at its calm volatility, token neutral.

    Returns:
        A ``(1, len(FEATURES))`` array: no returns, no drawdown, ``vol_20d`` at the calm 15%,
        token at par, no panic, no news, no gain.
    """
    row = np.zeros((1, len(FEATURES)))
    row[0, FEATURES.index("vol_20d")] = _CALM_VOL
    return row


TokenMode = Literal["zeros", "augment"]
TOKEN_MODES: tuple[str, ...] = ("zeros", "augment")


@dataclass(frozen=True)
class TokenAugmentation:
    """Distributions of the synthetic token state (see the module docstring).

    Args:
        share: Fraction of rows given a synthetic state; the rest stay neutral (zeros).
        calm_bp: Laplace scale of the deviation in calm draws (bp).
        stress_bp: Laplace scale of the deviation in stress draws (bp).
        stress_share: Probability that a deviation draw is a stress draw.
        max_abs_deviation_bp: Clip of the deviation (bp).
        panic_a: First Beta parameter of neighbours' panic.
        panic_b: Second Beta parameter of neighbours' panic.
        incident_share: Probability of fresh incident news in a synthetic row.
        max_holding_days: Longest holding period behind ``own_pnl`` (rows).
    """

    share: float = 0.5
    calm_bp: float = 30.0
    stress_bp: float = 300.0
    stress_share: float = 0.2
    max_abs_deviation_bp: float = 2_500.0
    panic_a: float = 0.5
    panic_b: float = 3.0
    incident_share: float = 0.1
    max_holding_days: int = 250

    def __post_init__(self) -> None:
        for name in ("share", "stress_share", "incident_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"TokenAugmentation.{name} must be in [0, 1], got {value}")
        for name in ("calm_bp", "stress_bp", "max_abs_deviation_bp", "panic_a", "panic_b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"TokenAugmentation.{name} must be positive, got {value}")
        if self.max_holding_days < 1:
            raise ConfigError(
                f"TokenAugmentation.max_holding_days must be >= 1, got {self.max_holding_days}"
            )


def check_prices(prices: pd.Series, min_rows: int = WARMUP_ROWS + 2) -> np.ndarray:
    """The prices as a float64 array, after checking the series can carry features.

    Args:
        prices: Gold prices on an ascending DatetimeIndex.
        min_rows: Fewest rows accepted.

    Returns:
        The values.

    Raises:
        DataValidationError: Not a dated series, unsorted, too short, or a price not finite and
            positive.
    """
    source = str(getattr(prices, "attrs", {}).get("source", "prices"))
    if not isinstance(prices, pd.Series) or not isinstance(prices.index, pd.DatetimeIndex):
        raise DataValidationError(source, "policy features need a pandas Series on a DatetimeIndex")
    if not prices.index.is_monotonic_increasing or not prices.index.is_unique:
        raise DataValidationError(source, "dates must be ascending and unique")
    if len(prices) < min_rows:
        raise DataValidationError(
            source, f"{len(prices)} rows; policy features need at least {min_rows}"
        )
    values = prices.to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        raise DataValidationError(
            source, f"price {values[bad[0]]!r} is not finite and positive", int(bad[0]) + 1
        )
    return values


def market_feature_arrays(
    values: np.ndarray, steps_per_day: int = 1, *, partial_windows: bool = False
) -> dict[str, np.ndarray]:
    """The five market features of a price array, one value per element.

    The one definition of the features, shared by training (one row a day) and the model (one
    step an hour, ``steps_per_day=24``): returns over 1, 5 and 20 days, the population standard
    deviation of the last 20 daily returns (annualised with ``sqrt(252)``), and the fall from the
    high of the last 60 days.

    Args:
        values: Positive prices, oldest first.
        steps_per_day: Elements per day.
        partial_windows: ``False`` (training): NaN until a window is full. ``True`` (the model,
            which starts at step 0): windows are cut at the first element; volatility shows
            the calm 15% until two daily returns exist.

    Returns:
        One array per name of :data:`MARKET_FEATURES`.
    """
    d = int(steps_per_day)
    logp = np.log(np.asarray(values, dtype=np.float64))
    n = logp.size
    t = np.arange(n)

    def lagged(series: np.ndarray, lag: int, *, cut: bool) -> np.ndarray:
        src = t - lag
        out = series[np.maximum(src, 0)].copy()
        if not cut:
            out[src < 0] = np.nan
        return out

    out: dict[str, np.ndarray] = {}
    for name, days in RETURN_LAGS.items():
        out[name] = logp - lagged(logp, days * d, cut=partial_windows)
    daily = logp - lagged(logp, d, cut=False)  # a daily return needs a whole day behind it
    # The VOL_WINDOW daily returns ending at each element, one day apart: shape (window, n).
    window = np.stack([lagged(daily, i * d, cut=False) for i in range(VOL_WINDOW)])
    if partial_windows:
        count = np.isfinite(window).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            vol = np.nanstd(np.where(count >= 2, window, 0.0), axis=0)
        out["vol_20d"] = np.where(count >= 2, vol * math.sqrt(TRADING_DAYS), _CALM_VOL)
    else:
        out["vol_20d"] = window.std(axis=0) * math.sqrt(TRADING_DAYS)  # NaN if any is missing
    prices = np.exp(logp)
    span = DRAWDOWN_WINDOW * d + 1
    high = pd.Series(prices).rolling(span, min_periods=1 if partial_windows else span).max()
    out["drawdown"] = 1.0 - prices / high.to_numpy()
    return out


def market_features(prices: pd.Series) -> pd.DataFrame:
    """The five market features on every row (NaN in the first :data:`WARMUP_ROWS` rows).

    Args:
        prices: Gold prices (USD per troy ounce) on an ascending DatetimeIndex.

    Returns:
        Columns :data:`MARKET_FEATURES`, indexed like ``prices``.

    Raises:
        DataValidationError: See :func:`check_prices`.
    """
    arrays = market_feature_arrays(check_prices(prices))
    frame = pd.DataFrame(arrays, index=prices.index, columns=list(MARKET_FEATURES))
    frame.attrs["source"] = str(prices.attrs.get("source", ""))
    return frame


def token_features(
    prices: np.ndarray,
    rows: np.ndarray,
    mode: TokenMode = "augment",
    augmentation: TokenAugmentation | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Token features for the given rows of a price array, shape ``(len(rows), 4)``.

    Args:
        prices: Gold prices, one per row.
        rows: Row positions to fill (each must have ``max_holding_days`` of history or fewer
            rows are used for the entry draw).
        mode: ``"zeros"`` or ``"augment"`` (see the module docstring).
        augmentation: The synthetic distributions (default :class:`TokenAugmentation`).
        rng: Random generator; required for ``"augment"``.

    Returns:
        Columns in :data:`TOKEN_FEATURES` order.

    Raises:
        ConfigError: Unknown mode, or no generator for ``"augment"``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    out = np.zeros((rows.size, len(TOKEN_FEATURES)))
    if mode == "zeros":
        return out
    if mode != "augment":
        raise ConfigError(f"unknown token-feature mode {mode!r}; use one of {TOKEN_MODES}")
    if rng is None:
        raise ConfigError("augmenting token features needs a random generator (a seed)")
    aug = augmentation or TokenAugmentation()
    n = rows.size
    # Draw every column for every row, then keep the synthetic share: the draw count is then
    # independent of the share, so one seed gives the same states when only the share changes.
    synthetic = rng.random(n) < aug.share
    stress = rng.random(n) < aug.stress_share
    scale = np.where(stress, aug.stress_bp, aug.calm_bp)
    deviation = np.clip(
        rng.laplace(0.0, 1.0, n) * scale, -aug.max_abs_deviation_bp, aug.max_abs_deviation_bp
    )
    panic = rng.beta(aug.panic_a, aug.panic_b, n)
    fresh = rng.random(n) < aug.incident_share
    incident = np.where(fresh, 1.0 - rng.random(n), 0.0)  # uniform on (0, 1]
    held = np.minimum(rng.integers(1, aug.max_holding_days + 1, n), rows)
    pnl = prices[rows] / prices[rows - held] - 1.0
    columns = (deviation, panic, incident, pnl)
    for k, column in enumerate(columns):
        out[:, k] = np.where(synthetic, column, 0.0)
    return out


def feature_frame(
    prices: pd.Series,
    *,
    token_mode: TokenMode = "augment",
    augmentation: TokenAugmentation | None = None,
    seed: int | np.random.Generator = 0,
) -> pd.DataFrame:
    """All nine features on every row with a full window (the warm-up rows are dropped).

    Args:
        prices: Gold prices on an ascending DatetimeIndex.
        token_mode: How to fill the token features (``"zeros"`` or ``"augment"``).
        augmentation: Synthetic distributions for ``"augment"``.
        seed: Seed or generator of the synthetic draws.

    Returns:
        Columns :data:`~gramabm.policies.base.FEATURES`, one row per dated observation, with
        ``attrs["row"]``: each row's position in ``prices``.

    Raises:
        DataValidationError: See :func:`check_prices`.
        ConfigError: Unknown mode.
    """
    market = market_features(prices)
    values = prices.to_numpy(dtype=np.float64)
    rows = np.arange(WARMUP_ROWS, len(prices))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    token = token_features(values, rows, token_mode, augmentation, rng)
    frame = pd.concat(
        [
            market.iloc[rows],
            pd.DataFrame(token, index=prices.index[rows], columns=list(TOKEN_FEATURES)),
        ],
        axis=1,
    )[list(FEATURES)]
    frame.attrs["source"] = str(prices.attrs.get("source", ""))
    frame.attrs["row"] = rows
    return frame
