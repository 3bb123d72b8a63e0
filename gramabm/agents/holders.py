"""Token holders: thousands of Mesa agents whose state lives in one population's numpy arrays.

Each :class:`Holder` is a real Mesa agent (it has a ``unique_id``, belongs to the model's agent set and
can be inspected), but it owns no Python state of its own: its wealth, panic and last action are rows
of the :class:`HolderPopulation` arrays. The population decides for everyone in one vectorised step:
one policy call for the whole population, one random draw per holder, then only the holders that act
send orders, in turn, straight to the venue (a few dozen an hour). There is no per-holder Python call
in the hot loop, which is what lets 100,000 holders run at interactive speed.

Worry spreads on a networkx social graph (small-world or scale-free): each holder's ``panic`` is an
exponentially smoothed measure of its fear, and its neighbours' mean panic is a feature of its next
decision (herding). **Fear is the sell/redeem propensity in excess of the calm one**, rescaled to
0..1: ``max(p - p_calm, 0) / (1 - p_calm)``, where ``p_calm`` is the policy's propensity in the calm
state (:func:`gramabm.policies.features.calm_row`). Ordinary liquidity selling is not worry: were
the raw propensity the panic, a policy that sells a tenth of the time in calm markets would feed its
own baseline back through the neighbours and tip everyone into panic in any market. Nor is
**profit-taking at a premium**: the extra selling a premium alone invites (the calm state's
propensity at that premium, less its propensity at par) is taken out of the fear, so a token that
trades for weeks above its gold value (a real token's basis) does not pass for a run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import networkx as nx
import numpy as np
import scipy.sparse as sp

from gramabm.agents.governance import Votes
from gramabm.agents.observation import observed_features
from gramabm.market.ledger import Asset, Ledger
from gramabm.market.orderbook import BUY, LIMIT_IOC, MARKET, SELL
from gramabm.policies.base import FEATURE_INDEX, FEATURES, Action, shared_zeros
from gramabm.policies.features import calm_row

if TYPE_CHECKING:
    from gramabm.config import HolderConfig
    from gramabm.market.context import StepContext
    from gramabm.market.primary import PrimaryMarket
    from gramabm.market.venue import Venue
    from gramabm.policies.base import HolderPolicy

IDLE = -1
"""Action code of a holder that does not act this step (the others are :class:`Action` values)."""
_MIN_ORDER_MG = 1_000  # one token: smaller orders are noise a real venue would reject
_NOBODY = np.zeros(0, dtype=np.int64)
_NO_ACTIONS = np.zeros(0, dtype=np.int8)
_NO_ACTIONS.flags.writeable = False
# The action codes as plain ints: numpy compares an array with an IntEnum member several times
# slower than with an int, and the step compares every holder's code a few times.
_HOLD, _BUY, _SELL, _REDEEM = (int(a) for a in Action)
# The book's order kinds and sides, as plain ints for the order columns.
_MARKET, _LIMIT_IOC, _BID, _ASK = int(MARKET), int(LIMIT_IOC), int(BUY), int(SELL)
# Indices of a mask are taken as ``mask.nonzero()[0]``: ``np.flatnonzero``'s result, on the 1-D
# masks of the step, without its wrapper's microseconds (a few calls a step).


@dataclass
class HolderStepStats:
    """Counts of one population step, for the recorder."""

    hold: int = 0
    buy: int = 0
    sell: int = 0
    redeem: int = 0
    panicked: int = 0
    panic_mean: float = 0.0
    redeem_requests_mg: int = 0

    def columns(self) -> dict[str, float]:
        """The population's columns of the step's recorded row."""
        return {
            "holders_hold": self.hold,
            "holders_buy": self.buy,
            "holders_sell": self.sell,
            "holders_redeem": self.redeem,
            "holders_panicked": self.panicked,
            "panic_mean": self.panic_mean,
        }


class Holder(mesa.Agent):
    """One holder: a Mesa agent that is a view on row ``index`` of the population arrays."""

    def __init__(self, model: mesa.Model, population: HolderPopulation, index: int) -> None:
        super().__init__(model)
        self.population = population
        self.index = index

    @property
    def account(self) -> int:
        """Ledger account id."""
        return int(self.population.accounts[self.index])

    @property
    def tokens_mg(self) -> int:
        """Tokens held (milligrams)."""
        return self.population.ledger.balance(self.account, Asset.TOKEN)

    @property
    def usd_micro(self) -> int:
        """Cash held (micro-dollars)."""
        return self.population.ledger.balance(self.account, Asset.USD)

    @property
    def panic(self) -> float:
        """Current panic level, 0..1."""
        return float(self.population.panic[self.index])

    @property
    def last_action(self) -> Action:
        """What the holder did the last time it acted."""
        return Action(int(self.population.last_action[self.index]))

    @property
    def institutional(self) -> bool:
        """Whether it has primary-market access."""
        return bool(self.population.institutional[self.index])


def build_social_graph(cfg: HolderConfig, seed: int) -> nx.Graph:
    """The holders' social graph: Watts-Strogatz small world or Barabási-Albert scale-free."""
    n = cfg.n
    if n < 3:
        return nx.complete_graph(n)
    k = min(cfg.network_degree, n - 1)
    if cfg.network == "small_world":
        k = max(2, k - k % 2)  # Watts-Strogatz needs an even ring degree
        return nx.watts_strogatz_graph(n, k, cfg.rewire_p, seed=seed)
    m = max(1, min(k // 2, n - 1))
    return nx.barabasi_albert_graph(n, m, seed=seed)


def neighbour_average_matrix(graph: nx.Graph) -> sp.csr_array:
    """Row-normalised adjacency: ``W @ x`` is each node's mean of ``x`` over its neighbours.

    Built from the edge list in numpy, in the same entry order as networkx's
    ``to_scipy_sparse_array`` (edges, then their mirror), which is what keeps every product
    bit-for-bit the same, at a fraction of the set-up time for large populations.
    """
    n = graph.number_of_nodes()
    if nx.number_of_selfloops(graph):
        adj = nx.to_scipy_sparse_array(graph, nodelist=range(n), format="csr")
    else:
        edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
        rows = np.concatenate([edges[:, 0], edges[:, 1]])
        cols = np.concatenate([edges[:, 1], edges[:, 0]])
        data = np.ones(rows.size, dtype=np.int64)
        adj = sp.coo_array((data, (rows, cols)), shape=(n, n)).asformat("csr")
    adj = adj.astype(np.float64)
    degree = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    matrix = sp.csr_array(sp.diags_array(inv) @ adj)
    if matrix.nnz <= np.iinfo(np.int32).max:  # half the index memory each step's product reads
        matrix.indices = matrix.indices.astype(np.int32)
        matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix


def _draw_actions(by_action: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The action of each drawn holder: the first whose cumulative probability reaches ``u``.

    ``by_action`` holds the drawn holders' probabilities, one row per action. The cumulative
    sums are built row by row, left to right (the order ``np.cumsum`` adds in, so the draws are
    the same bit for bit), which over a few hundred holders of four actions is several times
    faster than a ``cumsum`` along each holder's probabilities.
    """
    last = by_action.shape[0] - 1
    cdf = by_action[0]
    chosen = (u > cdf).astype(np.int8)
    for a in range(1, last + 1):
        cdf = cdf + by_action[a]
        chosen += u > cdf
    np.minimum(chosen, last, out=chosen)
    return chosen


class HolderPopulation:
    """All holders' state as arrays, decided in one vectorised step.

    The whole of a holder's behaviour lives here: what it observes, its decision, safe-haven buying,
    its orders and redemptions, its cost basis and its vote. Holders become Mesa agents only when
    asked (:meth:`as_agents`), so a run of 100,000 holders pays nothing for them.

    Args:
        cfg: Holder configuration.
        accounts: Ledger account ids of the holders (consecutive).
        institutional: Which holders have primary-market access.
        graph: Social graph over holder indices ``0..n-1``.
        policy: The behaviour policy (one ``predict_proba`` call per step).
        ledger: The ledger (balances are read from it in bulk).
        rng: Random generator for activity and action draws.
        entry_price: Initial cost basis (USD per token) of every holder.
    """

    def __init__(
        self,
        cfg: HolderConfig,
        accounts: np.ndarray,
        institutional: np.ndarray,
        graph: nx.Graph,
        policy: HolderPolicy,
        ledger: Ledger,
        rng: np.random.Generator,
        entry_price: float,
    ) -> None:
        self.cfg = cfg
        self.n = cfg.n
        self.accounts = np.asarray(accounts, dtype=np.int64)
        self.first_account = int(self.accounts[0])
        if not np.array_equal(
            self.accounts, np.arange(self.first_account, self.first_account + self.n)
        ):
            raise ValueError("holder accounts must be consecutive ledger ids")
        self.institutional = np.asarray(institutional, dtype=bool)
        self.graph = graph
        self.neighbours = neighbour_average_matrix(graph)
        self.policy = policy
        self.ledger = ledger
        self.rng = rng
        self.panic = np.zeros(self.n)
        self.last_action = np.zeros(self.n, dtype=np.int8)
        self.cost_basis = np.full(self.n, float(entry_price))
        self._features = np.zeros((self.n, len(FEATURES)), order="F")  # contiguous columns
        self._path_features: dict[str, np.ndarray] = {}
        # The deviation holders are used to (bp): a token that has traded at a basis for weeks
        # reads as usual, so only what is beyond it drives their decisions and their fear.
        self.usual_basis_bp = 0.0
        self._usual_learn = (
            1.0 - 0.5 ** (1.0 / cfg.usual_basis_half_life_h)
            if cfg.usual_basis_half_life_h > 0
            else 0.0
        )
        self._safe_haven_until = -1
        self._safe_haven_strength = 0.0
        # The policy's calm-state exit propensity by whole bp of deviation, for one policy.
        self._calm_exits: tuple[object, dict[int, float]] | None = None
        self._agents: list[Holder] = []

    def as_agents(self, model: mesa.Model) -> list[Holder]:
        """The holders as Mesa agents of ``model`` (created on the first call, then kept)."""
        if not self._agents:
            self._agents = [Holder(model, self, i) for i in range(self.n)]
        return self._agents

    def observe_oracle(self, published: np.ndarray, steps_per_day: int) -> None:
        """Recompute what holders see of gold over the whole path (at set-up and after an outage)."""
        self._path_features = observed_features(published, steps_per_day)

    def start_safe_haven(self, until: int, strength: float) -> None:
        """Until step ``until``, a share ``strength / 24`` of idle holders buys each step."""
        self._safe_haven_until = until
        self._safe_haven_strength = strength

    # --- bulk views -------------------------------------------------------------------------
    def _slice(self, asset: Asset) -> np.ndarray:
        return self.ledger.balances(asset)[self.first_account : self.first_account + self.n]

    def tokens_mg(self) -> np.ndarray:
        """Every holder's token balance (milligrams)."""
        return self._slice(Asset.TOKEN)

    def usd_micro(self) -> np.ndarray:
        """Every holder's cash balance (micro-dollars)."""
        return self._slice(Asset.USD)

    def available(self, asset: Asset, rows: np.ndarray | None = None) -> np.ndarray:
        """Balances not reserved by resting orders or pending requests.

        Of the holders ``rows`` (indices: a step reads only the few hundred that trade), or of
        every holder if None.
        """
        ids = (
            slice(self.first_account, self.first_account + self.n)
            if rows is None
            else rows + self.first_account
        )
        return self.ledger.balances(asset)[ids] - self.ledger.reserved_array(asset)[ids]

    # --- the step ---------------------------------------------------------------------------
    def step(
        self, ctx: StepContext, news: float, venue: Venue, primary: PrimaryMarket
    ) -> HolderStepStats:
        """One step of every holder: decide, buy in a safe-haven rush, trade, redeem.

        Args:
            ctx: The step's observation.
            news: Freshness of custodian-incident news, 0..1.
            venue: The exchange the orders go to.
            primary: The primary market institutional holders redeem through.
        """
        features = {name: float(arr[ctx.step]) for name, arr in self._path_features.items()}
        features["deviation_bp"] = self.unusual_deviation_bp(1e4 * (ctx.mid / ctx.fair_g - 1.0))
        active, chosen = self._choose(features, news, ctx.mid)
        if ctx.step < self._safe_haven_until:
            active, chosen = self._safe_haven_rush(active, chosen)
        if not ctx.trading_halted:
            orders = self._order_columns(
                active[chosen == _BUY], active[chosen == _SELL], ctx.best_ask, ctx.mid
            )
            if orders[0]:
                # Holders' orders never rest, so they change only their senders' balances:
                # their rows are all the cost basis needs (not a copy of every holder's).
                traders = np.array(orders[0], dtype=np.int64) - self.first_account
                tokens_before = self.tokens_mg()[traders]
                _send(venue, *orders)
                self.update_cost_basis(tokens_before, ctx.mid, traders)
        redeem_mg = 0
        redeemers = active[chosen == _REDEEM] if ctx.primary_open else _NOBODY
        if redeemers.size:  # the free balances are read only when somebody redeems
            free = self.available(Asset.TOKEN, redeemers)
            for i, qty in zip(redeemers.tolist(), free.tolist(), strict=True):
                if qty > 0:
                    ticket = primary.request_redeem(
                        int(self.accounts[i]), qty, ctx.now, ctx.gold_usd_oz
                    )
                    if ticket.accepted:
                        redeem_mg += qty
        stats = self.stats()
        stats.redeem_requests_mg = redeem_mg
        return stats

    def unusual_deviation_bp(self, deviation_bp: float) -> float:
        """The deviation beyond the usual one, then learn this step's into the usual one."""
        if self._usual_learn == 0.0:
            return deviation_bp
        seen = deviation_bp - self.usual_basis_bp
        cap = self.cfg.usual_basis_cap_bp
        self.usual_basis_bp += self._usual_learn * (deviation_bp - self.usual_basis_bp)
        self.usual_basis_bp = min(max(self.usual_basis_bp, -cap), cap)
        return seen

    def vote(self) -> Votes:
        """The holders' token-weighted vote on a stability measure.

        Worried holders vote more (each with probability ``0.02 + panic``) and vote yes with
        probability ``0.5 + panic / 2``; the expected tokens of each are summed.
        """
        tokens = self.tokens_mg().astype(float)
        p_vote = np.clip(0.02 + self.panic, 0.0, 1.0)
        return Votes(
            held_mg=float(tokens.sum()),
            cast_mg=float((tokens * p_vote).sum()),
            yes_mg=float((tokens * p_vote * (0.5 + self.panic / 2)).sum()),
        )

    def decide(self, market_features: dict[str, float], incident: float, mid: float) -> np.ndarray:
        """Actions of every holder this step (:data:`IDLE` for the inactive), from one policy call.

        Args:
            market_features: Population-wide features by name (gold returns, vol, drawdown, deviation).
            incident: Freshness of custodian-incident news, 0..1.
            mid: Token mid price (USD) for the holders' own P&L.
        """
        return self._actions_of(*self._choose(market_features, incident, mid))

    def _actions_of(self, active: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Every holder's action code: ``chosen`` for the ``active`` holders, IDLE for the rest."""
        actions = np.full(self.n, IDLE, dtype=np.int8)
        actions[active] = chosen
        return actions

    def _choose(
        self, market_features: dict[str, float], incident: float, mid: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """The holders that act this step (indices, ascending) and their actions (:meth:`decide`).

        The step works on these few hundred rows, not on an action code for every holder.
        """
        X = self._features
        # Every column but the holders' own is one value for all (HOLDER_FEATURES): a policy that
        # knows it computes its market part once, from the first row, so only that row is
        # written for it (filling seven columns of every row cost a few percent of the step),
        # as single elements (a one-row slice costs several times more to assign).
        by_population = hasattr(self.policy, "predict_proba_population")
        shared: int | slice = 0 if by_population else slice(None)
        for name, value in market_features.items():
            X[shared, FEATURE_INDEX[name]] = value
        X[shared, FEATURE_INDEX["incident"]] = incident
        X[:, FEATURE_INDEX["neighbour_panic"]] = self.neighbours @ self.panic
        np.divide(mid, self.cost_basis, out=X[:, FEATURE_INDEX["own_pnl"]])
        X[:, FEATURE_INDEX["own_pnl"]] -= 1.0
        # Who acts is drawn before the policy is asked, which uses no random numbers: it then
        # gives the whole distribution of these holders only.
        active = (self.rng.random(self.n) < self.cfg.activity).nonzero()[0]
        fear, by_action = self._exit_proba(X, active)
        self._update_panic(fear, market_features.get("deviation_bp", 0.0))
        if not active.size:
            return active, _NO_ACTIONS
        chosen = _draw_actions(by_action, self.rng.random(active.size))
        # Only holders with primary access can redeem; the others sell instead.
        chosen[(chosen == _REDEEM) & ~self.institutional[active]] = _SELL
        self.last_action[active] = chosen
        return active, chosen

    def _safe_haven_rush(
        self, active: np.ndarray, chosen: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_choose`'s holders and actions after a share of the idle ones rushes in to buy."""
        actions = self._actions_of(active, chosen)
        idle = (actions == IDLE).nonzero()[0]
        rush = self.rng.random(idle.size) < self._safe_haven_strength / 24
        actions[idle[rush]] = _BUY
        acting = (actions != IDLE).nonzero()[0]
        return acting, actions[acting]

    def _exit_proba(self, X: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every holder's sell-or-redeem probability (a new array) and ``rows``' by action."""
        policy = self.policy
        exit_population = getattr(policy, "predict_exit_population", None)
        if exit_population is not None:
            return exit_population(X, rows)
        by_population = getattr(policy, "predict_proba_population", None)
        proba = by_population(X) if by_population is not None else policy.predict_proba(X)
        return proba[:, Action.SELL] + proba[:, Action.REDEEM], proba[rows].T

    def _update_panic(self, fear: np.ndarray, premium: float) -> None:
        """Panic: smoothed excess propensity to get out (from ``fear``, the raw one, overwritten).

        Neighbours read it next step. In place on ``fear``: the same operations without a
        temporary each.
        """
        calm = self.calm_fear()
        if premium >= 1.0:  # selling into a premium is profit-taking, not worry
            fear -= self.profit_taking(premium)
        fear -= calm
        np.maximum(fear, shared_zeros((self.n,)), out=fear)  # same values, faster than against 0.0
        fear /= 1.0 - calm
        fear *= 1.0 - self.cfg.panic_memory
        self.panic *= self.cfg.panic_memory
        self.panic += fear

    def _calm_exit(self, deviation_bp: int) -> float:
        """Sell-or-redeem propensity in the calm state at a deviation (asked once per bp, per policy)."""
        if self._calm_exits is None or self._calm_exits[0] is not self.policy:
            self._calm_exits = (self.policy, {})
        cache = self._calm_exits[1]
        if deviation_bp not in cache:
            row = calm_row()
            row[0, FEATURE_INDEX["deviation_bp"]] = deviation_bp
            proba = self.policy.predict_proba(row)[0]
            cache[deviation_bp] = float(proba[Action.SELL] + proba[Action.REDEEM])
        return cache[deviation_bp]

    def calm_fear(self) -> float:
        """The policy's propensity to sell or redeem in the calm state."""
        # Capped below 1 so the rescaling stays defined for a policy that always sells.
        return min(self._calm_exit(0), 0.99)

    def profit_taking(self, premium_bp: float) -> float:
        """Extra sell/redeem propensity a premium alone invites in the calm state (whole bp)."""
        return max(self._calm_exit(int(premium_bp)) - self.calm_fear(), 0.0)

    def orders(
        self, actions: np.ndarray, bid: float | None, ask: float | None, mid: float
    ) -> tuple[np.ndarray, ...]:
        """Batch orders (owners, sides, prices, qtys, kinds) of the holders that buy or sell.

        With ``trade_size = "holdings"`` buyers spend ``trade_fraction`` of their free cash and
        sellers sell ``trade_fraction`` of their free tokens; with ``"wealth"`` either side trades
        ``trade_fraction`` of the holder's free cash plus free tokens at the mid, up to what that
        side holds. (A share of holdings makes a population of constant-mix rebalancers: after a
        rally every sale is larger in dollars than every purchase, so it sells the rally.) A seller
        sells everything when the rest would be under one token. A share of the holders send
        market orders, the rest IOC limits ``limit_offset_bp`` through the mid.
        """
        movers = (actions > _HOLD).nonzero()[0]  # one pass over every holder, then a few dozen
        moves = actions[movers]
        columns = self._order_columns(movers[moves == _BUY], movers[moves == _SELL], ask, mid)
        return tuple(np.array(column, dtype=np.int64) for column in columns)

    def _order_columns(
        self, buyers: np.ndarray, sellers: np.ndarray, ask: float | None, mid: float
    ) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
        """:meth:`orders` of these buyers and sellers (indices, ascending), as lists.

        A step has a few dozen of them, so the sizes are worked out in plain Python: the same
        float64 operations in the same order as numpy's on arrays, at a fraction of the cost of
        a numpy call each on such short arrays.
        """
        cfg = self.cfg
        buyer_ids, seller_ids = buyers.tolist(), sellers.tolist()
        buyer_usd = self._free(Asset.USD, buyer_ids)
        seller_tok = self._free(Asset.TOKEN, seller_ids)
        if cfg.trade_size == "wealth":
            ticks = max(mid * 1000.0, 1.0)
            buyer_wealth = self._wealth_shares(buyer_usd, self._free(Asset.TOKEN, buyer_ids), ticks)
            seller_wealth = self._wealth_shares(
                self._free(Asset.USD, seller_ids), seller_tok, ticks
            )
            # numpy's minimum of a float and an int compares the int as a float.
            buy_usd = [min(w, float(u)) for w, u in zip(buyer_wealth, buyer_usd, strict=True)]
            sell_mg = [
                min(w / ticks, float(t)) for w, t in zip(seller_wealth, seller_tok, strict=True)
            ]
        else:
            buy_usd = [usd * cfg.trade_fraction for usd in buyer_usd]
            sell_mg = [tok * cfg.trade_fraction for tok in seller_tok]
        # Buy size in mg: cash / price-per-mg, with the micro-dollar and tick units of gramabm.units.
        price_ticks_ask = max((ask if ask is not None else mid) * 1000.0, 1.0)
        buy_qty = [math.floor(usd / price_ticks_ask) for usd in buy_usd]
        sell_qty = [
            tok if tok - math.floor(mg) < _MIN_ORDER_MG else math.floor(mg)
            for mg, tok in zip(sell_mg, seller_tok, strict=True)
        ]
        rows = [
            (i, side, qty)
            for side, holders, qtys in ((_BID, buyer_ids, buy_qty), (_ASK, seller_ids, sell_qty))
            for i, qty in zip(holders, qtys, strict=True)
            if qty >= _MIN_ORDER_MG
        ]
        is_market = (self.rng.random(len(rows)) < cfg.market_order_share).tolist()
        offset = cfg.limit_offset_bp / 1e4
        # USD -> ticks; round() rounds half to even, as np.rint does.
        price = {
            _BID: max(round(mid * (1 + offset) * 1000.0), 1),
            _ASK: max(round(mid * (1 - offset) * 1000.0), 1),
        }
        kind = {True: _MARKET, False: _LIMIT_IOC}
        return (
            [self.first_account + i for i, _, _ in rows],
            [side for _, side, _ in rows],
            [price[side] for _, side, _ in rows],
            [qty for _, _, qty in rows],
            [kind[market] for market in is_market],
        )

    def _free(self, asset: Asset, rows: list[int]) -> list[int]:
        """:meth:`available` of a few holders, read one by one (faster than arrays for a few)."""
        available, first = self.ledger.available, self.first_account
        return [available(first + i, asset) for i in rows]

    def _wealth_shares(self, usd: list[int], tokens: list[int], price_ticks: float) -> list[float]:
        """``trade_fraction`` of each holder's free cash plus free tokens at ``price_ticks``."""
        fraction = self.cfg.trade_fraction
        return [fraction * (u + t * price_ticks) for u, t in zip(usd, tokens, strict=True)]

    def update_cost_basis(
        self, tokens_before: np.ndarray, price: float, holders: np.ndarray | None = None
    ) -> None:
        """Average the entry price of holders whose token balance grew, at ``price``.

        ``tokens_before`` holds the balances of ``holders`` (indices), or of every holder if None.
        """
        after = self.tokens_mg()
        if holders is not None:
            after = after[holders]
        grew = (after > tokens_before).nonzero()[0]
        if grew.size:
            rows = grew if holders is None else holders[grew]
            old = tokens_before[grew].astype(float)
            new = after[grew].astype(float)
            self.cost_basis[rows] = (old * self.cost_basis[rows] + (new - old) * price) / new

    def stats(self) -> HolderStepStats:
        """Counts by the holders' last action and panic summary."""
        # A count of the nonzero codes (no temporary) gives the holds; count_nonzero of a
        # comparison per action for two of the others, the third by difference: bincount would
        # first widen the int8 codes of every holder.
        last = self.last_action
        acted = int(np.count_nonzero(last))
        buy = int(np.count_nonzero(last == _BUY))
        redeem = int(np.count_nonzero(last == _REDEEM))
        return HolderStepStats(
            hold=last.size - acted,
            buy=buy,
            sell=acted - buy - redeem,
            redeem=redeem,
            panicked=int(np.count_nonzero(self.panic > 0.5)),
            # np.mean's own sum and division, without its Python wrapper.
            panic_mean=float(np.add.reduce(self.panic) / self.panic.size),
        )


def _send(
    venue: Venue,
    owners: list[int],
    sides: list[int],
    prices: list[int],
    qtys: list[int],
    kinds: list[int],
) -> None:
    """Send the holders' orders to the venue one by one, in order.

    What :meth:`Venue.submit_batch` would do with them: a step's few dozen cost less as calls
    than as a batch built, checked and answered in arrays.
    """
    market, limit = venue.market, venue.limit
    for owner, side, price, qty, kind in zip(owners, sides, prices, qtys, kinds, strict=True):
        if kind == _MARKET:
            market(owner, side, qty)
        else:  # _LIMIT_IOC
            limit(owner, side, price, qty, ioc=True)
