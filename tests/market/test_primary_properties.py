"""Primary-market invariants under random operation sequences (hypothesis).

Random sequences of mints, redemptions (cash and in kind), queue processing at advancing times
and price moves, custodian losses, freezes, slow-downs, insolvencies, attestations, gates and
suspensions, under each preset. After every operation: the ledger's own checks pass, supply equals
minted minus burned and matches the primary market's settled flows, gold is conserved across the
world market, the vaults, the redeemers and the lost sinks, no balance is negative, and every
reservation is exactly what the pending tickets locked.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gramabm.market.custody import AttestationSchedule, Custodian
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.presets import PRESETS
from gramabm.market.primary import Kind, PrimaryMarket, SettlementDelay
from tests.conftest import INVARIANT_EXAMPLES

KG = 1_000_000
START = pd.Timestamp("2024-04-08 00:00")  # a Monday
GENESIS_EACH = 50 * KG
WORLD_GOLD = 10**10  # 10 t
WORLD_USD = 10**15  # $1bn

TERMS = {
    # Small bars so that in-kind redemptions happen at the sizes drawn below.
    "paxg": replace(PRESETS["paxg"], bar_mg=5 * KG),
    "xaut": replace(PRESETS["xaut"], bar_mg=5 * KG),
    "gram_wrapper": PRESETS["gram_wrapper"],
    "hours": replace(
        PRESETS["paxg"],
        calendar=PRESETS["gram_wrapper"].calendar,
        mint_delay=SettlementDelay(hours=5),
        redeem_delay=SettlementDelay(hours=30),
        bar_mg=2 * KG,
    ),
}

hours = st.integers(0, 60)
who = st.sampled_from([0, 0, 1, 1, 2])  # client 2 is not authorised
cust = st.integers(0, 1)
# Hypothesis favours small integers; whole kilograms make bars and minimums reachable too.
amount = st.one_of(st.integers(1, 30 * KG), st.integers(1, 30).map(lambda k: k * KG))
MINT = st.tuples(st.just("mint"), hours, who, amount)
REDEEM = st.tuples(st.just("redeem"), hours, who, amount, st.booleans())
PROCESS = st.tuples(st.just("process"), hours, st.sampled_from([0.8, 0.97, 1.0, 1.02, 1.25]))
OPS = st.one_of(
    MINT,
    MINT,
    REDEEM,
    REDEEM,
    PROCESS,
    PROCESS,
    st.tuples(st.just("loss"), hours, cust, st.sampled_from([0.0, 0.01, 0.3, 1.0])),
    st.tuples(st.just("freeze"), hours, cust, st.integers(0, 96)),
    st.tuples(st.just("slow"), hours, cust, st.integers(0, 48)),
    st.tuples(st.just("attest"), hours, cust),
    # Rarer controls: insolvency is final and suspension blocks a whole side.
    st.tuples(
        st.just("control"),
        hours,
        cust,
        st.sampled_from(["insolvent", "gate", "ungate", "suspend", "resume", "resume"]),
        st.sampled_from([Kind.MINT, Kind.REDEEM]),
    ),
)


class World:
    """A primary market over two custodians, three clients (two authorised) and a gold market."""

    def __init__(self, terms_name: str) -> None:
        ledger = self.ledger = Ledger(capacity=16)
        self.world = ledger.open_account("gold_market")
        issuer = ledger.open_account("issuer")
        self.fee = ledger.open_account("fees")
        self.clients = [ledger.open_account(f"client{i}") for i in range(3)]
        ledger.genesis(self.world, Asset.GOLD, WORLD_GOLD)
        ledger.genesis(self.world, Asset.USD, WORLD_USD)
        for c in self.clients:
            ledger.genesis(c, Asset.USD, 5 * 10**12)  # $5M each
        self.custodians = [
            Custodian(
                "brinks",
                ledger,
                ledger.open_account("brinks"),
                daily_capacity_mg=20 * KG,
                attestation=AttestationSchedule.monthly(),
            ),
            Custodian(
                "loomis",
                ledger,
                ledger.open_account("loomis"),
                daily_capacity_mg=None,
                extra_settlement_hours=2,
                attestation=AttestationSchedule.every(3, anchor=START),
            ),
        ]
        self.pm = PrimaryMarket(
            ledger,
            self.custodians,
            TERMS[terms_name],
            issuer_account=issuer,
            fee_account=self.fee,
            gold_market_account=self.world,
            authorised=self.clients[:2],
        )
        for i, c in enumerate(self.clients):
            self.pm.genesis_issue(c, GENESIS_EACH, custodian=self.custodians[i % 2].name)
        self.genesis_tokens = 3 * GENESIS_EACH
        self.gold0 = WORLD_GOLD + self.genesis_tokens
        self.usd0 = WORLD_USD + 3 * 5 * 10**12
        self.now = START
        self.price = 2300.0

    def apply(self, op: tuple) -> None:
        kind, dt, *args = op
        self.now += pd.Timedelta(hours=dt)
        now, pm = self.now, self.pm
        if kind == "mint":
            pm.request_mint(self.clients[args[0]], args[1], now, self.price)
        elif kind == "redeem":
            pm.request_redeem(self.clients[args[0]], args[1], now, self.price, in_kind=args[2])
        elif kind == "process":
            self.price = min(max(self.price * args[0], 500.0), 10_000.0)
            for s in pm.process(now, self.price):
                assert s.settled_at >= s.due_at  # never delivered early
        elif kind == "loss":
            self.custodians[args[0]].lose_share(args[1], now)
        elif kind == "freeze":
            self.custodians[args[0]].freeze(now + pd.Timedelta(hours=args[1]))
        elif kind == "slow":
            self.custodians[args[0]].slow(args[1])
        elif kind == "attest":
            self.custodians[args[0]].attest(now)
        else:
            self.control(*args)

    def control(self, custodian: int, action: str, side: Kind) -> None:
        if action == "insolvent":
            self.custodians[custodian].insolvent()
        elif action == "gate":
            self.pm.set_redemption_gate(10 * KG)
        elif action == "ungate":
            self.pm.set_redemption_gate(None)
        else:
            self.pm.suspend(side, action == "suspend")

    def check(self) -> None:
        ledger, pm = self.ledger, self.pm
        ledger.check()
        for asset in Asset:
            assert ledger.balances(asset).min() >= 0
            assert ledger.reserved_array(asset).min() >= 0
        stats = pm.stats()
        assert ledger.supply == ledger.minted - ledger.burned
        assert ledger.minted == self.genesis_tokens + stats.settled_mint_mg
        assert ledger.burned == stats.settled_burned_mg >= stats.settled_redeem_mg
        assert int(ledger.balances(Asset.TOKEN).sum()) == ledger.supply
        # Gold: world + vaults + redeemers + lost sinks, and nothing else holds any.
        world = ledger.balance(self.world, Asset.GOLD)
        vaults = sum(c.actual_mg for c in self.custodians)
        lost = sum(ledger.balance(c.lost_account, Asset.GOLD) for c in self.custodians)
        redeemers = sum(ledger.balance(c, Asset.GOLD) for c in self.clients)
        assert world + vaults + lost + redeemers == self.gold0
        assert int(ledger.balances(Asset.GOLD).sum()) == self.gold0
        assert (
            vaults + lost == self.genesis_tokens + stats.settled_mint_mg - stats.settled_redeem_mg
        )
        assert int(ledger.balances(Asset.USD).sum()) == self.usd0
        assert ledger.balance(self.fee, Asset.TOKEN) == stats.fees_mg
        # Every reservation is exactly what pending tickets locked.
        usd = dict.fromkeys(self.clients, 0)
        tokens = dict.fromkeys(self.clients, 0)
        world_gold = world_usd = 0
        for t in pm.pending():
            if t.kind is Kind.MINT:
                usd[t.account] += t.cash_units
                world_gold += t.gold_mg
            else:
                tokens[t.account] += t.tokens_mg
                world_usd += t.cash_units
        for c in self.clients:
            assert ledger.reserved(c, Asset.USD) == usd[c]
            assert ledger.reserved(c, Asset.TOKEN) == tokens[c]
        assert ledger.reserved(self.world, Asset.GOLD) == world_gold
        assert ledger.reserved(self.world, Asset.USD) == world_usd
        # Reported reserves never run ahead of what was attested plus public flows.
        for c in self.custodians:
            assert c.disclosed_mg >= c.actual_mg


@settings(max_examples=INVARIANT_EXAMPLES)
@given(terms=st.sampled_from(sorted(TERMS)), ops=st.lists(OPS, min_size=5, max_size=30))
def test_invariants_hold_after_every_operation(terms: str, ops: list[tuple]) -> None:
    w = World(terms)
    w.check()
    for op in ops:
        w.apply(op)
        w.check()
    # Liveness: once freezes end, only stranded redemptions may stay pending: those at an
    # insolvent custodian or at a vault that lacks the gold.
    for c in w.custodians:
        c.unfreeze()
    w.pm.process(w.now + pd.Timedelta(days=30), w.price)
    w.check()
    for t in w.pm.pending():
        c = w.pm.custodian(t.custodian)
        assert t.kind is Kind.REDEEM
        assert c.is_insolvent or w.ledger.available(c.vault_account, Asset.GOLD) < t.gold_mg
