"""The labelling rule: the action a risk-averse holder would have wanted, given what followed.

For each day ``t`` with ``horizon`` (``H``) later rows, the **certainty equivalent** of holding gold
(the token at par) for the next ``H`` rows, as a log return, is

    ce_gold = r_fwd - (gamma - 1) / 2 * rv_fwd

where ``r_fwd = log(p[t+H] / p[t])`` is the realised forward log return, ``rv_fwd`` the sum of the
``H`` squared daily log returns that follow (realised variance) and ``gamma`` the relative risk
aversion. It is the CRRA certainty equivalent of a lognormal gross return,
``log CE = mu + (1 - gamma) sigma^2 / 2``, with the realised path standing in for the
distribution: a holder with ``gamma = 1`` (log utility) only cares about the return; a more
risk-averse one also dislikes the volatility it would have lived through.

**Token state** (zero in gold-only history, synthetic under augmentation; see
:mod:`gramabm.policies.features`) shifts the token's certainty equivalent:

    ce = ce_gold - reversion * deviation - incident_loss * incident - panic_discount * panic

* ``deviation`` (a fraction, ``deviation_bp / 1e4``) is expected to close as the peg restores,
  with a half-life of ``deviation_halflife_days`` (docs/model.md D3: hours to about a day), so over
  ``H`` days the holder gains ``-deviation * reversion``, ``reversion = 1 - 2 ** (-H / half-life)``:
  a discount makes holding or buying better, a premium makes selling better;
* ``incident`` (fresh custodian news, 0..1) costs an expected ``incident_loss`` of the reserve;
* ``panic`` (neighbours' mean panic, 0..1) forecasts selling pressure: an expected further
  discount of ``panic_discount`` before arbitrage restores the peg.

``incident_loss`` and ``panic_discount`` are behavioural parameters, not facts of the data: the
calibration (:mod:`gramabm.calibration`) is where they should be fitted.

**Actions**: ``sell`` if ``ce < -threshold``, ``buy`` if ``ce > threshold``, ``hold`` otherwise;
``threshold`` is the switching cost a holder needs to clear (fees, spread, effort).
**Redeem** replaces ``sell`` when the token trades at a discount deeper than the redemption fee
(``deviation_bp < -redeem_fee_bp``): a holder who wants out gets the gold value less the fee
instead of the discounted market price. The model lets only holders with primary-market access
redeem and turns the others' redemptions into sales, which is the right fallback for them.
Gold-only history (all token features zero) therefore never labels a redemption, and a policy
trained on it gives ``redeem`` probability 0 (see :mod:`gramabm.policies.learned`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gramabm.errors import ConfigError
from gramabm.policies.base import Action
from gramabm.policies.features import TOKEN_FEATURES


@dataclass(frozen=True)
class LabelRule:
    """Parameters of the labelling rule (see the module docstring).

    Args:
        horizon: Rows (trading days) looked ahead.
        risk_aversion: Relative risk aversion ``gamma`` (1 = log utility).
        threshold: Certainty-equivalent log return a move must clear to act.
        redeem_fee_bp: Redemption fee; a deeper discount turns ``sell`` into ``redeem`` (bp).
        deviation_halflife_days: Half-life of a peg deviation (days).
        incident_loss: Expected reserve loss behind fresh incident news (fraction).
        panic_discount: Expected extra discount when all neighbours panic (fraction).
    """

    horizon: int = 5
    risk_aversion: float = 3.0
    threshold: float = 0.02
    redeem_fee_bp: float = 25.0
    deviation_halflife_days: float = 1.0
    incident_loss: float = 0.10
    panic_discount: float = 0.02

    def __post_init__(self) -> None:
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise ConfigError(f"label horizon must be an integer >= 1, got {self.horizon!r}")
        checks = {
            "risk_aversion": self.risk_aversion >= 0,
            "threshold": self.threshold >= 0,
            "redeem_fee_bp": self.redeem_fee_bp >= 0,
            "deviation_halflife_days": self.deviation_halflife_days > 0,
            "incident_loss": 0 <= self.incident_loss <= 1,
            "panic_discount": 0 <= self.panic_discount <= 1,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not (math.isfinite(value) and ok):
                raise ConfigError(f"label rule {name}={value!r} is out of range")

    @property
    def reversion(self) -> float:
        """Share of a peg deviation expected to close within the horizon."""
        return 1.0 - 2.0 ** (-self.horizon / self.deviation_halflife_days)

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (for reports and model-file metadata)."""
        return asdict(self)


def forward_certainty_equivalent(
    prices: np.ndarray, horizon: int, risk_aversion: float
) -> np.ndarray:
    """``ce_gold`` of every row; NaN for the last ``horizon`` rows (no future to judge by).

    Args:
        prices: Positive gold prices, one per row.
        horizon: Rows looked ahead.
        risk_aversion: Relative risk aversion ``gamma``.

    Returns:
        One certainty-equivalent log return per row.
    """
    logp = np.log(np.asarray(prices, dtype=np.float64))
    n = logp.size
    out = np.full(n, np.nan)
    if n <= horizon:
        return out
    r1 = np.diff(logp)
    cum_sq = np.concatenate([[0.0], np.cumsum(r1 * r1)])  # cum_sq[i] = sum of r1[:i]
    t = np.arange(n - horizon)
    r_fwd = logp[t + horizon] - logp[t]
    rv_fwd = cum_sq[t + horizon] - cum_sq[t]  # returns r1[t .. t+H-1]: days t+1 .. t+H
    out[: n - horizon] = r_fwd - 0.5 * (risk_aversion - 1.0) * rv_fwd
    return out


def token_adjusted_ce(ce_gold: np.ndarray, token: np.ndarray, rule: LabelRule) -> np.ndarray:
    """The token's certainty equivalent: ``ce_gold`` shifted by the token state.

    Args:
        ce_gold: Gold certainty equivalents.
        token: Token features, columns in :data:`~gramabm.policies.features.TOKEN_FEATURES` order.
        rule: The labelling rule.

    Returns:
        ``ce`` per row (see the module docstring).
    """
    col = {name: k for k, name in enumerate(TOKEN_FEATURES)}
    deviation = token[:, col["deviation_bp"]] / 1e4
    return (
        ce_gold
        - rule.reversion * deviation
        - rule.incident_loss * token[:, col["incident"]]
        - rule.panic_discount * token[:, col["neighbour_panic"]]
    )


def label_actions(ce: np.ndarray, deviation_bp: np.ndarray, rule: LabelRule) -> np.ndarray:
    """Action codes from certainty equivalents and deviations.

    Args:
        ce: Token certainty equivalents (finite).
        deviation_bp: Token deviation per row (bp; 0 in gold-only history).
        rule: The labelling rule.

    Returns:
        int64 :class:`~gramabm.policies.base.Action` codes.
    """
    codes = np.full(ce.shape, int(Action.HOLD), dtype=np.int64)
    codes[ce > rule.threshold] = Action.BUY
    sell = ce < -rule.threshold
    codes[sell] = Action.SELL
    codes[sell & (deviation_bp < -rule.redeem_fee_bp)] = Action.REDEEM
    return codes
