"""A concentrated-liquidity pool (Uniswap v3), in exact integers.

Liquidity sits in tick ranges, fee tiers set the tick spacing, fees go to the providers in range.

A provider deposits liquidity ``L`` on a range of ticks ``[lower, upper)``; it is active while the
price is inside. A swap walks the price from one initialised tick to the next, each step inside a
range of constant active liquidity (:func:`~gramabm.market.amm.tick_math.swap_step`), and crossing
a tick adds or removes that tick's net liquidity. Fees are taken from the input of each step and
credited per unit of active liquidity (Q128.128 fee growth); each tick keeps the growth on its far
side, so a position's fees are ``L * (growth inside now - growth inside when last touched)``,
rounded down. Amounts a provider pays in are rounded up and amounts paid out rounded down, so the
pool can always pay every position in full (:meth:`ConcentratedPool.check` verifies it). Python's
integers are unbounded, so fee growth needs no modular wrap-around: the differences are exact.

Fee tiers and their tick spacings: 0.01% (1), 0.05% (10), 0.30% (60), 1% (200).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from operator import index

import numpy as np

from gramabm.errors import ConfigError
from gramabm.market.amm.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    Q96,
    Q128,
    amount0_delta,
    amount1_delta,
    sqrt_ratio_at_tick,
    swap_step,
    tick_at_sqrt_ratio,
)
from gramabm.market.chain import (
    AmmError,
    Chain,
    SwapResult,
    Token,
    gas_need,
    positive,
    require_funds,
)
from gramabm.market.ledger import InsufficientBalanceError

FEE_TIERS: dict[int, int] = {100: 1, 500: 10, 3_000: 60, 10_000: 200}
"""Fee (millionths of the input) -> tick spacing, the four tiers of the protocol."""


@dataclass(slots=True)
class TickInfo:
    """An initialised tick: liquidity referencing it and fee growth on its far side."""

    gross: int = 0  # total liquidity of positions with this tick as a bound
    net: int = 0  # liquidity added when the price crosses it upwards
    outside0: int = 0
    outside1: int = 0


@dataclass(slots=True)
class Position:
    """A provider's liquidity on one range and what it is owed."""

    liquidity: int = 0
    inside0: int = 0  # fee growth inside the range when last touched
    inside1: int = 0
    owed0: int = 0  # fees (and withdrawn principal) not yet paid out
    owed1: int = 0


@dataclass(slots=True)
class _Swap:
    """A computed swap not yet applied: amounts and the pool state it leaves."""

    amount_in: int
    amount_out: int
    fee: int
    sqrt_price: int
    tick: int
    liquidity: int
    growth: int  # new global fee growth of the input token
    crossed: list[tuple[int, int]] = field(default_factory=list)  # (tick, growth there)


class ConcentratedPool:
    """A two-token pool with liquidity in tick ranges.

    Args:
        token0: First token; prices are token1 base units per token0 base unit.
        token1: Second token.
        account: The pool's own account (its address), open in both tokens' ledgers.
        sqrt_price: Initial square-root price, Q64.96 (see
            :func:`~gramabm.market.amm.tick_math.sqrt_price_of`).
        fee_pips: Fee tier, one of :data:`FEE_TIERS`.
        chain: Where gas is paid; ``None`` charges no gas.

    Raises:
        ConfigError: For an unknown fee tier, a price outside the tick range or twice one token.
    """

    def __init__(
        self,
        token0: Token,
        token1: Token,
        account: int,
        sqrt_price: int,
        *,
        fee_pips: int = 3_000,
        chain: Chain | None = None,
    ) -> None:
        if fee_pips not in FEE_TIERS:
            raise ConfigError(f"fee tier {fee_pips} is not one of {sorted(FEE_TIERS)} (millionths)")
        if token0.ledger is token1.ledger and int(token0.asset) == int(token1.asset):
            raise ConfigError(f"a pool needs two different tokens, got {token0.symbol} twice")
        if not MIN_SQRT_RATIO <= index(sqrt_price) < MAX_SQRT_RATIO:
            raise ConfigError(f"initial sqrt price {sqrt_price} outside the tick range")
        self.tokens = (token0, token1)
        self.account = account
        self.fee_pips = fee_pips
        self.spacing = FEE_TIERS[fee_pips]
        self.chain = chain
        self.sqrt_price = int(sqrt_price)
        self.tick = tick_at_sqrt_ratio(self.sqrt_price)
        self.liquidity = 0
        self.growth = [0, 0]  # global fee growth per unit of liquidity, Q128
        self.ticks: dict[int, TickInfo] = {}
        self.initialized: list[int] = []  # sorted keys of ticks
        self.positions: dict[tuple[int, int, int], Position] = {}
        self.balances = [0, 0]  # what the pool's account holds
        self.fees_earned = [0, 0]

    # ------------------------------------------------------------------------------ reads

    def price(self) -> float:
        """Mid price: whole token1 per whole token0."""
        t0, t1 = self.tokens
        return (self.sqrt_price / Q96) ** 2 * t0.unit / t1.unit

    def _check_range(self, lower: int, upper: int) -> None:
        if not (MIN_TICK <= lower < upper <= MAX_TICK):
            raise AmmError(f"range [{lower}, {upper}) is empty or outside the tick range")
        if lower % self.spacing or upper % self.spacing:
            raise AmmError(
                f"range [{lower}, {upper}) is off the tick spacing {self.spacing} of this tier"
            )

    def _growth_inside(self, lower: int, upper: int) -> tuple[int, int]:
        lo, hi = self.ticks[lower], self.ticks[upper]
        g0, g1 = self.growth
        if self.tick >= lower:
            b0, b1 = lo.outside0, lo.outside1
        else:
            b0, b1 = g0 - lo.outside0, g1 - lo.outside1
        if self.tick < upper:
            a0, a1 = hi.outside0, hi.outside1
        else:
            a0, a1 = g0 - hi.outside0, g1 - hi.outside1
        return g0 - b0 - a0, g1 - b1 - a1

    def amounts_for_liquidity(
        self, lower: int, upper: int, liquidity: int, round_up: bool
    ) -> tuple[int, int]:
        """Token amounts ``liquidity`` on ``[lower, upper)`` is worth at the current price."""
        sa, sb = sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper)
        sp = self.sqrt_price
        if self.tick < lower:
            return amount0_delta(sa, sb, liquidity, round_up), 0
        if self.tick < upper:
            return (
                amount0_delta(sp, sb, liquidity, round_up),
                amount1_delta(sa, sp, liquidity, round_up),
            )
        return 0, amount1_delta(sa, sb, liquidity, round_up)

    def liquidity_for_amounts(self, lower: int, upper: int, amount0: int, amount1: int) -> int:
        """The most liquidity on ``[lower, upper)`` that ``amount0`` and ``amount1`` can pay."""
        self._check_range(lower, upper)
        sa, sb = sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper)
        sp = self.sqrt_price

        def from0(a: int, lo: int) -> int:
            return a * lo * sb // ((sb - lo) << 96)

        def from1(a: int, hi: int) -> int:
            return (a << 96) // (hi - sa)

        # Each is the floor of the amount over its delta per unit of liquidity, and the amounts
        # are whole, so the delta rounded up fits exactly when the unrounded one does: the floor
        # is the most liquidity the amount pays for, on the same prices as amounts_for_liquidity.
        if self.tick < lower:
            return from0(amount0, sa)
        if self.tick < upper:
            return min(from0(amount0, sp), from1(amount1, sp)) if sp > sa else from0(amount0, sp)
        return from1(amount1, sb)

    # -------------------------------------------------------------------------- liquidity

    def _touch_tick(self, tick: int, delta: int, upper: bool) -> None:
        info = self.ticks.get(tick)
        if info is None:
            info = TickInfo()
            if tick <= self.tick:  # by convention all growth so far happened below the tick
                info.outside0, info.outside1 = self.growth
            self.ticks[tick] = info
            insort(self.initialized, tick)
        info.gross += delta
        info.net += -delta if upper else delta

    def _untouch_if_empty(self, tick: int) -> None:
        if self.ticks[tick].gross == 0:
            del self.ticks[tick]
            del self.initialized[bisect_left(self.initialized, tick)]

    def _modify(self, owner: int, lower: int, upper: int, delta: int) -> Position:
        """Change a position's liquidity by ``delta``, accruing its fees first."""
        key = (owner, lower, upper)
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = Position()
        self._touch_tick(lower, delta, upper=False)
        self._touch_tick(upper, delta, upper=True)
        in0, in1 = self._growth_inside(lower, upper)
        pos.owed0 += pos.liquidity * (in0 - pos.inside0) // Q128
        pos.owed1 += pos.liquidity * (in1 - pos.inside1) // Q128
        pos.inside0, pos.inside1 = in0, in1
        pos.liquidity += delta
        if lower <= self.tick < upper:
            self.liquidity += delta
        if delta < 0:
            self._untouch_if_empty(lower)
            self._untouch_if_empty(upper)
        return pos

    def add_liquidity(
        self, account: int, lower: int, upper: int, liquidity: int
    ) -> tuple[int, int]:
        """Deposit ``liquidity`` on ``[lower, upper)``; pay its token amounts, rounded up.

        Returns:
            ``(amount0, amount1)`` paid.

        Raises:
            AmmError: For a bad range or non-positive liquidity.
            InsufficientBalanceError: If the provider cannot pay the amounts and the gas.
        """
        liquidity = positive("liquidity", liquidity)
        self._check_range(lower, upper)
        a0, a1 = self.amounts_for_liquidity(lower, upper, liquidity, True)
        t0, t1 = self.tokens
        needs, gas = gas_need(self.chain, "v3_add_liquidity")
        require_funds(account, [(t0, a0), (t1, a1), *needs])
        if self.chain is not None:
            self.chain.charge(account, gas)
        t0.transfer(account, self.account, a0)
        t1.transfer(account, self.account, a1)
        self.balances[0] += a0
        self.balances[1] += a1
        self._modify(account, lower, upper, liquidity)
        return a0, a1

    def remove_liquidity(
        self, account: int, lower: int, upper: int, liquidity: int
    ) -> tuple[int, int]:
        """Withdraw ``liquidity`` from a position and collect everything it is owed.

        Pays the withdrawn amounts (rounded down) plus the fees earned so far.

        Returns:
            ``(amount0, amount1)`` paid out.

        Raises:
            AmmError: If the position holds less than ``liquidity`` (0 collects fees only).
            InsufficientBalanceError: If the provider cannot pay the gas.
        """
        liquidity = index(liquidity)
        pos = self.positions.get((account, lower, upper))
        held = pos.liquidity if pos is not None else 0
        if not 0 <= liquidity <= held or pos is None:
            raise AmmError(
                f"position ({account}, {lower}, {upper}) holds {held} liquidity, "
                f"cannot remove {liquidity}"
            )
        needs, gas = gas_need(self.chain, "v3_remove_liquidity")
        require_funds(account, needs)
        if self.chain is not None:
            self.chain.charge(account, gas)
        a0, a1 = self.amounts_for_liquidity(lower, upper, liquidity, False)
        self._modify(account, lower, upper, -liquidity)
        pay0, pay1 = pos.owed0 + a0, pos.owed1 + a1
        pos.owed0 = pos.owed1 = 0
        if pos.liquidity == 0:
            del self.positions[(account, lower, upper)]
        t0, t1 = self.tokens
        t0.transfer(self.account, account, pay0)
        t1.transfer(self.account, account, pay1)
        self.balances[0] -= pay0
        self.balances[1] -= pay1
        return pay0, pay1

    # ------------------------------------------------------------------------------ swaps

    def _compute(self, zero_for_one: bool, amount: int, exact_in: bool, limit: int | None) -> _Swap:
        if limit is None:
            limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        elif (
            not (MIN_SQRT_RATIO < limit < self.sqrt_price)
            if zero_for_one
            else not (self.sqrt_price < limit < MAX_SQRT_RATIO)
        ):
            raise AmmError(f"price limit {limit} is on the wrong side of {self.sqrt_price}")
        fee_pips = self.fee_pips
        i = 0 if zero_for_one else 1
        growth = self.growth[i]
        sp, tick, liq = self.sqrt_price, self.tick, self.liquidity
        initialized = self.initialized
        ticks = self.ticks
        remaining, total_in, total_out, total_fee = amount, 0, 0, 0
        crossed: list[tuple[int, int]] = []
        while remaining and sp != limit:
            if zero_for_one:
                k = bisect_right(initialized, tick) - 1
                nxt, init = (initialized[k], True) if k >= 0 else (MIN_TICK, False)
                target = max(sqrt_ratio_at_tick(nxt), limit)
            else:
                k = bisect_right(initialized, tick)
                nxt, init = (initialized[k], True) if k < len(initialized) else (MAX_TICK, False)
                target = min(sqrt_ratio_at_tick(nxt), limit)
            sp_next, a_in, a_out, fee = swap_step(sp, target, liq, remaining, fee_pips, exact_in)
            remaining -= a_in + fee if exact_in else a_out
            total_in += a_in + fee
            total_out += a_out
            total_fee += fee
            if liq:
                growth += (fee << 128) // liq
            if sp_next == sqrt_ratio_at_tick(nxt):
                if init:
                    crossed.append((nxt, growth))
                    net = ticks[nxt].net
                    liq += -net if zero_for_one else net
                tick = nxt - 1 if zero_for_one else nxt
            elif sp_next != sp:
                tick = tick_at_sqrt_ratio(sp_next)
            sp = sp_next
        return _Swap(total_in, total_out, total_fee, sp, tick, liq, growth, crossed)

    def _apply(self, s: _Swap, zero_for_one: bool) -> None:
        i = 0 if zero_for_one else 1
        g = list(self.growth)
        for t, at in s.crossed:  # flip each crossed tick's outside growth as it stood there
            g[i] = at
            info = self.ticks[t]
            info.outside0 = g[0] - info.outside0
            info.outside1 = g[1] - info.outside1
        g[i] = s.growth
        self.growth = g
        self.sqrt_price, self.tick, self.liquidity = s.sqrt_price, s.tick, s.liquidity
        self.fees_earned[i] += s.fee

    def _settle(self, account: int, zero_for_one: bool, s: _Swap) -> SwapResult:
        i, o = (0, 1) if zero_for_one else (1, 0)
        t_in, t_out = self.tokens[i], self.tokens[o]
        needs, gas = gas_need(self.chain, "v3_swap")
        require_funds(account, [(t_in, s.amount_in), *needs])
        if self.chain is not None:
            self.chain.charge(account, gas)
        t_in.transfer(account, self.account, s.amount_in)
        t_out.transfer(self.account, account, s.amount_out)
        self.balances[i] += s.amount_in
        self.balances[o] -= s.amount_out
        self._apply(s, zero_for_one)
        return SwapResult(s.amount_in, s.amount_out, s.fee, gas)

    def quote_exact_in(
        self, zero_for_one: bool, amount: int, sqrt_price_limit: int | None = None
    ) -> SwapResult:
        """What a swap of ``amount`` in would do now (``amount_in`` may be less at a limit)."""
        s = self._compute(zero_for_one, positive("amount in", amount), True, sqrt_price_limit)
        return SwapResult(s.amount_in, s.amount_out, s.fee)

    def quote_exact_out(
        self, zero_for_one: bool, amount: int, sqrt_price_limit: int | None = None
    ) -> SwapResult:
        """What a swap receiving ``amount`` out would do now (less out at a limit)."""
        s = self._compute(zero_for_one, positive("amount out", amount), False, sqrt_price_limit)
        return SwapResult(s.amount_in, s.amount_out, s.fee)

    def swap_exact_in(
        self,
        account: int,
        zero_for_one: bool,
        amount: int,
        min_out: int = 0,
        sqrt_price_limit: int | None = None,
    ) -> SwapResult:
        """Pay ``amount`` in, receive what the ranges give.

        With a price limit the swap stops there and takes only the input it used; without one,
        a swap the pool's liquidity cannot absorb in full is refused.

        Raises:
            AmmError: If the output is 0 or below ``min_out``, or the liquidity runs out.
            InsufficientBalanceError: If the trader cannot pay the input and the gas.
        """
        s = self._compute(zero_for_one, positive("amount in", amount), True, sqrt_price_limit)
        if sqrt_price_limit is None and s.amount_in < amount:
            raise AmmError(f"the pool's liquidity absorbs only {s.amount_in} of {amount} in")
        if s.amount_out <= 0 or s.amount_out < min_out:
            raise AmmError(f"swap pays {s.amount_out} out (minimum {max(min_out, 1)})")
        return self._settle(account, zero_for_one, s)

    def swap_exact_out(
        self,
        account: int,
        zero_for_one: bool,
        amount: int,
        max_in: int | None = None,
        sqrt_price_limit: int | None = None,
    ) -> SwapResult:
        """Receive ``amount`` out, pay what the ranges ask.

        Raises:
            AmmError: If the pool cannot pay ``amount`` (without a limit), or the input would
                exceed ``max_in``.
            InsufficientBalanceError: If the trader cannot pay the input and the gas.
        """
        s = self._compute(zero_for_one, positive("amount out", amount), False, sqrt_price_limit)
        if sqrt_price_limit is None and s.amount_out < amount:
            raise AmmError(f"the pool's liquidity pays only {s.amount_out} of {amount} out")
        if s.amount_out <= 0:
            raise AmmError("swap pays nothing out")
        if max_in is not None and s.amount_in > max_in:
            raise AmmError(f"paying {amount} out needs {s.amount_in} in, above {max_in}")
        return self._settle(account, zero_for_one, s)

    def swap_batch(
        self, accounts: np.ndarray, zero_for_one: np.ndarray, amounts: np.ndarray
    ) -> np.ndarray:
        """Exact-input swaps of a population in order; a row that fails pays 0 instead of raising.

        Returns:
            Base units paid out per row (int64).
        """
        accounts = np.asarray(accounts, dtype=np.int64)
        directions = np.asarray(zero_for_one, dtype=bool)
        amounts = np.asarray(amounts, dtype=np.int64)
        if not accounts.shape == directions.shape == amounts.shape:
            raise AmmError("swap_batch needs columns of one length")
        if amounts.size and amounts.min() <= 0:
            raise AmmError("swap_batch amounts must be > 0")
        res = [0] * amounts.size
        compute, settle = self._compute, self._settle
        for k, (acct, d, a) in enumerate(
            zip(accounts.tolist(), directions.tolist(), amounts.tolist(), strict=True)
        ):
            s = compute(d, a, True, None)
            if s.amount_in < a or s.amount_out <= 0:
                continue
            try:
                res[k] = settle(acct, d, s).amount_out
            except (AmmError, InsufficientBalanceError):  # the holder cannot pay: skip the row
                continue
        return np.asarray(res, dtype=np.int64)

    # ------------------------------------------------------------------------- invariants

    def check(self) -> None:
        """Verify the books and that the pool can pay every position in full.

        The account holds the balances, the active liquidity is the sum of the positions in
        range, and the balances cover every position's claim (principal, owed and fees).

        Raises:
            AmmError: Naming what does not hold.
        """
        for token, b in zip(self.tokens, self.balances, strict=True):
            if token.balance(self.account) != b:
                raise AmmError(
                    f"pool holds {token.balance(self.account)} {token.symbol}, books say {b}"
                )
        active = 0
        claim0 = claim1 = 0
        for (_, lower, upper), pos in self.positions.items():
            if lower <= self.tick < upper:
                active += pos.liquidity
            a0, a1 = self.amounts_for_liquidity(lower, upper, pos.liquidity, False)
            in0, in1 = self._growth_inside(lower, upper)
            claim0 += a0 + pos.owed0 + pos.liquidity * (in0 - pos.inside0) // Q128
            claim1 += a1 + pos.owed1 + pos.liquidity * (in1 - pos.inside1) // Q128
        if active != self.liquidity:
            raise AmmError(f"active liquidity {self.liquidity} != positions in range {active}")
        if claim0 > self.balances[0] or claim1 > self.balances[1]:
            raise AmmError(
                f"positions claim ({claim0}, {claim1}) but the pool holds {tuple(self.balances)}"
            )
