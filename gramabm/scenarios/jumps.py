"""Merton jump diffusion of daily gold returns: fit by threshold separation, simulate vectorised.

Model, per business day: ``r = mu + sigma z + sum_{i=1..N} Y_i`` with ``z ~ N(0, 1)``,
``N ~ Poisson(jump_intensity)`` and jump sizes ``Y_i ~ N(jump_mean, jump_std^2)``. Given ``N`` the
jump total is ``N(N jump_mean, N jump_std^2)``, so a day is drawn exactly with two normals.

**Fit (threshold separation, documented and simple).** Days whose return lies more than
``threshold`` diffusion standard deviations from the centre are called jump days:

1. start from the median and the median absolute deviation (robust to the jumps themselves);
2. repeat until the set of jump days stops changing: centre = mean of the other days, sigma =
   their standard deviation divided by that of a standard normal truncated at ``±threshold``
   (those days were selected for being inside the band);
3. ``jump_intensity = -log(1 - share of jump days)`` (a Poisson day has a jump with probability
   ``1 - exp(-lambda)``); the jump sizes are the jump days' returns minus the centre: their mean is
   ``jump_mean`` and ``jump_std^2`` their variance less the diffusion's ``sigma^2``;
4. ``mu = mean return - jump_intensity * jump_mean``, so the model's mean is the data's.

On the LBMA AM series 1968-2025 (threshold 4): 206 jump days, 3.6 jumps a year, jump sd 6.0%,
diffusion volatility 15.8% a year; the model's volatility is 19.44% against the data's 19.41%.
Its excess kurtosis (24) is above the sample's (13.6): jumps smaller than the threshold go unseen,
so the normal law fitted to the large ones is too wide. Volatility clustering is not modelled
(that is the GARCH generator's job), so in calm decades the threshold flags few days and in the
1980 episode many.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gramabm.errors import ConfigError, DataValidationError

MIN_OBS: int = 100
"""Fewest returns a fit accepts."""


@dataclass(frozen=True)
class JumpDiffusionParams:
    """Merton jump-diffusion parameters for daily log returns.

    Args:
        mu: Daily drift of the diffusion part.
        sigma: Daily volatility of the diffusion part (> 0).
        jump_intensity: Expected jumps per business day (>= 0).
        jump_mean: Mean jump size (log return).
        jump_std: Standard deviation of the jump size (>= 0).
        threshold: Threshold (in diffusion standard deviations) used by the fit, if fitted.
        n_jumps: Jump days found by the fit.
        n_obs: Returns fitted.
    """

    mu: float
    sigma: float
    jump_intensity: float
    jump_mean: float
    jump_std: float
    threshold: float = float("nan")
    n_jumps: int = 0
    n_obs: int = 0

    def __post_init__(self) -> None:
        values = (self.mu, self.sigma, self.jump_intensity, self.jump_mean, self.jump_std)
        if not all(math.isfinite(v) for v in values):
            raise ConfigError(f"jump-diffusion parameters must be finite, got {values}")
        if self.sigma <= 0.0:
            raise ConfigError(f"sigma must be > 0, got {self.sigma}")
        if self.jump_intensity < 0.0 or self.jump_std < 0.0:
            raise ConfigError(
                f"jump_intensity and jump_std must be >= 0, got {self.jump_intensity}, "
                f"{self.jump_std}"
            )

    @property
    def variance(self) -> float:
        """Daily variance of the model's returns."""
        return self.sigma**2 + self.jump_intensity * (self.jump_mean**2 + self.jump_std**2)

    @property
    def annualised_vol(self) -> float:
        """The model's volatility, annualised with 252 business days."""
        return math.sqrt(252.0 * self.variance)

    @property
    def excess_kurtosis(self) -> float:
        """The model's excess kurtosis of daily returns."""
        m, s2 = self.jump_mean, self.jump_std**2
        fourth = self.jump_intensity * (m**4 + 6.0 * m * m * s2 + 3.0 * s2 * s2)
        return fourth / self.variance**2

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary of the fields plus jumps per year and annualised volatility."""
        out = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }
        out["jumps_per_year"] = 252.0 * self.jump_intensity
        out["annualised_vol"] = self.annualised_vol
        return out


def fit_jump_diffusion(
    returns: np.ndarray | pd.Series, *, threshold: float = 4.0, max_iter: int = 100
) -> JumpDiffusionParams:
    """Fit a Merton jump diffusion to daily log returns by threshold separation.

    See the module docstring for the method.

    Args:
        returns: Daily log returns, at least :data:`MIN_OBS`, finite, not constant.
        threshold: Distance from the centre, in diffusion standard deviations, beyond which a
            day counts as a jump day (> 1).
        max_iter: Most iterations of the separation.

    Returns:
        The fitted parameters.

    Raises:
        ConfigError: If the threshold is not above 1.
        DataValidationError: If the returns are too few, not finite or constant.
    """
    if not (math.isfinite(threshold) and threshold > 1.0):
        raise ConfigError(f"threshold must be > 1 standard deviation, got {threshold!r}")
    x = np.asarray(returns, dtype=np.float64).ravel()
    if len(x) < MIN_OBS:
        raise DataValidationError(
            "returns", f"a jump-diffusion fit needs at least {MIN_OBS} returns, got {len(x)}"
        )
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise DataValidationError("returns", f"return {bad} is {x[bad]}, not finite", row=bad + 1)
    centre = float(np.median(x))
    sigma = 1.4826 * float(np.median(np.abs(x - centre)))  # MAD scaled to a normal sd
    if sigma <= 0.0:
        sigma = float(np.std(x))
    if sigma <= 0.0:
        raise DataValidationError("returns", "the returns are constant; nothing to fit")
    # Standard deviation of a standard normal truncated to [-threshold, threshold].
    inside = 2.0 * stats.norm.cdf(threshold) - 1.0
    truncated_sd = math.sqrt(1.0 - 2.0 * threshold * stats.norm.pdf(threshold) / inside)

    jumps = np.abs(x - centre) > threshold * sigma
    for _ in range(max_iter):
        calm = x[~jumps]
        centre = float(np.mean(calm))
        sigma = float(np.std(calm)) / truncated_sd
        updated = np.abs(x - centre) > threshold * sigma
        if np.array_equal(updated, jumps):
            break
        jumps = updated

    n_jumps = int(jumps.sum())
    share = n_jumps / len(x)
    intensity = -math.log1p(-share) if share < 1.0 else math.inf
    if n_jumps:
        sizes = x[jumps] - centre
        jump_mean = float(np.mean(sizes))
        jump_std = math.sqrt(max(float(np.var(sizes)) - sigma**2, 0.0))
    else:
        jump_mean, jump_std = 0.0, 0.0
    return JumpDiffusionParams(
        mu=float(np.mean(x)) - intensity * jump_mean,
        sigma=sigma,
        jump_intensity=intensity,
        jump_mean=jump_mean,
        jump_std=jump_std,
        threshold=float(threshold),
        n_jumps=n_jumps,
        n_obs=len(x),
    )


def simulate_jump_diffusion(
    params: JumpDiffusionParams, n_days: int, n_paths: int, rng: np.random.Generator
) -> np.ndarray:
    """Simulate daily log returns of a Merton jump diffusion, all paths and days at once.

    Args:
        params: Model parameters.
        n_days: Days per path (> 0).
        n_paths: Number of paths (> 0).
        rng: Source of randomness.

    Returns:
        Array of shape ``(n_paths, n_days)`` of daily log returns.

    Raises:
        ConfigError: If a count is not positive.
    """
    for name, value in (("n_days", n_days), ("n_paths", n_paths)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    shape = (int(n_paths), int(n_days))
    diffusion = params.mu + params.sigma * rng.standard_normal(shape)
    n_jumps = rng.poisson(params.jump_intensity, shape)
    jumps = n_jumps * params.jump_mean + np.sqrt(n_jumps) * params.jump_std * rng.standard_normal(
        shape
    )
    return diffusion + jumps
