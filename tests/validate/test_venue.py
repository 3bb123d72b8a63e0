"""Sizing the simulated venue to an observed one (gramabm.validate.venue)."""

from __future__ import annotations

import math

import pytest

from gramabm.config import load_config
from gramabm.errors import ConfigError
from gramabm.validate.venue import (
    SCALE_LIMITS,
    parse_venue_scale,
    scaled_venue,
    venue_sizing,
)


def _fitted(volume: float):
    return load_config("calibrated").with_updates({"liquidity_traders.venue_volume_usd": volume})


def test_a_venue_with_a_quarter_of_the_volume_gets_half_the_liquidity():
    sizing = venue_sizing(_fitted(2_800_000.0), 700_000.0, "auto")
    assert sizing.scale == pytest.approx(0.5)
    assert "0.70 M" in sizing.reason
    assert "2.80 M" in sizing.reason


def test_the_fitted_venue_itself_is_not_resized():
    assert venue_sizing(_fitted(2_800_000.0), 2_800_000.0, "auto").scale == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("fitted", "observed", "why"),
    [
        (0.0, 700_000.0, "names no fitted venue volume"),
        (2_800_000.0, math.nan, "has no volume"),
        (2_800_000.0, 0.0, "has no volume"),
    ],
)
def test_without_both_volumes_nothing_is_scaled_and_the_reason_says_why(fitted, observed, why):
    sizing = venue_sizing(_fitted(fitted), observed, "auto")
    assert sizing.scale == 1.0
    assert why in sizing.reason


def test_a_scale_the_user_gives_wins_over_the_volumes():
    sizing = venue_sizing(_fitted(2_800_000.0), 700_000.0, 1.0)
    assert (sizing.scale, sizing.reason) == (1.0, "given")


def test_the_scale_is_clipped_to_a_resized_venue_not_another_market():
    lo, hi = SCALE_LIMITS
    assert venue_sizing(_fitted(1e9), 1.0, "auto").scale == lo
    assert venue_sizing(_fitted(1.0), 1e12, "auto").scale == hi


def test_scaling_multiplies_the_order_rate_and_the_depth_per_level_and_nothing_else():
    cfg = load_config("calibrated")
    scaled = scaled_venue(cfg, 0.25)
    assert scaled.liquidity_traders.orders_per_hour == pytest.approx(
        0.25 * cfg.liquidity_traders.orders_per_hour
    )
    assert scaled.market_makers.level_size_g == pytest.approx(0.25 * cfg.market_makers.level_size_g)
    before, after = cfg.model_dump(), scaled.model_dump()
    before["liquidity_traders"].pop("orders_per_hour")
    after["liquidity_traders"].pop("orders_per_hour")
    before["market_makers"].pop("level_size_g")
    after["market_makers"].pop("level_size_g")
    assert before == after
    assert scaled_venue(cfg, 1.0) is cfg


@pytest.mark.parametrize(("text", "value"), [("auto", "auto"), ("AUTO", "auto"), ("0.5", 0.5)])
def test_a_scale_is_auto_or_a_positive_number(text, value):
    assert parse_venue_scale(text) == value


@pytest.mark.parametrize("text", ["wide", "0", "-1", "nan", "inf", ""])
def test_anything_else_is_refused_by_name(text):
    with pytest.raises(ConfigError, match="venue scale must be 'auto' or a number > 0"):
        parse_venue_scale(text)
    with pytest.raises(ConfigError, match="venue scale"):
        venue_sizing(_fitted(1.0), 1.0, float(text) if text not in ("wide", "") else -1.0)
