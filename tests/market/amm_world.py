"""A small two-ledger world for the on-chain contracts' tests: XAUT and USD in one ledger, GRAM in
the other, accounts opened in step so one id names one holder in both."""

from __future__ import annotations

from dataclasses import dataclass

from gramabm.market.chain import Chain, GasPrice, Token
from gramabm.market.ledger import Asset, Ledger


@dataclass
class World:
    """Ledgers, tokens and the named accounts of a test world."""

    xaut_ledger: Ledger
    gram_ledger: Ledger
    xaut: Token
    usd: Token
    gram: Token
    users: list[int]
    contract: int  # the wrapper's or pool's address
    treasury: int
    sink: int  # gas sink

    def chain(self, gwei: float = 20.0, eth_usd: float = 3_000.0) -> Chain:
        """A chain paying gas in this world's USD to its sink."""
        return Chain(self.usd, self.sink, GasPrice.from_gwei(gwei, eth_usd))

    def check(self) -> None:
        """Both ledgers' conservation and non-negativity."""
        self.xaut_ledger.check()
        self.gram_ledger.check()


def make_world(n_users: int, xaut: int = 0, usd: int = 0, gram: int = 0) -> World:
    """A world with ``n_users`` users endowed with ``xaut``, ``usd`` and ``gram`` base units each."""
    a, b = Ledger(capacity=8), Ledger(capacity=8)
    ids = []
    for name in [*(f"user{i}" for i in range(n_users)), "contract", "treasury", "sink"]:
        i = a.open_account(name)
        assert b.open_account(name) == i
        ids.append(i)
    users = ids[:n_users]
    for u in users:
        a.genesis(u, Asset.TOKEN, xaut)
        a.genesis(u, Asset.USD, usd)
        b.genesis(u, Asset.TOKEN, gram)
    return World(
        a,
        b,
        Token("XAUT", a, Asset.TOKEN, 6),
        Token("USD", a, Asset.USD, 6),
        Token("GRAM", b, Asset.TOKEN, 3),
        users,
        *ids[n_users:],
    )
