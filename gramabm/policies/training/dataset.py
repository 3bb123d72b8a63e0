"""Labelled rows from a gold series, in time order, with a purged time-ordered split.

Features come from :mod:`gramabm.policies.features` and labels from
:mod:`gramabm.policies.labels`. Two splits, both purged:

* **tail** (``block_rows = 0``): the last ``validation_share`` of the rows is held out and the
  ``gap`` rows just before it are dropped, because their labels look into the held-out period;
* **blocked** (``block_rows > 0``): the rows are cut into consecutive blocks of ``block_rows``
  and every ``round(1 / validation_share)``-th block (the first one at ``block // 2`` so the
  earliest years train) is held out, with ``gap`` rows dropped on both sides of each held-out
  block (labels on either side look into it). Over a long history this puts every regime (gold's
  bull and bear markets alike) in both the training and the held-out rows, where the tail split
  trains on the early decades only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gramabm.errors import ConfigError, DataValidationError
from gramabm.policies.base import FEATURES
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

MIN_TRAIN_ROWS: int = 30
"""Fewest rows on either side of the split."""


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

    def split(
        self, validation_share: float = 0.25, block_rows: int = 0
    ) -> tuple[TrainingSet, TrainingSet]:
        """Time-ordered train/validation split with purge gaps (see the module docstring).

        Args:
            validation_share: Fraction of rows held out.
            block_rows: 0 holds out the latest rows; a positive count holds out every
                ``round(1 / validation_share)``-th block of that many rows.

        Returns:
            ``(train, validation)``.

        Raises:
            ConfigError: The share is not in (0, 1), ``block_rows`` is negative, or a side has
                too few rows.
        """
        if not 0.0 < validation_share < 1.0:
            raise ConfigError(f"validation_share must be in (0, 1), got {validation_share}")
        if not isinstance(block_rows, int) or block_rows < 0:
            raise ConfigError(f"block_rows must be an integer >= 0, got {block_rows!r}")
        n = len(self)
        held = np.zeros(n, dtype=bool)
        purged = np.zeros(n, dtype=bool)
        if block_rows == 0:
            start = n - round(n * validation_share)
            held[start:] = True
            purged[max(start - self.gap, 0) : start] = True
        else:
            every = max(round(1.0 / validation_share), 2)
            block = np.arange(n) // block_rows
            held = block % every == every // 2
            edges = np.flatnonzero(np.diff(held.astype(np.int8)))  # last row before each change
            for e in edges:  # drop training rows within `gap` of a held-out block
                purged[max(e + 1 - self.gap, 0) : e + 1 + self.gap] = True
            purged &= ~held
        train_rows = np.flatnonzero(~held & ~purged)
        valid_rows = np.flatnonzero(held)
        if train_rows.size < MIN_TRAIN_ROWS or valid_rows.size < MIN_TRAIN_ROWS:
            raise ConfigError(
                f"{n} labelled rows are too few to hold out {validation_share:.0%} with a gap of "
                f"{self.gap} rows (each side needs {MIN_TRAIN_ROWS})"
            )
        return self.take(train_rows), self.take(valid_rows)

    def take(self, rows: slice | np.ndarray) -> TrainingSet:
        """The rows in a slice or index array, with the same source, gap and labelling."""
        return TrainingSet(self.X.iloc[rows], self.y[rows], self.source, self.gap, self.labelling)

    @property
    def period(self) -> dict[str, Any]:
        """First and last date, the row count and the count of contiguous runs of rows."""
        gaps = np.diff(self.X.index.to_numpy()) > np.timedelta64(10, "D")
        return {
            "start": f"{self.X.index[0]:%Y-%m-%d}",
            "end": f"{self.X.index[-1]:%Y-%m-%d}",
            "rows": len(self),
            "runs": int(gaps.sum()) + 1,
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
