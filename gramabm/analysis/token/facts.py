"""Stylised facts of a gold token's market, measured against a daily gold fix.

One function, :func:`token_facts`, for an observed token and a simulated one alike (both as the
candle frame of :mod:`gramabm.analysis.token.candles`). Conventions:

* **close against fix**: the token's daily close is the close of the day's last candle (24:00
  UTC for hourly candles), compared with that day's fix times the token's ounces:
  ``close / (fix × ounces_per_token) − 1``, in bp, on the days that have both. The fix is taken
  hours earlier than the close (10:30 London for the LBMA AM fix), so gold's own move in between
  is part of the figure: a simulated token must be measured the same way to be compared;
* **the day's timing around the fix**: the slope of the close-against-fix deviation on the next
  fix-to-fix log move, apart for days whose fix falls in London winter time (GMT, 10:30 UTC) and
  summer time (BST, 09:30 UTC): how much of gold's day a 24:00 UTC close carries after the fix
  (:func:`next_move_shares`; PAXG 2021-2023: 0.61 in winter, 0.71 in summer; 2024: 0.49, 0.60);
* **big moves against the rest**: the same slope on the days whose next fix-to-fix move is among
  the largest fifth of the period's (by absolute size, :data:`LARGEST_SHARE`) and on the others
  (:func:`move_size_shares`): whether the close carries gold's big days as it carries the rest.
  PAXG carries less of its big days in every year (2021-2023: 0.60 against 0.79; 2024: 0.54
  against 0.64);
* **the token at the fix**: the token's price at the fix is the mean of the two hourly closes that
  bracket the fix instant (10:00 and 11:00 London for the AM fix), which halves the bid-ask bounce
  one close carries (:func:`fix_premium_bp`; hourly candles only). From it: the premium's
  day-to-day persistence (lag-1 autocorrelation over consecutive fix days), its reversion by the
  close (the slope of the token's move from the fix to the 24:00 UTC close on the premium at the
  fix: negative when a premium at the fix fades by midnight) and the token's beta to gold (the
  slope of its fix-to-fix log move on the fix's). PAXG 2021-2023: 0.80, -0.17, 0.96; 2024:
  0.81, -0.12, 0.83;
* **hourly returns**: log close-to-close returns between candles exactly one hour apart (a gap
  in the data breaks the chain rather than making a longer return); a return belongs to the
  weekend when its candle opens on a Saturday or Sunday (UTC);
* **autocorrelations** are Pearson correlations of consecutive pairs (consecutive days with a
  deviation; consecutive hourly returns). The hourly one is also given with the returns
  winsorised at their own 0.5th and 99.5th percentiles (:data:`WINSOR_TAIL`): one flash
  dislocation decides the plain one (PAXG's +18% hour and its reversal on 13 April 2024 take
  2024's from about −0.14 to −0.32), so the bid-ask bounce is read from the winsorised one;
* **the venue's price step**: the share of hourly returns exactly zero (an hour that closed
  where the last one did), and the largest step per troy ounce that nine closes in ten sit on
  (:func:`price_step`): a tick of 1 USD on a 2,000 USD token (PAXG/USDT from September 2021) is
  5 bp, so it shapes the hourly figures; compare a simulation run at that tick
  (``tick_usd_oz``);
* **spread estimates**: Roll's, ``2·sqrt(−cov(r_t, r_{t−1}))`` on the candle returns (NaN when
  the covariance is not negative: no bounce to read a spread from), and Corwin-Schultz's from the
  highs and lows of consecutive candles (per pair, negative estimates set to zero, then averaged);
* **volatility ratio**: standard deviation of the token's close-to-close log returns over the
  standard deviation of the fix's, both between consecutive fix days that have a token close;
* **turnover**: daily volume over the day's closing supply; daily USD volume is the sum of
  volume × close over the day's candles; both are medians over every calendar day (the token
  trades at weekends too);
* **largest gold moves**: the ``k`` largest absolute fix-to-fix log moves of the period, with
  the token's deviation that day and its own close-to-close move.

Every fact is NaN when the data cannot give it (no supply column, daily candles for an hourly
fact, too few observations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gramabm.data.calendar import LBMA_AM_FIX_HOUR, fix_instants, london_summer_time
from gramabm.errors import DataValidationError
from gramabm.units import GRAMS_PER_TROY_OUNCE

BP = 1e4
BEYOND_BP: float = 100.0
"""The deviation band whose share of days outside is reported."""

WINSOR_TAIL: float = 0.005
"""Share of hourly returns clipped at each tail before the winsorised autocorrelation."""

LARGEST_MOVES: int = 5
"""How many of the period's largest gold moves are looked at."""

MIN_GROUP_DAYS: int = 10
"""Fewest days of a group (a season, the big days, the rest) for its share of the next fix move to
be read."""

LARGEST_SHARE: float = 0.2
"""Share of days, by the size of their next fix-to-fix move, read apart as the big days."""

PRICE_STEPS: tuple[float, ...] = tuple(m * 10.0**e for e in range(-4, 3) for m in (1.0, 2.0, 5.0))
"""The price steps a venue's closes are tried against, smallest first (0.0001 to 500 USD)."""

STEP_SHARE: float = 0.9
"""Share of closes that must sit on a step for it to be the closes' price step (a true tick holds
them all, twice the tick about half)."""


@dataclass(frozen=True)
class Fact:
    """One fact :func:`token_facts` computes: its key, a label and a unit for tables."""

    key: str
    label: str
    unit: str
    meaning: str


FACTS: tuple[Fact, ...] = (
    Fact("days", "Days compared", "days", "days with both a token close and a fix"),
    Fact("dev_mean_bp", "Close vs fix, mean", "bp", "mean daily close-against-fix deviation"),
    Fact("dev_mean_abs_bp", "Close vs fix, mean abs", "bp", "mean absolute deviation"),
    Fact("dev_p99_abs_bp", "Close vs fix, p99 abs", "bp", "99th percentile of |deviation|"),
    Fact(
        "dev_share_beyond", "Close vs fix, beyond ±100 bp", "share", "share of days beyond ±100 bp"
    ),
    Fact("dev_autocorr_lag1", "Close vs fix, lag-1 autocorr.", "", "persistence of deviations"),
    Fact(
        "dev_next_move_share_winter",
        "Close vs fix, share of next fix move, GMT",
        "ratio",
        "slope of the deviation on the next fix-to-fix move, days of London winter time",
    ),
    Fact(
        "dev_next_move_share_summer",
        "Close vs fix, share of next fix move, BST",
        "ratio",
        "slope of the deviation on the next fix-to-fix move, days of London summer time",
    ),
    Fact(
        "dev_next_move_share_largest",
        "Close vs fix, share of next fix move, largest fifth",
        "ratio",
        "slope of the deviation on the next fix-to-fix move, days of the largest fifth of moves",
    ),
    Fact(
        "dev_next_move_share_rest",
        "Close vs fix, share of next fix move, other days",
        "ratio",
        "slope of the deviation on the next fix-to-fix move, the other four days in five",
    ),
    Fact(
        "fix_premium_autocorr_lag1",
        "Premium at the fix, lag-1 autocorr.",
        "",
        "day-to-day persistence of the token's premium at the fix (mean of the bracketing closes)",
    ),
    Fact(
        "fix_premium_reversion",
        "Premium at the fix, reversion by the close",
        "ratio",
        "slope of the token's move from the fix to the close on its premium at the fix",
    ),
    Fact(
        "token_fix_beta",
        "Token beta to the fix",
        "ratio",
        "slope of the token's fix-to-fix log move on the fix's, consecutive fix days",
    ),
    Fact(
        "hourly_median_abs_weekday_bp",
        "Hourly |return| median, weekdays",
        "bp",
        "median absolute hourly log return, Monday to Friday",
    ),
    Fact(
        "hourly_median_abs_weekend_bp",
        "Hourly |return| median, weekends",
        "bp",
        "median absolute hourly log return, Saturday and Sunday",
    ),
    Fact(
        "hourly_p90_abs_weekday_bp",
        "Hourly |return| p90, weekdays",
        "bp",
        "90th percentile of the absolute hourly return, weekdays",
    ),
    Fact(
        "hourly_p90_abs_weekend_bp",
        "Hourly |return| p90, weekends",
        "bp",
        "90th percentile of the absolute hourly return, weekends",
    ),
    Fact(
        "hourly_p99_abs_bp",
        "Hourly |return| p99",
        "bp",
        "99th percentile of the absolute hourly return, all days",
    ),
    Fact(
        "hourly_autocorr_lag1",
        "Hourly return lag-1 autocorr.",
        "",
        "negative under bid-ask bounce",
    ),
    Fact(
        "hourly_autocorr_lag1_winsorised",
        "Hourly return lag-1 autocorr., winsorised",
        "",
        "the same with each tail's 0.5% of returns clipped: the bounce, not one flash move",
    ),
    Fact(
        "hourly_unchanged_share",
        "Hours with an unchanged close",
        "share",
        "share of hourly returns exactly zero: a venue's price step shows here",
    ),
    Fact(
        "price_step_usd",
        "Price step of the closes",
        "USD/oz",
        "largest step per ounce (1, 2 or 5 times a power of ten) nine closes in ten sit on",
    ),
    Fact(
        "vol_ratio",
        "Token / gold volatility",
        "ratio",
        "daily close-to-close volatility of the token over that of the fix",
    ),
    Fact(
        "range_median_bp",
        "Candle high-low range, median",
        "bp",
        "median of (high − low) / close per candle",
    ),
    Fact("roll_spread_bp", "Roll spread", "bp", "effective spread from return autocovariance"),
    Fact(
        "cs_spread_bp",
        "Corwin-Schultz spread",
        "bp",
        "effective spread from consecutive highs and lows",
    ),
    Fact(
        "volume_usd_median_daily",
        "Daily volume, median",
        "USD",
        "median of the daily traded value",
    ),
    Fact("turnover_median_daily", "Daily turnover, median", "share", "daily volume / supply"),
    Fact("supply_change", "Supply change", "share", "last supply over the first, minus one"),
    Fact(
        "supply_change_worst_year",
        "Supply change, worst year",
        "share",
        "largest absolute change over 365 days (the whole period when shorter)",
    ),
    Fact(
        "big_move_dev_mean_abs_bp",
        "Close vs fix on largest gold moves",
        "bp",
        "mean |deviation| on the days of the period's largest gold moves",
    ),
    Fact(
        "big_move_capture",
        "Token share of largest gold moves",
        "ratio",
        "token's close-to-close move over gold's fix-to-fix move, averaged on those days",
    ),
)
"""Every fact :func:`token_facts` computes, in table order."""

FACT_KEYS: tuple[str, ...] = tuple(f.key for f in FACTS)


@dataclass(frozen=True)
class TokenFacts:
    """The facts of one token series and the series they come from (for figures).

    Attributes:
        values: Fact key → value (NaN when undefined), for every key of :data:`FACTS`.
        deviation_bp: Daily close-against-fix deviation (bp), indexed by day.
        hourly_returns_bp: Hourly log returns (bp), indexed by candle opening time.
        big_moves: One row per large gold move: ``gold_move_bp``, ``token_move_bp`` and
            ``deviation_bp``, indexed by day.
        source: Where the candles came from.
    """

    values: dict[str, float]
    deviation_bp: pd.Series
    hourly_returns_bp: pd.Series
    big_moves: pd.DataFrame
    source: str = ""
    period: tuple[str, str] = field(default=("", ""))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, large moves and period (NaN kept as NaN)."""
        return {
            "source": self.source,
            "period": list(self.period),
            "facts": dict(self.values),
            "big_moves": [
                {"date": f"{day:%Y-%m-%d}", **{k: float(v) for k, v in row.items()}}
                for day, row in self.big_moves.iterrows()
            ],
        }


def _pair_corr(x: np.ndarray, ok: np.ndarray) -> float:
    """Correlation of ``x[t]`` with ``x[t−1]`` over pairs where both are valid and chained."""
    pair = ok[1:] & ok[:-1]
    if pair.sum() < 3:
        return float("nan")
    a, b = x[1:][pair], x[:-1][pair]
    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def winsorised(x: np.ndarray, tail: float) -> np.ndarray:
    """``x`` clipped at the ``tail`` and ``1 − tail`` quantiles of its finite values (NaN kept)."""
    finite = x[np.isfinite(x)]
    if not len(finite):
        return x
    lo, hi = np.quantile(finite, [tail, 1.0 - tail])
    return np.clip(x, lo, hi)


def _pair_cov(x: np.ndarray, ok: np.ndarray) -> float:
    pair = ok[1:] & ok[:-1]
    if pair.sum() < 3:
        return float("nan")
    return float(np.cov(x[1:][pair], x[:-1][pair])[0, 1])


def roll_spread(returns: np.ndarray, chained: np.ndarray) -> float:
    """Roll's effective spread (a fraction) from consecutive returns; NaN without a bounce."""
    cov = _pair_cov(returns, chained)
    return 2.0 * float(np.sqrt(-cov)) if cov < 0 else float("nan")


def corwin_schultz_spread(high: np.ndarray, low: np.ndarray, adjacent: np.ndarray) -> float:
    """Corwin and Schultz's high-low spread (a fraction), averaged over adjacent candle pairs.

    Args:
        high: Candle highs.
        low: Candle lows.
        adjacent: ``adjacent[t]`` says candle ``t`` directly follows ``t − 1`` (``adjacent[0]``
            is ignored).
    """
    ok = adjacent[1:] & np.isfinite(high[1:] * low[1:] * high[:-1] * low[:-1])
    if not ok.any():
        return float("nan")
    h0, h1, l0, l1 = high[:-1][ok], high[1:][ok], low[:-1][ok], low[1:][ok]
    beta = np.log(h0 / l0) ** 2 + np.log(h1 / l1) ** 2
    gamma = np.log(np.maximum(h0, h1) / np.minimum(l0, l1)) ** 2
    k = 3.0 - 2.0 * np.sqrt(2.0)
    alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / k - np.sqrt(gamma / k)
    spread = 2.0 * (np.exp(alpha) - 1.0) / (1.0 + np.exp(alpha))
    return float(np.mean(np.maximum(spread, 0.0)))


def daily_deviation_bp(candles: pd.DataFrame, fixes: pd.Series) -> pd.DataFrame:
    """Each day's token close, fix (per token) and deviation (bp), on days with both."""
    close = candles["close"].dropna()
    daily_close = close.groupby(close.index.normalize()).last()
    per_token = fixes * float(candles.attrs.get("ounces_per_token", 1.0))
    joined = pd.concat([daily_close.rename("close"), per_token.rename("fix")], axis=1, join="inner")
    joined["deviation_bp"] = (joined["close"] / joined["fix"] - 1.0) * BP
    return joined


def slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of ``y`` on ``x`` (NaN when ``x`` does not vary)."""
    spread = float(np.var(x)) if len(x) else 0.0
    if spread == 0.0:
        return float("nan")
    return float(np.mean((x - x.mean()) * (y - y.mean())) / spread)


def next_move_shares(daily: pd.DataFrame, fixes: pd.Series) -> tuple[float, float]:
    """Slopes of the deviation on the next fix-to-fix move: (winter days, summer days).

    ``daily`` is :func:`daily_deviation_bp`'s frame, ``fixes`` the period's fixes (the next fix
    of a day is the series' next one, so the period's last day has none). A season with fewer
    than :data:`MIN_GROUP_DAYS` days, or no spread of moves, gives NaN.
    """
    frame = _deviation_on_next_move(daily, fixes)
    # The season of the fix's hour (London changes its clock at 01:00 UTC, never near the fix).
    summer = london_summer_time(
        pd.DatetimeIndex(frame.index) + pd.Timedelta(hours=LBMA_AM_FIX_HOUR)
    )
    winter_share, summer_share = _group_slopes(frame, (~summer, summer))
    return winter_share, summer_share


def _deviation_on_next_move(daily: pd.DataFrame, fixes: pd.Series) -> pd.DataFrame:
    """Each day's deviation beside the next fix-to-fix log move (bp), days that have both."""
    fixes = fixes.sort_index()
    next_move = np.log(fixes.shift(-1) / fixes) * BP
    return pd.concat(
        [daily["deviation_bp"], next_move.rename("next_move_bp")], axis=1, join="inner"
    ).dropna()


def _group_slopes(frame: pd.DataFrame, groups: tuple[np.ndarray, ...]) -> tuple[float, ...]:
    """Slope of the deviation on the next move within each group of days.

    Each group is a boolean mask over ``frame``'s rows; a group of fewer than
    :data:`MIN_GROUP_DAYS` days gives NaN.
    """
    x_all, y_all = frame["next_move_bp"].to_numpy(), frame["deviation_bp"].to_numpy()
    return tuple(
        slope(x_all[days], y_all[days]) if days.sum() >= MIN_GROUP_DAYS else float("nan")
        for days in groups
    )


def move_size_shares(daily: pd.DataFrame, fixes: pd.Series) -> tuple[float, float]:
    """Slopes of the deviation on the next fix-to-fix move: (largest fifth of moves, the rest).

    The big days are those whose absolute next move is at least the period's
    ``1 - LARGEST_SHARE`` quantile of them. Each group needs :data:`MIN_GROUP_DAYS` days (and
    some spread of moves), else NaN.
    """
    frame = _deviation_on_next_move(daily, fixes)
    if frame.empty:
        return float("nan"), float("nan")
    size = frame["next_move_bp"].abs().to_numpy()
    big = size >= np.quantile(size, 1.0 - LARGEST_SHARE)
    largest, rest = _group_slopes(frame, (big, ~big))
    return largest, rest


def fix_premium_bp(candles: pd.DataFrame, fixes: pd.Series) -> pd.DataFrame:
    """The token's price, the fix and the premium at each fix, where both bracketing closes exist.

    Columns: ``price`` (per token), ``fix`` (per token) and ``premium_bp``, indexed by fix day.
    The price is the mean of the close of the candle that holds the fix instant (its close an
    hour after the candle opens) and the close of the candle before it, so the two closes sit
    half an hour either side of the fix. Empty for daily candles.
    """
    empty = pd.DataFrame(columns=["price", "fix", "premium_bp"], dtype=float)
    if candles.attrs.get("frequency") != "hourly" or fixes.empty:
        return empty
    days = pd.DatetimeIndex(fixes.index).normalize()
    instant = fix_instants(days, LBMA_AM_FIX_HOUR)
    holding = instant.floor("h")
    close = candles["close"]
    after = close.reindex(holding).to_numpy(float)
    before = close.reindex(holding - pd.Timedelta(hours=1)).to_numpy(float)
    per_token = fixes.to_numpy(float) * float(candles.attrs.get("ounces_per_token", 1.0))
    frame = pd.DataFrame({"price": (after + before) / 2.0, "fix": per_token}, index=days)
    frame = frame[np.isfinite(frame["price"].to_numpy())]
    frame["premium_bp"] = (frame["price"] / frame["fix"] - 1.0) * BP
    return frame


def _fix_hour_facts(at_fix: pd.DataFrame, daily: pd.DataFrame) -> dict[str, float]:
    """Persistence and reversion of the premium at the fix, and the token's beta to the fix."""
    nan = float("nan")
    if len(at_fix) < 3:
        return {
            "fix_premium_autocorr_lag1": nan,
            "fix_premium_reversion": nan,
            "token_fix_beta": nan,
        }
    premium = at_fix["premium_bp"].to_numpy()
    to_close = pd.concat([at_fix, daily["close"].rename("close")], axis=1, join="inner")
    move_bp = np.log(to_close["close"] / to_close["price"]).to_numpy() * BP
    token_r = np.diff(np.log(at_fix["price"].to_numpy()))
    gold_r = np.diff(np.log(at_fix["fix"].to_numpy()))
    return {
        "fix_premium_autocorr_lag1": _pair_corr(premium, np.ones(len(premium), bool)),
        "fix_premium_reversion": (
            slope(to_close["premium_bp"].to_numpy(), move_bp) if len(to_close) >= 3 else nan
        ),
        "token_fix_beta": slope(gold_r, token_r),
    }


def _hourly_returns(candles: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    close = candles["close"].to_numpy(float)
    index = candles.index
    chained = np.r_[False, np.diff(index.to_numpy()) == np.timedelta64(1, "h")]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.r_[np.nan, np.diff(np.log(close))]
    valid = chained & np.isfinite(r)
    return pd.Series(np.where(valid, r, np.nan) * BP, index=index), valid


def _supply_facts(candles: pd.DataFrame) -> tuple[float, float]:
    supply = candles["supply_tokens"].dropna()
    if len(supply) < 2 or supply.iloc[0] <= 0:
        return float("nan"), float("nan")
    whole = float(supply.iloc[-1] / supply.iloc[0] - 1.0)
    daily = supply.groupby(supply.index.normalize()).last()
    span = daily.index[-1] - daily.index[0]
    if span <= pd.Timedelta(days=365):
        return whole, whole
    later = daily.reindex(daily.index + pd.Timedelta(days=365), method="ffill").to_numpy()
    keep = daily.index + pd.Timedelta(days=365) <= daily.index[-1]
    changes = later[keep] / daily.to_numpy()[keep] - 1.0
    return whole, float(changes[np.argmax(np.abs(changes))])


def median_daily_volume_usd(candles: pd.DataFrame) -> float:
    """Median over days of the value traded (USD) in a day; NaN without volume."""
    return _volume_facts(candles)[0]


def _volume_facts(candles: pd.DataFrame) -> tuple[float, float]:
    volume = candles["volume_tokens"]
    if volume.isna().all():
        return float("nan"), float("nan")
    frame = pd.DataFrame(
        {"tokens": volume, "usd": volume * candles["close"], "supply": candles["supply_tokens"]},
        index=candles.index,
    )
    by_day = frame.groupby(frame.index.normalize()).agg(
        {"tokens": "sum", "usd": "sum", "supply": "last"}
    )
    usd = float(by_day["usd"].median()) if len(by_day) else float("nan")
    turnover = (by_day["tokens"] / by_day["supply"]).replace([np.inf], np.nan).dropna()
    return usd, float(turnover.median()) if len(turnover) else float("nan")


def _big_moves(daily: pd.DataFrame, k: int) -> pd.DataFrame:
    moves = pd.DataFrame(
        {
            "gold_move_bp": np.log(daily["fix"]).diff() * BP,
            "token_move_bp": np.log(daily["close"]).diff() * BP,
            "deviation_bp": daily["deviation_bp"],
        }
    ).dropna()
    if moves.empty:
        return moves
    order = moves["gold_move_bp"].abs().sort_values(ascending=False, kind="stable").index[:k]
    return moves.loc[order]


def price_step(closes: np.ndarray, resolution: float) -> float:
    """The largest of :data:`PRICE_STEPS` that more than :data:`STEP_SHARE` of ``closes`` sit on.

    A close sits on a step when it is within ``resolution`` (and a fiftieth of the step) of one
    of its multiples: a CSV's decimals are not exact binary fractions, and a simulated price is a
    whole number of the book's ticks, so a simulated venue's step holds only to within half a
    book tick. Over a period in which the venue changed its tick the finer one is read
    (PAXG/USDT in 2021-2023: 0.01, although 1 USD held from September 2021). NaN when no step
    holds that many closes or there is no close: prices on no grid, as a simulated venue's
    without a tick.
    """
    finite = closes[np.isfinite(closes)]
    if not len(finite):
        return float("nan")
    for step in reversed(PRICE_STEPS):
        off = np.abs(finite - np.rint(finite / step) * step)
        if np.mean(off <= min(resolution, step / 50)) > STEP_SHARE:
            return step
    return float("nan")


def _quantile(values: pd.Series, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def token_facts(
    candles: pd.DataFrame,
    fixes: pd.Series,
    *,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    largest_moves: int = LARGEST_MOVES,
) -> TokenFacts:
    """The stylised facts of a token against a gold fix series (see the module docstring).

    Args:
        candles: The token's candles (:mod:`gramabm.analysis.token.candles`).
        fixes: Daily gold fixes in USD per troy ounce, indexed by day.
        start: First day to include (default: the candles' first).
        end: Last day to include, whole (default: the candles' last).
        largest_moves: How many of the largest gold moves to look at.

    Raises:
        DataValidationError: No candle or no day with both a close and a fix in the period.
    """
    source = str(candles.attrs.get("source", "token"))
    lo = pd.Timestamp(start).normalize() if start is not None else candles.index[0].normalize()
    hi = pd.Timestamp(end).normalize() if end is not None else candles.index[-1].normalize()
    window = candles[(candles.index >= lo) & (candles.index < hi + pd.Timedelta(days=1))]
    window.attrs = dict(candles.attrs)
    if window.empty:
        raise DataValidationError(source, f"no candle from {lo.date()} to {hi.date()}")
    fixes = fixes[(fixes.index >= lo) & (fixes.index <= hi)]
    daily = daily_deviation_bp(window, fixes)
    if daily.empty:
        raise DataValidationError(
            source, f"no day from {lo.date()} to {hi.date()} has both a token close and a fix"
        )
    dev = daily["deviation_bp"]
    absdev = dev.abs()
    values: dict[str, float] = {
        "days": float(len(dev)),
        "dev_mean_bp": float(dev.mean()),
        "dev_mean_abs_bp": float(absdev.mean()),
        "dev_p99_abs_bp": _quantile(absdev, 99),
        "dev_share_beyond": float((absdev > BEYOND_BP).mean()),
        "dev_autocorr_lag1": _pair_corr(dev.to_numpy(), np.ones(len(dev), bool)),
    }
    values["dev_next_move_share_winter"], values["dev_next_move_share_summer"] = next_move_shares(
        daily, fixes
    )

    values["dev_next_move_share_largest"], values["dev_next_move_share_rest"] = move_size_shares(
        daily, fixes
    )
    values.update(_fix_hour_facts(fix_premium_bp(window, fixes), daily))

    hourly = window.attrs.get("frequency") == "hourly"
    empty = pd.Series(dtype=float, index=pd.DatetimeIndex([]))
    returns, chained = _hourly_returns(window) if hourly else (empty, None)
    kept = returns.dropna()
    weekend = kept.index.day_of_week >= 5
    values.update(
        {
            "hourly_median_abs_weekday_bp": _quantile(kept[~weekend].abs(), 50),
            "hourly_median_abs_weekend_bp": _quantile(kept[weekend].abs(), 50),
            "hourly_p90_abs_weekday_bp": _quantile(kept[~weekend].abs(), 90),
            "hourly_p90_abs_weekend_bp": _quantile(kept[weekend].abs(), 90),
            "hourly_p99_abs_bp": _quantile(kept.abs(), 99),
            "hourly_autocorr_lag1": (
                _pair_corr(returns.to_numpy(), chained) if chained is not None else float("nan")
            ),
            "hourly_autocorr_lag1_winsorised": (
                _pair_corr(winsorised(returns.to_numpy(), WINSOR_TAIL), chained)
                if chained is not None
                else float("nan")
            ),
            "hourly_unchanged_share": float((kept == 0).mean()) if len(kept) else float("nan"),
        }
    )

    token_r = np.log(daily["close"]).diff().dropna()
    gold_r = np.log(daily["fix"]).diff().dropna()
    gold_sd = float(gold_r.std()) if len(gold_r) > 2 else float("nan")
    values["vol_ratio"] = float(token_r.std()) / gold_sd if gold_sd > 0 else float("nan")

    close = window["close"].to_numpy(float)
    high, low = window["high"].to_numpy(float), window["low"].to_numpy(float)
    ranges = (high - low) / close * BP
    finite = np.isfinite(ranges)
    values["range_median_bp"] = float(np.median(ranges[finite])) if finite.any() else float("nan")
    # Read per troy ounce (the model's token is a gram, PAXG's an ounce), to within half the
    # book's tick (0.001 USD a gram), what a simulated price rounds by.
    per_oz = close / float(window.attrs.get("ounces_per_token", 1.0))
    values["price_step_usd"] = price_step(per_oz, 0.0005 * GRAMS_PER_TROY_OUNCE)
    step = pd.Timedelta(hours=1) if hourly else pd.Timedelta(days=1)
    adjacent = np.r_[False, np.diff(window.index.to_numpy()) == step.to_timedelta64()]
    with np.errstate(divide="ignore", invalid="ignore"):
        candle_r = np.r_[np.nan, np.diff(np.log(close))]
    values["roll_spread_bp"] = roll_spread(candle_r, adjacent & np.isfinite(candle_r)) * BP
    values["cs_spread_bp"] = corwin_schultz_spread(high, low, adjacent) * BP

    values["volume_usd_median_daily"], values["turnover_median_daily"] = _volume_facts(window)
    values["supply_change"], values["supply_change_worst_year"] = _supply_facts(window)

    moves = _big_moves(daily, largest_moves)
    if moves.empty:
        values["big_move_dev_mean_abs_bp"] = values["big_move_capture"] = float("nan")
    else:
        values["big_move_dev_mean_abs_bp"] = float(moves["deviation_bp"].abs().mean())
        moved = moves[moves["gold_move_bp"] != 0]  # a flat fix has no move to share
        values["big_move_capture"] = (
            float((moved["token_move_bp"] / moved["gold_move_bp"]).mean())
            if len(moved)
            else float("nan")
        )
    assert set(values) == set(FACT_KEYS)
    return TokenFacts(
        values={k: values[k] for k in FACT_KEYS},
        deviation_bp=dev,
        hourly_returns_bp=kept,
        big_moves=moves,
        source=source,
        period=(f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}"),
    )
