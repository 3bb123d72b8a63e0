"""Behaviour tests: each fails when the mechanism it names breaks ."""

from __future__ import annotations

import numpy as np
import pytest

from gramabm.analysis.token import candles_from_run, fixes_from_run, token_facts
from gramabm.market.ledger import Asset
from gramabm.model import GramModel
from gramabm.scenarios.base import Event
from tests.model.paths import gold_path

HOLDERS = 1_500


def run(path, **params):
    model = GramModel(rng=3, path=path, steps=path.n_steps, holders=HOLDERS, **params)
    result = model.run()
    model.check_invariants()
    return model, result.timeseries


def test_calm_peg_stays_inside_the_round_trip_fee_band() -> None:
    model, ts = run(gold_path(24 * 14), arbitrageurs=4)
    terms = model.primary.terms
    band = terms.mint_fee_bp + terms.redeem_fee_bp  # base (small-order) round trip
    dev = ts["deviation_bp"].dropna()
    assert len(dev) > 0.95 * len(ts)  # the book is quoted almost all the time
    assert dev.abs().median() < band
    assert (dev.abs() > 100).mean() < 0.02


@pytest.mark.parametrize(
    "without",
    # no arbitrageurs and makers without primary access: nobody can arbitrage the primary
    [{"arbitrageurs": 0, "market_makers.authorised": False}, {"primary_enabled": False}],
    ids=["no_arbs", "primary_shut"],
)
def test_arbitrage_and_primary_access_shrink_the_shock_deviation(without) -> None:
    path = gold_path(24 * 12, fall=0.12, fall_at=48)
    _, with_arbs = run(path, arbitrageurs=4)
    _, without_arbs = run(path, **{"arbitrageurs": 4, **without})
    after = slice(48, None)
    dev_with = with_arbs["deviation_bp"].iloc[after]
    dev_without = without_arbs["deviation_bp"].iloc[after]
    # Larger: mean absolute deviation at least 1.5x; longer: more hours beyond +-100 bp.
    assert dev_without.abs().mean() > 1.5 * dev_with.abs().mean()
    assert (dev_without.abs() > 100).sum() > (dev_with.abs() > 100).sum()


def test_custodian_loss_is_priced_when_reported_not_before() -> None:
    # Start on 2024-01-22 (Monday); the loss happens on step 24; PAXG custodians attest monthly,
    # so the public learns of it at the 1 February attestation (step 240).
    events = (Event(24, "custodian_loss", {"custodian": 0, "share": 0.10 / 0.7}),)
    path = gold_path(24 * 16, start="2024-01-22", events=events, vol_annual=0.10)
    _, ts = run(path, arbitrageurs=4, custodians=2, governance=False)
    report_step = int(np.argmax(ts["reserve_ratio_reported"].to_numpy() < 0.95))
    assert 230 <= report_step <= 250
    # The actual ratio fell at once; the reported one only at the attestation.
    assert ts["reserve_ratio_actual"].iloc[30] == pytest.approx(0.9, abs=0.01)
    assert ts["reserve_ratio_reported"].iloc[report_step - 5] == pytest.approx(1.0, abs=1e-9)
    before = ts["deviation_bp"].iloc[30 : report_step - 1]
    after = ts["deviation_bp"].iloc[report_step + 48 :]
    assert before.median() > -150  # still priced as a full gram
    assert after.median() == pytest.approx(-1000, abs=250)  # about 10% below gold


def test_market_makers_withdraw_and_depth_falls_under_a_severe_shock() -> None:
    path = gold_path(24 * 10, fall=0.20, fall_at=72, fall_steps=12)
    _, ts = run(path)
    assert ts["mm_active"].min() < ts["mm_active"].iloc[0]
    pre = ts["depth_1pct_usd"].iloc[24:72].median()
    assert ts["depth_1pct_usd"].iloc[72:].min() < 0.5 * pre


def test_conservation_holds_at_every_step_of_a_stressed_run() -> None:
    events = (
        Event(30, "custodian_loss", {"custodian": 0, "share": 0.2}),
        Event(40, "custodian_freeze", {"custodian": 1, "hours": 24}),
        Event(50, "mm_withdrawal", {"steps": 12}),
        Event(60, "oracle_outage", {"steps": 6}),
        Event(70, "governance_action", {"lever": "redeem_fee_bp", "value": 10}),
        Event(80, "safe_haven_demand", {"steps": 24, "strength": 0.5}),
    )
    path = gold_path(24 * 6, fall=0.15, fall_at=36, events=events)
    model = GramModel(rng=5, path=path, steps=path.n_steps, holders=800, preset="gram_wrapper")
    supply0 = model.ledger.supply
    gold_total = model.ledger.genesis_total(Asset.GOLD)
    while model.running:
        model.step()
        model.check_invariants()
        assert model.ledger.supply == model.ledger.minted - model.ledger.burned
        assert int(model.ledger.balances(Asset.GOLD).sum()) == gold_total
    assert model.ledger.supply != supply0  # the run did move the supply
    assert len(model.result().events) >= len(events)


def test_a_maker_replaces_taken_bids_even_when_its_price_has_not_moved() -> None:
    from gramabm.market.orderbook import BUY

    model = GramModel(
        rng=3, path=gold_path(48, vol_annual=0.0), steps=48, holders=100, arbitrageurs=0
    )
    model.step()
    maker = model.market_makers.to_list()[0]
    book = model.book

    def sides() -> list[int]:
        return [book.order(oid)[1] for oid in book.orders_of(maker.account)]

    assert BUY in sides()
    for oid in book.orders_of(maker.account):  # a sell-off takes every bid, the asks stay
        if book.order(oid)[1] == BUY:
            model.venue.cancel(maker.account, oid)
    assert BUY not in sides()
    maker.step(model._context(model.steps), model.reports)  # flat gold: the centre has not moved
    assert sides().count(BUY) > 0
    assert all(book.remaining(oid) for oid in (*maker._bids, *maker._asks))


def test_on_a_one_dollar_tick_the_token_trades_on_it_and_often_not_at_all_in_an_hour() -> None:
    path = gold_path(24 * 14)
    facts = {}
    for tick in (0.0, 1.0):
        _model, ts = run(path, tick_usd_oz=tick)
        facts[tick] = token_facts(candles_from_run(ts), fixes_from_run(ts)).values
    # Without a tick the closes sit on no step and an unchanged hourly close is rare; on a
    # 1 USD step (5 bp of a 2,000 USD token) every close is a whole dollar and quiet hours
    # close where they opened.
    assert np.isnan(facts[0.0]["price_step_usd"])
    assert facts[1.0]["price_step_usd"] == 1.0
    assert facts[1.0]["hourly_unchanged_share"] > facts[0.0]["hourly_unchanged_share"] + 0.05


def test_a_venue_that_changes_its_tick_trades_on_the_new_one_from_that_day() -> None:
    path = gold_path(24 * 14)  # Monday 8 to Sunday 21 January 2024
    model, ts = run(path, tick_changes={"2024-01-15": 1.0})
    candles = candles_from_run(ts)
    fixes = fixes_from_run(ts)
    before = token_facts(candles, fixes, end="2024-01-14").values
    after = token_facts(candles, fixes, start="2024-01-15").values
    assert np.isnan(before["price_step_usd"])
    assert after["price_step_usd"] == 1.0
    changes = [e for e in model.reports.events if e[2] == "tick"]
    assert [e[0] for e in changes] == [7 * 24]  # the first step of 15 January
