"""An arbitrageur alone: it trades only outside the band net of fees, within hours, minimums and capital."""

from __future__ import annotations

from gramabm.agents.arbitrageurs import Arbitrageur
from gramabm.config import ArbitrageurConfig
from gramabm.market.ledger import Asset
from gramabm.market.orderbook import BUY, SELL
from gramabm.market.primary import Kind
from tests.agents.conftest import GOLD_G, observation

INVENTORY_MG = 10_000_000  # 10 kg


def _arb(
    market, *, cash_usd: float = 5_000_000, tokens_mg: int = INVENTORY_MG, **cfg
) -> Arbitrageur:
    ledger = market.ledger
    account = ledger.open_account("arb_under_test")
    if cash_usd:
        ledger.transfer(market.market.gold_market, account, Asset.USD, round(cash_usd * 10**6))
    if tokens_mg:  # minted against gold moved into the first vault
        vault = market.custodians[0].vault_account
        ledger.transfer(market.market.gold_market, vault, Asset.GOLD, tokens_mg)
        ledger.mint_tokens(account, tokens_mg)
    market.primary.authorise(account)
    # The vault's new gold is not attested yet: the public reserve ratio stays at one.
    market.primary.nav_ratio = lambda: 1.0
    return Arbitrageur(market, account, ArbitrageurConfig(inventory_g=INVENTORY_MG / 1000, **cfg))


def _seller(market, price_usd: float, qty_mg: int = 1_000_000) -> int:
    ledger = market.ledger
    account = ledger.open_account("seller")
    ledger.mint_tokens(account, qty_mg)
    market.venue.limit(account, SELL, round(price_usd * 1000), qty_mg)
    return account


def _band(market, arb: Arbitrageur) -> tuple[float, float]:
    """What a redemption nets and a mint costs for a trade of the target inventory."""
    fee = market.primary.terms.fee_bp(Kind.REDEEM, round(INVENTORY_MG / 1000 * GOLD_G * 1e6))
    return GOLD_G * (1 - fee / 1e4), GOLD_G / (1 - fee / 1e4)


def test_does_not_buy_a_discount_inside_the_band(market) -> None:
    arb = _arb(market, min_edge_bp=5)
    redeem_value, _ = _band(market, arb)
    _seller(market, redeem_value * (1 - 2e-4))  # cheap, but not by the required edge
    arb.step(observation())
    assert market.ledger.balance(arb.account, Asset.TOKEN) == INVENTORY_MG
    bids = market.book.levels(BUY, 1)
    assert bids[0][0] <= redeem_value * (1 - 5e-4) * 1000  # its standing bid is the band's edge


def test_buys_a_discount_beyond_the_band_net_of_fees(market) -> None:
    arb = _arb(market, min_edge_bp=5)
    redeem_value, _ = _band(market, arb)
    _seller(market, redeem_value * (1 - 50e-4))
    arb.step(observation())
    assert market.ledger.balance(arb.account, Asset.TOKEN) > INVENTORY_MG


def test_redeems_its_excess_only_while_the_primary_market_is_open(market) -> None:
    arb = _arb(market, tokens_mg=INVENTORY_MG + 3_000_000, max_trade_usd=10_000)
    arb.step(observation(primary_open=False))
    assert market.primary.pending_mg(Kind.REDEEM, arb.account) == 0
    arb.step(observation(1))
    offered = 10_000 * 10**6 // market.book.levels(SELL, 1)[0][0]  # its ask reserves these
    tickets = market.primary.pending(Kind.REDEEM)
    assert [t.tokens_mg for t in tickets] == [3_000_000 - offered]
    # The redeemed tokens are locked in the queue until settlement: not free to sell again.
    assert market.ledger.available(arb.account, Asset.TOKEN) <= INVENTORY_MG


def test_respects_the_primary_market_minimum(market) -> None:
    arb = _arb(market, tokens_mg=INVENTORY_MG + 500, max_trade_usd=1e-6)
    market.primary.terms = type(market.primary.terms)(
        **{**market.primary.terms.__dict__, "min_redeem_mg": 1_000}
    )
    arb.step(observation())
    assert market.primary.pending_mg(Kind.REDEEM, arb.account) == 0


def test_without_cash_it_posts_no_bid(market) -> None:
    arb = _arb(market, cash_usd=0)
    arb.step(observation())
    assert market.book.levels(BUY, 1) == []
    assert market.book.levels(SELL, 1) != []  # it still offers its tokens at the mint cost


def test_mints_to_restock_only_when_the_book_pays_a_premium(market) -> None:
    arb = _arb(market, tokens_mg=0)
    _, mint_cost = _band(market, arb)
    arb.step(observation(best_bid=mint_cost * 0.999))
    assert market.primary.pending_mg(Kind.MINT, arb.account) == 0
    arb.step(observation(1, best_bid=mint_cost * 1.01))
    assert [t.tokens_mg for t in market.primary.pending(Kind.MINT)] == [INVENTORY_MG]
