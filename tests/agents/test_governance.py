"""Governance alone: circuit breaker, emergency gate, proposals, quorum, delay, token weighting."""

from __future__ import annotations

import pytest

from gramabm.agents.governance import Governance, Votes, count
from gramabm.config import GovernanceConfig
from tests.agents.conftest import observation

SUPPLY = 1_000_000_000  # 1,000 kg of tokens


def _gov(market, **cfg) -> Governance:
    return Governance(market, GovernanceConfig(**cfg), market.primary)


def _votes(cast: float, yes: float) -> Votes:
    return Votes(held_mg=SUPPLY, cast_mg=cast * SUPPLY, yes_mg=yes * cast * SUPPLY)


def test_circuit_breaker_halts_the_next_step_only_past_its_threshold(market, reports) -> None:
    gov = _gov(market, circuit_breaker_bp=1500)
    gov.step(observation(), -1499.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert not gov.halt_next_step
    gov.step(observation(1), -1501.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert gov.halt_next_step
    assert [e[2] for e in reports.events] == ["circuit_breaker"]
    gov.step(observation(2), 0.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert not gov.halt_next_step  # one step, then trading resumes


def test_a_halted_steps_untraded_book_does_not_halt_the_market_again(market, reports) -> None:
    gov = _gov(market, circuit_breaker_bp=1500)
    gov.step(observation(), -2000.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert gov.halt_next_step
    # the halted step: nothing traded, the book still sits 2,000 bp off gold
    gov.step(observation(1, trading_halted=True), -2000.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert not gov.halt_next_step  # trading resumes for at least one step
    gov.step(observation(2), -2000.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert gov.halt_next_step  # trading that leaves it that far off halts it again
    assert [e[2] for e in reports.events] == ["circuit_breaker", "circuit_breaker"]


def test_emergency_gate_once_when_reported_reserves_fall_short(market, reports) -> None:
    gov = _gov(market, emergency_reserve_ratio=0.97, gate_share_per_day=0.02)
    gov.step(observation(nav_ratio=0.98), 0.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert market.primary.redemption_gate is None
    gov.step(observation(1, nav_ratio=0.96), 0.0, SUPPLY, lambda: _votes(0, 0), reports)
    assert market.primary.redemption_gate == round(SUPPLY * 0.02)
    gov.step(observation(2, nav_ratio=0.90), 0.0, SUPPLY * 2, lambda: _votes(0, 0), reports)
    assert market.primary.redemption_gate == round(SUPPLY * 0.02)  # gated once
    assert gov.actions_taken == 1


def _run_until_tally(market, reports, votes: Votes, **cfg) -> Governance:
    gov = _gov(market, trigger_deviation_bp=100, trigger_steps=3, voting_delay_steps=5, **cfg)
    polled = []

    def poll() -> Votes:
        polled.append(True)
        return votes

    for t in range(3 + 5):
        gov.step(observation(t), -150.0, SUPPLY, poll, reports)
        if t < 2:
            assert not gov.pending  # the gap has not lasted long enough yet
    assert len(polled) == 1  # the vote is taken once, when the delay has passed
    return gov


def test_proposal_after_trigger_steps_passes_with_quorum_and_majority(market, reports) -> None:
    fee0 = market.primary.terms.redeem_fee_bp
    assert fee0 > 0
    _run_until_tally(market, reports, _votes(cast=0.10, yes=0.6), quorum=0.04)
    kinds = [e[2] for e in reports.events]
    assert kinds == ["proposal", "vote_passed"]
    assert market.primary.terms.redeem_fee_bp == pytest.approx(round(fee0 / 2, 2))
    assert reports.events[0][0] == 2  # proposed at the third step outside the band
    assert reports.events[1][0] == 7  # counted voting_delay_steps later


def test_proposal_fails_below_quorum(market, reports) -> None:
    fee0 = market.primary.terms.redeem_fee_bp
    _run_until_tally(market, reports, _votes(cast=0.03, yes=0.9), quorum=0.04)
    assert [e[2] for e in reports.events] == ["proposal", "vote_failed"]
    assert market.primary.terms.redeem_fee_bp == fee0


def test_proposal_fails_without_a_majority(market, reports) -> None:
    fee0 = market.primary.terms.redeem_fee_bp
    _run_until_tally(market, reports, _votes(cast=0.5, yes=0.5), quorum=0.04)
    assert reports.events[-1][2] == "vote_failed"
    assert market.primary.terms.redeem_fee_bp == fee0


def test_votes_are_token_weighted_against_the_supply() -> None:
    assert count(Votes(held_mg=600, cast_mg=300, yes_mg=200), 1000) == pytest.approx((0.3, 2 / 3))
    assert count(Votes(held_mg=0, cast_mg=0, yes_mg=0), 1000) == (0.0, 0.0)


def test_holders_vote_by_their_tokens_and_panic(market) -> None:
    pop = market.holders
    pop.panic[:] = 0.0
    calm = pop.vote()
    pop.panic[:] = 0.5
    worried = pop.vote()
    tokens = float(pop.tokens_mg().sum())
    assert calm.held_mg == worried.held_mg == tokens
    assert calm.cast_mg == pytest.approx(0.02 * tokens)
    assert worried.cast_mg == pytest.approx(0.52 * tokens)
    assert worried.yes_mg / worried.cast_mg == pytest.approx(0.75)


def test_disabled_governance_does_nothing(market, reports) -> None:
    gov = _gov(market, enabled=False)
    gov.step(observation(nav_ratio=0.5), -5000.0, SUPPLY, lambda: _votes(1, 1), reports)
    assert not gov.halt_next_step
    assert reports.events == []
