"""Custodians alone and each incident kind a scenario can strike them with."""

from __future__ import annotations

import pandas as pd
import pytest

from gramabm.agents.custodians import CustodianAgent
from gramabm.scenarios.base import Event

NOW = pd.Timestamp("2024-01-08 10:00")


def _incident(market, kind: str, **params) -> None:
    market._apply_event(0, Event(0, kind, {"custodian": 1, **params}))


def test_a_hidden_loss_becomes_news_at_the_next_attestation(market, reports) -> None:
    vault = market.custodians[0]
    agent = CustodianAgent(market, vault)
    lost = vault.lose_share(0.2, NOW)
    assert lost > 0
    agent.step(0, NOW + pd.Timedelta(hours=1), reports)
    assert not reports.take_news()  # nobody knows yet
    later = NOW + pd.Timedelta(days=40)  # past a monthly attestation
    agent.step(1, later, reports)
    assert reports.take_news()
    assert reports.events[-1][1:3] == (vault.name, "attestation")
    agent.step(2, later + pd.Timedelta(days=40), reports)
    assert not reports.take_news()  # revealed once


def test_loss_strikes_only_the_named_custodian(market) -> None:
    before = [c.actual_mg for c in market.custodians]
    _incident(market, "custodian_loss", share=0.25)
    after = [c.actual_mg for c in market.custodians]
    assert after[0] == before[0]
    assert after[1] == pytest.approx(before[1] * 0.75, abs=1)
    assert market.incident_news == 0.0  # undisclosed until attestation


def test_freeze_blocks_the_custodian_for_the_hours_given_and_is_news(market) -> None:
    now = market._times[0]
    _incident(market, "custodian_freeze", hours=10)
    vault = market.custodians[1]
    assert vault.is_frozen(now + pd.Timedelta(hours=9))
    assert not vault.is_frozen(now + pd.Timedelta(hours=10))
    assert not market.custodians[0].is_frozen(now)
    assert market.incident_news == 1.0


def test_slowdown_adds_settlement_hours(market) -> None:
    _incident(market, "custodian_slowdown", extra_hours=36)
    assert market.custodians[1].extra_settlement_hours == 36.0
    assert market.custodians[0].extra_settlement_hours == 0.0


def test_insolvency_is_news_and_logged(market) -> None:
    _incident(market, "custodian_insolvency")
    assert market.incident_news == 1.0
    assert market.event_log[-1][2:] == ("custodian_insolvency", "custodian_1 insolvent")
